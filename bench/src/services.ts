import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { PROJECT_ROOT } from './workloads';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const AMQP_URL = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A name no other run uses, so benches and test runs never share keys or queues. */
export function uniqueName(): string {
  return `darkroom-bench-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The Procfile's command for a process type, so the bench starts what Heroku
 * starts: its leading NAME=value words (e.g. MALLOC_ARENA_MAX) as environment.
 */
export function procfileCommand(type: 'web' | 'worker'): { env: Record<string, string>; argv: string[] } {
  const line = readFileSync(path.join(PROJECT_ROOT, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${type}:`));
  if (!line) throw new Error(`Procfile has no ${type} line`);
  const argv = line.slice(type.length + 1).trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0] ?? '')) {
    const word = argv.shift()!;
    env[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
  }
  return { env, argv };
}

interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

/** One Darkroom process from dist/, its JSON log lines handed to `onLine` and the last ones kept for errors. */
export class ServiceProcess {
  readonly exited: Promise<number | null>;
  private readonly tail: string[] = [];
  private readonly lineListeners: Array<(line: LogLine) => void> = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const part of parts) {
        this.tail.push(part);
        if (this.tail.length > 50) this.tail.shift();
        if (this.lineListeners.length === 0 || !part.startsWith('{')) continue;
        let line: LogLine;
        try {
          line = JSON.parse(part);
        } catch {
          continue;
        }
        for (const listener of this.lineListeners) listener(line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  }

  static start(name: string, type: 'web' | 'worker', env: Record<string, string>, nodeArgs: string[] = []): ServiceProcess {
    // No shell in between: the pid is Node's own, for /proc and for signals.
    const command = procfileCommand(type);
    const [program, ...args] = command.argv;
    if (nodeArgs.length && program !== 'node') throw new Error(`node flags given, but the Procfile starts ${type} with ${program}`);
    // The bench's own settings win over the Procfile's; an empty value (K=) removes the variable.
    const merged: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'production', ...command.env, ...env };
    for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];
    const child = spawn(program, [...nodeArgs, ...args], {
      cwd: PROJECT_ROOT,
      env: merged,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  onLine(listener: (line: LogLine) => void): void {
    this.lineListeners.push(listener);
  }

  waitFor(match: (line: LogLine) => boolean, timeoutMs = 30000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not log what was awaited in time:\n${this.dump()}`)), timeoutMs);
      this.onLine((line) => {
        if (match(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (${code}) before logging what was awaited:\n${this.dump()}`));
      });
    });
  }

  dump(): string {
    return this.tail.join('\n');
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export async function deleteRedisPrefix(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

export async function redisServerPid(): Promise<number | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    const match = info.match(/process_id:(\d+)/);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

export async function deleteQueues(...names: string[]): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    for (const name of names) {
      // A channel closes on the first error (e.g. queue never declared), so one per queue.
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      try {
        await channel.deleteQueue(name);
        await channel.close();
      } catch {
        // not there: nothing to delete
      }
    }
  } finally {
    await connection.close();
  }
}
