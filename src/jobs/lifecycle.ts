import type { Backends } from '../backends/types';
import { jobFinished } from '../metrics';
import { isFinal, type JobFailure, type JobRecord, type JobStatus, type ResultInfo } from './job';

/**
 * Every status change a job can make, in one table. A transition applies only
 * from the listed statuses, atomically in the store, and is then published.
 */
const TRANSITIONS = {
  start: { from: ['QUEUED', 'ACTIVE'], to: 'ACTIVE' },
  progress: { from: ['ACTIVE'], to: 'ACTIVE' },
  complete: { from: ['ACTIVE'], to: 'COMPLETED' },
  fail: { from: ['QUEUED', 'ACTIVE'], to: 'FAILED' },
  cancel: { from: ['QUEUED', 'ACTIVE'], to: 'CANCELLED' },
  requeue: { from: ['ACTIVE'], to: 'QUEUED' },
} as const satisfies Record<string, { from: readonly JobStatus[]; to: JobStatus }>;

export interface Transition {
  /** False when the job was already past the allowed statuses (another process moved it). */
  applied: boolean;
  record: JobRecord;
}

export class JobLifecycle {
  constructor(private readonly backends: Pick<Backends, 'store' | 'bus'>) {}

  private async move(
    id: string,
    name: keyof typeof TRANSITIONS,
    patch: { progress?: number; addAttempt?: boolean; results?: ResultInfo[]; error?: JobFailure | null },
  ): Promise<Transition | null> {
    const { from, to } = TRANSITIONS[name];
    const outcome = await this.backends.store.transition(id, from, { status: to, ...patch });
    if (!outcome?.applied) return outcome;
    // Counted here, where exactly one process wins each final transition.
    if (isFinal(outcome.record.status)) jobFinished(outcome.record);
    await this.backends.bus.publish(outcome.record);
    return outcome;
  }

  /** A worker took the job: one more attempt, progress from zero. */
  start(id: string): Promise<Transition | null> {
    return this.move(id, 'start', { addAttempt: true, progress: 0, error: null });
  }

  progress(id: string, progress: number): Promise<Transition | null> {
    return this.move(id, 'progress', { progress });
  }

  complete(id: string, results: ResultInfo[]): Promise<Transition | null> {
    return this.move(id, 'complete', { progress: 100, results });
  }

  fail(id: string, error: JobFailure): Promise<Transition | null> {
    return this.move(id, 'fail', { error });
  }

  /** A stopping worker handed the job back to the queue unfinished. */
  requeue(id: string): Promise<Transition | null> {
    return this.move(id, 'requeue', { progress: 0 });
  }

  /** A finished job stays as it is (`applied` false); an ACTIVE one stops at its worker's next step. */
  cancel(id: string): Promise<Transition | null> {
    return this.move(id, 'cancel', { error: null });
  }
}
