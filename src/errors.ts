import { errorFields, log } from './log';

/**
 * Every refusal Darkroom makes carries one of these stable codes; clients branch
 * on the code, people read the message.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'INVALID_IMAGE'
  | 'UNSUPPORTED_FORMAT'
  | 'LIMIT_EXCEEDED'
  /** Even the lowest quality of a lossy format is over the output's maxBytes. */
  | 'OUTPUT_TOO_LARGE'
  | 'PAYLOAD_TOO_LARGE'
  | 'PROCESSING_FAILED'
  | 'INPUT_EXPIRED'
  | 'TIMEOUT'
  | 'WORKER_CRASHED'
  | 'NOT_FOUND'
  | 'QUEUE_UNAVAILABLE'
  | 'BACKEND_UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'UNAUTHENTICATED'
  | 'INTERNAL';

export class DarkroomError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
    /** More for machines, sent as GraphQL extensions (e.g. retryAfterSeconds). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DarkroomError';
  }
}

export function badInput(field: string, message: string): DarkroomError {
  return new DarkroomError('BAD_USER_INPUT', `${field}: ${message}`, field);
}

/** Redis could not be read or written for a request; the request itself was fine. */
export function storageUnavailable(): DarkroomError {
  return new DarkroomError('BACKEND_UNAVAILABLE', 'Job storage cannot take requests right now; try again shortly.');
}

/**
 * Backend work done for a client's request: our own refusals pass as they are,
 * any other failure is the backend's (an outage, a dropped connection) and
 * reaches the client as BACKEND_UNAVAILABLE, which it can retry.
 */
export async function forRequest<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DarkroomError) throw err;
    log.warn('a backend failed during a request', errorFields(err));
    throw storageUnavailable();
  }
}
