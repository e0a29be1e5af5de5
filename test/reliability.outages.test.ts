import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { Deployment, waitForJob } from './support/deployment';
import { HEAVY_JOB, SMALL_JOB } from './support/jobs';
import { REDIS_URL, eventually } from './support/services';
import { TcpProxy } from './support/tcp-proxy';

async function health(baseUrl: string): Promise<{ status: number; body: { failing: Record<string, string> } }> {
  const res = await fetch(`${baseUrl}/healthz`);
  return { status: res.status, body: (await res.json()) as { failing: Record<string, string> } };
}

/** Brokers and Redis that go away and come back: processes recover by themselves, nothing is lost. */
describe('connection loss and recovery (real Redis and RabbitMQ)', () => {
  let deployment: Deployment;
  const proxies: TcpProxy[] = [];

  afterEach(async () => {
    await deployment.stop();
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  test('RabbitMQ unreachable: health 503, submissions refused fast with QUEUE_UNAVAILABLE and no record kept; then recovery', async () => {
    const amqp = await TcpProxy.start(5672);
    proxies.push(amqp);
    deployment = new Deployment('amqp-outage');
    const { client } = await deployment.web('web', { CLOUDAMQP_URL: `amqp://guest:guest@127.0.0.1:${amqp.port}` });
    await deployment.worker('worker');
    const before = await client.submit(SMALL_JOB.file, SMALL_JOB.input);

    amqp.cut();
    await eventually('health to report the queue down', async () => (await health(client.baseUrl)).status === 503);
    expect((await health(client.baseUrl)).body.failing).toHaveProperty('queue');
    const began = Date.now();
    const refused = await client.createJob(SMALL_JOB.file, SMALL_JOB.input);
    expect(Date.now() - began).toBeLessThan(5000);
    expect(refused.errors?.[0].extensions?.code).toBe('QUEUE_UNAVAILABLE');
    expect(refused.errors?.[0].message).toMatch(/try again/);
    const redis = new Redis(REDIS_URL);
    try {
      const jobKeys = await redis.keys(`${deployment.prefix}job:*`);
      expect(jobKeys).toEqual([`${deployment.prefix}job:${before.id}`]);
    } finally {
      redis.disconnect();
    }

    amqp.restore();
    await eventually('health to recover', async () => (await health(client.baseUrl)).status === 200, 30000);
    const after = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    for (const id of [before.id, after.id]) {
      expect((await waitForJob(client, id, (j) => j.status === 'COMPLETED')).result).toMatchObject({ width: 100, height: 75 });
    }
  });

  test('Redis cut off from a web process: health 503, and its subscriber still gets the change made during the outage', async () => {
    const redisProxy = await TcpProxy.start(6379);
    proxies.push(redisProxy);
    deployment = new Deployment('redis-outage');
    const { client: submitter } = await deployment.web('web-a');
    const { process: watcherProcess, client: watcher } = await deployment.web('web-b', {
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    });
    await deployment.worker('worker');
    const job = await submitter.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    let subscribed!: () => void;
    const firstEvent = new Promise<void>((resolve) => (subscribed = resolve));
    const watching = watcher.watch(job.id, 60000, () => subscribed());
    await firstEvent;
    await waitForJob(submitter, job.id, (j) => j.status === 'ACTIVE');

    redisProxy.cut();
    await eventually('health to report the store down', async () => (await health(watcher.baseUrl)).status === 503);
    // A subscription that starts in the outage is refused with a code a client can retry on, nothing internal.
    await expect(watcher.watch(job.id, 30000)).rejects.toThrow(/"code":"BACKEND_UNAVAILABLE"/);
    expect((await watcher.query(`query ($id: ID!) { job(id: $id) { id } }`, { id: job.id })).errors?.[0].extensions?.code).toBe(
      'BACKEND_UNAVAILABLE',
    );
    // The job completes while web-b cannot hear its pub/sub message.
    await waitForJob(submitter, job.id, (j) => j.status === 'COMPLETED', 30000);
    redisProxy.restore();

    const events = await watching;
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', result: { width: 720, height: 588 } });
    // It arrived through the resync after the reconnect: the pub/sub message was lost in the outage.
    expect(watcherProcess.lines.some((l) => l.msg === 'redis subscriber reconnected, resyncing watchers')).toBe(true);
    await eventually('health to recover', async () => (await health(watcher.baseUrl)).status === 200, 30000);
  });

  test('server-side kills of every connection (Redis CLIENT KILL, rabbitmqctl close_connection) mid-run: all jobs complete', async () => {
    deployment = new Deployment('server-kill');
    const { process: web, client } = await deployment.web('web');
    await deployment.worker('worker-1');
    await deployment.worker('worker-2');
    const jobs = await Promise.all(Array.from({ length: 12 }, () => client.submit(SMALL_JOB.file, SMALL_JOB.input)));
    const heavy = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    await waitForJob(client, heavy.id, (j) => j.status === 'ACTIVE');

    const killed = await killRedisClients(deployment.prefix);
    expect(killed).toBeGreaterThanOrEqual(6); // commands and events connections of three processes
    expect(closeRabbitConnections(deployment.prefix)).toBeGreaterThanOrEqual(3);

    const more = await eventuallySubmit(client).catch((err) => {
      throw new Error(`${err.message}; web running: ${web.running}\n${web.dump()}`);
    });
    for (const job of [...jobs, heavy, more]) {
      const done = await waitForJob(client, job.id, (j) => j.status === 'COMPLETED' || j.status === 'FAILED', 60000);
      expect(done.status).toBe('COMPLETED');
    }
  });
});

/** Right after a kill the web may still be reconnecting; a client retries a refused submission. */
async function eventuallySubmit(client: import('./support/client').DarkroomClient) {
  return eventually('a submission after the kill', async () => {
    const response = await client.createJob(SMALL_JOB.file, SMALL_JOB.input).catch(() => null);
    return response?.data?.createImageJob ?? null;
  });
}

/** Kill, from the server side, every Redis connection of this deployment (named after its key prefix). */
async function killRedisClients(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL);
  try {
    const tag = `darkroom-${prefix.replace(/[^A-Za-z0-9._-]/g, '')}-`;
    const list = (await redis.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${tag}`))
      .map((line) => /^id=(\d+)/.exec(line)![1]);
    for (const id of ids) await redis.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    redis.disconnect();
  }
}

/** Close, from the broker's side, every AMQP connection of this deployment. */
function closeRabbitConnections(prefix: string): number {
  const tag = `darkroom-${prefix.replace(/[^A-Za-z0-9._-]/g, '')}-`;
  const listed = spawnSync('rabbitmqctl', ['list_connections', '--no-table-headers', '--silent', 'pid', 'client_properties'], { encoding: 'utf8' });
  const pids = listed.stdout
    .split('\n')
    .filter((line) => line.includes(tag))
    .map((line) => line.split('\t')[0]);
  for (const pid of pids) spawnSync('rabbitmqctl', ['close_connection', pid, 'darkroom test: cut'], { encoding: 'utf8' });
  return pids.length;
}
