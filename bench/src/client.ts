import { randomBytes } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A ready-to-send GraphQL multipart request (createImageJob with one file). */
export interface Upload {
  body: Buffer;
  contentType: string;
}

/** Timestamps (performance.now(), ms) of one job as the client sees it. */
export interface JobTiming {
  id: string;
  start: number;
  /** createImageJob answered (upload stored and queued). */
  created: number;
  /** The COMPLETED event arrived over the subscription. */
  completed: number;
  /** The result bytes are downloaded. */
  downloaded: number;
  result: Buffer;
}

interface JobEvent {
  status: string;
  progress: number;
  updatedAt: string;
  result: { url: string; bytes: number; format: string; width: number; height: number } | null;
  error: { code: string; message: string } | null;
}

const EVENT_FIELDS = 'status progress updatedAt result { url bytes format width height } error { code message }';
const JOB_TIMEOUT_MS = 120_000;

/**
 * A Darkroom client speaking only the public protocols: multipart upload to
 * /graphql, jobUpdated over one shared graphql-ws connection, GET /results.
 */
export class DarkroomClient {
  /** graphql-ws connections; each subscription goes to the least busy one. */
  private readonly sockets: Array<{ client: Client; active: number }>;

  /** `connections`: enough that no connection holds more subscriptions than the server allows (50 by default). */
  constructor(
    readonly baseUrl: string,
    connections = 1,
  ) {
    this.sockets = Array.from({ length: Math.max(1, connections) }, () => ({ client: openSubscriptions(baseUrl), active: 0 }));
  }

  async ready(): Promise<void> {
    await Promise.all(this.sockets.map((s) => connected(s.client)));
  }

  /**
   * The createImageJob request as GraphQL multipart bytes, built once per
   * workload: every job of a workload sends the same body, so the client's
   * own CPU (which shares the machine with the service) stays small.
   */
  static upload(name: string, data: Buffer, input: Record<string, unknown>): Upload {
    const boundary = `----darkroom-bench-${randomBytes(12).toString('hex')}`;
    const operations = JSON.stringify({
      query: 'mutation Create($input: CreateImageJobInput!) { createImageJob(input: $input) { id status } }',
      variables: { input: { ...input, file: null } },
    });
    const map = JSON.stringify({ 0: ['variables.input.file'] });
    const field = (fieldName: string, value: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${fieldName}"\r\n\r\n${value}\r\n`;
    const body = Buffer.concat([
      Buffer.from(
        field('operations', operations) +
          field('map', map) +
          `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return { body, contentType: `multipart/form-data; boundary=${boundary}` };
  }

  async create(upload: Upload): Promise<string> {
    const res = await fetch(`${this.baseUrl}/graphql`, {
      method: 'POST',
      body: upload.body,
      headers: { 'Content-Type': upload.contentType, 'Apollo-Require-Preflight': 'true' },
    });
    const body = (await res.json()) as { data?: { createImageJob: { id: string } }; errors?: unknown };
    if (!body.data) throw new Error(`createImageJob failed (HTTP ${res.status}): ${JSON.stringify(body.errors)}`);
    return body.data.createImageJob.id;
  }

  /** Resolves with the COMPLETED event the moment it arrives; rejects on FAILED or CANCELLED. */
  async completion(id: string): Promise<JobEvent> {
    const socket = this.sockets.reduce((a, b) => (b.active < a.active ? b : a));
    socket.active++;
    try {
      return await watch(socket.client, id, () => {});
    } finally {
      socket.active--;
    }
  }

  /** GET the job's `result.url` (relative, and signed when the service signs them). */
  async download(url: string): Promise<Buffer> {
    const res = await fetch(new URL(url, this.baseUrl));
    if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${await res.text()}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** One job end to end: upload, watch until COMPLETED, download. */
  async run(upload: Upload): Promise<JobTiming> {
    const start = performance.now();
    const id = await this.create(upload);
    const created = performance.now();
    const done = await this.completion(id);
    const completed = performance.now();
    if (!done.result) throw new Error(`job ${id} COMPLETED without a result`);
    const result = await this.download(done.result.url);
    const downloaded = performance.now();
    if (result.length !== done.result?.bytes) throw new Error(`job ${id}: downloaded ${result.length} bytes, the job says ${done.result?.bytes}`);
    return { id, start, created, completed, downloaded, result };
  }

  async close(): Promise<void> {
    await Promise.all(this.sockets.map((s) => s.client.dispose()));
  }
}

export function openSubscriptions(baseUrl: string): Client {
  return createClient({
    url: baseUrl.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
  });
}

/** Resolves once the client's socket is acknowledged by the server. */
export function connected(client: Client, timeoutMs = 30000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('WebSocket not acknowledged in time')), timeoutMs);
    const off = client.on('connected', () => {
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/**
 * Subscribe to jobUpdated, calling `onEvent(event, receivedAtEpochMs)` for each event;
 * resolves with the COMPLETED event.
 */
export function watch(client: Client, id: string, onEvent: (event: JobEvent, receivedAt: number) => void): Promise<JobEvent> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`job ${id} did not complete within ${JOB_TIMEOUT_MS} ms`))), JOB_TIMEOUT_MS);
    client.subscribe<{ jobUpdated: JobEvent }>(
      { query: `subscription ($id: ID!) { jobUpdated(id: $id) { ${EVENT_FIELDS} } }`, variables: { id } },
      {
        next: (result) => {
          const receivedAt = Date.now();
          if (result.errors || !result.data) {
            finish(() => reject(new Error(`jobUpdated ${id}: ${JSON.stringify(result.errors)}`)));
            return;
          }
          const event = result.data.jobUpdated;
          onEvent(event, receivedAt);
          if (event.status === 'COMPLETED') finish(() => resolve(event));
          else if (event.status === 'FAILED' || event.status === 'CANCELLED') {
            finish(() => reject(new Error(`job ${id} ended ${event.status}: ${JSON.stringify(event.error)}`)));
          }
        },
        error: (err) => finish(() => reject(err instanceof Error ? err : new Error(`jobUpdated ${id}: ${describeSocketError(err)}`))),
        complete: () => finish(() => reject(new Error(`jobUpdated ${id} completed without a final COMPLETED event`))),
      },
    );
  });
}

/** graphql-ws hands socket trouble to `error` as a CloseEvent or Event, which JSON.stringify shows as {}. */
function describeSocketError(err: unknown): string {
  if (Array.isArray(err)) return JSON.stringify(err);
  const e = err as { type?: string; code?: number; reason?: string; message?: string };
  if (e && typeof e === 'object' && (e.code !== undefined || e.type !== undefined)) {
    return `WebSocket ${e.type ?? 'event'}${e.code !== undefined ? ` code ${e.code}` : ''}${e.reason ? ` reason "${e.reason}"` : ''}${e.message ? ` ${e.message}` : ''}`;
  }
  return String(err);
}
