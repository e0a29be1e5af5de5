import type { ImageFormat, JobStatus } from '../generated/graphql';
import type { JobSpec } from '../operations/catalogue';
import type { Match } from '../operations/operation';
import type { Placeholder } from '../processing/placeholder';

export type { ImageFormat, JobStatus };

export interface InputInfo {
  filename: string | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  bytes: number;
}

/** One variant's output. */
export interface ResultInfo {
  /** The variant's name. */
  name: string;
  /** Which attempt produced the bytes: the key they are stored under. */
  attempt: number;
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  /** Where locate steps found their templates, best first. */
  matches: Match[];
  placeholder: Placeholder | null;
}

export interface JobFailure {
  code: string;
  message: string;
}

/** The job record: the shared truth in the store. `version` rises with every change. */
export interface JobRecord {
  id: string;
  /** Digest of the API key that created the job; null when keys are off. */
  owner: string | null;
  status: JobStatus;
  progress: number;
  attempts: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  spec: JobSpec;
  input: InputInfo;
  /** One per variant, in the job's order; empty until COMPLETED. */
  results: ResultInfo[];
  error: JobFailure | null;
}

export const FINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
