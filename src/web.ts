import { requireSharedBackends } from './config';
import { log } from './log';
import { fatal, runProcess } from './process';
import { startWebServer } from './web/server';

runProcess(
  'web',
  async (backends, config) => {
    const web = await startWebServer(backends, config);
    log.info('web listening', { port: web.port, graphql: `http://localhost:${web.port}/graphql` });
    return web.close;
  },
  requireSharedBackends,
).catch(fatal);
