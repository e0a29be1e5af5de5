import pino from 'pino';
import pretty from 'pino-pretty';

type Fields = Record<string, unknown>;

/** A person at a terminal reads colours; Heroku's log router, tests and CI read one JSON object a line. */
const human = process.stdout.isTTY === true && !process.env.CI && process.env.NODE_ENV !== 'test';

// Synchronous writes: a few lines per job cost little, and none is lost when process.exit follows a line.
const logger = pino(
  {
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  human ? pretty({ sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l' }) : pino.destination({ dest: 1, sync: true }),
);

export const log = {
  info: (msg: string, fields?: Fields) => logger.info(fields ?? {}, msg),
  warn: (msg: string, fields?: Fields) => logger.warn(fields ?? {}, msg),
  error: (msg: string, fields?: Fields) => logger.error(fields ?? {}, msg),
};

export function errorFields(err: unknown): Fields {
  return err instanceof Error ? { error: err.message, stack: err.stack } : { error: String(err) };
}
