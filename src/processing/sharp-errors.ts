import { DarkroomError } from '../errors';

/**
 * libvips reports failures as free text; map the ones people can act on to
 * stable codes and keep the message short and free of file paths.
 */
export function classifySharpError(err: unknown): DarkroomError {
  if (err instanceof DarkroomError) return err;
  const text = err instanceof Error ? err.message : String(err);
  if (/buffer is empty/i.test(text)) {
    return new DarkroomError('INVALID_IMAGE', 'The file is empty.');
  }
  if (/unsupported image format/i.test(text)) {
    return new DarkroomError('UNSUPPORTED_FORMAT', 'The file is not in an image format Darkroom can read.');
  }
  if (/^timeout/i.test(text)) {
    return new DarkroomError('TIMEOUT', 'Processing took longer than this service allows.');
  }
  if (/exceeds pixel limit/i.test(text)) {
    return new DarkroomError('LIMIT_EXCEEDED', 'The image has more pixels than this service accepts.');
  }
  // failOn: 'warning' turned a decoder's warning (a CRC error, a bad tag) into this error; the warnings follow it.
  if (/^warning treated as error/i.test(text)) {
    const warning = text.split('\n').slice(1).find((line) => line.trim()) ?? text;
    return new DarkroomError('INVALID_IMAGE', `The image is damaged and cannot be read (${firstLine(warning)}).`);
  }
  if (/corrupt|premature end|truncated|invalid|not a known|read error|bad seek|unable to (read|load)|load_buffer|header/i.test(text)) {
    return new DarkroomError('INVALID_IMAGE', `The image is damaged or incomplete and cannot be read (${firstLine(text)}).`);
  }
  return new DarkroomError('PROCESSING_FAILED', `The image could not be processed (${firstLine(text)}).`);
}

function firstLine(text: string): string {
  return text.split('\n')[0].replace(/\/[^\s:]+/g, '').trim();
}
