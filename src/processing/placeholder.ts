import sharp from 'sharp';
import { rgbaToThumbHash, thumbHashToRGBA } from 'thumbhash';
import { dominantColor, previewPixels, type RawPixels } from './preview';

/** What a page shows while the image loads. */
export interface Placeholder {
  /** ThumbHash bytes, base64. */
  thumbhash: string;
  /** '#rrggbb'. */
  dominantColor: string;
  /** The ThumbHash rendered (at most 32 px a side) as a WebP data: URL, for pages without a ThumbHash decoder. */
  dataUrl: string;
}

/** ThumbHash reads at most 100×100 pixels. */
const THUMBHASH_SIDE = 100;

/**
 * A placeholder for an encoded image or for raw pixels. The ThumbHash
 * rendering is already a smooth blur, so a low WebP quality costs nothing
 * visible and keeps the data URL to a few hundred bytes.
 */
export async function placeholder(image: Buffer | RawPixels): Promise<Placeholder> {
  const pixels = await previewPixels(image, { maxSide: THUMBHASH_SIDE });
  const hash = rgbaToThumbHash(pixels.width, pixels.height, pixels.data);
  const rendered = thumbHashToRGBA(hash);
  const webp = await sharp(Buffer.from(rendered.rgba), { raw: { width: rendered.w, height: rendered.h, channels: 4 } })
    .webp({ quality: 40, alphaQuality: 40, effort: 6 })
    .toBuffer();
  return {
    thumbhash: Buffer.from(hash).toString('base64'),
    dominantColor: dominantColor(pixels),
    dataUrl: `data:image/webp;base64,${webp.toString('base64')}`,
  };
}
