import type { FloatImage } from './grey-image';
import type { Integral } from './integral';

/**
 * A template minus its mean, with the norm of what is left: the constant half of the score.
 * `margin` pixels were cropped from each side (see prepareTemplate); width and height are
 * those of what is left, and positions passed to scoreAt are of the uncropped template.
 */
export interface PreparedTemplate {
  data: Float32Array;
  width: number;
  height: number;
  margin: number;
  norm: number;
  /** Windows whose centred sum of squares is below this score 0 (see MIN_CONTRAST). */
  minWindowSquares: number;
}

/**
 * Windows (and templates) flatter than this, per pixel, score 0: their correlation is noise
 * amplified by a near-zero denominator. A variance of 1 is a standard deviation of one grey level.
 */
const MIN_PIXEL_VARIANCE = 1;

/**
 * NCC ignores contrast, so a near-black or washed-out window with faint structure can score as
 * high as the real thing. A window with under a quarter of the template's contrast (standard
 * deviation) is not taken for it; instances that are up to 4x flatter still match.
 */
const MIN_CONTRAST = 0.25;

/**
 * Null for a uniform template, which correlates with nothing. A reduced template's border
 * pixels were blurred against copies of the edge where the image has its own surroundings, so
 * pyramid levels crop a `margin` of them.
 */
export function prepareTemplate(image: FloatImage, margin = 0): PreparedTemplate | null {
  const width = image.width - 2 * margin;
  const height = image.height - 2 * margin;
  const n = width * height;
  let mean = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) mean += image.data[(y + margin) * image.width + x + margin];
  }
  mean /= n;
  const data = new Float32Array(n);
  let squares = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = image.data[(y + margin) * image.width + x + margin] - mean;
      data[y * width + x] = v;
      squares += v * v;
    }
  }
  if (squares <= n * MIN_PIXEL_VARIANCE) return null;
  const minWindowSquares = Math.max(n * MIN_PIXEL_VARIANCE, MIN_CONTRAST * MIN_CONTRAST * squares);
  return { data, width, height, margin, norm: Math.sqrt(squares), minWindowSquares };
}

/** Zero-mean NCC from the cross term and the window's sums (TM_CCOEFF_NORMED). */
function normalise(cross: number, sum: number, squares: number, n: number, template: PreparedTemplate): number {
  const centred = squares - (sum * sum) / n;
  if (centred < template.minWindowSquares) return 0;
  const score = cross / (template.norm * Math.sqrt(centred));
  return score > 1 ? 1 : score < -1 ? -1 : score;
}

/**
 * Score of the template with its (uncropped) top-left corner at (originX, originY); the
 * compared window must lie inside the image and `stats`.
 */
export function scoreAt(image: FloatImage, stats: Integral, template: PreparedTemplate, originX: number, originY: number): number {
  const { width: tw, height: th, data: t } = template;
  const x = originX + template.margin;
  const y = originY + template.margin;
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
  return normalise(cross, sum, squares, tw * th, template);
}

/**
 * Scores at every position of the (cropped) template, (width - tw + 1) x (height - th + 1):
 * index (x, y) is the template's origin at (x - margin, y - margin). Each template pixel adds
 * its multiple of a contiguous image row to a row of accumulators, so the inner loops are
 * straight runs over typed arrays. Output rows go in pairs, so each image row is loaded once
 * for both (template rows j and j-1), and four template columns at a time: about 30% faster
 * than one row at a time. `betweenRows` is awaited when it returns a promise (progress, cancel).
 */
export async function scoreMap(
  image: FloatImage,
  stats: Integral,
  template: PreparedTemplate,
  betweenRows?: (rowsDone: number, rows: number) => Promise<void> | undefined,
): Promise<{ scores: Float32Array; width: number; height: number }> {
  const { width: tw, height: th } = template;
  const w = image.width;
  const nx = w - tw + 1;
  const ny = image.height - th + 1;
  const scores = new Float32Array(nx * ny);
  const first = new Float64Array(nx);
  const second = new Float64Array(nx);
  for (let y = 0; y < ny; y += 2) {
    first.fill(0);
    second.fill(0);
    const pair = y + 1 < ny;
    for (let r = 0; r <= th; r++) {
      const rowBase = (y + r) * w;
      // Image row y+r is template row r for output row y and row r-1 for output row y+1.
      const forFirst = r < th;
      const forSecond = pair && r > 0;
      if (forFirst && forSecond) addRowTwice(template, r, r - 1, image.data, rowBase, nx, first, second);
      else if (forFirst) addRow(template, r, image.data, rowBase, nx, first);
      else if (forSecond) addRow(template, r - 1, image.data, rowBase, nx, second);
    }
    writeScores(first, y, nx, stats, template, scores);
    if (pair) writeScores(second, y + 1, nx, stats, template, scores);
    const pause = betweenRows?.(Math.min(ny, y + 2), ny);
    if (pause) await pause;
  }
  return { scores, width: nx, height: ny };
}

/** acc[x] += Σ_i t[j][i] · img[base + x + i] */
function addRow(template: PreparedTemplate, j: number, img: Float32Array, base: number, nx: number, acc: Float64Array): void {
  const { width: tw, data: t } = template;
  const o = j * tw;
  let i = 0;
  for (; i + 3 < tw; i += 4) {
    const c0 = t[o + i];
    const c1 = t[o + i + 1];
    const c2 = t[o + i + 2];
    const c3 = t[o + i + 3];
    const b = base + i;
    for (let x = 0; x < nx; x++) {
      const p = b + x;
      acc[x] += c0 * img[p] + c1 * img[p + 1] + c2 * img[p + 2] + c3 * img[p + 3];
    }
  }
  for (; i < tw; i++) {
    const c = t[o + i];
    const b = base + i;
    for (let x = 0; x < nx; x++) acc[x] += c * img[b + x];
  }
}

/** addRow for two template rows against the same image row, loading each pixel once. */
function addRowTwice(
  template: PreparedTemplate,
  j: number,
  k: number,
  img: Float32Array,
  base: number,
  nx: number,
  accJ: Float64Array,
  accK: Float64Array,
): void {
  const { width: tw, data: t } = template;
  const oj = j * tw;
  const ok = k * tw;
  let i = 0;
  for (; i + 3 < tw; i += 4) {
    const p0 = t[oj + i];
    const p1 = t[oj + i + 1];
    const p2 = t[oj + i + 2];
    const p3 = t[oj + i + 3];
    const q0 = t[ok + i];
    const q1 = t[ok + i + 1];
    const q2 = t[ok + i + 2];
    const q3 = t[ok + i + 3];
    const b = base + i;
    for (let x = 0; x < nx; x++) {
      const p = b + x;
      const v0 = img[p];
      const v1 = img[p + 1];
      const v2 = img[p + 2];
      const v3 = img[p + 3];
      accJ[x] += p0 * v0 + p1 * v1 + p2 * v2 + p3 * v3;
      accK[x] += q0 * v0 + q1 * v1 + q2 * v2 + q3 * v3;
    }
  }
  for (; i < tw; i++) {
    const p0 = t[oj + i];
    const q0 = t[ok + i];
    const b = base + i;
    for (let x = 0; x < nx; x++) {
      const v = img[b + x];
      accJ[x] += p0 * v;
      accK[x] += q0 * v;
    }
  }
}

function writeScores(cross: Float64Array, y: number, nx: number, stats: Integral, template: PreparedTemplate, scores: Float32Array): void {
  const { width: tw, height: th } = template;
  const n = tw * th;
  const s = stats.stride;
  const top = (y - stats.top) * s - stats.left;
  const bottom = top + th * s;
  const out = y * nx;
  for (let x = 0; x < nx; x++) {
    const a = top + x;
    const c = bottom + x;
    const sum = stats.sum[c + tw] - stats.sum[a + tw] - stats.sum[c] + stats.sum[a];
    const squares = stats.squares[c + tw] - stats.squares[a + tw] - stats.squares[c] + stats.squares[a];
    scores[out + x] = normalise(cross[x], sum, squares, n, template);
  }
}
