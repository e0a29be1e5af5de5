import type { FloatImage } from './grey-image';

/** Half size by 2x2 box averaging (an odd last row or column is dropped): one pyramid step. */
export function halve(image: FloatImage): FloatImage {
  const width = image.width >> 1;
  const height = image.height >> 1;
  const src = image.data;
  const sw = image.width;
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const r0 = 2 * y * sw;
    const r1 = r0 + sw;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      const i = 2 * x;
      data[out + x] = (src[r0 + i] + src[r0 + i + 1] + src[r1 + i] + src[r1 + i + 1]) * 0.25;
    }
  }
  return { data, width, height };
}

/**
 * Resize to any size with a separable triangle filter whose support widens when shrinking,
 * so a shrunken template is anti-aliased like the photo it is compared with.
 */
export function resize(image: FloatImage, width: number, height: number): FloatImage {
  const horizontal = resample1d(image.data, image.width, image.height, width, true);
  return { data: resample1d(horizontal, width, image.height, height, false), width, height };
}

function resample1d(src: Float32Array, sw: number, sh: number, size: number, alongRows: boolean): Float32Array {
  const from = alongRows ? sw : sh;
  const lines = alongRows ? sh : sw;
  const ratio = from / size;
  const support = Math.max(1, ratio);
  const out = new Float32Array(alongRows ? size * sh : sw * size);
  for (let o = 0; o < size; o++) {
    const centre = (o + 0.5) * ratio - 0.5;
    const first = Math.max(0, Math.ceil(centre - support));
    const last = Math.min(from - 1, Math.floor(centre + support));
    const weights: number[] = [];
    let total = 0;
    for (let s = first; s <= last; s++) {
      const w = Math.max(0, 1 - Math.abs(s - centre) / support);
      weights.push(w);
      total += w;
    }
    for (let line = 0; line < lines; line++) {
      let acc = 0;
      for (let s = first; s <= last; s++) {
        const index = alongRows ? line * sw + s : s * sw + line;
        acc += weights[s - first] * src[index];
      }
      out[alongRows ? line * size + o : o * sw + line] = acc / total;
    }
  }
  return out;
}

/** Rotate clockwise by a multiple of 90 degrees: exact, no resampling. */
export function rotateQuarter(image: FloatImage, quarterTurns: number): FloatImage {
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns === 0) return image;
  const { width: w, height: h, data: src } = image;
  const width = turns === 2 ? w : h;
  const height = turns === 2 ? h : w;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let tx: number;
      let ty: number;
      if (turns === 1) {
        tx = h - 1 - y;
        ty = x;
      } else if (turns === 2) {
        tx = w - 1 - x;
        ty = h - 1 - y;
      } else {
        tx = y;
        ty = w - 1 - x;
      }
      data[ty * width + tx] = src[y * w + x];
    }
  }
  return { data, width, height };
}
