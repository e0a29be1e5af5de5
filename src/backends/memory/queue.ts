import { log, errorFields } from '../../log';
import type { DeliveryHandler, JobQueue } from '../types';

/** Delay before a rejected delivery is offered again, so a failing handler cannot spin. */
const REDELIVERY_DELAY_MS = 1000;

/** The embedded queue for one-process mode: at-least-once within this process's life. */
export class MemoryJobQueue implements JobQueue {
  private readonly pending: string[] = [];
  private handler: DeliveryHandler | null = null;
  private prefetch = 1;
  private inFlight = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();

  async enqueue(jobId: string): Promise<void> {
    this.pending.push(jobId);
    this.pump();
  }

  async consume(handler: DeliveryHandler, prefetch: number): Promise<void> {
    this.handler = handler;
    this.prefetch = prefetch;
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.handler && this.inFlight < this.prefetch && this.pending.length > 0) {
      const jobId = this.pending.shift()!;
      this.inFlight++;
      this.handler({ jobId })
        .catch((err) => {
          log.warn('delivery handed back to the embedded queue', { jobId, ...errorFields(err) });
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.pending.push(jobId);
            this.pump();
          }, REDELIVERY_DELAY_MS);
          this.timers.add(timer);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
  }
}
