import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The soft and hard limits on open files of this process, from /proc (null where unlimited or unreadable). */
export function openFileLimits(): { soft: number | null; hard: number | null } {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = (line ?? '').split(/\s{2,}/).slice(1, 3);
    const value = (v: string | undefined) => (v === undefined || v === 'unlimited' ? null : Number(v));
    return { soft: value(soft), hard: value(hard) };
  } catch {
    return { soft: null, hard: null };
  }
}

const MARK = 'DARKROOM_BENCH_REEXEC';

/**
 * Make this process fit the run, by running itself again when it does not:
 * - `openFiles`: every WebSocket subscriber is a descriptor here and one in
 *   the web process (which inherits the limit); Node cannot raise its own, so
 *   the second run goes through `ulimit -n`.
 * - `env`: raw sharp runs in this process and must run as the worker does:
 *   the worker's allocator settings (MALLOC_ARENA_MAX also decides sharp's
 *   default concurrency) are read at start-up, so they are set before it. An
 *   empty value means unset.
 * Returns the second run's exit status, or null when this process may go on.
 */
export function ensureBenchProcess(openFiles: number, env: Record<string, string>): number | null {
  const { soft, hard } = openFileLimits();
  const lowFiles = soft !== null && soft < openFiles;
  const envDiffers = Object.entries(env).some(([k, v]) => (process.env[k] ?? '') !== v);
  if (!lowFiles && !envDiffers) return null;
  if (process.env[MARK] || (lowFiles && hard !== null && hard < openFiles)) {
    if (lowFiles) {
      throw new Error(
        `${openFiles} open files are needed (--subscribers plus the service's own), but the limit is ${soft} (hard ${hard ?? 'unlimited'}): ` +
          'raise it (ulimit -n) or pass fewer --subscribers',
      );
    }
    throw new Error(`could not set ${JSON.stringify(env)} for the bench process`);
  }
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env, [MARK]: '1' };
  for (const [k, v] of Object.entries(env)) if (v === '') delete childEnv[k];
  const target = hard === null ? 2 * openFiles : Math.min(hard, 2 * openFiles);
  if (lowFiles) process.stderr.write(`[bench] raising the open-file limit from ${soft} to ${target} (ulimit -n) for ${openFiles} descriptors\n`);
  const script = lowFiles ? `ulimit -n ${target} && exec "$0" "$@"` : 'exec "$0" "$@"';
  const run = spawnSync('sh', ['-c', script, process.execPath, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: childEnv });
  return run.status ?? 1;
}
