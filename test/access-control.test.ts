import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { readConfig } from '../src/config';
import type { DarkroomClient } from './support/client';
import { Deployment, waitForJob } from './support/deployment';
import { SMALL_JOB } from './support/jobs';

const KEY_A = 'key-a-0123456789abcdef';
const KEY_B = 'key-b-0123456789abcdef';

describe('API keys, ownership and signed URLs', () => {
  let deployment: Deployment;
  let alice: DarkroomClient;
  let bob: DarkroomClient;
  let aliceOnB: DarkroomClient;

  beforeAll(async () => {
    deployment = new Deployment('access', { API_KEYS: `${KEY_A},${KEY_B}`, SIGNED_URL_TTL_SECONDS: '2' });
    const webA = (await deployment.web('web-a')).client;
    const webB = (await deployment.web('web-b')).client;
    alice = webA.as(KEY_A);
    bob = webB.as(KEY_B);
    aliceOnB = webB.as(KEY_A);
    await deployment.worker('worker');
  });

  afterAll(async () => {
    await deployment.stop();
  });

  test('HTTP without a key, or with a wrong one: 401 UNAUTHENTICATED', async () => {
    for (const key of [undefined, 'not-a-key-0123456789']) {
      const res = await fetch(`${alice.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query: '{ job(id: "x") { id } }' }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    }
  });

  test('an upload without a key is refused before its body is parsed', async () => {
    const res = await fetch(`${alice.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xx', 'apollo-require-preflight': 'true' },
      body: '--xx\r\nfoo\r\n',
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  test('a WebSocket without a key is closed with 4403', async () => {
    const code = await new Promise<number>((resolve) => {
      const ws = createClient({ url: alice.baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, on: { closed: (e) => resolve((e as { code: number }).code) } });
      ws.on('connected', () => resolve(-1));
    });
    expect(code).toBe(4403);
  });

  test("another key's job does not exist for it: query, subscribe, cancel and download all say NOT_FOUND", async () => {
    const job = await alice.submit(SMALL_JOB.file, SMALL_JOB.input);
    const done = await waitForJob(aliceOnB, job.id, (j) => j.status === 'COMPLETED');

    expect(await bob.job(job.id)).toBeNull();
    await expect(bob.watch(job.id)).rejects.toThrow(/NOT_FOUND/);
    const cancel = await bob.query(`mutation { cancelJob(id: "${job.id}") { status } }`);
    expect(cancel.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const plainPath = `/results/${job.id}`;
    const asBob = await bob.download(plainPath);
    expect(asBob.status).toBe(404);
    expect(await asBob.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });

    expect((await aliceOnB.download(plainPath)).status).toBe(200);
    expect((await aliceOnB.download(plainPath, true)).status).toBe(401);
    expect(await aliceOnB.job(job.id)).toMatchObject({ status: 'COMPLETED' });
    expect(done.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test('result.url is signed: it downloads without a key until it expires; a forged one is refused', async () => {
    const job = await alice.submit(SMALL_JOB.file, SMALL_JOB.input);
    const done = await waitForJob(alice, job.id, (j) => j.status === 'COMPLETED');
    const url = done.result!.url;
    expect(url).toMatch(/^\/results\/[^?]+\?expires=\d+&signature=[\w-]+$/);
    const fresh = await bob.download(url, true);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toBe('image/webp');

    const forged = url.replace(/signature=([\w-])/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`);
    expect((await bob.download(forged, true)).status).toBe(403);
    const otherJob = url.replace(job.id, '00000000-0000-4000-8000-000000000000');
    expect((await bob.download(otherJob, true)).status).toBe(403);

    await new Promise((resolve) => setTimeout(resolve, 3100));
    const expired = await bob.download(url, true);
    expect(expired.status).toBe(403);
    expect(await expired.json()).toMatchObject({ error: { code: 'URL_EXPIRED' } });
  });
});

describe('rate limit shared across web processes', () => {
  let deployment: Deployment;

  afterAll(async () => {
    await deployment.stop();
  });

  test('3 jobs a minute per key: the fourth, on the other web process, is RATE_LIMITED with a retry hint', async () => {
    deployment = new Deployment('ratelimit', { API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_PER_MINUTE: '3' });
    const webA = (await deployment.web('web-a')).client;
    const webB = (await deployment.web('web-b')).client;
    await webA.as(KEY_A).submit(SMALL_JOB.file, SMALL_JOB.input);
    await webB.as(KEY_A).submit(SMALL_JOB.file, SMALL_JOB.input);
    await webA.as(KEY_A).submit(SMALL_JOB.file, SMALL_JOB.input);
    const fourth = await webB.as(KEY_A).createJob(SMALL_JOB.file, SMALL_JOB.input);
    expect(fourth.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const retryAfter = (fourth.errors?.[0].extensions as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Another key has its own budget.
    expect((await webB.as(KEY_B).createJob(SMALL_JOB.file, SMALL_JOB.input)).data?.createImageJob.status).toBe('QUEUED');
  });
});

describe('GraphQL and WebSocket limits', () => {
  let deployment: Deployment;
  let client: DarkroomClient;

  beforeAll(async () => {
    deployment = new Deployment('gqllimits', { MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    client = (await deployment.web('web')).client;
  });

  afterAll(async () => {
    await deployment.stop();
  });

  test('too many aliases, or a batch, are refused before execution', async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: job(id: "x") { id }`).join(' ');
    const response = await client.query(`{ ${aliases} }`);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0].message).toMatch(/aliases/i);
    const batch = await fetch(`${client.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ job(id: "x") { id } }' }, { query: '{ job(id: "y") { id } }' }]),
    });
    expect(batch.status).toBe(400);
    const tokens = await fetch(`${client.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ ${'__typename '.repeat(1100)}}` }),
    });
    expect(tokens.status).toBe(400);
    expect(await tokens.json()).toMatchObject({ errors: [{ message: expect.stringMatching(/more th.. 1000 tokens/), extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
  });

  test('a connection may hold only so many subscriptions', async () => {
    const ws = createClient({ url: client.baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0 });
    const job = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    const outcomes: string[] = [];
    const subscribe = () =>
      new Promise<void>((resolve) => {
        ws.subscribe(
          { query: `subscription { jobUpdated(id: "${job.id}") { status } }` },
          {
            next: () => {
              outcomes.push('event');
              resolve();
            },
            error: (errors) => {
              outcomes.push(JSON.stringify(errors));
              resolve();
            },
            complete: () => resolve(),
          },
        );
      });
    await subscribe();
    await subscribe();
    await subscribe();
    await ws.dispose();
    expect(outcomes.slice(0, 2)).toEqual(['event', 'event']);
    expect(outcomes[2]).toContain('LIMIT_EXCEEDED');
  });

  test('a WebSocket message over MAX_WEBSOCKET_MESSAGE_BYTES (default 65536) closes the connection with 1009', async () => {
    const ws = new WebSocket(client.baseUrl.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(65536) } }));
    expect(await closed).toBe(1009);

    // Just under the limit is an ordinary message: the server acknowledges it.
    const small = new WebSocket(client.baseUrl.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    await new Promise((resolve, reject) => small.once('open', resolve).once('error', reject));
    const reply = new Promise<string>((resolve) => small.once('message', (data) => resolve(String(data))));
    const init = JSON.stringify({ type: 'connection_init', payload: { padding: '' } });
    small.send(init.replace('""', `"${'x'.repeat(65536 - init.length)}"`));
    expect(JSON.parse(await reply)).toEqual({ type: 'connection_ack' });
    small.close();
  });
});

describe('GraphQL document limits from the environment', () => {
  let deployment: Deployment;
  let client: DarkroomClient;

  beforeAll(async () => {
    deployment = new Deployment('gqlenv', { GRAPHQL_MAX_DEPTH: '2', GRAPHQL_MAX_COST: '20' });
    client = (await deployment.web('web')).client;
  });

  afterAll(async () => {
    await deployment.stop();
  });

  async function post(query: string) {
    const res = await fetch(`${client.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
  }

  test('GRAPHQL_MAX_DEPTH: a document one level deeper than allowed is refused before execution', async () => {
    const allowed = await post('{ job(id: "00000000-0000-4000-8000-000000000000") { id } }');
    expect(allowed).toEqual({ status: 200, body: { data: { job: null } } });
    const deep = await post('{ job(id: "00000000-0000-4000-8000-000000000000") { input { bytes } } }');
    expect(deep.status).toBe(400);
    expect(deep.body.data).toBeUndefined();
    expect(deep.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/depth limit of 2/i), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  test('GRAPHQL_MAX_COST: a document whose estimated cost is over the limit is refused before execution', async () => {
    // graphql-armor's estimate: an object field costs 2, a scalar 1, each level down weighs 1.5 times more.
    // job { id } = 2 + 1.5 x 1 = 3.5; job with seven scalars = 2 + 1.5 x 7 = 12.5; the pair below, 25.
    const cheap = await post('{ job(id: "00000000-0000-4000-8000-000000000000") { id status progress attempts createdAt updatedAt __typename } }');
    expect(cheap).toEqual({ status: 200, body: { data: { job: null } } });
    const fields = 'id status progress attempts createdAt updatedAt __typename';
    const costly = await post(`{ a: job(id: "x") { ${fields} } b: job(id: "y") { ${fields} } }`);
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/cost limit of 20 exceeded, found 25/i), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  test('the same limits hold over WebSocket', async () => {
    const ws = createClient({ url: client.baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0 });
    const errors = await new Promise<string>((resolve) => {
      ws.subscribe(
        { query: 'subscription { jobUpdated(id: "00000000-0000-4000-8000-000000000000") { input { bytes } } }' },
        { next: () => resolve('event'), error: (e) => resolve(JSON.stringify(e)), complete: () => resolve('complete') },
      );
    });
    await ws.dispose();
    expect(errors).toMatch(/depth limit of 2/i);
    // With the code it has over HTTP.
    expect(JSON.parse(errors)).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
  });

  test('over WebSocket, refused documents carry the codes they have over HTTP', async () => {
    const ws = createClient({ url: client.baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0 });
    const refusal = (query: string) =>
      new Promise<unknown>((resolve) => {
        ws.subscribe({ query }, { next: () => resolve('event'), error: (e) => resolve(e), complete: () => resolve('complete') });
      });
    expect(await refusal('{ __typename ')).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
    expect(await refusal(`{ ${'__typename '.repeat(1001)}}`)).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/1000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
    ]);
    expect(await refusal('{ nope }')).toEqual([expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    await ws.dispose();
  });

  test('a limit that is not a positive whole number stops start-up, naming the variable', () => {
    for (const name of ['GRAPHQL_MAX_DEPTH', 'GRAPHQL_MAX_ALIASES', 'GRAPHQL_MAX_DIRECTIVES', 'GRAPHQL_MAX_TOKENS', 'GRAPHQL_MAX_COST']) {
      expect(() => readConfig({ [name]: '0' })).toThrow(new RegExp(`^${name}: must be a positive whole number`));
      expect(() => readConfig({ [name]: 'lots' })).toThrow(new RegExp(`^${name}: `));
    }
    expect(readConfig({}).graphqlLimits).toEqual({ maxDepth: 8, maxAliases: 10, maxDirectives: 10, maxTokens: 1000, maxCost: 2000 });
  });
});

describe('CORS', () => {
  let deployment: Deployment;

  afterAll(async () => {
    await deployment.stop();
  });

  test('only the configured origins may call the API from a browser', async () => {
    deployment = new Deployment('cors', { CORS_ORIGINS: 'https://app.example.test' });
    const { client } = await deployment.web('web');
    const preflight = (origin: string) =>
      fetch(`${client.baseUrl}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,apollo-require-preflight' },
      });
    const allowed = await preflight('https://app.example.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/apollo-require-preflight/i);
    const other = await preflight('https://evil.example.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
