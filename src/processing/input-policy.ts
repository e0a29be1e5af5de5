import sharp, { type Metadata } from 'sharp';
import { DarkroomError } from '../errors';
import { classifySharpError } from './sharp-errors';
import { endsInsideABox, endsInsideAGifBlock } from './truncation';

/** What Darkroom agrees to decode, judged from the file's header before any pixel is decoded. */
export interface InputPolicy {
  /** Lower-case names as `inputFormatName` gives them. */
  allowedFormats: ReadonlySet<string>;
  /** Counting every frame of an animation, as imgproxy does. */
  maxInputPixels: number;
  maxFrames: number;
}

export const ALL_INPUT_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heic', 'svg'] as const;

/** The format by its bytes, never by the filename or declared MIME type. */
export function inputFormatName(meta: Pick<Metadata, 'format' | 'compression'>): string {
  if (meta.format === 'heif') return meta.compression === 'av1' ? 'avif' : 'heic';
  return meta.format;
}

/**
 * SVG is rendered only when it needs nothing from outside: no external
 * references (file:, http:, relative paths), no @import, no entities, and no
 * DOCTYPE naming an external DTD (SYSTEM or PUBLIC "…").
 */
function assertSelfContainedSvg(data: Buffer): void {
  const text = data.toString('utf8');
  const external =
    /<!ENTITY|<!DOCTYPE[^>]*(?:\[|\bSYSTEM\b|\bPUBLIC\b)/i.test(text) ||
    /@import/i.test(text) ||
    /\b(?:xlink:)?href\s*=\s*["'](?!#|data:)/i.test(text) ||
    /url\(\s*["']?(?!#|data:)/i.test(text);
  if (external) {
    throw new DarkroomError('UNSUPPORTED_FORMAT', 'The SVG refers to files or addresses outside itself, which this service does not follow.');
  }
}

/** SVG text, by how it starts: judged before librsvg reads it, which may already follow a reference. */
function looksLikeSvg(data: Buffer): boolean {
  const head = data.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '');
  return /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE\s+svg|<svg[\s>])/i.test(head);
}

function refuseFormat(format: string, policy: InputPolicy): never {
  throw new DarkroomError(
    'UNSUPPORTED_FORMAT',
    `${format.toUpperCase()} images are not accepted here; send one of ${[...policy.allowedFormats].join(', ').toUpperCase()}.`,
  );
}

/**
 * gzip's magic number. No accepted raster format starts with it; libvips takes
 * it for SVGZ and lets librsvg inflate it, out of reach of the SVG text checks.
 */
function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

/** The header's metadata, or a refusal with a stable code and a message for people. */
export async function inspectInput(data: Buffer, policy: InputPolicy): Promise<Metadata> {
  if (data.length === 0) throw new DarkroomError('INVALID_IMAGE', 'The file is empty.');
  if (isGzip(data)) {
    throw new DarkroomError('UNSUPPORTED_FORMAT', 'The file is gzip-compressed (an SVGZ, say); send the image itself, uncompressed.');
  }
  const svgText = looksLikeSvg(data);
  if (svgText) {
    if (!policy.allowedFormats.has('svg')) refuseFormat('svg', policy);
    assertSelfContainedSvg(data);
  }
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw classifySharpError(err);
  }
  const format = inputFormatName(meta);
  if (!policy.allowedFormats.has(format)) refuseFormat(format, policy);
  if ((meta.format === 'heif' && endsInsideABox(data)) || (meta.format === 'gif' && endsInsideAGifBlock(data))) {
    throw new DarkroomError('INVALID_IMAGE', 'The image is incomplete: the file ends before the data its header announces.');
  }
  if (format === 'svg' && !svgText) assertSelfContainedSvg(data);
  const frames = meta.pages ?? 1;
  if (frames > policy.maxFrames) {
    throw new DarkroomError('LIMIT_EXCEEDED', `The animation has ${frames} frames; this service accepts at most ${policy.maxFrames}.`);
  }
  const pixels = (meta.width ?? 0) * (meta.height ?? 0) * frames;
  if (pixels > policy.maxInputPixels) {
    const megapixels = (n: number) => `${(n / 1e6).toFixed(1)} megapixels`;
    throw new DarkroomError(
      'LIMIT_EXCEEDED',
      `The image has ${megapixels(pixels)}${frames > 1 ? ` over ${frames} frames` : ''}; this service accepts at most ${megapixels(policy.maxInputPixels)}.`,
    );
  }
  return meta;
}
