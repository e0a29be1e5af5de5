import { EventEmitter } from 'node:events';
import type { JobRecord } from '../../jobs/job';
import type { EventBus, JobListener } from '../types';

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(record: JobRecord): Promise<void> {
    this.emitter.emit(record.id, structuredClone(record));
  }

  async subscribe(jobId: string, listener: JobListener): Promise<() => Promise<void>> {
    const onRecord = (record: JobRecord) => listener.record(record);
    this.emitter.on(jobId, onRecord);
    return async () => {
      this.emitter.off(jobId, onRecord);
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
