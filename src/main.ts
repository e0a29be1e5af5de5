import { log } from './log';
import { fatal, runProcess } from './process';
import { startWebServer } from './web/server';
import { startWorker } from './worker/worker';

/** `npm start`: web and worker in one process, on whatever backends the environment names. */
runProcess('all', async (backends, config) => {
  const worker = await startWorker(backends, config);
  const web = await startWebServer(backends, config);
  log.info('web listening', { port: web.port, graphql: `http://localhost:${web.port}/graphql` });
  return async () => {
    await Promise.all([web.close(), worker.stop()]);
  };
}).catch(fatal);
