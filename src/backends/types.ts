import type { JobFailure, JobRecord, JobStatus, ResultInfo } from '../jobs/job';

/** What a transition changes; the store adds version and updatedAt itself. */
export interface JobPatch {
  status: JobStatus;
  progress?: number;
  addAttempt?: boolean;
  results?: ResultInfo[];
  error?: JobFailure | null;
}

export interface TransitionOutcome {
  /** False when the job was not in one of the allowed statuses; `record` is then unchanged. */
  applied: boolean;
  record: JobRecord;
}

/** How long the store keeps things, in seconds. */
export interface Retention {
  /**
   * A new record and its input, until `confirm` says the queue took the job:
   * long enough for the hand-off, short enough that a web process dying
   * before the confirm leaves no QUEUED job behind for long.
   */
  pendingSeconds: number;
  /** Job records, and inputs and results while the job is young. */
  recordSeconds: number;
  /** Input bytes once their job has ended: nobody needs them any more. */
  finishedInputSeconds: number;
}

/** Job records, uploaded input and results: the state every process shares. */
export interface JobStore {
  /**
   * Write a new job, pending: it expires after `pendingSeconds` unless `confirm` follows.
   * `files` are the extra uploads its operations refer to (overlays, templates), kept with the input.
   */
  create(record: JobRecord, input: Buffer, files?: readonly Buffer[]): Promise<void>;
  /**
   * The queue has taken the job: keep its record and input for the full
   * retention (an input whose job already ended keeps its shorter time).
   * False when the job expired first.
   */
  confirm(id: string): Promise<boolean>;
  get(id: string): Promise<JobRecord | null>;
  /**
   * Atomically apply `patch` if the job's status is one of `from`; null when the
   * job is unknown. Entering a final status shortens the input's time to live.
   */
  transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<TransitionOutcome | null>;
  /** Forget a job whose hand-off to the queue failed (it has no results yet). */
  remove(id: string): Promise<void>;
  getInput(id: string): Promise<Buffer | null>;
  /** The extra files, in order; null when any has expired. */
  getFiles(id: string, count: number): Promise<Buffer[] | null>;
  /**
   * One result per variant, kept per attempt, so a retry can never mix its
   * bytes with another's; all are written before the job can read COMPLETED.
   */
  putResults(id: string, attempt: number, data: readonly Buffer[]): Promise<void>;
  getResult(id: string, attempt: number, variant: number): Promise<Buffer | null>;
  /** Rejects when the backend cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface JobListener {
  /** A change of the job, as published. */
  record(record: JobRecord): void;
  /** The bus lost its connection and has it back: changes may have been missed, read the store again. */
  resync(): void;
}

/** Carries each job change from the process that made it to every subscriber. */
export interface EventBus {
  publish(record: JobRecord): Promise<void>;
  /** Resolves once listening has begun; the returned function stops it. */
  subscribe(jobId: string, listener: JobListener): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface Delivery {
  jobId: string;
}

/**
 * Resolve 'ack' when the job is settled, 'dead-letter' to set the message aside
 * for an operator; reject to hand it back to the queue for another try.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<'ack' | 'dead-letter'>;

/** Hands job ids from web processes to workers, at least once. */
export interface JobQueue {
  /** Resolves only once the broker has taken responsibility for the message. */
  enqueue(jobId: string): Promise<void>;
  /** Start delivering to `handler`, at most `prefetch` unacknowledged at a time. */
  consume(handler: DeliveryHandler, prefetch: number): Promise<void>;
  /**
   * Stop taking deliveries and wait up to `graceMs` for those in hand; any still
   * running then are handed back to the queue for another worker, each after
   * `handBack(jobId)` (the in-memory queue has no other worker to hand to).
   */
  stopConsuming(graceMs: number, handBack: (jobId: string) => Promise<void>): Promise<void>;
  /** Jobs waiting for a worker, not counting those being processed. Rejects when the broker cannot be asked. */
  depth(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Budgets shared by the web processes, so a client cannot multiply its share by spreading requests. */
export interface RateLimiter {
  /** Count one use by `client`: 0 when allowed, else the milliseconds to wait before trying again. */
  take(client: string): Promise<number>;
}

export interface Backends {
  store: JobStore;
  bus: EventBus;
  queue: JobQueue;
  rateLimiter: RateLimiter;
  /** For the start-up log: which implementation each one is. */
  description: { store: string; bus: string; queue: string };
  close(): Promise<void>;
}
