import sharp from 'sharp';
import type { JobView } from './support/client';
import { corpusPath } from './support/corpus';
import { Deployment } from './support/deployment';
import type { ServiceProcess } from './support/processes';

const JOBS = Number(process.env.SOAK_JOBS ?? 300);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 30);

/**
 * 300 jobs from 30 concurrent clients through two web and two worker
 * processes; one worker is SIGKILLed midway and restarted. Every job must end
 * COMPLETED exactly once with the right output.
 */
describe('soak: at-least-once processing under a worker crash', () => {
  let deployment: Deployment;

  afterAll(async () => {
    await deployment.stop();
  });

  test(`${JOBS} jobs, ${CLIENTS} clients, a worker SIGKILLed midway`, async () => {
    deployment = new Deployment('soak');
    const webs = [await deployment.web('web-a'), await deployment.web('web-b')];
    const workers: ServiceProcess[] = [await deployment.worker('worker-1'), await deployment.worker('worker-2')];
    const began = Date.now();
    let submitted = 0;
    let killed = false;
    const finals: JobView[] = [];
    const requestedWidth = new Map<string, number>();
    const file = corpusPath('320x240.jpg');

    async function client(n: number): Promise<void> {
      const submitVia = webs[n % 2].client;
      const watchVia = webs[(n + 1) % 2].client;
      while (submitted < JOBS) {
        const index = submitted++;
        const width = 40 + (index % 60);
        const job = await submitVia.submit(file, { operations: [{ resize: { width } }], output: { format: 'WEBP' } });
        requestedWidth.set(job.id, width);
        const events = await watchVia.watch(job.id, 120000);
        finals.push(events[events.length - 1]);
        if (!killed && submitted >= JOBS / 2) {
          killed = true;
          await workers[0].stop('SIGKILL');
          workers.push(await deployment.worker('worker-1-restarted'));
        }
      }
    }
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const seconds = (Date.now() - began) / 1000;

    const completions = new Map<string, number>();
    for (const worker of workers) {
      for (const line of worker.lines) {
        if (line.msg === 'job completed') completions.set(line.jobId as string, (completions.get(line.jobId as string) ?? 0) + 1);
      }
    }
    const completed = finals.filter((job) => job.status === 'COMPLETED');
    const lost = JOBS - completed.length;
    const duplicated = [...completions.values()].filter((count) => count > 1).length;
    const redelivered = completed.filter((job) => job.attempts > 1).length;
    console.log(
      `soak: ${JOBS} jobs, ${CLIENTS} clients, ${completed.length} completed, ${lost} lost, ${duplicated} duplicated, ` +
        `${redelivered} redelivered after the kill, ${seconds.toFixed(1)} s (${(JOBS / seconds).toFixed(1)} jobs/s)`,
    );

    expect(finals).toHaveLength(JOBS);
    expect(lost).toBe(0);
    expect(duplicated).toBe(0);
    // (Completion log lines are not counted to JOBS: a SIGKILL can take a last unflushed line with it.)
    // Each result has the size asked for; download every one and read it back.
    for (const job of completed) {
      expect(job.result!.width).toBe(requestedWidth.get(job.id));
      expect(Math.abs(job.result!.height - (job.result!.width * 240) / 320)).toBeLessThanOrEqual(1);
      const bytes = Buffer.from(await (await webs[0].client.download(job.result!.url)).arrayBuffer());
      const meta = await sharp(bytes).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', job.result!.width, job.result!.height]);
    }
    const widths = new Set(completed.map((job) => job.result!.width));
    expect(widths.size).toBe(60);
  });
});
