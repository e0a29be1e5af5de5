import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config';
import type { JobRecord } from '../jobs/job';

/** Who is asking: the owner their key stands for (null without keys), and whom to rate-limit. */
export interface Caller {
  owner: string | null;
  client: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Jobs record a hash of the key that made them, never the key itself. */
export function ownerOfKey(key: string): string {
  return digest(key).toString('hex').slice(0, 32);
}

/**
 * The caller behind an `Authorization: Bearer <key>` value, or null when keys
 * are required and this is not one of them. Keys are compared as digests, in
 * constant time.
 */
export function identify(authorization: string | undefined, ip: string, config: Config): Caller | null {
  if (config.apiKeys.length === 0) return { owner: null, client: `ip:${ip}` };
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (!presented) return null;
  const wanted = digest(presented);
  const key = config.apiKeys.find((candidate) => timingSafeEqual(digest(candidate), wanted));
  if (!key) return null;
  const owner = ownerOfKey(key);
  return { owner, client: `key:${owner}` };
}

/** Another key's jobs do not exist for this caller: NOT_FOUND, never FORBIDDEN. */
export function canSee(record: JobRecord, caller: Caller): boolean {
  return record.owner === caller.owner;
}

function signature(jobId: string, expires: number, config: Config): string {
  return createHmac('sha256', config.urlSigningSecret).update(`${jobId}\n${expires}`).digest('base64url');
}

/**
 * `/results/<id>/<variant>` (just `/results/<id>` for a job without variants),
 * signed and expiring when keys are required so the link alone lets a browser
 * fetch it. The signature covers the job, so one signing serves all its variants.
 */
export function resultUrl(jobId: string, variant: string | null, config: Config, now = Date.now()): string {
  const path = `/results/${encodeURIComponent(jobId)}${variant === null ? '' : `/${encodeURIComponent(variant)}`}`;
  if (config.apiKeys.length === 0) return path;
  const expires = Math.floor(now / 1000) + config.signedUrlTtlSeconds;
  return `${path}?expires=${expires}&signature=${signature(jobId, expires, config)}`;
}

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

export function checkSignature(jobId: string, expires: string, given: string, config: Config, now = Date.now()): SignatureCheck {
  const when = Number(expires);
  if (!Number.isInteger(when)) return 'invalid';
  const expected = Buffer.from(signature(jobId, when, config));
  const presented = Buffer.from(given);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return 'invalid';
  return when * 1000 < now ? 'expired' : 'valid';
}
