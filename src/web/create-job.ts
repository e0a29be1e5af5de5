import { randomUUID } from 'node:crypto';
import type { CreateImageJobInput } from '../generated/graphql';
import type { JobRecord } from '../jobs/job';
import { errorFields, log } from '../log';
import { planSizes, validateJobSpec } from '../operations/catalogue';
import { displayedSize } from '../processing/pipeline';
import { jobLimits, processLimits } from '../config';
import { DarkroomError } from '../errors';
import { inspectInput } from '../processing/input-policy';
import type { GraphQLContext } from './context';
import { describeInput, readUpload } from './upload';

/**
 * Validate the arguments and the image's header, store the input and the
 * record, then hand the job id to the queue.
 * Answers only after the broker confirmed; if it cannot, the record is removed
 * so nothing claims to be QUEUED that no worker will ever see.
 */
export async function createJob(input: CreateImageJobInput, { backends, config, caller, requestBytes }: GraphQLContext): Promise<JobRecord> {
  const waitMs = await backends.rateLimiter.take(caller.client);
  if (waitMs > 0) {
    const retryAfterSeconds = Math.ceil(waitMs / 1000);
    throw new DarkroomError('RATE_LIMITED', `Too many jobs; try again in ${retryAfterSeconds} s.`, undefined, { retryAfterSeconds });
  }
  const spec = validateJobSpec(input, jobLimits(config));
  const upload = await input.file;
  const data = await readUpload(upload, config.maxUploadBytes, requestBytes);
  // Refuse at once what the header already condemns; the worker checks again.
  const limits = processLimits(config);
  const meta = await inspectInput(data, limits);
  planSizes(spec.operations, displayedSize(meta, spec.autoOrient), limits.output);
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
    result: null,
    error: null,
  };
  await backends.store.create(record, data);
  try {
    await backends.queue.enqueue(record.id);
  } catch (err) {
    log.warn('job refused by the queue, removing it', { jobId: record.id, error: err instanceof Error ? err.message : String(err) });
    await backends.store.remove(record.id).catch((removeErr) =>
      log.error('could not remove a job the queue refused', { jobId: record.id, ...errorFields(removeErr) }),
    );
    throw err;
  }
  log.info('job queued', { jobId: record.id, bytes: data.length, operations: spec.operations.length });
  return record;
}
