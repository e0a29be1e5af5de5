import type { Redis } from 'ioredis';
import type { JobRecord } from '../../jobs/job';
import { errorFields, log } from '../../log';
import type { EventBus, JobListener } from '../types';
import type { RedisKeys } from './keys';

/** One job's channel in this process: its listeners and the single SUBSCRIBE they all wait for. */
interface Channel {
  listeners: Set<JobListener>;
  subscribed: Promise<unknown>;
}

/**
 * Redis pub/sub, one channel per job. A process holds one subscriber
 * connection and sends one SUBSCRIBE per channel however many clients watch
 * it; every listener waits for that one. Each message is parsed once and the
 * same record is handed to every listener.
 * ioredis resubscribes after a reconnect; listeners are then told to resync,
 * since whatever was published during the outage is gone.
 */
export class RedisEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();

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
        log.info('redis subscriber reconnected, resyncing watchers', { channels: this.channels.size });
        for (const channel of this.channels.values()) for (const listener of channel.listeners) listener.resync();
      },
      (err) => log.warn('could not resync watchers after a reconnect', errorFields(err)),
    );
  }

  private dispatch(name: string, message: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    let record: JobRecord;
    try {
      record = JSON.parse(message);
    } catch (err) {
      log.warn('ignored an unreadable job event', { channel: name, ...errorFields(err) });
      return;
    }
    for (const listener of channel.listeners) listener.record(record);
  }

  async publish(record: JobRecord): Promise<void> {
    await this.publisher.publish(this.keys.events(record.id), JSON.stringify(record));
  }

  async subscribe(jobId: string, listener: JobListener): Promise<() => Promise<void>> {
    const name = this.keys.events(jobId);
    let channel = this.channels.get(name);
    if (!channel) {
      const created: Channel = { listeners: new Set(), subscribed: this.subscriber.subscribe(name) };
      // A failed SUBSCRIBE is forgotten, so the next listener sends its own.
      created.subscribed.catch(() => {
        if (this.channels.get(name) === created) this.channels.delete(name);
      });
      this.channels.set(name, created);
      channel = created;
    }
    const joined = channel;
    joined.listeners.add(listener);
    const stop = async () => {
      if (!joined.listeners.delete(listener) || joined.listeners.size > 0 || this.channels.get(name) !== joined) return;
      this.channels.delete(name);
      await this.subscriber.unsubscribe(name);
    };
    try {
      await joined.subscribed;
    } catch (err) {
      joined.listeners.delete(listener);
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
