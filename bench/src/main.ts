import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { DarkroomClient } from './client';
import { runFanout, type FanoutResult } from './fanout';
import { ensureBenchProcess } from './self-env';
import { runUploads, type UploadsResult } from './uploads';
import { parseOptions, UsageError, type Options } from './options';
import { cpuBetween, cpuSnapshot, loadAverage, peakRssMiB, pidsByName, rssMiB, RssSampler, type CpuUse } from './procstat';
import { renderReport, type Report, type RssRun, type WorkloadResult } from './report';
import { writeKeepingOthers } from './sections';
import { AMQP_URL, deleteQueues, deleteRedisPrefix, procfileCommand, REDIS_URL, redisServerPid, ServiceProcess, uniqueName } from './services';
import { runPool, sleep, summarise } from './stats';
import { corpusFile, CORPUS_DIR, PROJECT_ROOT, WORKLOADS, type Workload } from './workloads';

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** The running deployment: one web, N workers, and what the bench learns from their logs. */
interface Deployment {
  web: ServiceProcess;
  workers: ServiceProcess[];
  client: DarkroomClient;
  baseUrl: string;
  /** Jobs each worker has logged as completed. */
  completedByWorker: number[];
  /** Worker-side pipeline time per job id, from the worker's "job completed" log line. */
  workerMs: Map<string, number>;
  onCompleted: Array<(total: number) => void>;
  cpuPids: Record<string, number[]>;
}

async function startDeployment(options: Options, prefix: string, queue: string, started: ServiceProcess[]): Promise<Deployment> {
  const env: Record<string, string> = {
    REDIS_URL,
    CLOUDAMQP_URL: AMQP_URL,
    DARKROOM_KEY_PREFIX: prefix,
    DARKROOM_QUEUE: queue,
    PORT: '0',
    // Anything a crashed run leaves behind expires on its own within the hour.
    JOB_TTL_SECONDS: '3600',
  };
  // The per-client submission limit stays in the path (one Redis call per job) but never trips:
  // the bench is one client sending as fast as the service goes.
  const webEnv = { ...env, RATE_LIMIT_PER_MINUTE: '1000000000', ...options.webEnv };
  const workerEnv = { ...env, ...(options.prefetch ? { WORKER_PREFETCH: String(options.prefetch) } : {}), ...options.workerEnv };
  const workers = Array.from({ length: options.workers }, (_, i) => ServiceProcess.start(`worker-${i + 1}`, 'worker', workerEnv, options.workerNodeArgs));
  started.push(...workers);
  await Promise.all(workers.map((w) => w.waitFor((l) => l.msg === 'worker consuming')));
  const web = ServiceProcess.start('web', 'web', webEnv, options.webNodeArgs);
  started.push(web);
  const port = (await web.waitFor((l) => l.msg === 'web listening')).port as number;
  const baseUrl = `http://127.0.0.1:${port}`;
  // Up to 16 subscriptions per connection, well under the server's cap per connection.
  const client = new DarkroomClient(baseUrl, Math.ceil(options.concurrency / 16));
  await client.ready();

  const deployment: Deployment = {
    web,
    workers,
    client,
    baseUrl,
    completedByWorker: workers.map(() => 0),
    workerMs: new Map(),
    onCompleted: [],
    cpuPids: {},
  };
  workers.forEach((worker, i) =>
    worker.onLine((line) => {
      if (line.msg !== 'job completed') return;
      deployment.completedByWorker[i]++;
      deployment.workerMs.set(String(line.jobId), Number(line.ms));
      const total = deployment.completedByWorker.reduce((a, b) => a + b, 0);
      for (const listener of deployment.onCompleted) listener(total);
    }),
  );
  for (const p of [web, ...workers]) {
    void p.exited.then((code) => {
      if (!stopping) progress(`${p.name} exited unexpectedly (${code}):\n${p.dump()}`);
    });
  }
  const redisPid = await redisServerPid();
  deployment.cpuPids = {
    web: [web.pid],
    worker: workers.map((w) => w.pid),
    redis: redisPid ? [redisPid] : [],
    rabbitmq: pidsByName('beam.smp'),
  };
  return deployment;
}

let stopping = false;

function assertRunning(d: Deployment): void {
  for (const p of [d.web, ...d.workers]) if (!p.running) throw new Error(`${p.name} is not running:\n${p.dump()}`);
}

function perJob(cpu: CpuUse, jobs: number): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [name, ms] of Object.entries(cpu.byProcess)) out[name] = ms === null ? null : ms / jobs;
  out.machine = cpu.machineMs === null ? null : cpu.machineMs / jobs;
  return out;
}

function addCpu(total: CpuUse | null, add: CpuUse): CpuUse {
  if (!total) return add;
  const byProcess: Record<string, number | null> = {};
  for (const [name, ms] of Object.entries(add.byProcess)) {
    const before = total.byProcess[name];
    byProcess[name] = ms === null || before === null || before === undefined ? null : before + ms;
  }
  return {
    wallMs: total.wallMs + add.wallMs,
    byProcess,
    machineMs: total.machineMs === null || add.machineMs === null ? null : total.machineMs + add.machineMs,
  };
}

/**
 * One workload, raw and darkroom interleaved so that load from anything else
 * on the machine falls on both alike: throughput in alternating rounds, then
 * latency as alternating single jobs.
 */
async function runWorkload(d: Deployment, w: Workload, data: Buffer, expected: Buffer, options: Options, sampler: RssSampler): Promise<WorkloadResult> {
  const upload = DarkroomClient.upload(w.file, data, w.input);
  let identical = 0;
  let checked = 0;
  const rawJob = () => w.raw(data).then(() => undefined);
  const darkroomJob = async () => {
    const timing = await d.client.run(upload);
    checked++;
    if (timing.result.equals(expected)) identical++;
    return timing;
  };

  await runPool(options.warmup, options.concurrency, rawJob);
  await runPool(options.warmup, options.concurrency, async () => void (await darkroomJob()));
  assertRunning(d);
  sampler.takePeaks();

  let rawCpu: CpuUse | null = null;
  let darkroomCpu: CpuUse | null = null;
  let rawJobs = 0;
  let darkroomJobs = 0;
  for (let round = 0; round < options.rounds; round++) {
    const jobs = Math.floor(options.jobs / options.rounds) + (round < options.jobs % options.rounds ? 1 : 0);
    if (jobs === 0) continue;
    let before = cpuSnapshot({}, true);
    await runPool(jobs, options.concurrency, rawJob);
    rawCpu = addCpu(rawCpu, cpuBetween(before, cpuSnapshot({}, true)));
    rawJobs += jobs;
    before = cpuSnapshot(d.cpuPids, true);
    await runPool(jobs, options.concurrency, async () => void (await darkroomJob()));
    darkroomCpu = addCpu(darkroomCpu, cpuBetween(before, cpuSnapshot(d.cpuPids, true)));
    darkroomJobs += jobs;
  }
  const saturationPeaks = sampler.takePeaks();
  assertRunning(d);

  const rawLatency: number[] = [];
  const timings: Array<{ id: string; total: number; upload: number; toCompleted: number; download: number }> = [];
  for (let i = 0; i < options.latencyJobs * w.latencyFactor; i++) {
    const t0 = performance.now();
    await w.raw(data);
    rawLatency.push(performance.now() - t0);
    const t = await darkroomJob();
    timings.push({ id: t.id, total: t.downloaded - t.start, upload: t.created - t.start, toCompleted: t.completed - t.created, download: t.downloaded - t.completed });
  }
  await sleep(300); // the worker logs "job completed" just after publishing the event
  const workerMs = timings.map((t) => d.workerMs.get(t.id)).filter((ms): ms is number => ms !== undefined);
  assertRunning(d);

  const side = (cpu: CpuUse, jobs: number) => ({
    jobsPerSecond: (jobs * 1000) / cpu.wallMs,
    wallMs: cpu.wallMs,
    cpuPerJob: perJob(cpu, jobs),
    coresBusy: (cpu.machineMs ?? NaN) / cpu.wallMs,
  });
  return {
    workload: w,
    outputBytes: expected.length,
    raw: { ...side(rawCpu!, rawJobs), latency: summarise(rawLatency) },
    darkroom: {
      ...side(darkroomCpu!, darkroomJobs),
      latency: summarise(timings.map((t) => t.total)),
      breakdown: {
        upload: summarise(timings.map((t) => t.upload)),
        toCompleted: summarise(timings.map((t) => t.toCompleted)),
        workerPipeline: summarise(workerMs),
        download: summarise(timings.map((t) => t.download)),
      },
      identical,
      checked,
      peakRss: {
        web: saturationPeaks.get(d.web.pid) ?? null,
        worker: Math.max(...d.workers.map((p) => saturationPeaks.get(p.pid) ?? 0)),
      },
    },
  };
}

async function runRssRun(d: Deployment, options: Options): Promise<RssRun> {
  const w = WORKLOADS.small;
  const data = corpusFile(w.file);
  const upload = DarkroomClient.upload(w.file, data, w.input);
  const idle = d.workers.map((p) => rssMiB(p.pid));
  const idleWeb = rssMiB(d.web.pid);
  const checkpoints: RssRun['checkpoints'] = [];
  const pending = [...options.rssCheckpoints];
  const already = d.completedByWorker.reduce((a, b) => a + b, 0);
  d.onCompleted.push((total) => {
    while (pending.length && total - already >= pending[0]) {
      checkpoints.push({ jobs: pending.shift()!, workers: d.workers.map((p) => rssMiB(p.pid)), web: rssMiB(d.web.pid) });
    }
  });
  const jobs = options.rssCheckpoints[options.rssCheckpoints.length - 1];
  const wallMs = await runPool(jobs, options.concurrency, async () => {
    await d.client.run(upload);
  });
  await sleep(300);
  d.onCompleted.length = 0;
  assertRunning(d);
  return { idleWorkers: idle, idleWeb, checkpoints, jobs, wallMs, jobsPerSecond: (jobs * 1000) / wallMs };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), PROJECT_ROOT);
  // Each subscriber is a descriptor here and one in the web process; plus the service's own sockets and files.
  // Raw sharp runs here under the worker's allocator settings (its Procfile line, then --worker-env).
  const allocator = Object.fromEntries(
    Object.entries({ ...procfileCommand('worker').env, ...options.workerEnv }).filter(([k]) => /^(MALLOC_|LD_PRELOAD$|UV_THREADPOOL_SIZE$|VIPS_)/.test(k)),
  );
  const rerun = ensureBenchProcess(options.subscribers + 256, allocator);
  if (rerun !== null) process.exit(rerun);
  for (const built of ['dist/web.js', 'dist/worker.js']) {
    if (!existsSync(path.join(PROJECT_ROOT, built))) throw new Error(`${built} is missing: run npm run build first (npm run bench does)`);
  }
  if (!existsSync(CORPUS_DIR)) throw new Error(`the image corpus is not at ${CORPUS_DIR}`);

  const name = uniqueName();
  const prefix = `${name}:`;
  const queue = name;
  const started: ServiceProcess[] = [];
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopping = true;
      await Promise.all(started.map((p) => p.stop()));
      const problems: string[] = [];
      await deleteRedisPrefix(prefix).catch((err) => problems.push(`redis keys ${prefix}*: ${err.message}`));
      await deleteQueues(queue, `${queue}.dead`).catch((err) => problems.push(`queues ${queue}: ${err.message}`));
      if (problems.length) progress(`cleanup incomplete: ${problems.join('; ')}`);
      else progress(`cleaned up: processes stopped, keys ${prefix}* and queues ${queue}{,.dead} deleted`);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  const dumpChildren = () => {
    for (const p of started) progress(`${p.name} (pid ${p.pid}) ${p.running ? 'running' : `exited ${p.child.exitCode ?? p.child.signalCode}`}; last log lines:\n${p.dump().split('\n').slice(-8).join('\n')}`);
  };
  // The worker's libvips settings (src/processing/sharp-settings.ts), so raw does the same work the same way.
  sharp.cache(false);
  const began = new Date();
  const loadBefore = loadAverage();
  const runStart = performance.now();
  try {
    progress(`prefix ${prefix}, queue ${queue}; starting ${options.workers} worker(s) and a web process`);
    const d = await startDeployment(options, prefix, queue, started);
    const sampler = new RssSampler(() => [d.web.pid, ...d.workers.map((w) => w.pid)]);
    sampler.start();
    const idleRss = { web: rssMiB(d.web.pid), workers: d.workers.map((w) => rssMiB(w.pid)) };

    let rssRun: RssRun | null = null;
    if (options.workloads.includes('small') && options.rssCheckpoints.length) {
      progress(`worker memory: ${options.rssCheckpoints.join(', ')} small jobs at concurrency ${options.concurrency}`);
      rssRun = await runRssRun(d, options);
      await deleteRedisPrefix(prefix);
    }

    const results: WorkloadResult[] = [];
    for (const key of options.workloads) {
      const w = WORKLOADS[key];
      const data = corpusFile(w.file);
      const expected = await w.raw(data);
      const meta = await sharp(expected).metadata();
      if (meta.width !== w.expect.width || meta.height !== w.expect.height || meta.format !== w.expect.format.toLowerCase()) {
        throw new Error(`${key}: raw output is ${meta.format} ${meta.width}x${meta.height}, expected ${JSON.stringify(w.expect)}`);
      }
      progress(
        `${key}: raw and darkroom, ${options.jobs} jobs each at concurrency ${options.concurrency} in ${options.rounds} alternating rounds, then ${options.latencyJobs * w.latencyFactor} each one at a time`,
      );
      const result = await runWorkload(d, w, data, expected, options, sampler);
      results.push(result);
      const { raw, darkroom } = result;
      progress(`${key}: raw ${raw.jobsPerSecond.toFixed(1)} jobs/s, darkroom ${darkroom.jobsPerSecond.toFixed(1)} jobs/s`);
      await deleteRedisPrefix(prefix);
    }

    let fanout: FanoutResult | null = null;
    if (options.subscribers > 0) {
      progress(`fan-out: ${options.subscribers} WebSocket subscribers, ${options.subscriberRounds} watched jobs`);
      fanout = await runFanout(d.client, d.baseUrl, prefix, d.web.pid, options);
      assertRunning(d);
    }

    const peak = { web: peakRssMiB(d.web.pid), workers: d.workers.map((w) => peakRssMiB(w.pid)) };
    // Last: it raises the web process's high-water mark, which the figures above would otherwise carry.
    let uploads: UploadsResult | null = null;
    if (options.uploads > 0) {
      progress(`web memory: ${options.uploads} concurrent uploads of ${(options.uploadBytes / 2 ** 20).toFixed(0)} MiB`);
      uploads = await runUploads(d.client, d.web.pid, options.uploads, options.uploadBytes);
      assertRunning(d);
      await deleteRedisPrefix(prefix);
    }

    sampler.stop();
    await d.client.close();
    await cleanup();

    const report: Report = {
      options,
      began,
      durationS: (performance.now() - runStart) / 1000,
      machine: {
        cpu: os.cpus()[0]?.model ?? 'unknown',
        cores: os.availableParallelism(),
        memoryGiB: os.totalmem() / 2 ** 30,
        kernel: `${os.type()} ${os.release()}`,
        node: process.version,
        sharp: sharp.versions.sharp ?? 'unknown',
        vips: sharp.versions.vips,
        loadBefore,
        loadAfter: loadAverage(),
        rawSharpConcurrency: sharp.concurrency(),
        rawSharpCache: JSON.stringify(sharp.cache()),
        rawThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
        rawMallocArenaMax: process.env.MALLOC_ARENA_MAX ?? 'unset',
      },
      procfileEnv: { web: procfileCommand('web').env, worker: procfileCommand('worker').env },
      idleRss,
      peakRss: peak,
      rssRun,
      results,
      fanout,
      uploads,
    };
    const markdown = renderReport(report);
    process.stdout.write(markdown);
    if (options.out) {
      mkdirSync(path.dirname(options.out), { recursive: true });
      writeKeepingOthers(options.out, markdown);
      progress(`report written to ${path.relative(process.cwd(), options.out) || options.out}`);
    }
  } catch (err) {
    if (!stopping) dumpChildren();
    throw err;
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    const cause = err instanceof Error && err.cause ? `\ncaused by: ${err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : JSON.stringify(err.cause)}` : '';
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}${cause}`);
    process.exit(1);
  },
);
