import { DarkroomClient } from './support/client';
import { pipelineScenarios } from './support/pipeline-scenarios';
import { ServiceProcess } from './support/processes';

/** `npm start` with no REDIS_URL or CLOUDAMQP_URL: web and worker in one process on the in-memory adapters. */
describe('embedded one-process mode', () => {
  let main: ServiceProcess;
  let client: DarkroomClient;

  beforeAll(async () => {
    main = ServiceProcess.start('main', 'node dist/main.js', { REDIS_URL: '', CLOUDAMQP_URL: '', AMQP_URL: '', PORT: '0' });
    client = new DarkroomClient(`http://127.0.0.1:${await main.port()}`);
  });

  afterAll(async () => {
    expect(await main.stop()).toBe(0);
  });

  pipelineScenarios(() => ({ submitter: client, reader: client }));

  test('the log says the embedded in-memory backends are in use', () => {
    const starting = main.lines.find((l) => l.msg === 'darkroom all starting');
    expect(starting?.backends).toEqual({ store: 'memory (embedded)', bus: 'memory (embedded)', queue: 'memory (embedded)' });
    expect(String(starting?.note)).toMatch(/in-memory/);
  });
});
