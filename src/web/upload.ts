import type { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import type { Metadata } from 'sharp';
import { DarkroomError } from '../errors';
import type { InputInfo } from '../jobs/job';
import { formatOf } from '../operations/output';

/**
 * Collect an upload, refusing it as soon as it passes `maxBytes`. The
 * multipart parser is set to stop one byte past the limit, so a cut-off file
 * is always recognised here rather than stored short.
 */
export async function readUpload(upload: FileUpload, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    const stream: Readable = upload.createReadStream();
    for await (const chunk of stream) {
      total += chunk.length;
      if (total > maxBytes) {
        stream.destroy();
        throw tooLarge(maxBytes);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof DarkroomError) throw err;
    if ((err as { status?: number }).status === 413) throw tooLarge(maxBytes);
    throw new DarkroomError('BAD_USER_INPUT', 'The upload was interrupted before the whole file arrived.');
  }
  return Buffer.concat(chunks, total);
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
