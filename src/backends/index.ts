import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { errorFields, log } from '../log';
import { AmqpJobQueue } from './amqp/queue';
import { MemoryEventBus } from './memory/bus';
import { MemoryJobQueue } from './memory/queue';
import { MemoryJobStore } from './memory/store';
import { RedisEventBus } from './redis/bus';
import { connectRedis } from './redis/connection';
import { RedisKeys } from './redis/keys';
import { RedisJobStore } from './redis/store';
import { memoryRateLimiter, redisRateLimiter } from './rate-limiter';
import type { Backends, EventBus, JobQueue, JobStore, RateLimiter } from './types';

/**
 * How long a new job lives before the broker's confirm makes it a kept one.
 * The hand-off takes at most the queue's 10 s confirm timeout; a web process
 * that dies in between leaves a QUEUED record no client knows, gone after this.
 */
const PENDING_JOB_SECONDS = 60;

/**
 * The one place that decides which implementations run: Redis and RabbitMQ
 * when their URLs are set, the embedded in-memory ones otherwise.
 */
export async function createBackends(config: Config, role: string): Promise<Backends> {
  let store: JobStore;
  let bus: EventBus;
  let queue: JobQueue;
  let rateLimiter: RateLimiter;
  const description = { store: 'memory (embedded)', bus: 'memory (embedded)', queue: 'memory (embedded)' };
  const retention = { pendingSeconds: PENDING_JOB_SECONDS, recordSeconds: config.jobTtlSeconds, finishedInputSeconds: config.finishedInputTtlSeconds };

  if (config.redisUrl) {
    const keys = new RedisKeys(config.keyPrefix);
    const commands = connectRedis(config.redisUrl, connectionName(config, role));
    store = new RedisJobStore(commands, keys, retention);
    bus = new RedisEventBus(commands, connectRedis(config.redisUrl, connectionName(config, `${role}-events`)), keys);
    rateLimiter = redisRateLimiter(commands, config.keyPrefix, config.rateLimitPerMinute);
    void warnIfEvictable(commands);
    description.store = `redis (${redactUrl(config.redisUrl)}, prefix ${config.keyPrefix})`;
    description.bus = 'redis pub/sub';
  } else {
    store = new MemoryJobStore(retention);
    bus = new MemoryEventBus();
    rateLimiter = memoryRateLimiter(config.rateLimitPerMinute);
  }

  if (config.amqpUrl) {
    queue = await AmqpJobQueue.open(config.amqpUrl, config.queueName, connectionName(config, role));
    description.queue = `rabbitmq (${config.amqpUrlSource} ${redactUrl(config.amqpUrl)}, queue ${config.queueName})`;
  } else {
    queue = new MemoryJobQueue();
  }

  return {
    store,
    bus,
    queue,
    rateLimiter,
    description,
    async close() {
      await queue.close();
      await bus.close();
      await store.close();
    },
  };
}

/** Names each connection by deployment (key prefix), role and pid, as RabbitMQ and Redis list them. */
function connectionName(config: Config, role: string): string {
  return `darkroom-${config.keyPrefix.replace(/[^A-Za-z0-9._-]/g, '')}-${role}-${process.pid}`;
}

/** Job keys all carry a TTL, so any policy but noeviction may drop live jobs under memory pressure. */
async function warnIfEvictable(redis: Redis): Promise<void> {
  try {
    const info = await redis.info('memory');
    const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
    if (policy && policy !== 'noeviction') {
      log.warn(`redis maxmemory-policy is ${policy}: under memory pressure Redis may evict job records, inputs and results; set it to noeviction`);
    }
  } catch (err) {
    log.warn('could not read the redis maxmemory-policy', errorFields(err));
  }
}

/** Host and port only: URLs carry passwords that must not reach the log. */
function redactUrl(raw: string): string {
  const parsed = new URL(raw);
  return `${parsed.protocol}//${parsed.host}`;
}
