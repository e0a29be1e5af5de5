import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** The commands the Procfile gives each process type, so tests start exactly what Heroku starts. */
export function procfileCommand(type: 'web' | 'worker'): string {
  const line = readFileSync(path.join(PROJECT_ROOT, 'Procfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${type}:`));
  if (!line) throw new Error(`Procfile has no ${type} line`);
  return line.slice(type.length + 1).trim();
}

interface LogLine {
  msg?: string;
  [field: string]: unknown;
}

/** A Darkroom process started from the built code, with its JSON log lines collected. */
export class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters: Array<() => void> = [];

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const part of parts) {
        try {
          this.lines.push(JSON.parse(part));
        } catch {
          this.lines.push({ msg: part });
        }
      }
      for (const wake of this.waiters.splice(0)) wake();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static start(name: string, command: string, env: Record<string, string>): ServiceProcess {
    // No shell in between, so signals reach the Node process itself; the
    // command's leading NAME=value words (e.g. MALLOC_ARENA_MAX) become its environment.
    const words = command.split(/\s+/);
    const assigned: Record<string, string> = {};
    while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
      const word = words.shift()!;
      assigned[word.slice(0, word.indexOf('='))] = word.slice(word.indexOf('=') + 1);
    }
    const [program, ...args] = words;
    const child = spawn(program, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, NODE_ENV: 'production', ...assigned, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log line `match` accepts, waiting for it up to `timeoutMs`. */
  async waitFor(match: (line: LogLine) => boolean, timeoutMs = 20000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (!this.running) throw new Error(`${this.name} exited before logging what was awaited:\n${this.dump()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} did not log what was awaited in time:\n${this.dump()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async port(): Promise<number> {
    const line = await this.waitFor((l) => l.msg === 'web listening');
    return line.port as number;
  }

  dump(): string {
    return this.lines.map((l) => JSON.stringify(l)).join('\n');
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}
