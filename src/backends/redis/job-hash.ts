import type { JobRecord } from '../../jobs/job';

/**
 * A job record as a Redis hash: scalar fields stay plain so the transition
 * script can compare and bump them, nested parts are JSON, absent ones ''.
 */
export function toHash(record: JobRecord): Record<string, string> {
  return {
    id: record.id,
    owner: record.owner ?? '',
    status: record.status,
    progress: String(record.progress),
    attempts: String(record.attempts),
    version: String(record.version),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    spec: JSON.stringify(record.spec),
    input: JSON.stringify(record.input),
    results: JSON.stringify(record.results),
    error: json(record.error),
  };
}

export function json(value: unknown): string {
  return value == null ? '' : JSON.stringify(value);
}

export function fromHash(hash: Record<string, string>): JobRecord {
  return {
    id: hash.id,
    owner: hash.owner || null,
    status: hash.status as JobRecord['status'],
    progress: Number(hash.progress),
    attempts: Number(hash.attempts),
    version: Number(hash.version),
    createdAt: hash.createdAt,
    updatedAt: hash.updatedAt,
    spec: JSON.parse(hash.spec),
    input: JSON.parse(hash.input),
    results: JSON.parse(hash.results),
    error: hash.error ? JSON.parse(hash.error) : null,
  };
}

/** HGETALL as a flat [field, value, …] list, the form a Lua script returns it in. */
export function pairsToHash(pairs: string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) hash[pairs[i]] = pairs[i + 1];
  return hash;
}
