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
) => Promise<ProcessedImage>;

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
 * or the like rejects, so the broker hands the job to a worker again. A bad
 * image is not such an error: the job ends FAILED and the message is acked.
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
        message: `Workers took the job ${current.attempts} times and none finished it (each stopped or lost its backends); it was set aside for an operator.`,
      });
      log.error('job failed after repeated worker crashes; dead-lettered', { jobId, attempts: current.attempts });
      return failed?.applied ? 'dead-letter' : 'ack';
    }
    const started = await lifecycle.start(jobId);
    if (!started?.applied) {
      log.info('skipped a job that already ended', { jobId, status: started?.record.status });
      return 'ack';
    }
    const { spec, attempts } = started.record;
    if (!input) {
      const failure = { code: 'INPUT_EXPIRED', message: 'The uploaded image expired before a worker could process it.' };
      await lifecycle.fail(jobId, failure);
      log.info('job failed', { jobId, ...failure });
      return 'ack';
    }
    const begun = Date.now();
    let processed: ProcessedImage;
    try {
      processed = await withinTime(
        processor(input, spec, limits, async (done, total) => {
          const moved = await lifecycle.progress(jobId, Math.floor((100 * done) / total)).catch((err) => {
            throw new BackendFailure(err);
          });
          if (!moved?.applied) throw new JobStopped(moved?.record.status ?? 'gone');
        }),
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
      await lifecycle.fail(jobId, { code: failure.code, message: failure.message });
      processingEnded('FAILED', Date.now() - begun);
      log.info('job failed', { jobId, code: failure.code, message: failure.message });
      return 'ack';
    }
    await backends.store.putResult(jobId, attempts, processed.data);
    const completed = await lifecycle.complete(jobId, {
      attempt: attempts,
      format: processed.format,
      contentType: FORMATS[processed.format].contentType,
      width: processed.width,
      height: processed.height,
      bytes: processed.data.length,
    });
    processingEnded(completed?.record.status ?? 'gone', Date.now() - begun);
    if (completed?.applied) log.info('job completed', { jobId, attempt: attempts, ms: Date.now() - begun, bytes: processed.data.length });
    else log.info('job ended elsewhere while processing', { jobId, status: completed?.record.status });
    return 'ack';
  };
}

/**
 * The overall guard on top of sharp's own timeout: libvips cannot be
 * interrupted mid-call, but the job ends TIMEOUT and the worker goes on.
 */
function withinTime<T>(work: Promise<T>, seconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DarkroomError('TIMEOUT', `Processing took longer than the ${seconds} s this service allows.`)),
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
