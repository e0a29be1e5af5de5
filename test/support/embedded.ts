import { DarkroomClient } from './client';
import { ServiceProcess } from './processes';

/**
 * `npm start` with no REDIS_URL or CLOUDAMQP_URL, for the tests of one
 * describe block: web and worker in one process on the in-memory adapters,
 * started before its tests and stopped (cleanly, exit 0) after them.
 */
export function embeddedServer(env: Record<string, string> = {}): { client: () => DarkroomClient; process: () => ServiceProcess } {
  let main: ServiceProcess;
  let client: DarkroomClient;

  beforeAll(async () => {
    main = ServiceProcess.start('main', 'node dist/main.js', { REDIS_URL: '', CLOUDAMQP_URL: '', AMQP_URL: '', PORT: '0', ...env });
    client = new DarkroomClient(`http://127.0.0.1:${await main.port()}`);
  });

  afterAll(async () => {
    expect(await main.stop()).toBe(0);
  });

  return { client: () => client, process: () => main };
}
