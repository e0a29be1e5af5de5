import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JobQueue } from './backends/types';
import type { Config } from './config';
import type { JobRecord } from './jobs/job';
import { errorFields, log } from './log';
import { identify } from './web/access';

/**
 * The one registry of this process. Every process counts what it did itself
 * (workers complete and fail jobs, web processes cancel them); Prometheus sums
 * the processes.
 */
const registry = new Registry();
collectDefaultMetrics({ register: registry });

const jobsFinished = new Counter({
  name: 'darkroom_jobs_total',
  help: 'Jobs this process moved to a final status, by status and, for FAILED, error code.',
  labelNames: ['status', 'code'] as const,
  registers: [registry],
});

const jobDuration = new Histogram({
  name: 'darkroom_job_duration_seconds',
  help: 'From createdAt to the final status: queueing, every attempt and retries.',
  labelNames: ['status'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
  registers: [registry],
});

const processingDuration = new Histogram({
  name: 'darkroom_job_processing_seconds',
  help: 'Worker time of one attempt, from taking the job to storing its outcome, by the status it ended in.',
  labelNames: ['status'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120],
  registers: [registry],
});

const queueDepth = new Gauge({
  name: 'darkroom_queue_depth',
  help: 'Jobs waiting for a worker (RabbitMQ ready messages, or the embedded queue). NaN when the broker cannot be asked.',
  registers: [registry],
});

const webSockets = new Gauge({
  name: 'darkroom_websocket_connections',
  help: 'Open WebSocket connections on this web process.',
  registers: [registry],
});

/** Called once per job, by the process whose transition ended it. */
export function jobFinished(record: JobRecord): void {
  jobsFinished.inc(record.status === 'FAILED' && record.error ? { status: record.status, code: record.error.code } : { status: record.status });
  // createdAt and updatedAt come from two processes' clocks: never let skew make a negative duration.
  const seconds = Math.max(0, (Date.parse(record.updatedAt) - Date.parse(record.createdAt)) / 1000);
  jobDuration.observe({ status: record.status }, seconds);
}

export function processingEnded(status: string, ms: number): void {
  processingDuration.observe({ status }, ms / 1000);
}

export function webSocketOpened(socket: { once(event: 'close', listener: () => void): unknown }): void {
  webSockets.inc();
  socket.once('close', () => webSockets.dec());
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * METRICS_TOKEN, when set, is the only key: API keys belong to clients, and
 * metrics describe every client's traffic. Without it /metrics asks what the
 * API asks: any API key, or nothing when keys are off.
 */
function mayRead(authorization: string | undefined, config: Config): boolean {
  if (config.metricsToken === null) return identify(authorization, 'metrics', config) !== null;
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(config.metricsToken));
}

/** GET /metrics in Prometheus' text format; a plain Node handler, so Express and the worker's listener share it. */
export function metricsHandler(queue: JobQueue, config: Config): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    if (!mayRead(req.headers.authorization, config)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end(JSON.stringify({ errors: [{ message: 'Send the metrics token as "Authorization: Bearer <token>".', extensions: { code: 'UNAUTHENTICATED' } }] }));
      return;
    }
    try {
      queueDepth.set(await queue.depth().catch(() => NaN));
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(body);
    } catch (err) {
      log.error('could not collect metrics', errorFields(err));
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('metrics unavailable\n');
    }
  };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** The worker has no HTTP server of its own; with METRICS_PORT set it gets this one, for /metrics only. */
export async function startMetricsServer(port: number, queue: JobQueue, config: Config): Promise<MetricsServer> {
  const serve = metricsHandler(queue, config);
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.split('?')[0] === '/metrics') {
      void serve(req, res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('only /metrics here\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
