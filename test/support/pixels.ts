import sharp from 'sharp';

/** Decoded pixels of an image, with a reader by position. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
  at(x: number, y: number): number[];
}

export async function pixels(image: Buffer | sharp.Sharp): Promise<Pixels> {
  const { data, info } = await (Buffer.isBuffer(image) ? sharp(image) : image).raw().toBuffer({ resolveWithObject: true });
  const { width, height, channels } = info;
  return {
    width,
    height,
    channels,
    data,
    at: (x, y) => Array.from(data.subarray((y * width + x) * channels, (y * width + x + 1) * channels)),
  };
}

/** Mean absolute difference per sample of two same-sized decoded images. */
export function meanDiff(a: Pixels, b: Pixels): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / a.data.length;
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The smallest box holding every pixel where `a` and `b` differ by more than `tolerance`; null when none does. */
export function changedBox(a: Pixels, b: Pixels, tolerance = 0): Box | null {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let left = Infinity;
  let top = Infinity;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * a.channels;
      for (let c = 0; c < a.channels; c++) {
        if (Math.abs(a.data[i + c] - b.data[i + c]) > tolerance) {
          left = Math.min(left, x);
          top = Math.min(top, y);
          right = Math.max(right, x);
          bottom = Math.max(bottom, y);
          break;
        }
      }
    }
  }
  return right < 0 ? null : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/** Mean of each channel. */
export function channelMeans(image: Pixels): number[] {
  const sums = new Array<number>(image.channels).fill(0);
  for (let i = 0; i < image.data.length; i++) sums[i % image.channels] += image.data[i];
  return sums.map((sum) => sum / (image.width * image.height));
}
