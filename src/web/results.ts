import type { Request, RequestHandler, Response } from 'express';
import type { JobStore } from '../backends/types';
import type { Config } from '../config';
import { forRequest } from '../errors';
import type { JobRecord } from '../jobs/job';
import { FORMATS } from '../operations/output';
import { canSee, checkSignature, identify } from './access';

/** A filename safe in any header and on any disk: the upload's base name, plain characters only. */
export function downloadName(original: string | null, jobId: string, extension: string): string {
  const base = (original ?? '').replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100);
  return `${base || `darkroom-${jobId}`}.${extension}`;
}

/** An ASCII fallback for every client, and the UTF-8 name (RFC 6266) for those that read it. */
function contentDisposition(original: string | null, jobId: string, extension: string): string {
  const ascii = downloadName(original, jobId, extension);
  const base = (original ?? '').replace(/\.[^.]*$/, '').replace(/[\u0000-\u001f\u007f/\\]+/g, '_').trim().slice(0, 100);
  if (!base || `${base}.${extension}` === ascii) return `inline; filename="${ascii}"`;
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(`${base}.${extension}`)}`;
}

/** "photo.jpg" with variant "w640" downloads as "photo-w640.<ext>". */
function suffixed(original: string | null, variant: string): string {
  return `${(original ?? '').replace(/\.[^.]*$/, '') || 'darkroom'}-${variant}`;
}

function refuse(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message } });
}

/**
 * May this request download the job's result? Without API keys, anyone with
 * the (unguessable) id may. With keys: a valid signed URL, or the owner's key.
 * True when a refusal has been sent.
 */
function refusal(req: Request, res: Response, record: JobRecord | null, config: Config): boolean {
  if (config.apiKeys.length === 0) return false;
  const { expires, signature } = req.query;
  if (typeof expires === 'string' && typeof signature === 'string') {
    const check = checkSignature(req.params.id as string, expires, signature, config);
    if (check === 'valid') return false;
    if (check === 'expired') refuse(res, 403, 'URL_EXPIRED', 'This link has expired; query the job again for a fresh one.');
    else refuse(res, 403, 'BAD_SIGNATURE', 'This link is not valid.');
    return true;
  }
  const caller = identify(req.headers.authorization, req.ip ?? 'unknown', config);
  if (!caller) {
    refuse(res, 401, 'UNAUTHENTICATED', 'Send a valid API key as "Authorization: Bearer <key>", or use the signed result.url.');
    return true;
  }
  if (record && !canSee(record, caller)) {
    notFound(res, record.id);
    return true;
  }
  return false;
}

function notFound(res: Response, id: string): void {
  refuse(res, 404, 'NOT_FOUND', `No result for job ${id}: unknown, not finished or expired.`);
}

/** Which of the job's results the path names: the variant's, or the first. */
function variantIndex(record: JobRecord, variant: string | undefined): number {
  return variant === undefined ? 0 : record.results.findIndex((result) => result.name === variant);
}

/** GET /results/:id and /results/:id/:variant — the result bytes, from whichever process stored them. */
export function resultsHandler(store: JobStore, config: Config): RequestHandler<{ id: string; variant?: string }> {
  return async (req, res, next) => {
    try {
      const { id, variant } = req.params;
      const record = await forRequest(store.get(id));
      if (refusal(req, res, record, config)) return;
      const index = record?.status === 'COMPLETED' ? variantIndex(record, variant) : -1;
      const result = index >= 0 ? record!.results[index] : undefined;
      const data = result ? await forRequest(store.getResult(id, result.attempt, index)) : null;
      if (!result || !data) {
        notFound(res, variant === undefined ? id : `${id} variant "${variant}"`);
        return;
      }
      const format = FORMATS[result.format];
      const name = variant === undefined ? record!.input.filename : suffixed(record!.input.filename, variant);
      res.set({
        'Content-Type': format.contentType,
        'Content-Length': String(data.length),
        'Content-Disposition': contentDisposition(name, id, format.extension),
        'Cache-Control': 'private, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(data);
    } catch (err) {
      next(err);
    }
  };
}
