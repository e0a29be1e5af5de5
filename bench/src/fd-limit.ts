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

const RAISED = 'DARKROOM_BENCH_FD_RAISED';

/**
 * Every WebSocket subscriber is a file descriptor in the bench (and one in the
 * web process, which inherits our limit). Node cannot raise its own limit, so
 * when the soft limit is too low and the hard one allows it, the bench runs
 * itself again under `ulimit -n`; returns the child's exit status then, null
 * when this process may go on.
 */
export function ensureOpenFiles(needed: number): number | null {
  const { soft, hard } = openFileLimits();
  if (soft === null || soft >= needed) return null;
  if (process.env[RAISED] || (hard !== null && hard < needed)) {
    throw new Error(
      `${needed} open files are needed (--subscribers plus the service's own), but the limit is ${soft} (hard ${hard ?? 'unlimited'}): ` +
        'raise it (ulimit -n) or pass fewer --subscribers',
    );
  }
  const target = hard === null ? needed : Math.min(hard, Math.max(needed, 2 * needed));
  process.stderr.write(`[bench] raising the open-file limit from ${soft} to ${target} (ulimit -n) for ${needed} descriptors\n`);
  const run = spawnSync('sh', ['-c', `ulimit -n ${target} && exec "$0" "$@"`, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [RAISED]: '1' },
  });
  return run.status ?? 1;
}
