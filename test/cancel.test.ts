import { Redis } from 'ioredis';
import { Deployment, waitForJob } from './support/deployment';
import { REDIS_URL } from './support/services';
import type { DarkroomClient, JobView } from './support/client';
import { JOB_FIELDS } from './support/client';
import { corpusPath } from './support/corpus';
import { HEAVY_JOB, SMALL_JOB } from './support/jobs';

async function cancel(client: DarkroomClient, id: string) {
  return client.query<{ cancelJob: JobView }>(`mutation ($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`, { id });
}

/** cancelJob from any web process, in every state a job can be in. */
describe('cancelJob (real Redis and RabbitMQ)', () => {
  let deployment: Deployment;
  let webA: DarkroomClient;
  let webB: DarkroomClient;

  beforeEach(async () => {
    deployment = new Deployment('cancel');
    webA = (await deployment.web('web-a')).client;
    webB = (await deployment.web('web-b')).client;
  });

  afterEach(async () => {
    await deployment.stop();
  });

  test('QUEUED: CANCELLED at once, and the worker that later takes the message skips it', async () => {
    const job = await webA.submit(SMALL_JOB.file, SMALL_JOB.input);
    // Answered, so the broker confirmed and the job left its short pending TTL for JOB_TTL_SECONDS.
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.ttl(`${deployment.prefix}job:${job.id}`)).toBeGreaterThan(86_000);
      expect(await redis.ttl(`${deployment.prefix}input:${job.id}`)).toBeGreaterThan(86_000);
    } finally {
      redis.disconnect();
    }
    const cancelled = await cancel(webB, job.id);
    expect(cancelled.data?.cancelJob).toMatchObject({ id: job.id, status: 'CANCELLED', attempts: 0 });
    const worker = await deployment.worker('worker');
    await worker.waitFor((l) => l.msg === 'skipped a job that already ended' && l.jobId === job.id);
    expect(await webA.job(job.id)).toMatchObject({ status: 'CANCELLED', attempts: 0, result: null });
  });

  test('ACTIVE: CANCELLED at once, the worker stops at the next step and takes the next job', async () => {
    const worker = await deployment.worker('worker', { WORKER_PREFETCH: '1' });
    const job = await webA.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    const watching = webB.watch(job.id);
    await waitForJob(webA, job.id, (j) => j.status === 'ACTIVE');
    const cancelled = await cancel(webB, job.id);
    expect(cancelled.data?.cancelJob).toMatchObject({ status: 'CANCELLED', attempts: 1 });
    const events = await watching;
    expect(events[events.length - 1]).toMatchObject({ status: 'CANCELLED', result: null });
    await worker.waitFor((l) => l.msg === 'job stopped at a step boundary' && l.jobId === job.id);
    expect((await webA.download(`/results/${job.id}`)).status).toBe(404);

    const next = await webA.submit(SMALL_JOB.file, SMALL_JOB.input);
    await waitForJob(webA, next.id, (j) => j.status === 'COMPLETED');
    expect(await webA.job(job.id)).toMatchObject({ status: 'CANCELLED', result: null });
  });

  test('COMPLETED: returned unchanged, result still downloadable', async () => {
    await deployment.worker('worker');
    const job = await webA.submit(SMALL_JOB.file, SMALL_JOB.input);
    const done = await waitForJob(webA, job.id, (j) => j.status === 'COMPLETED');
    expect((await cancel(webB, job.id)).data?.cancelJob).toEqual(done);
    expect(await webA.job(job.id)).toEqual(done);
    expect((await webB.download(done.result!.url)).status).toBe(200);
  });

  test('FAILED: returned unchanged, with its error', async () => {
    await deployment.worker('worker');
    // The header reads fine, so the upload is accepted; the worker then finds the data cut short.
    const job = await webA.submit(corpusPath('truncated.jpg'), SMALL_JOB.input);
    const failed = await waitForJob(webA, job.id, (j) => j.status === 'FAILED');
    expect(failed.error?.code).toBe('INVALID_IMAGE');
    expect((await cancel(webB, job.id)).data?.cancelJob).toEqual(failed);
    expect(await webA.job(job.id)).toEqual(failed);
  });

  test('already CANCELLED: returned unchanged by a second cancel, from either web process', async () => {
    const job = await webA.submit(SMALL_JOB.file, SMALL_JOB.input);
    const first = (await cancel(webA, job.id)).data?.cancelJob;
    expect(first).toMatchObject({ status: 'CANCELLED', attempts: 0 });
    expect((await cancel(webB, job.id)).data?.cancelJob).toEqual(first);
    expect((await cancel(webA, job.id)).data?.cancelJob).toEqual(first);
    expect(await webB.job(job.id)).toEqual(first);
  });

  test('unknown job: NOT_FOUND', async () => {
    const response = await cancel(webA, '00000000-0000-4000-8000-000000000000');
    expect(response.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });
});
