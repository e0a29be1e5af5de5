import type { JobRecord } from '../jobs/job';
import type { JobPatch } from './types';

/** The record after `patch`, as every store computes it. */
export function applyPatch(record: JobRecord, patch: JobPatch, now: string): JobRecord {
  return {
    ...record,
    status: patch.status,
    progress: patch.progress ?? record.progress,
    attempts: record.attempts + (patch.addAttempt ? 1 : 0),
    results: patch.results ?? record.results,
    error: patch.error === undefined ? record.error : patch.error,
    version: record.version + 1,
    updatedAt: now,
  };
}
