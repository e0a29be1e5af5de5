import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { DarkroomClient } from './support/client';
import { corpusPath } from './support/corpus';
import { Deployment, waitForJob } from './support/deployment';
import { SMALL_JOB } from './support/jobs';
import { ServiceProcess } from './support/processes';
import { eventually } from './support/services';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, the sample lines only. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [, name, labelText = '', value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line)!;
      const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, v]) => [key, v]));
      return { name, labels, value: Number(value) };
    });
}

/** The value of the sample with exactly these labels, or undefined when there is none. */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parse(text);
}

const BAD_JOB = { file: corpusPath('truncated.jpg'), input: { operations: [{ resize: { width: 64 } }] } };
const METRICS_TOKEN = 'metrics-token-0123456789';
const WORKER_API_KEY = 'worker-api-key-0123456789';

describe('GET /metrics: web and worker processes on Redis and RabbitMQ', () => {
  const deployment = new Deployment('metrics');
  let web: ServiceProcess;
  let worker: ServiceProcess;
  let client: DarkroomClient;
  let workerMetrics: string;
  const ids = { completed: '', failed: '', cancelled: '' };

  beforeAll(async () => {
    ({ process: web, client } = await deployment.web('web'));
  });

  afterAll(async () => {
    await deployment.stop();
  });

  test('queue depth counts waiting jobs; each process counts the final statuses it made, with durations', async () => {
    // No worker yet: the jobs wait in RabbitMQ.
    ids.completed = (await client.submit(SMALL_JOB.file, SMALL_JOB.input)).id;
    ids.failed = (await client.submit(BAD_JOB.file, BAD_JOB.input)).id;
    ids.cancelled = (await client.submit(SMALL_JOB.file, SMALL_JOB.input)).id;
    const cancel = await client.query<{ cancelJob: { status: string } }>('mutation ($id: ID!) { cancelJob(id: $id) { status } }', { id: ids.cancelled });
    expect(cancel.data?.cancelJob.status).toBe('CANCELLED');

    // The cancelled job's message stays queued until a worker takes and skips it.
    await eventually('queue depth 3', async () => value(await scrape(`${client.baseUrl}/metrics`), 'darkroom_queue_depth') === 3);
    let webSamples = await scrape(`${client.baseUrl}/metrics`);
    expect(value(webSamples, 'darkroom_jobs_total', { status: 'CANCELLED' })).toBe(1);
    expect(value(webSamples, 'darkroom_job_duration_seconds_count', { status: 'CANCELLED' })).toBe(1);

    worker = await deployment.worker('worker', { METRICS_PORT: '0', METRICS_TOKEN, API_KEYS: WORKER_API_KEY });
    const consuming = await worker.waitFor((l) => l.msg === 'worker consuming');
    workerMetrics = `http://127.0.0.1:${consuming.metricsPort as number}/metrics`;
    await waitForJob(client, ids.completed, (j) => j.status === 'COMPLETED');
    expect(await waitForJob(client, ids.failed, (j) => j.status === 'FAILED')).toMatchObject({ error: { code: 'INVALID_IMAGE' } });
    await worker.waitFor((l) => l.msg === 'skipped a job that already ended' && l.jobId === ids.cancelled);

    const workerSamples = await scrape(workerMetrics, METRICS_TOKEN);
    expect(value(workerSamples, 'darkroom_jobs_total', { status: 'COMPLETED' })).toBe(1);
    expect(value(workerSamples, 'darkroom_jobs_total', { status: 'FAILED', code: 'INVALID_IMAGE' })).toBe(1);
    expect(value(workerSamples, 'darkroom_jobs_total', { status: 'CANCELLED' })).toBeUndefined();
    for (const status of ['COMPLETED', 'FAILED']) {
      expect(value(workerSamples, 'darkroom_job_processing_seconds_count', { status })).toBe(1);
      expect(value(workerSamples, 'darkroom_job_duration_seconds_count', { status })).toBe(1);
      // End to end includes the wait for a worker, so it is at least the processing time.
      expect(value(workerSamples, 'darkroom_job_duration_seconds_sum', { status })).toBeGreaterThanOrEqual(
        value(workerSamples, 'darkroom_job_processing_seconds_sum', { status })!,
      );
    }
    expect(value(workerSamples, 'darkroom_queue_depth')).toBe(0);
    expect(value(workerSamples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(value(workerSamples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);

    webSamples = await scrape(`${client.baseUrl}/metrics`);
    expect(value(webSamples, 'darkroom_queue_depth')).toBe(0);
    // The worker made those transitions; the web process counted only its cancel.
    expect(value(webSamples, 'darkroom_jobs_total', { status: 'COMPLETED' })).toBeUndefined();
    expect(value(webSamples, 'darkroom_jobs_total', { status: 'CANCELLED' })).toBe(1);
    expect(value(webSamples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  test("the worker's listener wants METRICS_TOKEN, not an API key, and serves nothing but /metrics", async () => {
    expect((await fetch(workerMetrics)).status).toBe(401);
    expect((await fetch(workerMetrics, { headers: { authorization: `Bearer ${WORKER_API_KEY}` } })).status).toBe(401);
    expect((await fetch(workerMetrics, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
    expect((await fetch(workerMetrics.replace('/metrics', '/healthz'))).status).toBe(404);
  });

  test('the WebSocket gauge follows open connections', async () => {
    const gauge = async () => value(await scrape(`${client.baseUrl}/metrics`), 'darkroom_websocket_connections');
    expect(await gauge()).toBe(0);
    const ws = createClient({ url: client.baseUrl.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
    // The first event proves the subscription is served; lazy: false keeps the connection open after it.
    const first = await new Promise<unknown>((resolve, reject) =>
      ws.subscribe({ query: `subscription { jobUpdated(id: "${ids.completed}") { status } }` }, { next: resolve, error: reject, complete: () => undefined }),
    );
    expect(first).toEqual({ data: { jobUpdated: { status: 'COMPLETED' } } });
    expect(await gauge()).toBe(1);
    await ws.dispose();
    await eventually('the gauge back to 0', async () => (await gauge()) === 0);
  });

  test('every log line is JSON; every line about a job names it', () => {
    for (const p of [web, worker]) {
      expect(p.lines.length).toBeGreaterThan(0);
      for (const line of p.lines) {
        expect(line).toEqual(expect.objectContaining({ level: expect.stringMatching(/^(info|warn|error)$/), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), msg: expect.any(String) }));
        if (/\bjob\b/.test(line.msg!)) expect(line).toHaveProperty('jobId', expect.any(String));
      }
    }
    const has = (p: ServiceProcess, msg: string, jobId: string) => p.lines.some((l) => l.msg === msg && l.jobId === jobId);
    expect(has(web, 'job queued', ids.completed)).toBe(true);
    expect(has(web, 'job cancelled', ids.cancelled)).toBe(true);
    expect(has(worker, 'job completed', ids.completed)).toBe(true);
    expect(has(worker, 'job failed', ids.failed)).toBe(true);
  });
});

describe('GET /metrics: one embedded process (npm start) with API keys', () => {
  const KEY = 'metrics-test-key-0123456789';
  let app: ServiceProcess;
  let client: DarkroomClient;

  beforeAll(async () => {
    app = ServiceProcess.start('embedded', 'node dist/main.js', { PORT: '0', REDIS_URL: '', CLOUDAMQP_URL: '', AMQP_URL: '', API_KEYS: KEY });
    client = new DarkroomClient(`http://127.0.0.1:${await app.port()}`, KEY);
  });

  afterAll(async () => {
    await app.stop('SIGKILL');
  });

  test('serves the web and worker metrics together; without METRICS_TOKEN an API key reads them', async () => {
    const job = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    await waitForJob(client, job.id, (j) => j.status === 'COMPLETED');
    expect((await fetch(`${client.baseUrl}/metrics`)).status).toBe(401);
    const samples = await scrape(`${client.baseUrl}/metrics`, KEY);
    expect(value(samples, 'darkroom_jobs_total', { status: 'COMPLETED' })).toBe(1);
    expect(value(samples, 'darkroom_job_processing_seconds_count', { status: 'COMPLETED' })).toBe(1);
    expect(value(samples, 'darkroom_job_duration_seconds_count', { status: 'COMPLETED' })).toBe(1);
    expect(value(samples, 'darkroom_queue_depth')).toBe(0);
    expect(value(samples, 'darkroom_websocket_connections')).toBe(0);
  });
});
