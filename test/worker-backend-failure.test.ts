import { Redis } from 'ioredis';
import sharp from 'sharp';
import { MemoryJobQueue } from '../src/backends/memory/queue';
import { memoryRateLimiter } from '../src/backends/rate-limiter';
import { RedisEventBus } from '../src/backends/redis/bus';
import { connectRedis } from '../src/backends/redis/connection';
import { RedisKeys } from '../src/backends/redis/keys';
import { RedisJobStore } from '../src/backends/redis/store';
import type { Backends } from '../src/backends/types';
import { readConfig } from '../src/config';
import { JobLifecycle } from '../src/jobs/lifecycle';
import { processImage } from '../src/processing/pipeline';
import { jobHandler, type ImageProcessor } from '../src/worker/worker';
import { sampleRecord } from './support/backend-contract';
import { REDIS_URL, deleteRedisPrefix, eventually, uniqueName } from './support/services';
import { TcpProxy } from './support/tcp-proxy';

/**
 * The worker's job handler against the real Redis, reached through a TCP proxy
 * so a test can take Redis away in the middle of a job, as a network fault would.
 */
describe('worker: a Redis failure mid-job is handed back, not counted as a crash', () => {
  const prefix = `${uniqueName('worker-redis')}:`;
  const config = readConfig({ MAX_ATTEMPTS: '3' });
  let proxy: TcpProxy;
  let commands: Redis;
  let subscriber: Redis;
  let backends: Backends;
  let input: Buffer;

  beforeAll(async () => {
    proxy = await TcpProxy.start(Number(new URL(REDIS_URL).port || 6379));
    // The worker's own connection settings, so the failure is the one production sees.
    commands = connectRedis(`redis://127.0.0.1:${proxy.port}`, `${prefix}worker`);
    subscriber = new Redis(REDIS_URL);
    const keys = new RedisKeys(prefix);
    backends = {
      store: new RedisJobStore(commands, keys, { pendingSeconds: 600, recordSeconds: 600, finishedInputSeconds: 60 }),
      bus: new RedisEventBus(commands, subscriber, keys),
      queue: new MemoryJobQueue(),
      rateLimiter: memoryRateLimiter(0),
      description: { store: 'redis', bus: 'redis', queue: 'memory' },
      close: async () => undefined,
    };
    // sampleRecord's spec: resize to 10 wide, flip, PNG.
    input = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#808000' } }).png().toBuffer();
  });

  afterAll(async () => {
    await proxy.close();
    commands.disconnect();
    subscriber.disconnect();
    await deleteRedisPrefix(prefix);
  });

  /**
   * The real pipeline; Redis is cut off before the job's first progress write and
   * back right after that write failed (ioredis gives up on it after its retries).
   */
  function redisBlipAtFirstStep(): ImageProcessor {
    let blipped = false;
    return (data, spec, limits, onStep, files) =>
      processImage(data, spec, limits, async (done, total) => {
        if (blipped) return onStep(done, total);
        blipped = true;
        proxy.cut();
        // Once the client knows, the write waits in its offline queue and fails there.
        await eventually('the worker\'s Redis client to notice', async () => commands.status === 'reconnecting');
        try {
          await onStep(done, total);
        } finally {
          proxy.restore();
        }
      }, files);
  }

  test('three Redis blips in three deliveries: each hands the job back QUEUED, and the fourth delivery completes it', async () => {
    const id = uniqueName('blips');
    await backends.store.create(sampleRecord(id), input);
    await backends.store.confirm(id);
    for (let delivery = 1; delivery <= 3; delivery++) {
      await expect(jobHandler(backends, config, redisBlipAtFirstStep())(id)).rejects.toThrow();
      expect(await backends.store.get(id)).toMatchObject({ status: 'QUEUED', attempts: delivery, progress: 0, error: null });
    }
    expect(await jobHandler(backends, config)(id)).toBe('ack');
    const done = await backends.store.get(id);
    expect(done).toMatchObject({ status: 'COMPLETED', attempts: 4, progress: 100, error: null });
    expect(done!.results).toHaveLength(1);
    const result = await backends.store.getResult(id, 4, 0);
    expect(await sharp(result!).metadata()).toMatchObject({ format: 'png', width: 10, height: 5 });
  }, 60_000);

  test('a job left ACTIVE by workers that died, MAX_ATTEMPTS times, still ends WORKER_CRASHED and is dead-lettered', async () => {
    const id = uniqueName('crashed');
    await backends.store.create(sampleRecord(id), input);
    await backends.store.confirm(id);
    const lifecycle = new JobLifecycle(backends);
    // Three deliveries whose workers were killed mid-job: each took the job and never settled it.
    for (let delivery = 1; delivery <= 3; delivery++) await lifecycle.start(id);
    expect(await jobHandler(backends, config)(id)).toBe('dead-letter');
    expect(await backends.store.get(id)).toMatchObject({ status: 'FAILED', attempts: 3, error: { code: 'WORKER_CRASHED' } });
  });
});
