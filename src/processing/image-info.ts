import type { Metadata } from 'sharp';
import { summariseExif, type ExifSummary } from './exif';
import { iccDescription } from './icc';
import { dominantColor, previewPixels } from './preview';
import { classifySharpError } from './sharp-errors';

/** What imageInfo tells beyond what a job's input records (name, format, displayed size, bytes). */
export interface ImageDetails {
  mediaType: string | null;
  storedWidth: number;
  storedHeight: number;
  /** EXIF orientation 1 to 8; 1 (upright) when the file says nothing. */
  orientation: number;
  /** libvips' interpretation: srgb, cmyk, b-w, grey16, rgb16, labs, … */
  colorSpace: string;
  channels: number;
  /** Bits per sample as stored. */
  bitDepth: number | null;
  hasAlpha: boolean;
  frames: number;
  iccProfile: string | null;
  exif: ExifSummary | null;
  dominantColor: string;
}

/** Bits of each libvips band format, for files whose header does not state bits per sample (JPEG, WebP). */
const DEPTH_BITS: Record<string, number> = { char: 8, uchar: 8, short: 16, ushort: 16, int: 32, uint: 32, float: 32, complex: 64, double: 64, dpcomplex: 128 };

/** Preview side for the dominant colour: enough pixels for a stable histogram, cheap to decode. */
const PREVIEW_SIDE = 100;

/**
 * Read the header facts of an image that passed inspectInput (so `meta` is
 * its metadata and it is within the pixel limits) and its dominant colour,
 * which needs a decode: of a small preview, by JPEG shrink-on-load where it
 * can. That decode is where a damaged file is found out (INVALID_IMAGE).
 */
export async function describeImage(data: Buffer, meta: Metadata, limits: { maxInputPixels: number; timeoutSeconds: number }): Promise<ImageDetails> {
  let color: string;
  try {
    color = dominantColor(await previewPixels(data, { maxSide: PREVIEW_SIDE, limitInputPixels: limits.maxInputPixels, timeoutSeconds: limits.timeoutSeconds }));
  } catch (err) {
    throw classifySharpError(err);
  }
  return {
    mediaType: meta.mediaType ?? null,
    storedWidth: meta.width,
    storedHeight: meta.height,
    orientation: meta.orientation ?? 1,
    colorSpace: meta.space,
    channels: meta.channels,
    bitDepth: meta.bitsPerSample ?? DEPTH_BITS[meta.depth] ?? null,
    hasAlpha: meta.hasAlpha,
    frames: meta.pages ?? 1,
    iccProfile: meta.icc ? iccDescription(meta.icc) : null,
    exif: meta.exif ? summariseExif(meta.exif) : null,
    dominantColor: color,
  };
}
