import { embeddedServer } from './support/embedded';
import { pipelineScenarios } from './support/pipeline-scenarios';

/** `npm start` with no REDIS_URL or CLOUDAMQP_URL: web and worker in one process on the in-memory adapters. */
describe('embedded one-process mode', () => {
  const server = embeddedServer();

  pipelineScenarios(() => ({ submitter: server.client(), reader: server.client() }));

  test('the log says the embedded in-memory backends are in use', () => {
    const starting = server.process().lines.find((l) => l.msg === 'darkroom all starting');
    expect(starting?.backends).toEqual({ store: 'memory (embedded)', bus: 'memory (embedded)', queue: 'memory (embedded)' });
    expect(String(starting?.note)).toMatch(/in-memory/);
  });
});
