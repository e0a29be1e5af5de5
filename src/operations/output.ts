import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { ImageFormat, OutputInput, TiffCompression } from '../generated/graphql';
import { badInput, DarkroomError } from '../errors';
import { colour, integer } from './checks';

interface FormatInfo {
  sharp: 'jpeg' | 'png' | 'webp' | 'avif' | 'gif' | 'tiff';
  contentType: string;
  extension: string;
  alpha: boolean;
  defaultQuality: number | null;
}

export const FORMATS: Record<ImageFormat, FormatInfo> = {
  JPEG: { sharp: 'jpeg', contentType: 'image/jpeg', extension: 'jpg', alpha: false, defaultQuality: 80 },
  PNG: { sharp: 'png', contentType: 'image/png', extension: 'png', alpha: true, defaultQuality: null },
  WEBP: { sharp: 'webp', contentType: 'image/webp', extension: 'webp', alpha: true, defaultQuality: 80 },
  AVIF: { sharp: 'avif', contentType: 'image/avif', extension: 'avif', alpha: true, defaultQuality: 50 },
  GIF: { sharp: 'gif', contentType: 'image/gif', extension: 'gif', alpha: true, defaultQuality: null },
  TIFF: { sharp: 'tiff', contentType: 'image/tiff', extension: 'tiff', alpha: true, defaultQuality: 80 },
};

/** Settings of one encoder or another, only those asked for: the rest stay sharp's defaults. */
export interface EncoderOptions {
  progressive?: boolean;
  mozjpeg?: boolean;
  compressionLevel?: number;
  palette?: boolean;
  colours?: number;
  lossless?: boolean;
  effort?: number;
  tiffCompression?: TiffCompression;
}

export interface OutputSpec {
  format: ImageFormat | null;
  quality: number | null;
  background: string;
  keepMetadata: boolean;
  placeholder: boolean;
  /** Keep the input's ICC profile (and its colour space) instead of converting to sRGB. */
  keepIcc: boolean;
  /** Byte budget: the quality is searched down until the result fits. */
  maxBytes: number | null;
  encoder: EncoderOptions;
}

/** The formats each encoder option applies to. */
const APPLIES_TO: Record<keyof EncoderOptions, readonly ImageFormat[]> = {
  progressive: ['JPEG', 'PNG', 'GIF'],
  mozjpeg: ['JPEG'],
  compressionLevel: ['PNG'],
  palette: ['PNG'],
  colours: ['PNG', 'GIF'],
  lossless: ['WEBP', 'AVIF'],
  effort: ['AVIF'],
  tiffCompression: ['TIFF'],
};

/** Formats whose size follows their quality, which maxBytes searches. */
const LOSSY: readonly ImageFormat[] = ['JPEG', 'WEBP', 'AVIF'];

function validateEncoder(input: OutputInput, field: string): EncoderOptions {
  const encoder: EncoderOptions = {};
  if (input.progressive != null) encoder.progressive = input.progressive;
  if (input.mozjpeg != null) encoder.mozjpeg = input.mozjpeg;
  if (input.compressionLevel != null) encoder.compressionLevel = integer(input.compressionLevel, `${field}.compressionLevel`, 0, 9);
  if (input.palette != null) encoder.palette = input.palette;
  if (input.colours != null) encoder.colours = integer(input.colours, `${field}.colours`, 2, 256);
  if (input.lossless != null) encoder.lossless = input.lossless;
  if (input.effort != null) encoder.effort = integer(input.effort, `${field}.effort`, 0, 9);
  if (input.tiffCompression != null) encoder.tiffCompression = input.tiffCompression;
  // With the format left to the input, each option applies when the format is one it belongs to.
  const format = input.format;
  if (format != null) {
    for (const option of Object.keys(encoder) as (keyof EncoderOptions)[]) {
      if (!APPLIES_TO[option].includes(format)) {
        throw badInput(`${field}.${option}`, `applies to ${APPLIES_TO[option].join(', ')} output, not ${format}`);
      }
    }
  }
  if (format === 'PNG' && encoder.colours !== undefined && !encoder.palette) {
    throw badInput(`${field}.colours`, 'for PNG, colours needs palette: true');
  }
  return encoder;
}

function validateMaxBytes(input: OutputInput, encoder: EncoderOptions, field: string): number | null {
  if (input.maxBytes == null) return null;
  const maxBytes = integer(input.maxBytes, `${field}.maxBytes`, 1, 2 ** 31 - 1);
  if (input.format == null || !LOSSY.includes(input.format) || encoder.lossless) {
    throw badInput(`${field}.maxBytes`, `needs a lossy format: give format ${LOSSY.join(', ')} (without lossless), whose quality can be lowered`);
  }
  return maxBytes;
}

export function validateOutput(input: OutputInput | null | undefined, field: string): OutputSpec {
  const encoder = input ? validateEncoder(input, field) : {};
  return {
    format: input?.format ?? null,
    quality: input?.quality == null ? null : integer(input.quality, `${field}.quality`, 1, 100),
    background: input?.background == null ? '#ffffff' : colour(input.background, `${field}.background`),
    keepMetadata: input?.keepMetadata ?? false,
    placeholder: input?.placeholder ?? false,
    keepIcc: input?.keepIcc ?? false,
    maxBytes: input ? validateMaxBytes(input, encoder, field) : null,
    encoder,
  };
}

/** What of the input the steps before an output must carry along for it. */
export interface Kept {
  metadata: boolean;
  icc: boolean;
}

/** What any of `outputs` keeps. */
export function kept(outputs: readonly OutputSpec[]): Kept {
  return { metadata: outputs.some((output) => output.keepMetadata), icc: outputs.some((output) => output.keepIcc) };
}

/** Tell sharp to keep what `keep` names; by default it strips metadata and converts to sRGB. */
export function keeping(image: Sharp, keep: Kept): Sharp {
  const withMetadata = keep.metadata ? image.keepExif().keepXmp() : image;
  return keep.icc ? withMetadata.keepIccProfile() : withMetadata;
}

/** The ImageFormat of what sharp read, or null when Darkroom cannot write that format. */
export function formatOf(meta: Pick<Metadata, 'format' | 'compression'>): ImageFormat | null {
  switch (meta.format) {
    case 'jpeg':
      return 'JPEG';
    case 'png':
      return 'PNG';
    case 'webp':
      return 'WEBP';
    case 'gif':
      return 'GIF';
    case 'tiff':
      return 'TIFF';
    case 'heif':
      return meta.compression === 'av1' ? 'AVIF' : null;
    default:
      return null;
  }
}

/** The documented default: keep the input's format, else PNG when there is alpha, else JPEG. */
export function chooseFormat(requested: ImageFormat | null, meta: Metadata): ImageFormat {
  return requested ?? formatOf(meta) ?? (meta.hasAlpha ? 'PNG' : 'JPEG');
}

/** An animation's frame delays (ms) and loop count, as read from its input. */
export interface AnimationTiming {
  delay?: number[];
  loop?: number;
}

/** sharp's options for the encoder options that apply to `format`. */
function encoderOptions(encoder: EncoderOptions, format: ImageFormat): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [option, value] of Object.entries(encoder) as [keyof EncoderOptions, unknown][]) {
    if (!APPLIES_TO[option].includes(format)) continue;
    if (option === 'tiffCompression') options.compression = String(value).toLowerCase();
    else options[option] = value;
  }
  return options;
}

/** Whether `format`, written as `spec` asks, keeps transparency. */
export function keepsAlpha(format: ImageFormat, spec: OutputSpec): boolean {
  // JPEG inside TIFF, TIFF's default compression, has no alpha channel.
  return FORMATS[format].alpha && !(format === 'TIFF' && (spec.encoder.tiffCompression ?? 'JPEG') === 'JPEG');
}

export function encode(image: Sharp, spec: OutputSpec, format: ImageFormat, timing: AnimationTiming | null = null): Sharp {
  const info = FORMATS[format];
  // Formats without alpha would otherwise drop it onto black.
  const out = keeping(keepsAlpha(format, spec) ? image : image.flatten({ background: spec.background }), { metadata: spec.keepMetadata, icc: spec.keepIcc });
  // sharp's PNG quality is the palette's, and turns the palette on: only with palette: true.
  const quality = format === 'PNG' && !spec.encoder.palette ? undefined : (spec.quality ?? info.defaultQuality ?? undefined);
  return out.toFormat(info.sharp, {
    ...(quality === undefined ? {} : { quality }),
    ...encoderOptions(spec.encoder, format),
    ...(timing ?? {}),
  });
}

type Encoded = { data: Buffer; info: OutputInfo };

/**
 * The highest quality, up to the one asked for (or the format's default),
 * whose result fits `maxBytes`, by bisection: about seven encodings from 80.
 * Sizes grow with quality nearly always; whatever is returned was measured to fit.
 */
async function encodeWithin(image: Sharp, spec: OutputSpec, format: ImageFormat, timing: AnimationTiming | null, maxBytes: number): Promise<Encoded> {
  const attempt = (quality: number) => encode(image.clone(), { ...spec, quality }, format, timing).toBuffer({ resolveWithObject: true });
  const highest = spec.quality ?? FORMATS[format].defaultQuality ?? 100;
  const first = await attempt(highest);
  if (first.data.length <= maxBytes) return first;
  let best: Encoded | null = null;
  let smallest = first.data.length;
  let low = 1;
  let high = highest - 1;
  while (low <= high) {
    const quality = Math.floor((low + high) / 2);
    const result = await attempt(quality);
    smallest = Math.min(smallest, result.data.length);
    if (result.data.length <= maxBytes) {
      best = result;
      low = quality + 1;
    } else {
      high = quality - 1;
    }
  }
  if (best) return best;
  throw new DarkroomError(
    'OUTPUT_TOO_LARGE',
    `Even at quality 1 the ${format} result is ${smallest} bytes, over the maxBytes budget of ${maxBytes}; allow more bytes or make the image smaller.`,
  );
}

export function encodeOutput(
  image: Sharp,
  spec: OutputSpec,
  format: ImageFormat,
  timing: AnimationTiming | null = null,
): Promise<Encoded> {
  if (spec.maxBytes !== null && LOSSY.includes(format)) return encodeWithin(image, spec, format, timing, spec.maxBytes);
  return encode(image, spec, format, timing).toBuffer({ resolveWithObject: true });
}
