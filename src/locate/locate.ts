import { badInput } from '../errors';
import { toFloat, type FloatImage, type GreyImage } from './grey-image';
import { integral, type Integral } from './integral';
import { prepareTemplate, scoreAt, scoreMap, type PreparedTemplate } from './ncc';
import { suppress } from './nms';
import { locateOptions, type LocateOptions } from './options';
import { Pacer } from './pacer';
import { reduce, resize, rotateQuarter } from './resample';

export interface Match {
  /** Top-left corner of the matched window, in pixels of the searched image. */
  x: number;
  y: number;
  /** Size of the window: the template at `scale`, turned by `angle`. */
  width: number;
  height: number;
  /** Zero-mean normalised cross-correlation, -1..1 (only scores >= threshold are returned). */
  score: number;
  scale: number;
  /** Clockwise turn of the template that matched: 0, 90, 180 or 270 degrees. */
  angle: number;
}

export interface LocateHooks {
  /** Awaited every few milliseconds of work with the fraction done (0..1); throw to abort. */
  onProgress?(fraction: number): Promise<void>;
}

/** The smallest template side accepted. */
export const MIN_TEMPLATE_SIDE = 8;
/** Scales that shrink the template below this are skipped. */
const MIN_SCALED_SIDE = 4;
/** The coarse search runs at the deepest pyramid level where the template keeps this many pixels a side. */
const MIN_COARSE_SIDE = 12;
const MAX_LEVELS = 4;
/** Pixels cropped from each side of a reduced template (blurred against copies of its own edge). */
const PYRAMID_MARGIN = 1;
/** Coarse scores run lower than full-resolution ones (blur, sub-pixel phase: down to ~0.87 of it), so candidates get this much slack. */
const COARSE_SLACK = 0.25;
/** Candidates refined per scale and turn: enough that decoys cannot crowd out the real instances. */
const CANDIDATES_BASE = 32;
const CANDIDATES_PER_MATCH = 4;
/** Each finer level searches this far beyond the two children of the coarser position (the climb at full resolution goes further when needed). */
const REFINE_RADIUS = 1;
/** Matches overlapping a better one by more than this are the same instance. */
const NMS_IOU = 0.3;
/** Share of a pass's estimated work spent refining, for the progress fraction. */
const REFINE_SHARE = 0.2;

/** One scale and turn of the template, with its own pyramid. */
interface Pass {
  scale: number;
  angle: number;
  /** Template pyramid, index = level (0 = full resolution). */
  templates: PreparedTemplate[];
  coarseWork: number;
}

/**
 * Finds where `template` appears in `image` by zero-mean normalised cross-correlation
 * (OpenCV's TM_CCOEFF_NORMED) on greyscale, best match first.
 *
 * For each scale (the template resized) and, when rotation-invariant, each quarter turn
 * (0/90/180/270, exact pixel moves), the whole image is scored at the coarsest Gaussian-pyramid
 * level where the template keeps MIN_COARSE_SIDE pixels a side (64x64: a quarter of the size),
 * with window sums from integral images. The best local maxima are followed down the pyramid,
 * one level at a time within a pixel of where they should land, then climbed to the peak at
 * full resolution; greedy non-maximum suppression (IoU > 0.3) keeps one match per instance
 * across positions, scales and turns. Windows with under a quarter of the template's contrast
 * score 0. Angles between quarter turns are not searched: a turned square leaves corners that
 * need a masked correlation, which integral-image sums do not give; a coarse angle step of 90°
 * suits pictures scanned or photographed sideways, not freely rotated objects.
 */
export async function locate(
  image: GreyImage,
  template: GreyImage,
  options: Partial<LocateOptions> = {},
  hooks: LocateHooks = {},
  field = 'locate',
): Promise<Match[]> {
  const opts = locateOptions(options, field);
  checkShape(image, 'image');
  checkShape(template, 'template');
  if (template.width < MIN_TEMPLATE_SIDE || template.height < MIN_TEMPLATE_SIDE) {
    throw badInput(`${field}.template`, `must be at least ${MIN_TEMPLATE_SIDE}x${MIN_TEMPLATE_SIDE} pixels, got ${template.width}x${template.height}`);
  }
  const passes = planPasses(image, toFloat(template), opts, field);
  const pacer = new Pacer(hooks.onProgress);
  const totalWork = passes.reduce((total, pass) => total + pass.coarseWork * (1 + REFINE_SHARE), 0);
  // Finer levels are only ever looked at around candidates, so only coarse levels get whole-image tables.
  const levels: FloatImage[] = [];
  const level = (index: number): FloatImage => {
    while (levels.length <= index) levels.push(levels.length === 0 ? toFloat(image) : reduce(levels[levels.length - 1]));
    return levels[index];
  };
  const tables = new Map<number, Integral>();
  const coarseTables = (index: number): Integral => {
    let stats = tables.get(index);
    if (!stats) tables.set(index, (stats = integral(level(index))));
    return stats;
  };

  const found: Match[] = [];
  let workDone = 0;
  for (const pass of passes) {
    const coarse = pass.templates.length - 1;
    const map = await scoreMap(level(coarse), coarseTables(coarse), pass.templates[coarse], (rows, of) =>
      pacer.maybe((workDone + (pass.coarseWork * rows) / of) / totalWork),
    );
    workDone += pass.coarseWork;
    const limit = CANDIDATES_BASE + CANDIDATES_PER_MATCH * opts.maxMatches;
    const candidates = localMaxima(map.scores, map.width, map.height, Math.max(0, opts.threshold - COARSE_SLACK), limit);
    const margin = pass.templates[coarse].margin;
    const refineWork = pass.coarseWork * REFINE_SHARE;
    for (let c = 0; c < candidates.length; c++) {
      // Positions from here on are of the template's uncropped origin.
      let x = candidates[c].x - margin;
      let y = candidates[c].y - margin;
      let score = 0;
      let alive = true;
      for (let l = coarse - 1; l >= 0 && alive; l--) {
        ({ x, y, score } = refine(level(l), pass.templates[l], x, y));
        // Coarse-level scores track full-resolution ones closely (Gaussian pyramid), so a
        // candidate this far below the threshold on the way down is dropped before the costly levels.
        alive = l === 0 || score >= opts.threshold - COARSE_SLACK;
      }
      if (coarse === 0) score = candidates[c].score;
      if (alive) ({ x, y, score } = climb(level(0), pass.templates[0], x, y, score));
      if (alive && score >= opts.threshold) {
        const { width, height } = pass.templates[0];
        found.push({ x, y, width, height, score, scale: pass.scale, angle: pass.angle });
      }
      const pause = pacer.maybe((workDone + (refineWork * (c + 1)) / candidates.length) / totalWork);
      if (pause) await pause;
    }
    workDone += refineWork;
  }
  return suppress(found, NMS_IOU, opts.maxMatches);
}

/**
 * Matches found in separate searches of one picture (the frames of an animation)
 * as one list, best first, at most `maxMatches`: an instance found in several
 * searches counts once, as it does across scales and turns.
 */
export function mergeMatches(lists: readonly Match[][], maxMatches: number): Match[] {
  return suppress(lists.flat(), NMS_IOU, maxMatches);
}

function checkShape(image: GreyImage, what: string): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1 || image.data.length !== image.width * image.height) {
    throw new Error(`${what}: expected ${image.width}x${image.height} single-channel pixels, got ${image.data.length} values`);
  }
}

function planPasses(image: GreyImage, template: FloatImage, opts: LocateOptions, field: string): Pass[] {
  const turns = opts.rotationInvariant ? [0, 1, 2, 3] : [0];
  const passes: Pass[] = [];
  for (const scale of opts.scales) {
    const width = Math.round(template.width * scale);
    const height = Math.round(template.height * scale);
    if (width < MIN_SCALED_SIDE || height < MIN_SCALED_SIDE) continue;
    const scaled = scale === 1 ? template : resize(template, width, height);
    for (const turn of turns) {
      const turned = rotateQuarter(scaled, turn);
      if (turned.width > image.width || turned.height > image.height) continue;
      const full = prepareTemplate(turned);
      if (!full) {
        throw badInput(`${field}.template`, 'is a single flat tone (or nearly): there is no pattern to look for');
      }
      const templates = [full];
      let pyramidImage = turned;
      let imageWidth = image.width;
      let imageHeight = image.height;
      while (templates.length <= MAX_LEVELS && Math.min(pyramidImage.width, pyramidImage.height) >> 1 >= MIN_COARSE_SIDE) {
        pyramidImage = reduce(pyramidImage);
        const prepared = prepareTemplate(pyramidImage, PYRAMID_MARGIN);
        // A template that goes flat when shrunk only has fine detail: search it at the finer level.
        if (!prepared) break;
        templates.push(prepared);
        imageWidth >>= 1;
        imageHeight >>= 1;
      }
      const coarse = templates[templates.length - 1];
      const positions = (imageWidth - coarse.width + 1) * (imageHeight - coarse.height + 1);
      passes.push({ scale, angle: turn * 90, templates, coarseWork: positions * coarse.width * coarse.height });
    }
  }
  if (passes.length === 0) {
    throw badInput(
      `${field}.template`,
      `${template.width}x${template.height} does not fit inside the ${image.width}x${image.height} image at any of the scales ${opts.scales.join(', ')} (or shrinks below ${MIN_SCALED_SIDE} pixels)`,
    );
  }
  return passes;
}

/**
 * Positions whose score is >= all 8 neighbours and >= `min`, best `limit` of them. A flat
 * score map (a plain image, a low threshold) makes every position a peak, so the list is cut
 * back to the best `limit` whenever it doubles: memory stays proportional to `limit`, not to
 * the image. The sort is stable and earlier positions stay ahead of later ties, so the result
 * is the one sorting every peak would give.
 */
function localMaxima(scores: Float32Array, width: number, height: number, min: number, limit: number): Array<{ x: number; y: number; score: number }> {
  const peaks: Array<{ x: number; y: number; score: number }> = [];
  const best = (): void => {
    peaks.sort((a, b) => b.score - a.score);
    if (peaks.length > limit) peaks.length = limit;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = scores[y * width + x];
      if (v < min) continue;
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
          if (scores[ny * width + nx] > v) {
            peak = false;
            break;
          }
        }
      }
      if (peak) {
        peaks.push({ x, y, score: v });
        if (peaks.length >= 2 * limit) best();
      }
    }
  }
  best();
  return peaks;
}

/**
 * Best-scoring origin with x in x0..x1 and y in y0..y1, clamped to where the (cropped) template
 * fits, with window sums from tables of just the pixels those windows cover.
 */
function bestIn(image: FloatImage, template: PreparedTemplate, x0: number, x1: number, y0: number, y1: number): { x: number; y: number; score: number } {
  const m = template.margin;
  const clamp = (v: number, max: number): number => Math.max(-m, Math.min(v, max));
  const maxX = image.width - template.width - m;
  const maxY = image.height - template.height - m;
  const left = clamp(x0, maxX);
  const top = clamp(y0, maxY);
  const right = Math.max(left, clamp(x1, maxX));
  const bottom = Math.max(top, clamp(y1, maxY));
  const stats = integral(image, left + m, top + m, right - left + template.width, bottom - top + template.height);
  let best = { x: left, y: top, score: -Infinity };
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      const score = scoreAt(image, stats, template, x, y);
      if (score > best.score) best = { x, y, score };
    }
  }
  return best;
}

/** Around the two children (2x, 2x+1) of a coarse position, REFINE_RADIUS further either side. */
function refine(level: FloatImage, template: PreparedTemplate, coarseX: number, coarseY: number): { x: number; y: number; score: number } {
  const x = 2 * coarseX;
  const y = 2 * coarseY;
  return bestIn(level, template, x - REFINE_RADIUS, x + 1 + REFINE_RADIUS, y - REFINE_RADIUS, y + 1 + REFINE_RADIUS);
}

/** Steps to a better neighbour until there is none, so the reported position is a true peak. */
function climb(level: FloatImage, template: PreparedTemplate, x: number, y: number, score: number): { x: number; y: number; score: number } {
  for (;;) {
    const next = bestIn(level, template, x - 1, x + 1, y - 1, y + 1);
    if (next.score <= score) return { x, y, score };
    ({ x, y, score } = next);
  }
}
