import type { ImageFormat, JobStatus } from '../generated/graphql';
import type { JobSpec } from '../operations/catalogue';

export type { ImageFormat, JobStatus };

export interface InputInfo {
  filename: string | null;
  format: ImageFormat | null;
  width: number | null;
  height: number | null;
  bytes: number;
}

export interface ResultInfo {
  /** Which attempt produced the bytes: the key they are stored under. */
  attempt: number;
  format: ImageFormat;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
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
  result: ResultInfo | null;
  error: JobFailure | null;
}

export const FINAL_STATUSES: readonly JobStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export function isFinal(status: JobStatus): boolean {
  return FINAL_STATUSES.includes(status);
}
