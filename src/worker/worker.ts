import type { Backends } from '../backends/types';
import type { Config } from '../config';
import { DarkroomError } from '../errors';
import { JobLifecycle } from '../jobs/lifecycle';
import { log } from '../log';
import { FORMATS } from '../operations/output';
import { processImage } from '../processing/pipeline';

/**
 * Handle one delivery. Resolving acks the message; an error from Redis or the
 * like rejects, so the broker hands the job to a worker again. A bad image is
 * not such an error: the job ends FAILED and the message is acked.
 */
export function jobHandler(backends: Backends, config: Config): (jobId: string) => Promise<void> {
  const lifecycle = new JobLifecycle(backends);
  return async (jobId) => {
    const started = await lifecycle.start(jobId);
    if (!started) {
      log.warn('skipped a job that is unknown or expired', { jobId });
      return;
    }
    if (!started.applied) {
      log.info('skipped a job that already ended', { jobId, status: started.record.status });
      return;
    }
    const { spec } = started.record;
    const input = await backends.store.getInput(jobId);
    if (!input) {
      await lifecycle.fail(jobId, { code: 'INPUT_EXPIRED', message: 'The uploaded image expired before a worker could process it.' });
      return;
    }
    const begun = Date.now();
    let processed;
    try {
      processed = await processImage(input, spec, { maxInputPixels: config.maxInputPixels }, (done, total) =>
        lifecycle.progress(jobId, Math.floor((100 * done) / total)).then(() => undefined),
      );
    } catch (err) {
      if (!(err instanceof DarkroomError)) throw err;
      await lifecycle.fail(jobId, { code: err.code, message: err.message });
      log.info('job failed', { jobId, code: err.code, message: err.message });
      return;
    }
    await backends.store.putResult(jobId, processed.data);
    await lifecycle.complete(jobId, {
      format: processed.format,
      contentType: FORMATS[processed.format].contentType,
      width: processed.width,
      height: processed.height,
      bytes: processed.data.length,
    });
    log.info('job completed', { jobId, ms: Date.now() - begun, bytes: processed.data.length });
  };
}

export async function startWorker(backends: Backends, config: Config): Promise<void> {
  const handle = jobHandler(backends, config);
  await backends.queue.consume(({ jobId }) => handle(jobId), config.workerPrefetch);
}
