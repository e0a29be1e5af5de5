import type { Readable } from 'node:stream';
import sharp from 'sharp';
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

/**
 * What the header says about the upload. A file sharp cannot read is still
 * accepted here: the worker fails the job with the precise reason.
 */
export async function describeInput(data: Buffer, filename: string | null): Promise<InputInfo> {
  const info: InputInfo = { filename, format: null, width: null, height: null, bytes: data.length };
  try {
    const meta = await sharp(data).metadata();
    info.format = formatOf(meta);
    info.width = meta.autoOrient?.width ?? meta.width ?? null;
    info.height = meta.autoOrient?.height ?? meta.height ?? null;
  } catch {
    // Unreadable header: left for the worker to report.
  }
  return info;
}
