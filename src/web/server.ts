import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import cors from 'cors';
import type { Backends } from '../backends/types';
import type { Config, GraphQLLimits } from '../config';
import { metricsHandler } from '../metrics';
import type { GraphQLContext } from './context';
import { formatError, httpErrorHandler } from './graphql-errors';
import { healthHandler } from './health';
import { resultsHandler } from './results';
import { parserFileLimit } from './upload';
import { buildSchema } from './schema';
import { startSubscriptionServer } from './subscriptions';
import { identify, type Caller } from './access';
import { guardMultipartParser, multipartErrorsAreBadRequests } from './multipart-guard';
import { uiRoutes } from './ui';

/** The configured bounds on one GraphQL document, as graphql-armor takes them (over HTTP and WebSocket alike). */
function armorOptions(limits: GraphQLLimits) {
  return {
    maxDepth: { n: limits.maxDepth },
    maxAliases: { n: limits.maxAliases },
    maxDirectives: { n: limits.maxDirectives },
    // graphql's own parser enforces maxTokens instead: armor's check throws from a plugin hook, which Apollo answers 500.
    maxTokens: { enabled: false },
    costLimit: { maxCost: limits.maxCost },
    blockFieldSuggestion: { enabled: true },
  };
}

/** Who is calling, into `res.locals.caller`; 401 when keys are required and none is valid. */
function authenticate(config: Config): express.RequestHandler {
  return (req, res, next) => {
    const caller = identify(req.headers.authorization, req.ip ?? 'unknown', config);
    if (!caller) {
      res.status(401).json({ errors: [{ message: 'Send a valid API key as "Authorization: Bearer <key>".', extensions: { code: 'UNAUTHENTICATED' } }] });
      return;
    }
    res.locals.caller = caller;
    next();
  };
}

export interface WebServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** The web process: GraphQL over HTTP and graphql-ws on one port, plus results and health. */
export async function startWebServer(backends: Backends, config: Config): Promise<WebServer> {
  const schema = buildSchema();
  const armor = new ApolloArmor(armorOptions(config.graphqlLimits)).protect();
  const app = express();
  app.disable('x-powered-by');
  if (config.trustProxyHops > 0) app.set('trust proxy', config.trustProxyHops);
  if (config.corsOrigins.length > 0) app.use(cors({ origin: [...config.corsOrigins] }));
  const server = createServer(app);
  // Outlive the idle timeouts of routers and clients, so the server is never the
  // one closing a kept-alive connection just as a request is sent on it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const subscriptions = startSubscriptionServer(server, schema, backends, config, armor.validationRules, config.graphqlLimits.maxTokens);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: config.graphqlLimits.maxTokens },
    // Shutdown order is ours to run (src/process.ts), not Apollo's own signal handlers'.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      // Browsers get our own GraphiQL (uiRoutes); Apollo's landing pages load from its CDN.
      ApolloServerPluginLandingPageDisabled(),
      ...armor.plugins,
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await subscriptions.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', healthHandler(backends));
  app.get('/metrics', metricsHandler(backends.queue, config));
  app.get(['/results/:id', '/results/:id/:variant'], resultsHandler(backends.store, config));
  // Before /graphql, so a browser's GET of it gets GraphiQL; every other request goes on to Apollo.
  app.use(uiRoutes());
  app.use(
    '/graphql',
    // The key is checked first, so a caller without one cannot make us parse a body.
    authenticate(config),
    express.json({ limit: config.maxRequestBytes }),
    guardMultipartParser,
    graphqlUploadExpress({ maxFileSize: parserFileLimit(config.maxUploadBytes), maxFiles: 1 + config.maxFilesPerJob, maxFieldSize: config.maxRequestBytes }),
    multipartErrorsAreBadRequests,
    expressMiddleware(apollo, {
      context: async ({ res }): Promise<GraphQLContext> => ({ backends, config, caller: res.locals.caller as Caller }),
    }),
  );
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: 'Nothing here: the API is at /graphql.', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use(httpErrorHandler);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () => apollo.stop(),
  };
}
