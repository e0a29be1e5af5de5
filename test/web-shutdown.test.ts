import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { Deployment, waitForJob } from './support/deployment';
import { HEAVY_JOB } from './support/jobs';

describe('web process graceful shutdown', () => {
  let deployment: Deployment;

  afterAll(async () => {
    await deployment.stop();
  });

  test('SIGTERM: open subscriptions are closed with 1001, the process exits 0, the job goes on', async () => {
    deployment = new Deployment('web-shutdown');
    const { process: web, client } = await deployment.web('web-a');
    const { client: other } = await deployment.web('web-b');
    await deployment.worker('worker');
    const job = await client.submit(HEAVY_JOB.file, HEAVY_JOB.input);

    const closed = new Promise<number>((resolve) => {
      const ws = createClient({
        url: client.baseUrl.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      ws.subscribe({ query: `subscription { jobUpdated(id: "${job.id}") { status } }` }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
    await waitForJob(client, job.id, (j) => j.status === 'ACTIVE');

    expect(await web.stop('SIGTERM')).toBe(0);
    expect(await closed).toBe(1001);
    await expect(fetch(`${client.baseUrl}/healthz`)).rejects.toThrow();
    // Another web process still answers for the job, which completes.
    expect(await waitForJob(other, job.id, (j) => j.status === 'COMPLETED', 60000)).toMatchObject({ attempts: 1 });
  });
});
