import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { graphqlUploadExpress } from 'graphql-upload-minimal';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Backends } from '../backends/types';
import type { Config } from '../config';
import type { GraphQLContext } from './context';
import { formatError, httpErrorHandler } from './graphql-errors';
import { healthHandler } from './health';
import { resultsHandler } from './results';
import { parserFileLimit } from './upload';
import { buildSchema } from './schema';

export interface WebServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

/** The web process: GraphQL over HTTP and graphql-ws on one port, plus results and health. */
export async function startWebServer(backends: Backends, config: Config): Promise<WebServer> {
  const schema = buildSchema();
  const context: GraphQLContext = { backends, config };
  const app = express();
  app.disable('x-powered-by');
  const server = createServer(app);
  // Outlive the idle timeouts of routers and clients, so the server is never the
  // one closing a kept-alive connection just as a request is sent on it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const wsServer = new WebSocketServer({ server, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>>({ schema, context: () => context }, wsServer);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // Shutdown order is ours to run (src/process.ts), not Apollo's own signal handlers'.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  app.get('/healthz', healthHandler(backends));
  app.get('/results/:id', resultsHandler(backends.store));
  app.use(
    '/graphql',
    express.json({ limit: config.maxRequestBytes }),
    graphqlUploadExpress({ maxFileSize: parserFileLimit(config.maxUploadBytes), maxFiles: 1, maxFieldSize: config.maxRequestBytes }),
    expressMiddleware(apollo, { context: async () => context }),
  );
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
