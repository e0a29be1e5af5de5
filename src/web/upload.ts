import type { Readable } from 'node:stream';
import type { Metadata } from 'sharp';
import { DarkroomError } from '../errors';
import type { InputInfo } from '../jobs/job';
import { formatOf } from '../operations/output';

/** Collect an upload stream, stopping as soon as it passes `maxBytes`. */
export async function readUpload(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
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
    // graphql-upload-minimal cuts the stream at its own maxFileSize with a 413-status error.
    if ((err as { status?: number }).status === 413) throw tooLarge(maxBytes);
    throw new DarkroomError('BAD_USER_INPUT', 'The upload was interrupted before the whole file arrived.');
  }
  return Buffer.concat(chunks, total);
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
