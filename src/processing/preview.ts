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
 * The dominant colour as sharp's stats() defines it (the centre of the fullest
 * bin of a 16×16×16 sRGB histogram), as '#rrggbb', but each pixel counts by its
 * alpha: sharp counts a transparent pixel as black, which made the transparent
 * background of a logo its dominant colour. With nothing visible, all count alike.
 */
export function dominantColor(pixels: RawPixels & { channels: 4 }): string {
  const { data } = pixels;
  const byAlpha = new Float64Array(4096);
  const byCount = new Uint32Array(4096);
  for (let i = 0; i < data.length; i += 4) {
    // Green, red, blue: the order in which libvips finds the first of equally full bins, as sharp does.
    const bin = ((data[i + 1] >> 4) << 8) | ((data[i] >> 4) << 4) | (data[i + 2] >> 4);
    byAlpha[bin] += data[i + 3];
    byCount[bin]++;
  }
  const weights = byAlpha.some((weight) => weight > 0) ? byAlpha : byCount;
  let fullest = 0;
  for (let bin = 1; bin < weights.length; bin++) if (weights[bin] > weights[fullest]) fullest = bin;
  const centre = (level: number) => level * 16 + 8;
  return hexColor({ r: centre((fullest >> 4) & 15), g: centre(fullest >> 8), b: centre(fullest & 15) });
}

export function hexColor({ r, g, b }: { r: number; g: number; b: number }): string {
  return `#${[r, g, b].map((value) => Math.round(value).toString(16).padStart(2, '0')).join('')}`;
}
