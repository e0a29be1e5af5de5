import { randomUUID } from 'node:crypto';
import type { CreateImageJobInput } from '../generated/graphql';
import type { JobRecord } from '../jobs/job';
import { errorFields, log } from '../log';
import { planJob, validateJobSpec } from '../operations/catalogue';
import { displayedSize } from '../processing/pipeline';
import { jobLimits, processLimits } from '../config';
import { DarkroomError, storageUnavailable } from '../errors';
import { inspectInput } from '../processing/input-policy';
import type { GraphQLContext } from './context';
import { JobFiles } from './job-files';
import { takeRateLimit } from './rate-limit';
import { describeInput, readUpload, receivedUpload } from './upload';

/**
 * Validate the arguments and the image's header, store the input and the
 * record as pending, then hand the job id to the queue.
 * Answers only after the broker confirmed, and only then is the job kept for
 * its full time. Until that moment the record expires on its own within
 * a minute, so a process that dies waiting for the confirm, or a removal that
 * fails, leaves nothing claiming to be QUEUED that no worker will ever see.
 */
export async function createJob(input: CreateImageJobInput, context: GraphQLContext): Promise<JobRecord> {
  const { backends, config, caller, requestBytes } = context;
  await takeRateLimit(context);
  const files = new JobFiles(config.maxFilesPerJob, input.file);
  const spec = validateJobSpec(input, jobLimits(config), files);
  const limits = processLimits(config);
  // The image and the operations' files are read side by side: a client may send
  // an overlay's part before the image's, and either waits for the other to be read.
  const image = (async () => {
    const upload = await receivedUpload(input.file);
    const data = await readUpload(upload, config.maxUploadBytes, requestBytes);
    // Refuse at once what the header already condemns; the worker checks again.
    const meta = await inspectInput(data, limits);
    planJob(spec, displayedSize(meta, spec.autoOrient), limits.output);
    return { upload, data, meta };
  })();
  const [{ upload, data, meta }, extra] = await Promise.all([
    image,
    files.read(config.maxUploadBytes, limits, async () => (await image).data),
  ]);
  const now = new Date().toISOString();
  const record: JobRecord = {
    id: randomUUID(),
    owner: caller.owner,
    status: 'QUEUED',
    progress: 0,
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    spec,
    input: describeInput(meta, data.length, upload.filename || null),
    results: [],
    error: null,
  };
  await backends.store.create(record, data, extra).catch(storageFailed(record.id));
  try {
    await backends.queue.enqueue(record.id);
  } catch (err) {
    log.warn('job refused by the queue, removing it', { jobId: record.id, error: err instanceof Error ? err.message : String(err) });
    await backends.store.remove(record.id).catch((removeErr) =>
      log.error('could not remove a job the queue refused; it expires on its own', { jobId: record.id, ...errorFields(removeErr) }),
    );
    throw err;
  }
  // Not kept: the record expires soon, and the worker that takes the message finds nothing to do.
  const kept = await backends.store.confirm(record.id).catch(storageFailed(record.id));
  if (!kept) throw new DarkroomError('QUEUE_UNAVAILABLE', 'The job queue took too long to take the job; try again.');
  log.info('job queued', { jobId: record.id, bytes: data.length, operations: spec.operations.length });
  return record;
}

function storageFailed(jobId: string): (err: unknown) => never {
  return (err) => {
    log.error('could not write a new job to the store', { jobId, ...errorFields(err) });
    throw storageUnavailable();
  };
}
