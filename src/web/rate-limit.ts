import { DarkroomError } from '../errors';
import type { GraphQLContext } from './context';

/**
 * Take one unit of the caller's budget, the one createImageJob spends too:
 * every request that makes the web process read an upload costs the same.
 */
export async function takeRateLimit({ backends, caller }: GraphQLContext): Promise<void> {
  const waitMs = await backends.rateLimiter.take(caller.client);
  if (waitMs > 0) {
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    throw new DarkroomError('RATE_LIMITED', `Too many requests; try again in ${retryAfterSeconds} s.`, undefined, { retryAfterSeconds });
  }
}
