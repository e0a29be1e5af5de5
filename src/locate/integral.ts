import type { FloatImage } from './grey-image';

/**
 * Summed-area tables of the pixels and of their squares over a region of an image, with a
 * zero first row and column, so any window's sum is four look-ups. Float64 keeps squares of
 * 8-bit values exact for images far beyond any size the service accepts.
 */
export interface Integral {
  sum: Float64Array;
  squares: Float64Array;
  stride: number;
  /** Where the region starts in the image. */
  left: number;
  top: number;
}

/** Tables for the region (left, top, width, height), the whole image by default. */
export function integral(image: FloatImage, left = 0, top = 0, width = image.width - left, height = image.height - top): Integral {
  const { data } = image;
  const stride = width + 1;
  const sum = new Float64Array(stride * (height + 1));
  const squares = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    let rowSquares = 0;
    const src = (top + y) * image.width + left;
    const above = y * stride + 1;
    const here = above + stride;
    for (let x = 0; x < width; x++) {
      const v = data[src + x];
      rowSum += v;
      rowSquares += v * v;
      sum[here + x] = sum[above + x] + rowSum;
      squares[here + x] = squares[above + x] + rowSquares;
    }
  }
  return { sum, squares, stride, left, top };
}
