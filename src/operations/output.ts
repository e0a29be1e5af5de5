import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { ImageFormat, OutputInput } from '../generated/graphql';
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

export interface OutputSpec {
  format: ImageFormat | null;
  quality: number | null;
  background: string;
  keepMetadata: boolean;
  placeholder: boolean;
}

export function validateOutput(input: OutputInput | null | undefined, field: string): OutputSpec {
  return {
    format: input?.format ?? null,
    quality: input?.quality == null ? null : integer(input.quality, `${field}.quality`, 1, 100),
    background: input?.background == null ? '#ffffff' : colour(input.background, `${field}.background`),
    keepMetadata: input?.keepMetadata ?? false,
    placeholder: input?.placeholder ?? false,
  };
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

export function encode(image: Sharp, spec: OutputSpec, format: ImageFormat, timing: AnimationTiming | null = null): Sharp {
  const info = FORMATS[format];
  // Formats without alpha would otherwise drop it onto black.
  let out = info.alpha ? image : image.flatten({ background: spec.background });
  if (spec.keepMetadata) out = out.keepExif().keepXmp();
  const quality = spec.quality ?? info.defaultQuality ?? undefined;
  return out.toFormat(info.sharp, { ...(quality === undefined ? {} : { quality }), ...(timing ?? {}) });
}

export function encodeOutput(
  image: Sharp,
  spec: OutputSpec,
  format: ImageFormat,
  timing: AnimationTiming | null = null,
): Promise<{ data: Buffer; info: OutputInfo }> {
  return encode(image, spec, format, timing).toBuffer({ resolveWithObject: true });
}
