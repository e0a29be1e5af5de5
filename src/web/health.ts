import type { RequestHandler } from 'express';
import type { Backends } from '../backends/types';

const PING_TIMEOUT_MS = 2000;

function withinTime(check: Promise<void>): Promise<void> {
  return Promise.race([
    check,
    new Promise<void>((_, reject) => setTimeout(() => reject(new Error('no answer in time')), PING_TIMEOUT_MS).unref()),
  ]);
}

/** GET /healthz — 200 when every backend answers, 503 naming those that do not. */
export function healthHandler(backends: Backends): RequestHandler {
  return async (_req, res) => {
    const checks = { store: backends.store, bus: backends.bus, queue: backends.queue };
    const outcomes = await Promise.allSettled(Object.values(checks).map((backend) => withinTime(backend.ping())));
    const failing: Record<string, string> = {};
    Object.keys(checks).forEach((name, i) => {
      const outcome = outcomes[i];
      if (outcome.status === 'rejected') failing[name] = String(outcome.reason?.message ?? outcome.reason);
    });
    const ok = Object.keys(failing).length === 0;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', backends: backends.description, failing });
  };
}
