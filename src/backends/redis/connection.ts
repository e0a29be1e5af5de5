import { Redis, type RedisOptions } from 'ioredis';
import { log } from '../../log';

/**
 * One ioredis connection. `rediss://` URLs get TLS without certificate
 * verification because Heroku Redis presents a self-signed certificate.
 */
export function connectRedis(url: string, name: string): Redis {
  const options: RedisOptions = {
    connectionName: name,
    // Fail commands after a short while in an outage instead of queueing them for ever.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 5000),
  };
  if (url.startsWith('rediss://')) options.tls = { rejectUnauthorized: false };
  const redis = new Redis(url, options);
  redis.on('error', (err) => log.warn('redis connection error', { connection: name, error: err.message }));
  return redis;
}
