import { DarkroomClient } from './client';
import { procfileCommand, ServiceProcess } from './processes';
import { AMQP_URL, REDIS_URL, deleteQueues, deleteRedisPrefix, uniqueName } from './services';

export type Env = Record<string, string>;

/**
 * A private Darkroom deployment for one test file: its own key prefix and
 * queue on the real Redis and RabbitMQ, web and worker processes started from
 * the Procfile, all stopped and cleaned up at the end.
 */
export class Deployment {
  readonly prefix: string;
  readonly queue: string;
  readonly env: Env;
  readonly processes: ServiceProcess[] = [];

  constructor(label: string, env: Env = {}) {
    this.prefix = `${uniqueName(label)}:`;
    this.queue = uniqueName(label);
    this.env = { REDIS_URL, CLOUDAMQP_URL: AMQP_URL, DARKROOM_KEY_PREFIX: this.prefix, DARKROOM_QUEUE: this.queue, PORT: '0', ...env };
  }

  get deadLetterQueue(): string {
    return `${this.queue}.dead`;
  }

  startProcess(name: string, command: string, env: Env = {}): ServiceProcess {
    const started = ServiceProcess.start(name, command, { ...this.env, ...env });
    this.processes.push(started);
    return started;
  }

  async worker(name: string, env: Env = {}, command = procfileCommand('worker')): Promise<ServiceProcess> {
    const worker = this.startProcess(name, command, env);
    await worker.waitFor((l) => l.msg === 'worker consuming');
    return worker;
  }

  async web(name: string, env: Env = {}): Promise<{ process: ServiceProcess; client: DarkroomClient }> {
    const web = this.startProcess(name, procfileCommand('web'), env);
    return { process: web, client: new DarkroomClient(`http://127.0.0.1:${await web.port()}`) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGKILL')));
    await deleteRedisPrefix(this.prefix);
    await deleteQueues(this.queue, this.deadLetterQueue);
  }
}

/** Poll the job through `client` until `accept` holds. */
export async function waitForJob(
  client: DarkroomClient,
  id: string,
  accept: (job: NonNullable<Awaited<ReturnType<DarkroomClient['job']>>>) => boolean,
  timeoutMs = 30000,
): Promise<NonNullable<Awaited<ReturnType<DarkroomClient['job']>>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.job(id);
    if (job && accept(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not reach the awaited state; last seen ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
