import type { Redis } from 'ioredis';
import { FINAL_STATUSES, isFinal, type JobRecord, type JobStatus } from '../../jobs/job';
import type { JobPatch, JobStore, Retention, TransitionOutcome } from '../types';
import { fromHash, json, pairsToHash, toHash } from './job-hash';

function fileField(index: number): string {
  return `file:${index}`;
}
import type { RedisKeys } from './keys';

/**
 * Compare-and-set on the job hash: the change applies only when the current
 * status is one of the allowed ones, so two processes can never both move a job.
 * Entering a final status shortens the input's TTL in the same step.
 * KEYS[1] job hash, KEYS[2] input bytes; ARGV[1] ",STATUS,STATUS,"; ARGV[2] "1"
 * to count an attempt; ARGV[3] the input's new TTL in seconds, "0" to keep it;
 * ARGV[4…] field/value pairs to set.
 */
const TRANSITION_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if not string.find(ARGV[1], ',' .. status .. ',', 1, true) then
  return {0, redis.call('HGETALL', KEYS[1])}
end
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'attempts', 1) end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
if ARGV[3] ~= '0' then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {1, redis.call('HGETALL', KEYS[1])}
`;

/**
 * A pending job becomes a kept one: the record gets the full TTL, and so does
 * the input unless the job already ended (a quick worker may finish first).
 * KEYS[1] job hash, KEYS[2] input bytes; ARGV[1] ",STATUS,…," of the final
 * statuses; ARGV[2] the TTL in seconds. Returns 0 when the job has expired.
 */
const CONFIRM_SCRIPT = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[2])
if not string.find(ARGV[1], ',' .. status .. ',', 1, true) then redis.call('EXPIRE', KEYS[2], ARGV[2]) end
return 1
`;

type TransitionReply = [number, string[]] | null;

interface StoreCommands {
  darkroomTransition(jobKey: string, inputKey: string, ...args: string[]): Promise<TransitionReply>;
  darkroomConfirm(jobKey: string, inputKey: string, finalStatuses: string, seconds: string): Promise<number>;
}

const FINAL = `,${FINAL_STATUSES.join(',')},`;

export class RedisJobStore implements JobStore {
  private readonly redis: Redis & StoreCommands;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retention: Retention,
  ) {
    redis.defineCommand('darkroomTransition', { numberOfKeys: 2, lua: TRANSITION_SCRIPT });
    redis.defineCommand('darkroomConfirm', { numberOfKeys: 2, lua: CONFIRM_SCRIPT });
    this.redis = redis as Redis & StoreCommands;
  }

  async create(record: JobRecord, input: Buffer, files: readonly Buffer[] = []): Promise<void> {
    // The input goes first and on its own: a record never exists without it,
    // and the upload is not copied once more into a MULTI's combined write.
    const inputKey = this.keys.input(record.id);
    await this.redis.hset(inputKey, 'input', input, ...files.flatMap((file, i) => [fileField(i), file]));
    const key = this.keys.job(record.id);
    await this.redis
      .multi()
      .hset(key, toHash(record))
      .expire(key, this.retention.pendingSeconds)
      .expire(inputKey, this.retention.pendingSeconds)
      .exec();
  }

  async confirm(id: string): Promise<boolean> {
    const kept = await this.redis.darkroomConfirm(this.keys.job(id), this.keys.input(id), FINAL, String(this.retention.recordSeconds));
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
      `,${from.join(',')},`,
      patch.addAttempt ? '1' : '0',
      isFinal(patch.status) ? String(this.retention.finishedInputSeconds) : '0',
      ...fields,
    );
    if (!reply) return null;
    return { applied: reply[0] === 1, record: fromHash(pairsToHash(reply[1])) };
  }

  async remove(id: string): Promise<void> {
    await this.redis.del(this.keys.job(id), this.keys.input(id));
  }

  async getInput(id: string): Promise<Buffer | null> {
    return this.redis.hgetBuffer(this.keys.input(id), 'input');
  }

  async getFiles(id: string, count: number): Promise<Buffer[] | null> {
    if (count === 0) return [];
    const files = await this.redis.hmgetBuffer(this.keys.input(id), ...Array.from({ length: count }, (_, i) => fileField(i)));
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
