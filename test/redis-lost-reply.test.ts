import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisEventBus } from '../src/backends/redis/bus';
import { connectRedis } from '../src/backends/redis/connection';
import { RedisKeys } from '../src/backends/redis/keys';
import { RedisJobStore } from '../src/backends/redis/store';
import type { JobRecord } from '../src/jobs/job';
import { JobLifecycle } from '../src/jobs/lifecycle';
import { sampleRecord } from './support/backend-contract';
import { REDIS_URL, deleteRedisPrefix, eventually, uniqueName } from './support/services';
import { TcpProxy } from './support/tcp-proxy';

/**
 * A connection that drops after Redis ran a command but before its reply
 * arrived: ioredis sends the command again after reconnecting. Every write
 * Darkroom makes must give the same outcome when run twice that way.
 */
describe('a Redis reply lost in a connection drop', () => {
  const prefix = `${uniqueName('lost-reply')}:`;
  const keys = new RedisKeys(prefix);
  const retention = { pendingSeconds: 60, recordSeconds: 600, finishedInputSeconds: 60 };
  let proxy: TcpProxy;
  let viaProxy: Redis;
  let direct: Redis;
  let subscriber: Redis;
  let store: RedisJobStore;
  let lifecycle: JobLifecycle;
  let bus: RedisEventBus;

  beforeAll(async () => {
    proxy = await TcpProxy.start(Number(new URL(REDIS_URL).port || 6379));
    viaProxy = connectRedis(`redis://127.0.0.1:${proxy.port}`, `${prefix}proxied`);
    direct = connectRedis(REDIS_URL, `${prefix}direct`);
    subscriber = connectRedis(REDIS_URL, `${prefix}subscriber`);
    store = new RedisJobStore(viaProxy, keys, retention);
    bus = new RedisEventBus(viaProxy, subscriber, keys);
    lifecycle = new JobLifecycle({ store, bus });
  });

  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    viaProxy.disconnect();
    direct.disconnect();
    subscriber.disconnect();
    await proxy.close();
  });

  /** Run `write` with its reply lost once `ranOnServer` shows it took effect, then reconnect. */
  async function withLostReply<T>(write: () => Promise<T>, ranOnServer: () => Promise<boolean>, from?: string): Promise<T> {
    await viaProxy.ping();
    if (from) proxy.muteFrom(from);
    else proxy.mute();
    const pending = write();
    await eventually('the command to run on the server', async () => ranOnServer(), 5000);
    expect(proxy.muting).toBe(true);
    proxy.cut();
    proxy.restore();
    return pending;
  }

  async function newJob(): Promise<string> {
    const id = randomUUID();
    await store.create({ ...sampleRecord(id), status: 'QUEUED', attempts: 0 }, Buffer.from('input'));
    expect(await store.confirm(id)).toBe(true);
    return id;
  }

  const status = (id: string) => async () => (await direct.hget(keys.job(id), 'status')) as string;

  test('completing a job still reports it applied and publishes COMPLETED', async () => {
    const id = await newJob();
    expect((await lifecycle.start(id))?.applied).toBe(true);
    const seen: JobRecord[] = [];
    const stop = await bus.subscribe(id, { record: (record) => seen.push(record), resync: () => undefined });
    const completed = await withLostReply(
      () => lifecycle.complete(id, []),
      async () => (await status(id)()) === 'COMPLETED',
    );
    expect(completed?.applied).toBe(true);
    await eventually('subscribers to hear COMPLETED', async () => seen.some((record) => record.status === 'COMPLETED'), 5000);
    await stop();
  });

  test('cancelling a job still reports it applied and publishes CANCELLED', async () => {
    const id = await newJob();
    const seen: JobRecord[] = [];
    const stop = await bus.subscribe(id, { record: (record) => seen.push(record), resync: () => undefined });
    const cancelled = await withLostReply(
      () => lifecycle.cancel(id),
      async () => (await status(id)()) === 'CANCELLED',
    );
    expect(cancelled?.applied).toBe(true);
    await eventually('subscribers to hear CANCELLED', async () => seen.some((record) => record.status === 'CANCELLED'), 5000);
    await stop();
  });

  test('starting a job counts one attempt, not two', async () => {
    const id = await newJob();
    const started = await withLostReply(
      () => lifecycle.start(id),
      async () => (await status(id)()) === 'ACTIVE',
    );
    expect(started?.applied).toBe(true);
    expect(started?.record.attempts).toBe(1);
    expect(await direct.hget(keys.job(id), 'attempts')).toBe('1');
  });

  test('a large input is stored once, not with a slice appended twice', async () => {
    const id = randomUUID();
    const input = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
    // Lose the reply to the write of the second slice: the record is written only after the input.
    await withLostReply(
      () => store.create(sampleRecord(id), input),
      async () => (await direct.strlen(keys.input(id))) > 1024 * 1024,
      'setrange',
    );
    const stored = await store.getInput(id);
    expect(stored?.length).toBe(input.length);
    expect(stored?.equals(input)).toBe(true);
  });
});
