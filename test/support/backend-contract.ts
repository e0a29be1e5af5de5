import type { EventBus, JobQueue, JobStore } from '../../src/backends/types';
import type { JobRecord } from '../../src/jobs/job';
import { validateJobSpec } from '../../src/operations/catalogue';
import { eventually } from './services';

export function sampleRecord(id: string): JobRecord {
  const now = new Date().toISOString();
  return {
    id,
    owner: 'a1b2c3',
    status: 'QUEUED',
    progress: 0,
    attempts: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
    spec: validateJobSpec({ operations: [{ resize: { width: 10 } }, { flip: true }], output: { format: 'PNG' } }),
    input: { filename: 'a.png', format: 'PNG', width: 20, height: 10, bytes: 3 },
    results: [],
    error: null,
  };
}

let counter = 0;
const nextId = () => `job-${Date.now()}-${counter++}`;

/** The behaviour every JobStore must have, in memory and in Redis alike. */
export function storeContract(getStore: () => JobStore): void {
  test('keeps a record, its input bytes, its extra files and results per attempt and variant', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    const input = Buffer.from([0, 1, 2, 255, 0]);
    const files = [Buffer.from([7, 0, 7]), Buffer.from('overlay')];
    await store.create(record, input, files);
    expect(await store.get(record.id)).toEqual(record);
    expect(await store.getInput(record.id)).toEqual(input);
    expect(await store.getFiles(record.id, 2)).toEqual(files);
    expect(await store.getFiles(record.id, 0)).toEqual([]);
    expect(await store.getResult(record.id, 1, 0)).toBeNull();
    const result = Buffer.from([9, 0, 8, 255]);
    await store.putResults(record.id, 1, [result, Buffer.from('second variant')]);
    await store.putResults(record.id, 2, [Buffer.from('second attempt')]);
    expect(await store.getResult(record.id, 1, 0)).toEqual(result);
    expect(await store.getResult(record.id, 1, 1)).toEqual(Buffer.from('second variant'));
    expect(await store.getResult(record.id, 2, 0)).toEqual(Buffer.from('second attempt'));
    expect(await store.getResult(record.id, 2, 1)).toBeNull();
  });

  test('a job without extra files has none to give, and an unknown job neither', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    await store.create(record, Buffer.from('x'));
    expect(await store.getFiles(record.id, 0)).toEqual([]);
    expect(await store.getFiles(record.id, 1)).toBeNull();
    expect(await store.getFiles('nope', 1)).toBeNull();
  });

  test('unknown jobs read as null', async () => {
    const store = getStore();
    expect(await store.get('nope')).toBeNull();
    expect(await store.getInput('nope')).toBeNull();
    expect(await store.transition('nope', ['QUEUED'], { status: 'ACTIVE' })).toBeNull();
  });

  test('a transition applies only from the allowed statuses and bumps the version', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    await store.create(record, Buffer.from('x'));
    const started = await store.transition(record.id, ['QUEUED'], { status: 'ACTIVE', addAttempt: true, progress: 0 });
    expect(started).toMatchObject({ applied: true, record: { status: 'ACTIVE', attempts: 1, version: 2, progress: 0 } });
    const refused = await store.transition(record.id, ['QUEUED'], { status: 'FAILED', error: { code: 'X', message: 'y' } });
    expect(refused).toMatchObject({ applied: false, record: { status: 'ACTIVE', version: 2, error: null } });
    const results = [{ name: 'default', attempt: 1, format: 'PNG' as const, contentType: 'image/png', width: 10, height: 5, bytes: 99, matches: [], placeholder: null }];
    const done = await store.transition(record.id, ['ACTIVE'], { status: 'COMPLETED', progress: 100, results });
    expect(done?.record).toMatchObject({ status: 'COMPLETED', progress: 100, results, version: 3, attempts: 1 });
    expect(await store.get(record.id)).toEqual(done?.record);
    expect(done!.record.spec).toEqual(record.spec);
  });

  test('concurrent transitions from the same status: exactly one wins', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    await store.create(record, Buffer.from('x'));
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => store.transition(record.id, ['QUEUED'], { status: 'ACTIVE', addAttempt: true })),
    );
    expect(outcomes.filter((o) => o?.applied)).toHaveLength(1);
    expect((await store.get(record.id))?.attempts).toBe(1);
  });

  test('confirm keeps a pending job as it is, and says false for an unknown one', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    await store.create(record, Buffer.from('pending'));
    expect(await store.confirm(record.id)).toBe(true);
    expect(await store.get(record.id)).toEqual(record);
    expect(await store.getInput(record.id)).toEqual(Buffer.from('pending'));
    expect(await store.confirm('nope')).toBe(false);
  });

  test('remove forgets record and input', async () => {
    const store = getStore();
    const record = sampleRecord(nextId());
    await store.create(record, Buffer.from('x'));
    await store.remove(record.id);
    expect(await store.get(record.id)).toBeNull();
    expect(await store.getInput(record.id)).toBeNull();
  });
}

export function busContract(getBus: () => EventBus): void {
  test('delivers a published record to every listener of that job only', async () => {
    const bus = getBus();
    const a: JobRecord[] = [];
    const b: JobRecord[] = [];
    const other: JobRecord[] = [];
    const record = sampleRecord(nextId());
    const into = (list: JobRecord[]) => ({ record: (r: JobRecord) => list.push(r), resync: () => undefined });
    const stopA = await bus.subscribe(record.id, into(a));
    const stopB = await bus.subscribe(record.id, into(b));
    const stopOther = await bus.subscribe('someone-else', into(other));
    await bus.publish({ ...record, progress: 40, version: 5 });
    await eventually('both listeners', async () => a.length === 1 && b.length === 1);
    expect(a[0]).toEqual({ ...record, progress: 40, version: 5 });
    await stopA();
    await bus.publish({ ...record, version: 6 });
    await eventually('listener b', async () => b.length === 2);
    expect(a).toHaveLength(1);
    expect(other).toHaveLength(0);
    await stopB();
    await stopOther();
  });
}

export function queueContract(getQueue: () => JobQueue): void {
  test('delivers enqueued ids, redelivers a rejected one, respects prefetch', async () => {
    const queue = getQueue();
    const seen: string[] = [];
    let active = 0;
    let maxActive = 0;
    let rejectedOnce = false;
    await queue.consume(async ({ jobId }) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((resolve) => setTimeout(resolve, 30));
      active--;
      if (jobId === 'job-2' && !rejectedOnce) {
        rejectedOnce = true;
        throw new Error('hand it back');
      }
      seen.push(jobId);
      return 'ack';
    }, 2);
    for (const id of ['job-1', 'job-2', 'job-3', 'job-4', 'job-5']) await queue.enqueue(id);
    await eventually('all five jobs', async () => seen.length === 5);
    expect([...seen].sort()).toEqual(['job-1', 'job-2', 'job-3', 'job-4', 'job-5']);
    expect(rejectedOnce).toBe(true);
    expect(maxActive).toBe(2);
  });
}
