import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { storageUnavailable } from '../errors';
import { errorFields, log } from '../log';
import type { RateLimiter } from './types';

/**
 * A fixed budget per client per minute (rate-limiter-flexible). In Redis it is
 * shared by every web process; in memory it is this process's own.
 */
class FlexibleRateLimiter implements RateLimiter {
  constructor(private readonly limiter: RateLimiterAbstract) {}

  async take(client: string): Promise<number> {
    try {
      await this.limiter.consume(client);
      return 0;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return Math.max(1, outcome.msBeforeNext);
      // The budget lives in the same Redis as the jobs: without it no job could be stored
      // either, so the caller is told to come back rather than let through.
      log.warn('rate limiter could not reach its store', errorFields(outcome));
      throw storageUnavailable();
    }
  }
}

const unlimited: RateLimiter = { take: async () => 0 };

export function redisRateLimiter(redis: Redis, keyPrefix: string, perMinute: number): RateLimiter {
  if (perMinute === 0) return unlimited;
  return new FlexibleRateLimiter(new RateLimiterRedis({ storeClient: redis, keyPrefix: `${keyPrefix}ratelimit`, points: perMinute, duration: 60 }));
}

export function memoryRateLimiter(perMinute: number): RateLimiter {
  if (perMinute === 0) return unlimited;
  return new FlexibleRateLimiter(new RateLimiterMemory({ points: perMinute, duration: 60 }));
}
