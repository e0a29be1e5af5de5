import { isFinal, type JobRecord, type JobStatus } from '../../jobs/job';
import type { JobPatch, JobStore, Retention, TransitionOutcome } from '../types';
import { applyPatch } from '../patch';

const SWEEP_INTERVAL_MS = 60_000;

interface Entry<T> {
  value: T;
  expiresAt: number;
}

/** The embedded store for one-process mode: the same contract as Redis, kept in this process. */
export class MemoryJobStore implements JobStore {
  private readonly records = new Map<string, Entry<JobRecord>>();
  private readonly inputs = new Map<string, Entry<{ input: Buffer; files: readonly Buffer[] }>>();
  private readonly results = new Map<string, Entry<Buffer>>();
  private lastSweep = Date.now();

  constructor(private readonly retention: Retention) {}

  private live<T>(map: Map<string, Entry<T>>, id: string): T | null {
    const entry = map.get(id);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      map.delete(id);
      return null;
    }
    return entry.value;
  }

  private entry<T>(value: T, seconds = this.retention.recordSeconds): Entry<T> {
    return { value, expiresAt: Date.now() + seconds * 1000 };
  }

  /** Expired entries are dropped when read; this drops the ones nobody reads again. */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const map of [this.records, this.inputs, this.results] as Map<string, Entry<unknown>>[]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  }

  async create(record: JobRecord, input: Buffer, files: readonly Buffer[] = []): Promise<void> {
    this.sweep();
    this.records.set(record.id, this.entry(structuredClone(record), this.retention.pendingSeconds));
    this.inputs.set(record.id, this.entry({ input, files }, this.retention.pendingSeconds));
  }

  async confirm(id: string): Promise<boolean> {
    const record = this.live(this.records, id);
    if (!record) return false;
    this.records.set(id, this.entry(record));
    const input = this.live(this.inputs, id);
    // An input whose job already ended keeps its shorter time.
    if (input && !isFinal(record.status)) this.inputs.set(id, this.entry(input));
    return true;
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
    const input = this.inputs.get(id);
    if (input && isFinal(next.status)) this.inputs.set(id, this.entry(input.value, this.retention.finishedInputSeconds));
    return { applied: true, record: structuredClone(next) };
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
    this.inputs.delete(id);
  }

  async getInput(id: string): Promise<Buffer | null> {
    return this.live(this.inputs, id)?.input ?? null;
  }

  async getFiles(id: string, count: number): Promise<Buffer[] | null> {
    const files = this.live(this.inputs, id)?.files;
    return files && files.length >= count ? files.slice(0, count) : null;
  }

  async putResults(id: string, attempt: number, data: readonly Buffer[]): Promise<void> {
    data.forEach((bytes, variant) => this.results.set(`${id}:${attempt}:${variant}`, this.entry(bytes)));
  }

  async getResult(id: string, attempt: number, variant: number): Promise<Buffer | null> {
    return this.live(this.results, `${id}:${attempt}:${variant}`);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}
}
