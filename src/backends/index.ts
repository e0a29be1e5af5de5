import type { Config } from '../config';
import { AmqpJobQueue } from './amqp/queue';
import { MemoryEventBus } from './memory/bus';
import { MemoryJobQueue } from './memory/queue';
import { MemoryJobStore } from './memory/store';
import { RedisEventBus } from './redis/bus';
import { connectRedis } from './redis/connection';
import { RedisKeys } from './redis/keys';
import { RedisJobStore } from './redis/store';
import type { Backends, EventBus, JobQueue, JobStore } from './types';

/**
 * The one place that decides which implementations run: Redis and RabbitMQ
 * when their URLs are set, the embedded in-memory ones otherwise.
 */
export async function createBackends(config: Config, role: string): Promise<Backends> {
  let store: JobStore;
  let bus: EventBus;
  let queue: JobQueue;
  const description = { store: 'memory (embedded)', bus: 'memory (embedded)', queue: 'memory (embedded)' };

  if (config.redisUrl) {
    const keys = new RedisKeys(config.keyPrefix);
    const commands = connectRedis(config.redisUrl, `darkroom-${role}`);
    store = new RedisJobStore(commands, keys, config.jobTtlSeconds);
    bus = new RedisEventBus(commands, connectRedis(config.redisUrl, `darkroom-${role}-events`), keys);
    description.store = `redis (${redactUrl(config.redisUrl)}, prefix ${config.keyPrefix})`;
    description.bus = 'redis pub/sub';
  } else {
    store = new MemoryJobStore(config.jobTtlSeconds);
    bus = new MemoryEventBus();
  }

  if (config.amqpUrl) {
    queue = await AmqpJobQueue.open(config.amqpUrl, config.queueName);
    description.queue = `rabbitmq (${config.amqpUrlSource} ${redactUrl(config.amqpUrl)}, queue ${config.queueName})`;
  } else {
    queue = new MemoryJobQueue();
  }

  return {
    store,
    bus,
    queue,
    description,
    async close() {
      await queue.close();
      await bus.close();
      await store.close();
    },
  };
}

/** Host and port only: URLs carry passwords that must not reach the log. */
function redactUrl(raw: string): string {
  const parsed = new URL(raw);
  return `${parsed.protocol}//${parsed.host}`;
}
