import amqplib from 'amqplib';
import sharp from 'sharp';
import { Deployment, waitForJob } from './support/deployment';
import { HEAVY_JOB, SMALL_JOB } from './support/jobs';
import { AMQP_URL } from './support/services';

/** Workers that die, are stopped or overrun: every accepted job still ends in a final state. */
describe('worker crashes, shutdown and time limits (real Redis and RabbitMQ)', () => {
  let deployment: Deployment;

  afterEach(async () => {
    await deployment.stop();
  });

  test('a worker killed with SIGKILL mid-job: another worker completes it, attempts = 2', async () => {
    deployment = new Deployment('sigkill');
    const { client } = await deployment.web('web');
    const first = await deployment.worker('worker-1');
    const job = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    await waitForJob(client, job.id, (j) => j.status === 'ACTIVE');
    await first.stop('SIGKILL');
    await deployment.worker('worker-2');

    const done = await waitForJob(client, job.id, (j) => j.status === 'COMPLETED', 60000);
    expect(done.attempts).toBe(2);
    expect(done.result).toMatchObject({ format: 'JPEG', width: 720, height: 588 });
    const bytes = Buffer.from(await (await client.download(done.result!.url)).arrayBuffer());
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'jpeg', width: 720, height: 588 });
  });

  test('a job that kills every worker ends FAILED / WORKER_CRASHED after 3 attempts and is dead-lettered', async () => {
    deployment = new Deployment('crashloop');
    const { client } = await deployment.web('web');
    const job = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    // Each start of the crashing worker takes one delivery and dies with it.
    let final = null;
    for (let start = 1; start <= 6 && !final; start++) {
      const worker = deployment.startProcess(`crashing-worker-${start}`, 'node test/support/crashing-worker.js');
      await Promise.race([worker.exited, waitForJob(client, job.id, (j) => j.status === 'FAILED', 15000)]);
      const seen = await client.job(job.id);
      if (seen?.status === 'FAILED') final = seen;
      await worker.stop('SIGKILL');
    }
    expect(final).toMatchObject({ status: 'FAILED', attempts: 3, error: { code: 'WORKER_CRASHED' } });
    expect(final!.error!.message).toMatch(/3 times/);

    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      const message = await channel.get(deployment.deadLetterQueue, { noAck: true });
      expect(message && message.content.toString()).toBe(job.id);
      expect((await channel.checkQueue(deployment.queue)).messageCount).toBe(0);
    } finally {
      await connection.close();
    }
  });

  test('SIGTERM during a job: the worker exits 0 within 30 s and the job completes', async () => {
    deployment = new Deployment('sigterm');
    const { client } = await deployment.web('web');
    const stopping = await deployment.worker('worker-1');
    const job = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    await waitForJob(client, job.id, (j) => j.status === 'ACTIVE');
    const began = Date.now();
    const code = await stopping.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - began).toBeLessThan(30000);
    // It finished the job in hand before leaving (well within its 20 s grace).
    const done = await waitForJob(client, job.id, (j) => j.status === 'COMPLETED', 5000);
    expect(done).toMatchObject({ attempts: 1, result: { width: 720, height: 588 } });
    expect(stopping.lines.some((l) => l.msg === 'job completed' && l.jobId === job.id)).toBe(true);
  });

  test('SIGTERM with a short grace: the job in hand goes back to the queue and another worker completes it', async () => {
    deployment = new Deployment('sigterm-requeue');
    const { client } = await deployment.web('web');
    const stopping = await deployment.worker('worker-1', { SHUTDOWN_GRACE_SECONDS: '1' });
    const job = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    await waitForJob(client, job.id, (j) => j.status === 'ACTIVE');
    expect(await stopping.stop('SIGTERM')).toBe(0);
    expect(stopping.lines.some((l) => l.msg === 'job completed')).toBe(false);
    // Handed back, it reads QUEUED again until a worker takes it.
    expect(await client.job(job.id)).toMatchObject({ status: 'QUEUED', progress: 0, attempts: 1 });
    await deployment.worker('worker-2');
    const done = await waitForJob(client, job.id, (j) => j.status === 'COMPLETED', 60000);
    expect(done).toMatchObject({ attempts: 2, result: { width: 720, height: 588 } });
  });

  test('a job over the time limit ends FAILED / TIMEOUT and the worker goes on with the next', async () => {
    deployment = new Deployment('timeout');
    const { client } = await deployment.web('web');
    await deployment.worker('worker', { JOB_TIMEOUT_SECONDS: '1' });
    const slow = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);
    const failed = await waitForJob(client, slow.id, (j) => j.status === 'FAILED', 30000);
    expect(failed.error).toMatchObject({ code: 'TIMEOUT' });
    expect(failed.error!.message).toMatch(/longer than/);
    const next = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    const done = await waitForJob(client, next.id, (j) => j.status === 'COMPLETED');
    expect(done.result).toMatchObject({ format: 'WEBP', width: 100, height: 75 });
  });

  test('a redelivered message for a finished job is acked without processing it again', async () => {
    deployment = new Deployment('redeliver');
    const { client } = await deployment.web('web');
    const worker = await deployment.worker('worker');
    const job = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    const done = await waitForJob(client, job.id, (j) => j.status === 'COMPLETED');
    // Deliver the same job id again, as RabbitMQ would after a lost ack.
    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createConfirmChannel();
      channel.sendToQueue(deployment.queue, Buffer.from(job.id), { persistent: true });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    await worker.waitFor((l) => l.msg === 'skipped a job that already ended' && l.jobId === job.id);
    expect(await client.job(job.id)).toEqual(done);
  });
});
