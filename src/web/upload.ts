import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Metadata } from 'sharp';
import { DarkroomError } from '../errors';
import type { InputInfo } from '../jobs/job';
import { formatOf } from '../operations/output';

/**
 * Collect an upload into one buffer, refusing it as soon as it passes
 * `maxBytes`. The multipart parser is set to stop one byte past the limit, so
 * a cut-off file is always recognised here rather than stored short.
 * `sizeHint` (the request's Content-Length, which bounds the file) lets each
 * chunk be copied straight into a buffer of that size and dropped, so the
 * bytes are never held twice; without it the chunks are joined at the end.
 */
export async function readUpload(upload: FileUpload, maxBytes: number, sizeHint?: number): Promise<Buffer> {
  const capacity = sizeHint && sizeHint > 0 ? Math.min(sizeHint, maxBytes + 1) : 0;
  let target = capacity > 0 ? Buffer.allocUnsafeSlow(capacity) : null;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const stream: Readable = upload.createReadStream();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (total + chunk.length > maxBytes) {
        stream.destroy();
        throw tooLarge(maxBytes);
      }
      if (target && total + chunk.length <= target.length) chunk.copy(target, total);
      else {
        // More than the hint promised: keep the rest as chunks after what is already copied.
        if (target) chunks.push(target.subarray(0, total));
        target = null;
        chunks.push(chunk);
      }
      total += chunk.length;
    }
  } catch (err) {
    if (err instanceof DarkroomError) throw err;
    if ((err as { status?: number }).status === 413) throw tooLarge(maxBytes);
    throw new DarkroomError('BAD_USER_INPUT', 'The upload was interrupted before the whole file arrived.');
  }
  return target ? target.subarray(0, total) : Buffer.concat(chunks, total);
}

/**
 * The file behind an Upload variable. Its promise fails only for the request's
 * own faults (a malformed part, a missing part, a client gone), some of them
 * plain parser errors without an HTTP status: each is answered as a bad request.
 */
export async function receivedUpload(file: Promise<FileUpload>): Promise<FileUpload> {
  try {
    return await file;
  } catch (err) {
    if (typeof (err as { status?: unknown })?.status === 'number') throw err;
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { status: 400 });
  }
}

/** Set on the multipart parser: one byte more than we accept, so we see the excess. */
export function parserFileLimit(maxBytes: number): number {
  return maxBytes + 1;
}

function tooLarge(maxBytes: number): DarkroomError {
  return new DarkroomError('PAYLOAD_TOO_LARGE', `The file is larger than the ${maxBytes} bytes this service accepts.`);
}

/** What the header says about the upload, as displayed (EXIF orientation applied). */
export function describeInput(meta: Metadata, bytes: number, filename: string | null): InputInfo {
  return {
    filename,
    format: formatOf(meta),
    width: meta.autoOrient?.width ?? meta.width ?? null,
    height: meta.autoOrient?.height ?? meta.height ?? null,
    bytes,
  };
}
