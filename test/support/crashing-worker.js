// A worker whose image processing kills its own process, as a libvips crash
// would. Used by the reliability tests; built on the real worker from dist/.
const { log } = require('../../dist/log');
const { fatal, runProcess } = require('../../dist/process');
const { startWorker } = require('../../dist/worker/worker');
const { requireSharedBackends } = require('../../dist/config');

runProcess(
  'worker',
  async (backends, config) => {
    const worker = await startWorker(backends, config, async () => {
      process.kill(process.pid, 'SIGKILL');
      return new Promise(() => undefined);
    });
    log.info('worker consuming', { prefetch: config.workerPrefetch, crashing: true });
    return worker.stop;
  },
  requireSharedBackends,
).catch(fatal);
