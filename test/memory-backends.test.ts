import { MemoryEventBus } from '../src/backends/memory/bus';
import { MemoryJobQueue } from '../src/backends/memory/queue';
import { MemoryJobStore } from '../src/backends/memory/store';
import { busContract, queueContract, sampleRecord, storeContract } from './support/backend-contract';

describe('embedded in-memory backends', () => {
  describe('MemoryJobStore', () => {
    storeContract(() => new MemoryJobStore({ pendingSeconds: 60, recordSeconds: 3600, finishedInputSeconds: 60 }));

    test('entries expire after the TTL', async () => {
      const store = new MemoryJobStore({ pendingSeconds: 0.05, recordSeconds: 0.05, finishedInputSeconds: 0.05 });
      await store.create(sampleRecord('short'), Buffer.from('x'));
      expect(await store.confirm('short')).toBe(true);
      expect(await store.get('short')).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await store.get('short')).toBeNull();
      expect(await store.getInput('short')).toBeNull();
    });

    test('a job never confirmed expires after pendingSeconds; a confirmed one is kept', async () => {
      const store = new MemoryJobStore({ pendingSeconds: 0.05, recordSeconds: 3600, finishedInputSeconds: 60 });
      await store.create(sampleRecord('kept'), Buffer.from('x'));
      await store.create(sampleRecord('abandoned'), Buffer.from('y'));
      expect(await store.confirm('kept')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await store.get('kept')).toMatchObject({ id: 'kept', status: 'QUEUED' });
      expect(await store.getInput('kept')).toEqual(Buffer.from('x'));
      expect(await store.get('abandoned')).toBeNull();
      expect(await store.getInput('abandoned')).toBeNull();
      expect(await store.confirm('abandoned')).toBe(false);
    });

    test('returns copies, so callers cannot change the stored record', async () => {
      const store = new MemoryJobStore({ pendingSeconds: 60, recordSeconds: 3600, finishedInputSeconds: 60 });
      await store.create(sampleRecord('copy'), Buffer.from('x'));
      const read = await store.get('copy');
      read!.status = 'FAILED';
      expect((await store.get('copy'))?.status).toBe('QUEUED');
    });
  });

  describe('MemoryEventBus', () => {
    busContract(() => new MemoryEventBus());
  });

  describe('MemoryJobQueue', () => {
    let queue: MemoryJobQueue;
    afterEach(() => queue.close());
    queueContract(() => (queue = new MemoryJobQueue()));
  });
});
