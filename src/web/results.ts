import type { RequestHandler } from 'express';
import type { JobStore } from '../backends/types';
import { FORMATS } from '../operations/output';

/** A filename safe in any header and on any disk: the upload's base name, plain characters only. */
export function downloadName(original: string | null, jobId: string, extension: string): string {
  const base = (original ?? '').replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 100);
  return `${base || `darkroom-${jobId}`}.${extension}`;
}

/** GET /results/:id — the result bytes, from whichever process stored them. */
export function resultsHandler(store: JobStore): RequestHandler<{ id: string }> {
  return async (req, res, next) => {
    try {
      const id = req.params.id;
      const record = await store.get(id);
      const data = record?.status === 'COMPLETED' && record.result ? await store.getResult(id, record.result.attempt) : null;
      if (!record?.result || !data) {
        res.status(404).json({ error: { code: 'NOT_FOUND', message: `No result for job ${id}: unknown, not finished or expired.` } });
        return;
      }
      const format = FORMATS[record.result.format];
      res.set({
        'Content-Type': format.contentType,
        'Content-Length': String(data.length),
        'Content-Disposition': `inline; filename="${downloadName(record.input.filename, id, format.extension)}"`,
        'Cache-Control': 'private, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(data);
    } catch (err) {
      next(err);
    }
  };
}
