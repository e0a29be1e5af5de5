import type { FloatImage } from './grey-image';
import type { Integral } from './integral';

/** A template minus its mean, with the norm of what is left: the constant half of the score. */
export interface PreparedTemplate {
  data: Float32Array;
  width: number;
  height: number;
  norm: number;
}

/**
 * Windows (and templates) flatter than this, per pixel, score 0: their correlation is noise
 * amplified by a near-zero denominator. A variance of 1 is a standard deviation of one grey level.
 */
const MIN_PIXEL_VARIANCE = 1;

/** Null for a uniform template, which correlates with nothing. */
export function prepareTemplate(image: FloatImage): PreparedTemplate | null {
  const n = image.data.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += image.data[i];
  mean /= n;
  const data = new Float32Array(n);
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const v = image.data[i] - mean;
    data[i] = v;
    squares += v * v;
  }
  if (squares <= n * MIN_PIXEL_VARIANCE) return null;
  return { data, width: image.width, height: image.height, norm: Math.sqrt(squares) };
}

/** Zero-mean NCC from the cross term and the window's sums (TM_CCOEFF_NORMED). */
function normalise(cross: number, sum: number, squares: number, n: number, templateNorm: number): number {
  const variance = squares - (sum * sum) / n;
  if (variance <= n * MIN_PIXEL_VARIANCE) return 0;
  const score = cross / (templateNorm * Math.sqrt(variance));
  return score > 1 ? 1 : score < -1 ? -1 : score;
}

/** Score of the template with its top-left corner at (x, y); the window must lie inside the image and `stats`. */
export function scoreAt(image: FloatImage, stats: Integral, template: PreparedTemplate, x: number, y: number): number {
  const { width: tw, height: th, data: t } = template;
  const img = image.data;
  const w = image.width;
  let cross = 0;
  for (let j = 0; j < th; j++) {
    const row = (y + j) * w + x;
    const tRow = j * tw;
    for (let i = 0; i < tw; i++) cross += t[tRow + i] * img[row + i];
  }
  const s = stats.stride;
  const a = (y - stats.top) * s + (x - stats.left);
  const b = a + tw;
  const c = a + th * s;
  const d = c + tw;
  const sum = stats.sum[d] - stats.sum[b] - stats.sum[c] + stats.sum[a];
  const squares = stats.squares[d] - stats.squares[b] - stats.squares[c] + stats.squares[a];
  return normalise(cross, sum, squares, tw * th, template.norm);
}

/**
 * Scores at every position, (width - tw + 1) x (height - th + 1), row by row. Each template
 * pixel adds its multiple of a contiguous image row to the row's accumulators, four template
 * columns per pass, which keeps the inner loop a straight run over typed arrays.
 * `betweenRows` is awaited when it returns a promise (progress, cancellation).
 */
export async function scoreMap(
  image: FloatImage,
  stats: Integral,
  template: PreparedTemplate,
  betweenRows?: (rowsDone: number, rows: number) => Promise<void> | undefined,
): Promise<{ scores: Float32Array; width: number; height: number }> {
  const { width: tw, height: th, data: t } = template;
  const img = image.data;
  const w = image.width;
  const nx = w - tw + 1;
  const ny = image.height - th + 1;
  const scores = new Float32Array(nx * ny);
  const acc = new Float64Array(nx);
  const n = tw * th;
  const s = stats.stride;
  for (let y = 0; y < ny; y++) {
    acc.fill(0);
    for (let j = 0; j < th; j++) {
      const rowBase = (y + j) * w;
      const tRow = j * tw;
      let i = 0;
      for (; i + 3 < tw; i += 4) {
        const t0 = t[tRow + i];
        const t1 = t[tRow + i + 1];
        const t2 = t[tRow + i + 2];
        const t3 = t[tRow + i + 3];
        const base = rowBase + i;
        for (let x = 0; x < nx; x++) {
          const p = base + x;
          acc[x] += t0 * img[p] + t1 * img[p + 1] + t2 * img[p + 2] + t3 * img[p + 3];
        }
      }
      for (; i < tw; i++) {
        const t0 = t[tRow + i];
        const base = rowBase + i;
        for (let x = 0; x < nx; x++) acc[x] += t0 * img[base + x];
      }
    }
    const out = y * nx;
    const top = y * s;
    const bottom = (y + th) * s;
    for (let x = 0; x < nx; x++) {
      const a = top + x;
      const c = bottom + x;
      const sum = stats.sum[c + tw] - stats.sum[a + tw] - stats.sum[c] + stats.sum[a];
      const squares = stats.squares[c + tw] - stats.squares[a + tw] - stats.squares[c] + stats.squares[a];
      scores[out + x] = normalise(acc[x], sum, squares, n, template.norm);
    }
    const pause = betweenRows?.(y + 1, ny);
    if (pause) await pause;
  }
  return { scores, width: nx, height: ny };
}
