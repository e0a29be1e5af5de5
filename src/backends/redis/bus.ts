import type { Redis } from 'ioredis';
import type { JobRecord } from '../../jobs/job';
import { errorFields, log } from '../../log';
import type { EventBus, JobListener } from '../types';
import type { RedisKeys } from './keys';

/**
 * Redis pub/sub, one channel per job. A process holds one subscriber
 * connection and subscribes to a channel once however many clients watch it.
 * ioredis resubscribes after a reconnect; listeners are then told to resync,
 * since whatever was published during the outage is gone.
 */
export class RedisEventBus implements EventBus {
  private readonly listeners = new Map<string, Set<JobListener>>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly keys: RedisKeys,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    let connectedBefore = subscriber.status === 'ready';
    subscriber.on('ready', () => {
      if (connectedBefore) this.resyncAll();
      connectedBefore = true;
    });
  }

  private resyncAll(): void {
    // The PING answers after ioredis' resubscriptions, so nothing can slip between them and the resync.
    this.subscriber.ping().then(
      () => {
        log.info('redis subscriber reconnected, resyncing watchers', { channels: this.listeners.size });
        for (const listeners of this.listeners.values()) for (const listener of listeners) listener.resync();
      },
      (err) => log.warn('could not resync watchers after a reconnect', errorFields(err)),
    );
  }

  private dispatch(channel: string, message: string): void {
    const listeners = this.listeners.get(channel);
    if (!listeners) return;
    let record: JobRecord;
    try {
      record = JSON.parse(message);
    } catch (err) {
      log.warn('ignored an unreadable job event', { channel, ...errorFields(err) });
      return;
    }
    for (const listener of listeners) listener.record(record);
  }

  async publish(record: JobRecord): Promise<void> {
    await this.publisher.publish(this.keys.events(record.id), JSON.stringify(record));
  }

  async subscribe(jobId: string, listener: JobListener): Promise<() => Promise<void>> {
    const channel = this.keys.events(jobId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    set.add(listener);
    const stop = async () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        await this.subscriber.unsubscribe(channel);
      }
    };
    // Await even when another listener subscribed first: its SUBSCRIBE may still be in flight.
    try {
      await this.subscriber.subscribe(channel);
    } catch (err) {
      await stop().catch(() => undefined);
      throw err;
    }
    return stop;
  }

  async ping(): Promise<void> {
    await this.publisher.ping();
    if (this.subscriber.status !== 'ready') throw new Error(`redis subscriber is ${this.subscriber.status}`);
  }

  async close(): Promise<void> {
    await this.subscriber.quit();
  }
}
