import { DarkroomClient } from './support/client';
import { pipelineScenarios } from './support/pipeline-scenarios';
import { procfileCommand, ServiceProcess } from './support/processes';
import { AMQP_URL, REDIS_URL, deleteQueues, deleteRedisPrefix, uniqueName } from './support/services';

/** Two web and two worker processes started from the Procfile, sharing the real Redis and RabbitMQ. */
describe('web and worker as separate processes on Redis and RabbitMQ', () => {
  const prefix = `${uniqueName('processes')}:`;
  const queue = uniqueName('processes');
  const env = { REDIS_URL, CLOUDAMQP_URL: AMQP_URL, DARKROOM_KEY_PREFIX: prefix, DARKROOM_QUEUE: queue, PORT: '0' };
  const processes: ServiceProcess[] = [];
  let webA: DarkroomClient;
  let webB: DarkroomClient;

  beforeAll(async () => {
    const workers = [1, 2].map((n) => ServiceProcess.start(`worker-${n}`, procfileCommand('worker'), env));
    const webs = ['a', 'b'].map((n) => ServiceProcess.start(`web-${n}`, procfileCommand('web'), env));
    processes.push(...workers, ...webs);
    await Promise.all(workers.map((w) => w.waitFor((l) => l.msg === 'worker consuming')));
    const [portA, portB] = await Promise.all(webs.map((w) => w.port()));
    webA = new DarkroomClient(`http://127.0.0.1:${portA}`);
    webB = new DarkroomClient(`http://127.0.0.1:${portB}`);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteRedisPrefix(prefix);
    await deleteQueues(queue, `${queue}.dead`);
  });

  pipelineScenarios(() => ({ submitter: webA, reader: webB }));

  test('every process logs the shared backends it uses', () => {
    for (const p of processes) {
      const starting = p.lines.find((l) => typeof l.msg === 'string' && l.msg.endsWith('starting'));
      expect(starting?.backends).toMatchObject({ store: expect.stringContaining('redis'), queue: expect.stringContaining('rabbitmq') });
    }
  });

  test('health is 200 with both backends reachable', async () => {
    const res = await fetch(`${webB.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', failing: {} });
  });

  test('both workers are still running after a failed job', () => {
    expect(processes.every((p) => p.running)).toBe(true);
  });

  test('a web or worker process without REDIS_URL stops at start-up naming the variable', async () => {
    const lonely = ServiceProcess.start('web-misconfigured', procfileCommand('web'), { ...env, REDIS_URL: '' });
    expect(await lonely.exited).toBe(1);
    expect(lonely.dump()).toContain('REDIS_URL');
  });
});
