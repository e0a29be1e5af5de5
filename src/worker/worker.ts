import type { Backends } from '../backends/types';
import { processLimits, type Config } from '../config';
import { DarkroomError } from '../errors';
import type { JobRecord } from '../jobs/job';
import { JobLifecycle } from '../jobs/lifecycle';
import { errorFields, log } from '../log';
import { processingEnded } from '../metrics';
import { FORMATS } from '../operations/output';
import { processImage, type ProcessedImage, type ProcessLimits, type StepListener } from '../processing/pipeline';
import { classifySharpError } from '../processing/sharp-errors';
import { configureSharp } from '../processing/sharp-settings';

export type ImageProcessor = (
  input: Buffer,
  spec: JobRecord['spec'],
  limits: ProcessLimits,
  onStep: StepListener,
  files: readonly Buffer[],
) => Promise<ProcessedImage[]>;

/** How long a step may run without the job's record being read again (to learn of a cancel). */
const RECHECK_MS = 250;

/** Redis failed while the image was being processed: the job is handed back, not failed. */
class BackendFailure extends Error {
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

/** Thrown at a step boundary when the job is no longer ACTIVE (cancelled from a web process). */
class JobStopped extends Error {
  constructor(readonly status: string) {
    super(`job is ${status}`);
  }
}

/**
 * Handle one delivery. Resolving 'ack' settles the message; an error from Redis
 * or the like marks the job QUEUED again (when Redis lets it) and rejects, so
 * the broker hands the job to a worker again. A bad image is not such an
 * error: the job ends FAILED and the message is acked.
 */
export function jobHandler(
  backends: Backends,
  config: Config,
  processor: ImageProcessor = processImage,
): (jobId: string) => Promise<'ack' | 'dead-letter'> {
  const lifecycle = new JobLifecycle(backends);
  const limits = processLimits(config);

  return async (jobId) => {
    // One round trip for both: the input is nearly always needed.
    const [current, input] = await Promise.all([backends.store.get(jobId), backends.store.getInput(jobId)]);
    if (!current) {
      log.warn('skipped a job that is unknown or expired', { jobId });
      return 'ack';
    }
    // Still ACTIVE with every attempt used: the earlier workers died holding it.
    if (current.status === 'ACTIVE' && current.attempts >= config.maxAttempts) {
      const failed = await lifecycle.fail(jobId, {
        code: 'WORKER_CRASHED',
        message: `Workers took the job ${current.attempts} times and each of them stopped before finishing it; it was set aside for an operator.`,
      });
      log.error('job failed after repeated worker crashes; dead-lettered', { jobId, attempts: current.attempts });
      return failed?.applied ? 'dead-letter' : 'ack';
    }
    const started = await lifecycle.start(jobId);
    if (!started?.applied) {
      log.info('skipped a job that already ended', { jobId, status: started?.record.status });
      return 'ack';
    }
    try {
      return await run(started.record, input);
    } catch (err) {
      // Redis (or the like) failed under a healthy job. Marked QUEUED again, the next
      // delivery does not take it for one whose worker died: only a real crash leaves
      // it ACTIVE, so only crashes count towards WORKER_CRASHED.
      await lifecycle.requeue(jobId).catch((requeueErr) =>
        log.warn('could not mark a handed-back job QUEUED; it reads ACTIVE until taken again', { jobId, ...errorFields(requeueErr) }),
      );
      throw err;
    }
  };

  /** The job is ACTIVE under this worker: process it and settle it. Rejects only when a backend fails. */
  async function run(record: JobRecord, input: Buffer | null): Promise<'ack'> {
    const { id: jobId, spec, attempts } = record;
    const files = input && (await backends.store.getFiles(jobId, spec.files));
    if (!input || !files) {
      const failure = { code: 'INPUT_EXPIRED', message: 'The uploaded image expired before a worker could process it.' };
      await lifecycle.fail(jobId, failure);
      log.info('job failed', { jobId, ...failure });
      return 'ack';
    }
    const begun = Date.now();
    const deadline = begun + config.jobTimeoutSeconds * 1000;
    let reported = 0;
    let reportedAt = begun;
    let processed: ProcessedImage[];
    try {
      processed = await withinTime(
        processor(input, spec, limits, async (done, total) => {
          // Long steps in JavaScript (locate) report often: their work stops here once the time is up.
          if (Date.now() > deadline) throw timeoutError(config.jobTimeoutSeconds);
          const percent = Math.floor((100 * done) / total);
          // Written when it moves, and at least every so often during a long step, which
          // is also when such a step learns that its job was cancelled.
          if (percent === reported && Date.now() - reportedAt < RECHECK_MS) return;
          reported = percent;
          reportedAt = Date.now();
          const moved = await lifecycle.progress(jobId, percent).catch((err) => {
            throw new BackendFailure(err);
          });
          if (!moved?.applied) throw new JobStopped(moved?.record.status ?? 'gone');
        }, files),
        config.jobTimeoutSeconds,
      );
    } catch (err) {
      if (err instanceof JobStopped) {
        processingEnded(err.status, Date.now() - begun);
        log.info('job stopped at a step boundary', { jobId, status: err.status });
        return 'ack';
      }
      if (err instanceof BackendFailure) throw err.reason;
      // Whatever else went wrong belongs to this job: it fails, it is not retried.
      const failure = classifySharpError(err);
      if (failure.code === 'PROCESSING_FAILED') log.error('unexpected processing error', { jobId, ...errorFields(err) });
      const failed = await lifecycle.fail(jobId, { code: failure.code, message: failure.message });
      processingEnded(failed?.record.status ?? 'gone', Date.now() - begun);
      if (failed?.applied) log.info('job failed', { jobId, code: failure.code, message: failure.message });
      else log.info('job ended elsewhere while processing', { jobId, status: failed?.record.status });
      return 'ack';
    }
    await backends.store.putResults(
      jobId,
      attempts,
      processed.map((variant) => variant.data),
    );
    const completed = await lifecycle.complete(
      jobId,
      processed.map(({ name, format, width, height, data, matches, placeholder }) => ({
        name,
        attempt: attempts,
        format,
        contentType: FORMATS[format].contentType,
        width,
        height,
        bytes: data.length,
        matches,
        placeholder,
      })),
    );
    processingEnded(completed?.record.status ?? 'gone', Date.now() - begun);
    if (completed?.applied) log.info('job completed', { jobId, attempt: attempts, ms: Date.now() - begun, bytes: totalBytes(processed) });
    else log.info('job ended elsewhere while processing', { jobId, status: completed?.record.status });
    return 'ack';
  }
}

function timeoutError(seconds: number): DarkroomError {
  return new DarkroomError('TIMEOUT', `Processing took longer than the ${seconds} s this service allows.`);
}

function totalBytes(processed: readonly ProcessedImage[]): number {
  return processed.reduce((sum, variant) => sum + variant.data.length, 0);
}

/**
 * The overall guard on top of sharp's own timeout: libvips cannot be
 * interrupted mid-call, but the job ends TIMEOUT and the worker goes on.
 */
function withinTime<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(timeoutError(seconds)),
      seconds * 1000 + 1000,
    );
  });
  return Promise.race([work, guard]).finally(() => clearTimeout(timer));
}

export interface Worker {
  stop(): Promise<void>;
}

export async function startWorker(backends: Backends, config: Config, processor?: ImageProcessor): Promise<Worker> {
  configureSharp();
  const handle = jobHandler(backends, config, processor);
  const lifecycle = new JobLifecycle(backends);
  await backends.queue.consume(({ jobId }) => handle(jobId), config.workerPrefetch);
  return {
    async stop() {
      try {
        // A job handed back unfinished reads QUEUED again rather than ACTIVE.
        await backends.queue.stopConsuming(config.shutdownGraceSeconds * 1000, (jobId) => lifecycle.requeue(jobId).then(() => undefined));
      } catch (err) {
        log.warn('could not stop consuming cleanly', errorFields(err));
      }
    },
  };
}
