import { createBackends } from './backends';
import type { Backends } from './backends/types';
import { ConfigError, readConfig, type Config } from './config';
import { errorFields, log } from './log';

export type Role = 'web' | 'worker' | 'all';

const SHUTDOWN_DEADLINE_MS = 28_000;

/**
 * Start-up shared by the three entry points: read the config once, pick the
 * backends, say which are in use, start, and close cleanly on SIGTERM/SIGINT.
 */
export async function runProcess(
  role: Role,
  start: (backends: Backends, config: Config) => Promise<() => Promise<void>>,
  check: (config: Config) => void = () => {},
): Promise<void> {
  let config: Config;
  try {
    config = readConfig();
    check(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error(`configuration error: ${err.message}`);
    process.exit(1);
  }
  const backends = await createBackends(config, role);
  const embedded = !config.redisUrl && !config.amqpUrl;
  log.info(`darkroom ${role} starting`, {
    backends: backends.description,
    ...(embedded ? { note: 'REDIS_URL and CLOUDAMQP_URL are unset: using embedded in-memory backends, state lives in this process only' } : {}),
  });
  const stop = await start(backends, config);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`darkroom ${role} stopping`, { signal });
    // Heroku kills a dyno 30 s after SIGTERM; leave before that with what could be saved.
    setTimeout(() => {
      log.error('shutdown overran its deadline, exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const begun = Date.now();
    try {
      await stop();
      log.info(`darkroom ${role} drained`, { ms: Date.now() - begun });
      await backends.close();
      log.info(`darkroom ${role} stopped`, { ms: Date.now() - begun });
    } catch (err) {
      log.error('error while stopping', errorFields(err));
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

export function fatal(err: unknown): never {
  log.error('darkroom could not start', errorFields(err));
  process.exit(1);
}
