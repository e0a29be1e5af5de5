/** Command-line options of `npm run bench`; `--smoke` picks small defaults for CI. */
export interface Options {
  smoke: boolean;
  /** Jobs per throughput measurement (each workload, raw and darkroom alike). */
  jobs: number;
  /** Client-side jobs in flight for the throughput measurements. */
  concurrency: number;
  /** Sequential jobs for the latency measurement of the JPEG and PNG tasks; the small task takes 4 times as many. */
  latencyJobs: number;
  /** Worker RSS is read after this many small jobs (the last one is also the length of that run). */
  rssCheckpoints: number[];
  /** WebSocket subscribers for the status-event fan-out test; 0 skips it. */
  subscribers: number;
  subscriberRounds: number;
  /** Concurrent large uploads in the web-memory test; 0 skips it. */
  uploads: number;
  uploadBytes: number;
  workloads: string[];
  workers: number;
  prefetch: number | null;
  webEnv: Record<string, string>;
  workerEnv: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof) inserted before the script of the Procfile command. */
  webNodeArgs: string[];
  workerNodeArgs: string[];
  /** Where the Markdown report goes; null: stdout only. */
  out: string | null;
  label: string | null;
  warmup: number;
  /** Throughput is measured in this many alternating raw/darkroom rounds. */
  rounds: number;
}

/** A bad command line: reported without a stack trace. */
export class UsageError extends Error {}

export const WORKLOAD_KEYS = ['jpeg', 'png', 'small'];

const USAGE = `npm run bench -- [options]

  --smoke                 short run for CI (< 60 s); report goes to bench/dist/BENCHMARKS.smoke.md
  --jobs N                jobs per throughput measurement, raw and darkroom (default 200, smoke 12)
  --concurrency N         client-side jobs in flight at saturation (default 8)
  --latency-jobs N        sequential jobs for latency, JPEG/PNG; small task runs 4x (default 60, smoke 6)
  --rss-jobs N1,N2        read worker RSS after N1 and N2 small jobs (default 500,2000; smoke 40,120; 0 skips)
  --subscribers N         WebSocket subscribers in the fan-out test, 0 skips it (default 1000, smoke 50)
  --subscriber-rounds N   jobs watched by all subscribers (default 5, smoke 2)
  --uploads N             concurrent large uploads in the web-memory test, 0 skips it (default 50, smoke 5)
  --upload-mb N           size of each of those uploads in MiB (default 10)
  --workloads a,b         subset of ${WORKLOAD_KEYS.join(',')} (default all)
  --workers N             worker processes (default 1)
  --prefetch N            WORKER_PREFETCH for the workers (default: the service's own, 2)
  --worker-env K=V        extra environment for worker processes (repeatable), e.g. UV_THREADPOOL_SIZE=8
  --web-env K=V           extra environment for the web process (repeatable)
  --worker-node-arg F     extra node flag for workers, e.g. --cpu-prof (repeatable; NODE_OPTIONS refuses some)
  --web-node-arg F        extra node flag for the web process (repeatable)
  --out PATH              write the report here (default BENCHMARKS.md)
  --no-write              print the report only
  --label TEXT            a note printed with the settings (e.g. the experiment's name)
  --warmup N              unmeasured jobs before each measurement (default 5, smoke 2)
  --rounds N              throughput in N alternating raw/darkroom rounds of jobs/N each (default 2, smoke 1)
`;

function int(name: string, raw: string | undefined, min: number): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isInteger(value) || value < min) throw new UsageError(`${name} needs a whole number >= ${min}, got ${raw}\n\n${USAGE}`);
  return value;
}

function keyValue(name: string, raw: string | undefined, into: Record<string, string>): void {
  const at = raw?.indexOf('=') ?? -1;
  if (!raw || at <= 0) throw new UsageError(`${name} needs KEY=VALUE, got ${raw}`);
  into[raw.slice(0, at)] = raw.slice(at + 1);
}

export function parseOptions(argv: string[], projectRoot: string): Options {
  const smoke = argv.includes('--smoke');
  const o: Options = {
    smoke,
    jobs: smoke ? 12 : 200,
    concurrency: 8,
    latencyJobs: smoke ? 6 : 60,
    rssCheckpoints: smoke ? [40, 120] : [500, 2000],
    subscribers: smoke ? 50 : 1000,
    subscriberRounds: smoke ? 2 : 5,
    uploads: smoke ? 5 : 50,
    uploadBytes: 10 * 2 ** 20,
    workloads: [...WORKLOAD_KEYS],
    workers: 1,
    prefetch: null,
    webEnv: {},
    workerEnv: {},
    webNodeArgs: [],
    workerNodeArgs: [],
    out: smoke ? `${projectRoot}/bench/dist/BENCHMARKS.smoke.md` : `${projectRoot}/BENCHMARKS.md`,
    label: null,
    warmup: smoke ? 2 : 5,
    rounds: smoke ? 1 : 2,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') && arg.startsWith('--') && !/^--(worker|web)-(env|node-arg)/.test(arg)
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--smoke':
        break;
      case '--jobs':
        o.jobs = int(flag, value(), 1);
        break;
      case '--concurrency':
        o.concurrency = int(flag, value(), 1);
        break;
      case '--latency-jobs':
        o.latencyJobs = int(flag, value(), 1);
        break;
      case '--rss-jobs': {
        const raw = value() ?? '';
        o.rssCheckpoints = raw
          .split(',')
          .map((n) => int(flag, n, 0))
          .filter((n) => n > 0)
          .sort((a, b) => a - b);
        break;
      }
      case '--subscribers':
        o.subscribers = int(flag, value(), 0);
        break;
      case '--subscriber-rounds':
        o.subscriberRounds = int(flag, value(), 1);
        break;
      case '--uploads':
        o.uploads = int(flag, value(), 0);
        break;
      case '--upload-mb':
        o.uploadBytes = int(flag, value(), 1) * 2 ** 20;
        break;
      case '--workloads': {
        const list = (value() ?? '').split(',').filter(Boolean);
        for (const w of list) if (!WORKLOAD_KEYS.includes(w)) throw new UsageError(`unknown workload ${w}; choose from ${WORKLOAD_KEYS.join(',')}`);
        o.workloads = WORKLOAD_KEYS.filter((w) => list.includes(w));
        break;
      }
      case '--workers':
        o.workers = int(flag, value(), 1);
        break;
      case '--prefetch':
        o.prefetch = int(flag, value(), 1);
        break;
      case '--worker-env':
        keyValue(flag, argv[++i], o.workerEnv);
        break;
      case '--web-env':
        keyValue(flag, argv[++i], o.webEnv);
        break;
      case '--worker-node-arg':
        o.workerNodeArgs.push(argv[++i]);
        break;
      case '--web-node-arg':
        o.webNodeArgs.push(argv[++i]);
        break;
      case '--out':
        o.out = value() ?? null;
        break;
      case '--no-write':
        o.out = null;
        break;
      case '--label':
        o.label = value() ?? null;
        break;
      case '--rounds':
        o.rounds = int(flag, value(), 1);
        break;
      case '--warmup':
        o.warmup = int(flag, value(), 0);
        break;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        process.exit(0);
      // falls through (unreachable)
      default:
        throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    }
  }
  return o;
}
