import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type ValidationRule } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Backends } from '../backends/types';
import type { Config } from '../config';
import { webSocketOpened } from '../metrics';
import { identify, type Caller } from './access';
import type { GraphQLContext } from './context';
import { ValidatedDocuments } from './document-cache';
import { formatError } from './graphql-errors';
import { sharedSubscribe } from './shared-execution';

type ConnectionParams = { authorization?: unknown; apiKey?: unknown } | undefined;

function callerOf(params: ConnectionParams, request: IncomingMessage, config: Config): Caller | null {
  const authorization =
    typeof params?.authorization === 'string' ? params.authorization : typeof params?.apiKey === 'string' ? `Bearer ${params.apiKey}` : undefined;
  return identify(authorization, clientIp(request, config), config);
}

/** The client's address, believing X-Forwarded-For only as far as the configured proxies. */
export function clientIp(request: IncomingMessage, config: Config): string {
  const forwarded = String(request.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const hops = Math.min(config.trustProxyHops, forwarded.length);
  return hops > 0 ? forwarded[forwarded.length - hops] : (request.socket.remoteAddress ?? 'unknown');
}

/**
 * graphql-ws on the HTTP server's /graphql path. Connections without a valid
 * key (when keys are on) are closed with 4403; messages are size-capped; each
 * connection holds a bounded number of subscriptions; documents pass the same
 * validation rules (depth, cost, aliases) as over HTTP. An event watched by
 * many subscribers is executed once for all of them (shared-execution.ts).
 */
export function startSubscriptionServer(
  server: Server,
  schema: GraphQLSchema,
  backends: Backends,
  config: Config,
  validationRules: readonly ValidationRule[],
  maxTokens: number,
): { dispose(): void | Promise<void> } {
  const wsServer = new WebSocketServer({ server, path: '/graphql', maxPayload: config.maxWebSocketMessageBytes });
  wsServer.on('connection', webSocketOpened);
  const open = new WeakMap<object, Set<string>>();
  const documents = new ValidatedDocuments(schema, validationRules, maxTokens);
  return useServer<ConnectionParams, { request: IncomingMessage }>(
    {
      schema,
      subscribe: sharedSubscribe(),
      onConnect: (ctx) => callerOf(ctx.connectionParams, ctx.extra.request, config) !== null,
      onSubscribe: (ctx, id, payload) => {
        const ids = open.get(ctx) ?? new Set<string>();
        open.set(ctx, ids);
        if (ids.size >= config.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(`A connection may hold at most ${config.maxSubscriptionsPerConnection} subscriptions.`, {
              extensions: { code: 'LIMIT_EXCEEDED' },
            }),
          ];
        }
        const document = documents.get(payload.query);
        if (Array.isArray(document)) return document;
        ids.add(id);
        const contextValue: GraphQLContext = { backends, config, caller: callerOf(ctx.connectionParams, ctx.extra.request, config)! };
        return {
          schema,
          document: document as DocumentNode,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
      },
      onComplete: (ctx, id) => {
        open.get(ctx)?.delete(id);
      },
      // The same masking as over HTTP: codes kept, nothing internal leaks.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) } : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wsServer,
  );
}
