import sharp from 'sharp';

/** Uncompressed pixels, row by row, 8 bits per channel. */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

export interface PreviewOptions {
  /** Longest side of the preview; smaller images are not enlarged. */
  maxSide: number;
  /** Passed to sharp for encoded input; callers that have checked the header already say so. */
  limitInputPixels?: number | false;
  timeoutSeconds?: number;
}

/**
 * A small upright 8-bit sRGB RGBA copy of the image (the first frame of an
 * animation), not premultiplied: what ThumbHash and the colour statistics read.
 */
export async function previewPixels(image: Buffer | RawPixels, options: PreviewOptions): Promise<RawPixels & { channels: 4 }> {
  const source = Buffer.isBuffer(image)
    ? sharp(image, { limitInputPixels: options.limitInputPixels, failOn: 'warning' }).autoOrient()
    : sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } });
  if (options.timeoutSeconds) source.timeout({ seconds: options.timeoutSeconds });
  const { data, info } = await source
    .resize(options.maxSide, options.maxSide, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .ensureAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 4 };
}

/**
 * sharp's dominant colour (the fullest bin of a 16×16×16 sRGB histogram), as
 * '#rrggbb', of the pixels that show (alpha at least half): sharp's histogram
 * ignores alpha, and the invisible pixels around a logo are often black.
 * An image with none showing is taken whole.
 */
export async function dominantColor(pixels: RawPixels & { channels: 4 }): Promise<string> {
  const shown = Buffer.alloc(pixels.width * pixels.height * 3);
  let count = 0;
  for (let i = 0; i < pixels.data.length; i += 4) {
    if (pixels.data[i + 3] < 128) continue;
    pixels.data.copy(shown, count * 3, i, i + 3);
    count++;
  }
  const image =
    count > 0
      ? sharp(shown.subarray(0, count * 3), { raw: { width: count, height: 1, channels: 3 } })
      : sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: 4 } });
  const { dominant } = await image.stats();
  return hexColor(dominant);
}

export function hexColor({ r, g, b }: { r: number; g: number; b: number }): string {
  return `#${[r, g, b].map((value) => Math.round(value).toString(16).padStart(2, '0')).join('')}`;
}
