import { Redis } from 'ioredis';
import { connected, DarkroomClient, openSubscriptions, watch } from './client';
import type { Options } from './options';
import { rssMiB } from './procstat';
import { REDIS_URL } from './services';
import { runPool, summarise, type Summary } from './stats';
import { corpusFile, FANOUT_JOB, WORKLOADS } from './workloads';

/** One kind of event of the watched job (ACTIVE, a progress step, COMPLETED) over all rounds. */
export interface FanoutEvent {
  label: string;
  latency: Summary;
  /** Worker's transition (`updatedAt`) to the message reaching a plain Redis subscriber (the bench's own). */
  toRedis: Summary;
  /** First to last of the subscribers receiving that event, per round. */
  spread: Summary;
}

export interface FanoutResult {
  subscribers: number;
  rounds: number;
  connectMs: number;
  /** Connections opened at once while connecting. */
  connectConcurrency: number;
  latency: Summary;
  events: FanoutEvent[];
  inTime: number;
  watched: number;
  webRss: number | null;
}

/** Connections opened at a time: a burst of 1,000 handshakes would only measure the accept queue. */
const CONNECT_CONCURRENCY = 50;

interface Published {
  status: string;
  progress: number;
}

const labelOf = (e: Published) => (e.status === 'ACTIVE' && e.progress > 0 ? `progress ${e.progress}%` : e.status);

/**
 * `options.subscribers` graphql-ws connections to one web process all watch
 * the same job; each event's delay is measured from the worker's transition
 * (`updatedAt`) to each client receiving it. The bench also listens on the
 * job's Redis channel itself, which splits that delay into the trip to Redis
 * and the web process's fan-out.
 */
export async function runFanout(client: DarkroomClient, baseUrl: string, prefix: string, webPid: number, options: Options): Promise<FanoutResult> {
  const subscribers: Array<ReturnType<typeof openSubscriptions>> = [];
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  try {
    const t0 = performance.now();
    await runPool(options.subscribers, CONNECT_CONCURRENCY, async () => {
      const s = openSubscriptions(baseUrl);
      subscribers.push(s);
      await connected(s);
    });
    const connectMs = performance.now() - t0;
    await redis.connect();
    const arrivals = new Map<string, number>();
    redis.on('message', (channel: string, message: string) => {
      const event = JSON.parse(message) as Published;
      arrivals.set(`${channel}|${labelOf(event)}`, Date.now());
    });

    const blocker = WORKLOADS.png;
    const blockerUpload = DarkroomClient.upload(blocker.file, corpusFile(blocker.file), blocker.input);
    const targetUpload = DarkroomClient.upload(FANOUT_JOB.file, corpusFile(FANOUT_JOB.file), FANOUT_JOB.input);
    // Enough slow jobs ahead of the watched one that every subscriber is listening before it starts.
    const blockers = 2 * (options.prefetch ?? 2) * options.workers + 4 + Math.ceil(options.subscribers / 100);
    const all: number[] = [];
    const byLabel = new Map<string, { latency: number[]; toRedis: number[]; spread: number[] }>();
    let inTime = 0;
    let watched = 0;
    for (let round = 0; round < options.subscriberRounds; round++) {
      const ahead = await Promise.all(Array.from({ length: blockers }, () => client.create(blockerUpload)));
      const target = await client.create(targetUpload);
      const channel = `${prefix}events:${target}`;
      await redis.subscribe(channel);
      const received = new Map<string, { updatedAt: number; at: number[] }>();
      await Promise.all(
        subscribers.map((s) => {
          let first = true;
          watched++;
          return watch(s, target, (event, receivedAt) => {
            if (first) {
              first = false;
              if (event.status === 'QUEUED') inTime++;
              return;
            }
            const label = labelOf(event);
            const entry = received.get(label) ?? { updatedAt: Date.parse(event.updatedAt), at: [] };
            received.set(label, entry);
            entry.at.push(receivedAt);
            all.push(receivedAt - entry.updatedAt);
          });
        }),
      );
      await redis.unsubscribe(channel);
      for (const [label, { updatedAt, at }] of received) {
        const slot = byLabel.get(label) ?? { latency: [], toRedis: [], spread: [] };
        byLabel.set(label, slot);
        slot.latency.push(...at.map((t) => t - updatedAt));
        slot.spread.push(Math.max(...at) - Math.min(...at));
        const arrived = arrivals.get(`${channel}|${label}`);
        if (arrived !== undefined) slot.toRedis.push(arrived - updatedAt);
      }
      await Promise.all(ahead.map((id) => client.completion(id)));
    }
    return {
      subscribers: options.subscribers,
      rounds: options.subscriberRounds,
      connectMs,
      connectConcurrency: CONNECT_CONCURRENCY,
      latency: summarise(all),
      events: [...byLabel].map(([label, s]) => ({ label, latency: summarise(s.latency), toRedis: summarise(s.toRedis), spread: summarise(s.spread) })),
      inTime,
      watched,
      webRss: rssMiB(webPid),
    };
  } finally {
    redis.disconnect();
    await Promise.all(subscribers.map((s) => s.dispose()));
  }
}
