import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { FINAL_STATUSES, isFinal, type JobRecord, type JobStatus } from '../../jobs/job';
import type { JobPatch, JobStore, Retention, TransitionOutcome } from '../types';
import { fromHash, json, pairsToHash, toHash } from './job-hash';
import type { RedisKeys } from './keys';

/**
 * Compare-and-set on the job hash: the change applies only when the current
 * status is one of the allowed ones, so two processes can never both move a job.
 * Entering a final status shortens the input's TTL in the same step.
 * Each call carries a token of its own, kept in the record as `transition`: when
 * a connection drops after Redis ran the script but before its reply arrived,
 * ioredis sends the very same call again, and that second run reports the
 * first one's success instead of failing the compare (or counting an attempt
 * twice), so the change is still published and the caller acts on it.
 * KEYS[1] job hash, KEYS[2] input bytes, KEYS[3] extra files; ARGV[1] ",STATUS,STATUS,"; ARGV[2] "1"
 * to count an attempt; ARGV[3] the input's new TTL in seconds, "0" to keep it; ARGV[4] the call's
 * token; ARGV[5…] field/value pairs to set.
 */
const TRANSITION_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if redis.call('HGET', KEYS[1], 'transition') == ARGV[4] then
  return {1, redis.call('HGETALL', KEYS[1])}
end
if not string.find(ARGV[1], ',' .. status .. ',', 1, true) then
  return {0, redis.call('HGETALL', KEYS[1])}
end
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'transition', ARGV[4], unpack(ARGV, 5))
if ARGV[3] ~= '0' then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[3], ARGV[3])
end
return {1, redis.call('HGETALL', KEYS[1])}
`;

/**
 * A pending job becomes a kept one: the record gets the full TTL, and so does
 * the input unless the job already ended (a quick worker may finish first).
 * KEYS[1] job hash, KEYS[2] input bytes, KEYS[3] extra files; ARGV[1] ",STATUS,…," of the final
 * statuses; ARGV[2] the TTL in seconds. Returns 0 when the job has expired.
 */
const CONFIRM_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if not string.find(ARGV[1], ',' .. status .. ',', 1, true) then
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[3], ARGV[2])
end
return 1
`;

/** Largest piece of an upload written to Redis in one command. */
const INPUT_SLICE_BYTES = 1024 * 1024;

type TransitionReply = [number, string[]] | null;

interface StoreCommands {
  darkroomTransition(jobKey: string, inputKey: string, filesKey: string, ...args: string[]): Promise<TransitionReply>;
  darkroomConfirm(jobKey: string, inputKey: string, filesKey: string, finalStatuses: string, seconds: string): Promise<number>;
}

const FINAL = `,${FINAL_STATUSES.join(',')},`;

export class RedisJobStore implements JobStore {
  private readonly redis: Redis & StoreCommands;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retention: Retention,
  ) {
    redis.defineCommand('darkroomTransition', { numberOfKeys: 3, lua: TRANSITION_SCRIPT });
    redis.defineCommand('darkroomConfirm', { numberOfKeys: 3, lua: CONFIRM_SCRIPT });
    this.redis = redis as Redis & StoreCommands;
  }

  async create(record: JobRecord, input: Buffer, files: readonly Buffer[] = []): Promise<void> {
    // The input goes first and on its own: a record never exists without it.
    // ioredis copies each command's arguments into one buffer before writing
    // it, so a large upload goes in slices (SET, then SETRANGEs, one at a time):
    // the copy is one slice, not a second whole upload. Each slice names its
    // offset, so one that ioredis sends again after a reconnect (its reply was
    // lost) lands on the same bytes; an APPEND would add it twice.
    const inputKey = this.keys.input(record.id);
    const filesKey = this.keys.files(record.id);
    await this.redis.set(inputKey, input.subarray(0, INPUT_SLICE_BYTES), 'EX', this.retention.pendingSeconds);
    for (let at = INPUT_SLICE_BYTES; at < input.length; at += INPUT_SLICE_BYTES) {
      await this.redis.setrange(inputKey, at, input.subarray(at, at + INPUT_SLICE_BYTES));
    }
    if (files.length > 0) {
      await this.redis
        .multi()
        .hset(filesKey, ...files.flatMap((file, i) => [String(i), file]))
        .expire(filesKey, this.retention.pendingSeconds)
        .exec();
    }
    const key = this.keys.job(record.id);
    await this.redis
      .multi()
      .hset(key, toHash(record))
      .expire(key, this.retention.pendingSeconds)
      .expire(inputKey, this.retention.pendingSeconds)
      .expire(filesKey, this.retention.pendingSeconds)
      .exec();
  }

  async confirm(id: string): Promise<boolean> {
    const kept = await this.redis.darkroomConfirm(
      this.keys.job(id),
      this.keys.input(id),
      this.keys.files(id),
      FINAL,
      String(this.retention.recordSeconds),
    );
    return kept === 1;
  }

  async get(id: string): Promise<JobRecord | null> {
    const hash = await this.redis.hgetall(this.keys.job(id));
    return hash.status ? fromHash(hash) : null;
  }

  async transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<TransitionOutcome | null> {
    const fields: string[] = ['status', patch.status, 'updatedAt', new Date().toISOString()];
    if (patch.progress !== undefined) fields.push('progress', String(patch.progress));
    if (patch.results !== undefined) fields.push('results', JSON.stringify(patch.results));
    if (patch.error !== undefined) fields.push('error', json(patch.error));
    const reply = await this.redis.darkroomTransition(
      this.keys.job(id),
      this.keys.input(id),
      this.keys.files(id),
      `,${from.join(',')},`,
      patch.addAttempt ? '1' : '0',
      isFinal(patch.status) ? String(this.retention.finishedInputSeconds) : '0',
      randomUUID(),
      ...fields,
    );
    if (!reply) return null;
    return { applied: reply[0] === 1, record: fromHash(pairsToHash(reply[1])) };
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(this.keys.job(id), this.keys.input(id), this.keys.files(id));
  }

  async getInput(id: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.input(id));
  }

  async getFiles(id: string, count: number): Promise<Buffer[] | null> {
    if (count === 0) return [];
    const files = await this.redis.hmgetBuffer(this.keys.files(id), ...Array.from({ length: count }, (_, i) => String(i)));
    return files.every((file): file is Buffer => file !== null) ? files : null;
  }

  async putResults(id: string, attempt: number, data: readonly Buffer[]): Promise<void> {
    const pipeline = this.redis.pipeline();
    data.forEach((bytes, variant) => pipeline.set(this.keys.result(id, attempt, variant), bytes, 'EX', this.retention.recordSeconds));
    const replies = await pipeline.exec();
    const failed = replies?.find(([err]) => err);
    if (failed) throw failed[0];
  }

  async getResult(id: string, attempt: number, variant: number): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.result(id, attempt, variant));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
