import sharp from 'sharp';

/** One channel of intensities, row-major, `width * height` long. */
export interface GreyImage {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** The working form: every level of the search is float so averaging keeps its fractions. */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * Greyscale 8-bit pixels of a sharp pipeline (cloned, so the caller's instance keeps its own
 * output settings) or of an encoded image buffer. Alpha is dropped: matching is on intensity.
 */
export async function greyImage(input: sharp.Sharp | Buffer): Promise<GreyImage> {
  const pipeline = Buffer.isBuffer(input) ? sharp(input) : input.clone();
  const { data, info } = await pipeline
    .greyscale()
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected one channel from greyscale(), got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

export function toFloat(image: GreyImage): FloatImage {
  const data = image.data instanceof Float32Array ? image.data : Float32Array.from(image.data);
  return { data, width: image.width, height: image.height };
}
