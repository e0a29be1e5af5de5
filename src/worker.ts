import { requireSharedBackends } from './config';
import { log } from './log';
import { startMetricsServer } from './metrics';
import { fatal, runProcess } from './process';
import { startWorker } from './worker/worker';

runProcess(
  'worker',
  async (backends, config) => {
    const worker = await startWorker(backends, config);
    const metrics = config.metricsPort === null ? null : await startMetricsServer(config.metricsPort, backends.queue, config);
    log.info('worker consuming', { prefetch: config.workerPrefetch, ...(metrics ? { metricsPort: metrics.port } : {}) });
    return async () => {
      await worker.stop();
      await metrics?.close();
    };
  },
  requireSharedBackends,
).catch(fatal);
