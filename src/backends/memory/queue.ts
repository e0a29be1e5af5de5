import { log } from '../../log';
import type { DeliveryHandler, JobQueue } from '../types';

/** Delay before a rejected delivery is offered again, so a failing handler cannot spin. */
const REDELIVERY_DELAY_MS = 1000;

/** The embedded queue for one-process mode: at-least-once within this process's life. */
export class MemoryJobQueue implements JobQueue {
  private readonly pending: string[] = [];
  /** Job ids set aside for an operator, like RabbitMQ's dead-letter queue. */
  readonly deadLetters: string[] = [];
  private handler: DeliveryHandler | null = null;
  private prefetch = 1;
  private readonly inFlight = new Set<Promise<void>>();
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
    while (this.handler && this.inFlight.size < this.prefetch && this.pending.length > 0) {
      const jobId = this.pending.shift()!;
      const delivery: Promise<void> = this.handler({ jobId })
        .then((outcome) => {
          if (outcome === 'dead-letter') this.deadLetters.push(jobId);
        })
        .catch((err) => {
          log.warn('delivery handed back to the embedded queue', { jobId, error: err instanceof Error ? err.message : String(err) });
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.pending.push(jobId);
            this.pump();
          }, REDELIVERY_DELAY_MS);
          this.timers.add(timer);
        })
        .finally(() => {
          this.inFlight.delete(delivery);
          this.pump();
        });
      this.inFlight.add(delivery);
    }
  }

  async stopConsuming(graceMs: number): Promise<void> {
    this.handler = null;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }

  async depth(): Promise<number> {
    return this.pending.length;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.handler = null;
    for (const timer of this.timers) clearTimeout(timer);
  }
}
