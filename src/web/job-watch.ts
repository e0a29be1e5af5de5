import type { Backends } from '../backends/types';
import { isFinal, type JobRecord } from '../jobs/job';
import { errorFields, log } from '../log';

/**
 * The stream behind the jobUpdated subscription. It listens first, then reads
 * the record, so no change can fall between the snapshot and the events; it
 * yields only newer versions and ends after a final state. After the bus
 * reconnects it reads the record again, so a change made during the outage
 * still reaches the client.
 */
class JobWatch implements AsyncIterableIterator<JobRecord> {
  private early: JobRecord[] = [];
  private readonly queue: JobRecord[] = [];
  private version = -1;
  private started = false;
  private finished = false;
  private waiter: ((result: IteratorResult<JobRecord>) => void) | null = null;
  private stop: () => Promise<void> = async () => {};

  offer(record: JobRecord): void {
    if (!this.started) {
      this.early.push(record);
      return;
    }
    if (this.finished || record.version <= this.version) return;
    this.version = record.version;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: record, done: false });
    } else {
      this.queue.push(record);
    }
  }

  begin(snapshot: JobRecord, stop: () => Promise<void>): void {
    this.stop = stop;
    this.started = true;
    this.offer(snapshot);
    for (const record of this.early.sort((a, b) => a.version - b.version)) this.offer(record);
    this.early = [];
  }

  async next(): Promise<IteratorResult<JobRecord>> {
    if (this.finished) return this.end();
    const record = this.queue.shift();
    if (record) {
      if (isFinal(record.status)) this.finished = true;
      return { value: record, done: false };
    }
    return new Promise((resolve) => {
      this.waiter = (result) => {
        if (!result.done && isFinal(result.value.status)) this.finished = true;
        resolve(result);
      };
    });
  }

  async return(): Promise<IteratorResult<JobRecord>> {
    return this.end();
  }

  private async end(): Promise<IteratorResult<JobRecord>> {
    this.finished = true;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ value: undefined, done: true });
    await this.stop();
    this.stop = async () => {};
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Null when the job is unknown, expired, or not `visible` to the caller. */
export async function watchJob(
  backends: Pick<Backends, 'store' | 'bus'>,
  id: string,
  visible: (record: JobRecord) => boolean,
): Promise<AsyncIterableIterator<JobRecord> | null> {
  const watch = new JobWatch();
  const unsubscribe = await backends.bus.subscribe(id, {
    record: (record) => watch.offer(record),
    resync: () => {
      backends.store.get(id).then(
        (record) => record && watch.offer(record),
        (err) => log.warn('could not resync a job watcher', { jobId: id, ...errorFields(err) }),
      );
    },
  });
  let snapshot: JobRecord | null;
  try {
    snapshot = await backends.store.get(id);
  } catch (err) {
    await unsubscribe();
    throw err;
  }
  if (!snapshot || !visible(snapshot)) {
    await unsubscribe();
    return null;
  }
  watch.begin(snapshot, unsubscribe);
  return watch;
}
