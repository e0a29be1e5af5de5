import amqplib from 'amqplib';
import { Redis } from 'ioredis';
import { AmqpJobQueue, deadLetterQueueName } from '../src/backends/amqp/queue';
import { RedisEventBus } from '../src/backends/redis/bus';
import { RedisKeys } from '../src/backends/redis/keys';
import { RedisJobStore } from '../src/backends/redis/store';
import { redisRateLimiter } from '../src/backends/rate-limiter';
import { busContract, queueContract, sampleRecord, storeContract } from './support/backend-contract';
import { AMQP_URL, REDIS_URL, deleteQueues, deleteRedisPrefix, uniqueName } from './support/services';

describe('real Redis and RabbitMQ backends', () => {
  const prefix = `${uniqueName('backends')}:`;
  const keys = new RedisKeys(prefix);
  let commands: Redis;
  let subscriber: Redis;

  beforeAll(() => {
    commands = new Redis(REDIS_URL);
    subscriber = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await deleteRedisPrefix(prefix);
    commands.disconnect();
    subscriber.disconnect();
  });

  describe('RedisJobStore', () => {
    storeContract(() => new RedisJobStore(commands, keys, { pendingSeconds: 60, recordSeconds: 3600, finishedInputSeconds: 60 }));

    test('stores bytes as binary with a TTL on every key: short while pending, full once confirmed', async () => {
      const store = new RedisJobStore(commands, keys, { pendingSeconds: 20, recordSeconds: 120, finishedInputSeconds: 30 });
      const input = Buffer.from([0xff, 0xd8, 0x00, 0x80]);
      await store.create(sampleRecord('ttl'), input);
      for (const key of [keys.job('ttl'), keys.input('ttl')]) {
        const ttl = await commands.ttl(key);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(20);
      }
      expect(await store.confirm('ttl')).toBe(true);
      await store.putResults('ttl', 1, [Buffer.from([1, 2])]);
      expect(await commands.strlen(keys.input('ttl'))).toBe(4);
      for (const key of [keys.job('ttl'), keys.input('ttl'), keys.result('ttl', 1, 0)]) {
        const ttl = await commands.ttl(key);
        expect(ttl).toBeGreaterThan(100);
        expect(ttl).toBeLessThanOrEqual(120);
      }
      await store.transition('ttl', ['QUEUED'], { status: 'ACTIVE' });
      expect(await commands.ttl(keys.job('ttl'))).toBeGreaterThan(100);
      expect(await commands.ttl(keys.input('ttl'))).toBeGreaterThan(100);
      // Once the job has ended its input is kept only briefly; record and result stay.
      await store.transition('ttl', ['ACTIVE'], { status: 'FAILED', error: { code: 'X', message: 'y' } });
      expect(await commands.ttl(keys.input('ttl'))).toBeLessThanOrEqual(30);
      expect(await commands.ttl(keys.job('ttl'))).toBeGreaterThan(100);
    });

    test('confirming a job that a quick worker already ended keeps its input\'s shorter time', async () => {
      const store = new RedisJobStore(commands, keys, { pendingSeconds: 20, recordSeconds: 120, finishedInputSeconds: 30 });
      await store.create(sampleRecord('quick'), Buffer.from('x'));
      await store.transition('quick', ['QUEUED'], { status: 'ACTIVE', addAttempt: true });
      await store.transition('quick', ['ACTIVE'], { status: 'FAILED', error: { code: 'X', message: 'y' } });
      expect(await store.confirm('quick')).toBe(true);
      expect(await commands.ttl(keys.job('quick'))).toBeGreaterThan(100);
      const inputTtl = await commands.ttl(keys.input('quick'));
      expect(inputTtl).toBeGreaterThan(0);
      expect(inputTtl).toBeLessThanOrEqual(30);
    });
  });

  describe('redisRateLimiter', () => {
    test('counts per client in Redis; another limiter on the same Redis shares the budget', async () => {
      const a = redisRateLimiter(commands, prefix, 2);
      const b = redisRateLimiter(commands, prefix, 2);
      expect(await a.take('client-1')).toBe(0);
      expect(await b.take('client-1')).toBe(0);
      const wait = await a.take('client-1');
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000);
      expect(await b.take('client-2')).toBe(0);
    });

    test('when its Redis cannot be reached it refuses with BACKEND_UNAVAILABLE, not an internal error', async () => {
      const lost = new Redis(REDIS_URL, { maxRetriesPerRequest: 0, retryStrategy: () => null });
      await lost.ping();
      lost.disconnect();
      const limiter = redisRateLimiter(lost, prefix, 10);
      await expect(limiter.take('client-3')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringMatching(/try again/) });
    });
  });

  test('RedisJobStore stores an upload larger than one write slice byte for byte, with its TTL', async () => {
    const store = new RedisJobStore(commands, keys, { pendingSeconds: 60, recordSeconds: 120, finishedInputSeconds: 30 });
    const input = Buffer.alloc(2.5 * 1024 * 1024 + 3);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7919) % 251;
    const overlay = Buffer.from([3, 1, 4, 1, 5]);
    await store.create(sampleRecord('large'), input, [overlay]);
    expect(await store.confirm('large')).toBe(true);
    expect((await store.getInput('large'))!.equals(input)).toBe(true);
    expect(await store.getFiles('large', 1)).toEqual([overlay]);
    for (const key of [keys.input('large'), keys.files('large')]) expect(await commands.ttl(key)).toBeGreaterThan(100);
  });

  describe('RedisEventBus', () => {
    busContract(() => new RedisEventBus(commands, subscriber, keys));

    test('many listeners of one job share one SUBSCRIBE; the channel goes when the last one stops', async () => {
      const own = new Redis(REDIS_URL);
      // Commands sent before the connection is ready pass through sendCommand twice (queued, then flushed).
      await own.ping();
      const bus = new RedisEventBus(commands, own, keys);
      const sent: string[] = [];
      const sendCommand = own.sendCommand.bind(own);
      own.sendCommand = ((command: { name: string }) => {
        sent.push(command.name);
        return sendCommand(command as never);
      }) as typeof own.sendCommand;
      try {
        const got: number[] = [];
        const stops = await Promise.all(
          Array.from({ length: 20 }, (_, i) => bus.subscribe('shared', { record: () => got.push(i), resync: () => undefined })),
        );
        expect(sent.filter((name) => name === 'subscribe')).toHaveLength(1);
        await bus.publish({ ...sampleRecord('shared'), version: 2 });
        for (let i = 0; i < 50 && got.length < 20; i++) await new Promise((resolve) => setTimeout(resolve, 20));
        expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
        await Promise.all(stops.slice(1).map((stop) => stop()));
        expect((await commands.pubsub('NUMSUB', keys.events('shared')))[1]).toBe(1);
        await stops[0]();
        expect((await commands.pubsub('NUMSUB', keys.events('shared')))[1]).toBe(0);
        expect(sent.filter((name) => name === 'unsubscribe')).toHaveLength(1);
      } finally {
        own.disconnect();
      }
    });
  });

  describe('AmqpJobQueue', () => {
    const name = uniqueName('queue');
    let queue: AmqpJobQueue;

    afterAll(async () => {
      await queue.close();
      await deleteQueues(name, deadLetterQueueName(name));
    });

    queueContract(() => queue);

    beforeAll(async () => {
      queue = await AmqpJobQueue.open(AMQP_URL, name, `${name}-test`);
    });

    test('declares a durable quorum queue with a dead-letter queue', async () => {
      const connection = await amqplib.connect(AMQP_URL);
      try {
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        expect((await channel.checkQueue(deadLetterQueueName(name))).queue).toBe(deadLetterQueueName(name));
        // Re-declaring with other arguments is refused: proof of the arguments the queue really has.
        const sameButClassic = {
          'x-queue-type': 'classic',
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': deadLetterQueueName(name),
        };
        await expect(channel.assertQueue(name, { durable: true, arguments: sameButClassic })).rejects.toThrow(
          /PRECONDITION_FAILED.*x-queue-type/,
        );
      } finally {
        await connection.close().catch(() => undefined);
      }
    });
  });

  test('AmqpJobQueue: a job finished while the worker drains stays acked after the connection closes', async () => {
    const name = uniqueName('drain');
    const queue = await AmqpJobQueue.open(AMQP_URL, name, `${name}-test`);
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      await queue.consume(async () => {
        started();
        await new Promise((resolve) => setTimeout(resolve, 200));
        return 'ack';
      }, 1);
      await queue.enqueue('finished-during-drain');
      await running;
      // What a worker does on SIGTERM: drain, then close at once.
      await queue.stopConsuming(5000, async () => undefined);
      await queue.close();

      const connection = await amqplib.connect(AMQP_URL);
      try {
        const channel = await connection.createChannel();
        expect((await channel.checkQueue(name)).messageCount).toBe(0);
      } finally {
        await connection.close();
      }
    } finally {
      await deleteQueues(name, deadLetterQueueName(name));
    }
  });
});
