import { readdirSync, readFileSync } from 'node:fs';

/**
 * Memory and CPU of processes from /proc (Linux). Each reader returns null
 * when the process is gone or /proc cannot be read, so the bench still runs.
 */

function status(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}

function kib(text: string | null, field: string): number | null {
  const match = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : null;
}

/** Resident set size now, MiB. */
export function rssMiB(pid: number): number | null {
  const value = kib(status(pid), 'VmRSS');
  return value === null ? null : value / 1024;
}

/** Peak resident set size since start (VmHWM), MiB. */
export function peakRssMiB(pid: number): number | null {
  const value = kib(status(pid), 'VmHWM');
  return value === null ? null : value / 1024;
}

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every mainstream Linux build

/** user + system CPU time of a process (all its threads), ms. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy CPU time of the whole machine (all cores, everything but idle and iowait), ms. */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Pids whose command name is exactly `comm` (e.g. beam.smp for RabbitMQ). */
export function pidsByName(comm: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === comm) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** Keeps the highest VmRSS seen per pid between resets, sampled on a timer. */
export class RssSampler {
  private peaks = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly pids: () => number[]) {}

  start(intervalMs = 100): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  sample(): void {
    for (const pid of this.pids()) {
      const rss = rssMiB(pid);
      if (rss !== null) this.peaks.set(pid, Math.max(rss, this.peaks.get(pid) ?? 0));
    }
  }

  /** Peaks since the last reset, then start over. */
  takePeaks(): Map<number, number> {
    this.sample();
    const peaks = this.peaks;
    this.peaks = new Map();
    return peaks;
  }
}

/** CPU time per process over a phase, plus the machine's busy time. */
export interface CpuSnapshot {
  at: number;
  machine: number | null;
  processes: Map<string, number | null>;
}

export function cpuSnapshot(named: Record<string, number[]>, self: boolean): CpuSnapshot {
  const processes = new Map<string, number | null>();
  for (const [name, pids] of Object.entries(named)) {
    let total: number | null = 0;
    for (const pid of pids) {
      const ms = cpuMs(pid);
      total = ms === null || total === null ? null : total + ms;
    }
    processes.set(name, pids.length ? total : null);
  }
  if (self) {
    const usage = process.cpuUsage();
    processes.set('client', (usage.user + usage.system) / 1000);
  }
  return { at: performance.now(), machine: machineBusyMs(), processes };
}

export interface CpuUse {
  wallMs: number;
  /** CPU ms per process name over the phase. */
  byProcess: Record<string, number | null>;
  machineMs: number | null;
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const byProcess: Record<string, number | null> = {};
  for (const [name, after] of b.processes) {
    const before = a.processes.get(name);
    byProcess[name] = after === null || before === null || before === undefined ? null : after - before;
  }
  return {
    wallMs: b.at - a.at,
    byProcess,
    machineMs: a.machine === null || b.machine === null ? null : b.machine - a.machine,
  };
}
