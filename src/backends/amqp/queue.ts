import amqplib, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type RecoveringChannelModel } from 'amqplib';
import { DarkroomError } from '../../errors';
import { errorFields, log } from '../../log';
import type { DeliveryHandler, JobQueue } from '../types';

/** Pause before handing a failed delivery back, so a failing backend cannot make it spin. */
const REQUEUE_DELAY_MS = 1000;

const CONSUMER_RESTART_DELAY_MS = 1000;

/** How long a publish may wait for the broker's confirm before the job is refused. */
const CONFIRM_TIMEOUT_MS = 10_000;

interface Consumer {
  handler: DeliveryHandler;
  prefetch: number;
}

/** A message being handled; `settle` acks, dead-letters or hands it back, once. */
interface InFlight {
  jobId: string;
  done: Promise<void>;
  settle(outcome: 'ack' | 'dead-letter' | 'requeue'): void;
}

/** Name of the queue that holds messages an operator should inspect. */
export function deadLetterQueueName(queue: string): string {
  return `${queue}.dead`;
}

/**
 * RabbitMQ: a durable quorum queue, persistent messages and publisher confirms.
 * amqplib's connection recovery reconnects with backoff; `setup` rebuilds the
 * channels and the consumer after every (re)connect.
 */
export class AmqpJobQueue implements JobQueue {
  private connection!: RecoveringChannelModel;
  private model: ChannelModel | null = null;
  private publisher: ConfirmChannel | null = null;
  private consumer: Consumer | null = null;
  private consumerChannel: { channel: Channel; tag: string } | null = null;
  private readonly inFlight = new Set<InFlight>();
  private readonly returned = new Set<string>();

  private constructor(private readonly queue: string) {}

  /** `name` shows in RabbitMQ's connection list, so an operator can tell processes apart. */
  static async open(url: string, queue: string, name: string): Promise<AmqpJobQueue> {
    const self = new AmqpJobQueue(queue);
    self.connection = await amqplib.connect(url, {
      clientProperties: { connection_name: name },
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        maxRetries: Infinity,
        initialMaxRetries: 5,
        setup: (model: ChannelModel) => self.setup(model),
      },
    });
    self.connection.on('disconnect', (err: Error) => {
      self.model = null;
      self.publisher = null;
      self.consumerChannel = null;
      log.warn('rabbitmq connection lost, reconnecting', { error: err?.message });
    });
    self.connection.on('connect', () => log.info('rabbitmq connected', { queue }));
    self.connection.on('error', (err: Error) => log.warn('rabbitmq connection error', { error: err.message }));
    return self;
  }

  private async setup(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (err) => log.warn('rabbitmq publish channel error', { error: err.message }));
    publisher.on('close', () => {
      if (this.publisher === publisher) this.publisher = null;
    });
    // Unroutable messages come back (mandatory) before their confirm: the job was not taken.
    publisher.on('return', (message: { properties: { messageId?: string } }) => {
      if (message.properties.messageId) this.returned.add(message.properties.messageId);
    });
    await this.assertTopology(publisher);
    this.model = model;
    this.publisher = publisher;
    if (this.consumer) await this.startConsumer(model, this.consumer);
  }

  private async assertTopology(channel: Channel): Promise<void> {
    await channel.assertQueue(deadLetterQueueName(this.queue), { durable: true });
    await channel.assertQueue(this.queue, {
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': deadLetterQueueName(this.queue),
      },
    });
  }

  private async startConsumer(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (err) => log.warn('rabbitmq consume channel error', { error: err.message }));
    // A channel can close without the connection (a consumer timeout, a deleted queue): consume again.
    channel.on('close', () => {
      if (this.consumerChannel?.channel !== channel) return;
      this.consumerChannel = null;
      this.restartConsumer(model);
    });
    await this.assertTopology(channel);
    await channel.prefetch(consumer.prefetch);
    const { consumerTag } = await channel.consume(this.queue, (message) => {
      if (message) {
        this.deliver(channel, message, consumer.handler);
        return;
      }
      log.warn('rabbitmq cancelled the consumer, consuming again', { queue: this.queue });
      this.consumerChannel = null;
      channel.close().catch(() => undefined);
      this.restartConsumer(model);
    });
    this.consumerChannel = { channel, tag: consumerTag };
  }

  private restartConsumer(model: ChannelModel): void {
    setTimeout(() => {
      const consumer = this.consumer;
      // A reconnect runs `setup`, which starts the consumer itself.
      if (!consumer || this.consumerChannel || this.model !== model) return;
      this.startConsumer(model, consumer).catch((err) => {
        log.warn('could not consume again, retrying', { error: err.message });
        this.restartConsumer(model);
      });
    }, CONSUMER_RESTART_DELAY_MS).unref();
  }

  private deliver(channel: Channel, message: ConsumeMessage, handler: DeliveryHandler): void {
    const jobId = message.content.toString('utf8');
    let settled = false;
    const entry: InFlight = {
      jobId,
      done: Promise.resolve(),
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        this.inFlight.delete(entry);
        try {
          if (outcome === 'ack') channel.ack(message);
          else channel.nack(message, false, outcome === 'requeue');
        } catch (err) {
          // The channel closed meanwhile; the broker redelivers the message anyway.
          log.warn('could not settle a delivery, the broker will redeliver it', { jobId, ...errorFields(err) });
        }
      },
    };
    entry.done = handler({ jobId }).then(
      (outcome) => entry.settle(outcome),
      (err) => {
        log.warn('delivery handed back to rabbitmq', { jobId, error: err instanceof Error ? err.message : String(err) });
        return new Promise<void>((resolve) =>
          setTimeout(() => {
            entry.settle('requeue');
            resolve();
          }, REQUEUE_DELAY_MS),
        );
      },
    );
    this.inFlight.add(entry);
  }

  async enqueue(jobId: string): Promise<void> {
    const publisher = this.publisher;
    if (!publisher) throw unavailable('not connected to RabbitMQ');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(unavailable('RabbitMQ did not confirm in time')), CONFIRM_TIMEOUT_MS);
      try {
        publisher.sendToQueue(
          this.queue,
          Buffer.from(jobId, 'utf8'),
          { persistent: true, mandatory: true, messageId: jobId, contentType: 'text/plain' },
          (err) => {
            clearTimeout(timer);
            if (err) reject(unavailable('RabbitMQ refused the job'));
            else if (this.returned.delete(jobId)) reject(unavailable('no queue took the job'));
            else resolve();
          },
        );
      } catch (err) {
        clearTimeout(timer);
        reject(unavailable(err instanceof Error ? err.message : String(err)));
      }
    });
  }

  async consume(handler: DeliveryHandler, prefetch: number): Promise<void> {
    this.consumer = { handler, prefetch };
    if (this.model) await this.startConsumer(this.model, this.consumer);
  }

  async stopConsuming(graceMs: number, handBack: (jobId: string) => Promise<void>): Promise<void> {
    this.consumer = null;
    const current = this.consumerChannel;
    this.consumerChannel = null;
    if (current) await current.channel.cancel(current.tag).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight].map((entry) => entry.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    for (const entry of [...this.inFlight]) {
      log.warn('handing an unfinished job back to rabbitmq at shutdown', { jobId: entry.jobId });
      // Before the message goes back, so no other worker can have started the job yet.
      await handBack(entry.jobId).catch((err) => log.warn('could not mark a handed-back job', { jobId: entry.jobId, ...errorFields(err) }));
      entry.settle('requeue');
    }
    // RabbitMQ may drop acks still in flight when the connection closes right
    // after them, and redeliver those messages; closing the channel waits
    // until the broker has taken every ack and nack sent on it.
    if (current) await current.channel.close().catch(() => undefined);
  }

  /**
   * On a channel of its own, opened for the question: checkQueue closes its
   * channel when the queue is missing, and the publisher's must survive that.
   */
  async depth(): Promise<number> {
    if (!this.model) throw new Error('not connected to RabbitMQ');
    const channel = await this.model.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(this.queue)).messageCount;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  async ping(): Promise<void> {
    if (!this.publisher) throw new Error('not connected to RabbitMQ');
  }

  async close(): Promise<void> {
    this.consumer = null;
    await this.connection.close();
  }
}

function unavailable(detail: string): DarkroomError {
  return new DarkroomError('QUEUE_UNAVAILABLE', `The job queue is not available right now (${detail}); try again shortly.`);
}
