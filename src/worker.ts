import { requireSharedBackends } from './config';
import { log } from './log';
import { fatal, runProcess } from './process';
import { startWorker } from './worker/worker';

runProcess(
  'worker',
  async (backends, config) => {
    const worker = await startWorker(backends, config);
    log.info('worker consuming', { prefetch: config.workerPrefetch });
    return worker.stop;
  },
  requireSharedBackends,
).catch(fatal);
