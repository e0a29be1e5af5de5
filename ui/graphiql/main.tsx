// GraphiQL for Darkroom, bundled by scripts/build-ui.js and served at GET /graphql
// to browsers: queries and mutations go to /graphql over HTTP, subscriptions over
// graphql-ws on the same path, and nothing is fetched from the internet.
import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { buildSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

// Monaco asks for a worker per language service; they are bundled beside this script.
(globalThis as { MonacoEnvironment?: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(`/ui/graphiql/workers/${name}.worker.js`);
  },
};

const subscriptionUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

/** The Authorization header typed in GraphiQL's Headers tab, whatever its case. */
function authorizationOf(headers: Record<string, unknown> | undefined): string | undefined {
  const value = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return typeof value === 'string' ? value : undefined;
}

/** The server closes a WebSocket without a valid key with 4403. */
const refused = (event: unknown): boolean => (event as { code?: unknown } | null)?.code === 4403;

// A WebSocket carries its key once, in connectionParams when it connects, as the
// server asks; so each key gets its own client. They are lazy: an unused one
// holds no connection. A client's key never changes, so a refusal is final:
// graphql-ws would otherwise retry it for about 40 s before showing the error.
const fetchers = new Map<string, Fetcher>();
function fetcherFor(authorization: string | undefined): Fetcher {
  const key = authorization ?? '';
  let fetcher = fetchers.get(key);
  if (!fetcher) {
    const wsClient = createClient({
      url: subscriptionUrl,
      connectionParams: authorization ? { authorization } : undefined,
      shouldRetry: (event) => !refused(event),
    });
    fetcher = createGraphiQLFetcher({ url: '/graphql', subscriptionUrl, wsClient });
    fetchers.set(key, fetcher);
  }
  return fetcher;
}

// HTTP requests take the headers from `opts` as before; subscriptions go through the key's own client.
const fetcher: Fetcher = (params, opts) => fetcherFor(authorizationOf(opts?.headers))(params, opts);

/** schema/*.graphql, put in by scripts/build-ui.js: Apollo answers no introspection in production. */
declare const DARKROOM_SCHEMA_SDL: string;
const schema = buildSchema(DARKROOM_SCHEMA_SDL);

// `/graphql?query=…&variables=…` opens with that operation, so links can share one.
const params = new URLSearchParams(location.search);

createRoot(document.getElementById('graphiql')!).render(
  <GraphiQL
    fetcher={fetcher}
    schema={schema}
    initialQuery={params.get('query') ?? undefined}
    initialVariables={params.get('variables') ?? undefined}
  />,
);
