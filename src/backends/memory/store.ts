import type { JobRecord, JobStatus } from '../../jobs/job';
import type { JobPatch, JobStore, TransitionOutcome } from '../types';
import { applyPatch } from '../patch';

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** The embedded store for one-process mode: the same contract as Redis, kept in this process. */
export class MemoryJobStore implements JobStore {
  private readonly records = new Map<string, Entry<JobRecord>>();
  private readonly inputs = new Map<string, Entry<Buffer>>();
  private readonly results = new Map<string, Entry<Buffer>>();

  constructor(private readonly ttlSeconds: number) {}

  private live<T>(map: Map<string, Entry<T>>, id: string): T | null {
    const entry = map.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      map.delete(id);
      return null;
    }
    return entry.value;
  }

  private entry<T>(value: T): Entry<T> {
    return { value, expiresAt: Date.now() + this.ttlSeconds * 1000 };
  }

  async create(record: JobRecord, input: Buffer): Promise<void> {
    this.records.set(record.id, this.entry(structuredClone(record)));
    this.inputs.set(record.id, this.entry(input));
  }

  async get(id: string): Promise<JobRecord | null> {
    const record = this.live(this.records, id);
    return record && structuredClone(record);
  }

  async transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<TransitionOutcome | null> {
    const record = this.live(this.records, id);
    if (!record) return null;
    if (!from.includes(record.status)) return { applied: false, record: structuredClone(record) };
    const next = applyPatch(record, patch, new Date().toISOString());
    this.records.get(id)!.value = next;
    return { applied: true, record: structuredClone(next) };
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
    this.inputs.delete(id);
    this.results.delete(id);
  }

  async getInput(id: string): Promise<Buffer | null> {
    return this.live(this.inputs, id);
  }

  async putResult(id: string, data: Buffer): Promise<void> {
    this.results.set(id, this.entry(data));
  }

  async getResult(id: string): Promise<Buffer | null> {
    return this.live(this.results, id);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
