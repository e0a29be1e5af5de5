import type { Redis } from 'ioredis';
import { isFinal, type JobRecord, type JobStatus } from '../../jobs/job';
import type { JobPatch, JobStore, Retention, TransitionOutcome } from '../types';
import { fromHash, json, pairsToHash, toHash } from './job-hash';
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

/** Largest piece of an upload written to Redis in one command. */
const INPUT_SLICE_BYTES = 1024 * 1024;

type TransitionReply = [number, string[]] | null;

interface TransitionCommand {
  darkroomTransition(jobKey: string, inputKey: string, ...args: string[]): Promise<TransitionReply>;
}

export class RedisJobStore implements JobStore {
  private readonly redis: Redis & TransitionCommand;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly retention: Retention,
  ) {
    redis.defineCommand('darkroomTransition', { numberOfKeys: 2, lua: TRANSITION_SCRIPT });
    this.redis = redis as Redis & TransitionCommand;
  }

  async create(record: JobRecord, input: Buffer): Promise<void> {
    // The input goes first and on its own: a record never exists without it.
    // ioredis copies each command's arguments into one buffer before writing
    // it, so a large upload goes in slices (SET, then APPENDs, one at a time):
    // the copy is one slice, not a second whole upload.
    const inputKey = this.keys.input(record.id);
    await this.redis.set(inputKey, input.subarray(0, INPUT_SLICE_BYTES), 'EX', this.retention.recordSeconds);
    for (let at = INPUT_SLICE_BYTES; at < input.length; at += INPUT_SLICE_BYTES) {
      await this.redis.append(inputKey, input.subarray(at, at + INPUT_SLICE_BYTES));
    }
    const key = this.keys.job(record.id);
    await this.redis.multi().hset(key, toHash(record)).expire(key, this.retention.recordSeconds).exec();
  }

  async get(id: string): Promise<JobRecord | null> {
    const hash = await this.redis.hgetall(this.keys.job(id));
    return hash.status ? fromHash(hash) : null;
  }

  async transition(id: string, from: readonly JobStatus[], patch: JobPatch): Promise<TransitionOutcome | null> {
    const fields: string[] = ['status', patch.status, 'updatedAt', new Date().toISOString()];
    if (patch.progress !== undefined) fields.push('progress', String(patch.progress));
    if (patch.result !== undefined) fields.push('result', json(patch.result));
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
    return this.redis.getBuffer(this.keys.input(id));
  }

  async putResult(id: string, attempt: number, data: Buffer): Promise<void> {
    await this.redis.set(this.keys.result(id, attempt), data, 'EX', this.retention.recordSeconds);
  }

  async getResult(id: string, attempt: number): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.result(id, attempt));
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
