import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageFormat } from '../generated/graphql';
import { addsTransparency, applyStep, checkAnimates, mergeFrameFindings, planJob, type JobSpec, type OperationStep, type VariantSpec } from '../operations/catalogue';
import { oversize, type Findings, type Match, type Size, type SizeBounds, type StepContext } from '../operations/operation';
import { chooseFormat, encodeOutput, kept, keeping, keepsAlpha, type AnimationTiming, type Kept } from '../operations/output';
import { DarkroomError } from '../errors';
import { inspectInput, type InputPolicy } from './input-policy';
import { iccColourSpace } from './icc';
import { placeholder, type Placeholder } from './placeholder';
import { classifySharpError } from './sharp-errors';

export interface ProcessLimits extends InputPolicy {
  /** Largest image a job makes, along the way or at the end. */
  output: SizeBounds;
  /** libvips' own limit per pipeline; the worker also guards the whole job. */
  timeoutSeconds: number;
}

function checkSize(size: Size, limits: ProcessLimits): void {
  const tooLarge = oversize(size, limits.output);
  if (tooLarge) throw new DarkroomError('LIMIT_EXCEEDED', `The job would make ${tooLarge}.`);
}

/** One variant's output. */
export interface ProcessedImage {
  name: string;
  data: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
  matches: Match[];
  placeholder: Placeholder | null;
}

/**
 * Called as the job moves: `done` of `total` steps (every operation, and the
 * encoding of each variant); fractional while a long step reports its own progress.
 */
export type StepListener = (done: number, total: number) => Promise<void>;

export function displayedSize(meta: Metadata, autoOrient: boolean): Size {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // EXIF orientations 5 to 8 turn the image a quarter, swapping its sides.
  const swap = autoOrient && (meta.orientation ?? 1) >= 5;
  return swap ? { width: height, height: width } : { width, height };
}

/** Formats that can carry every frame of an animation. */
const ANIMATES: ReadonlySet<ImageFormat> = new Set(['GIF', 'WEBP']);

/** Where the image stands between steps. */
interface Stage {
  image: Sharp;
  /** One frame's size. */
  size: Size;
  /** Transparency appears with some operations and, once there, stays until the encoder. */
  alpha: boolean;
  /** Frames stacked top to bottom, as libvips holds an animation. */
  frames: number;
  /** The decoded pixels behind `image`, when it was materialised as raw pixels. */
  pixels: { data: Buffer; channels: 1 | 2 | 3 | 4 } | null;
  /** Frame timing of an animation, carried to the encoder. */
  timing: AnimationTiming | null;
  matches: Match[];
}

/**
 * Materialise a step so the next operation sees its result, in the order the
 * client gave (sharp orders operations inside one pipeline by its own rules).
 * Raw pixels are cheapest, but sharp writes a greyscale image as its one grey
 * band, dropping alpha; uncompressed PNG keeps alpha, and EXIF and XMP or the
 * ICC profile when they must travel along (TIFF keeps only a stub of the EXIF).
 * Frames of an animation only survive as raw pixels with their page height.
 */
async function materialise(stage: Stage, keep: Kept, seconds: number): Promise<Stage> {
  if (stage.frames === 1 && (keep.metadata || keep.icc || stage.alpha)) {
    const { data, info } = await keeping(stage.image, keep).png({ compressionLevel: 0 }).toBuffer({ resolveWithObject: true });
    return { ...stage, image: sharp(data).timeout({ seconds }), size: { width: info.width, height: info.height }, pixels: null };
  }
  const { data, info } = await stage.image.raw().toBuffer({ resolveWithObject: true });
  const pageHeight = info.height / stage.frames;
  const raw = { width: info.width, height: info.height, channels: info.channels, ...(stage.frames > 1 ? { pageHeight } : {}) };
  return {
    ...stage,
    image: sharp(data, { raw }).timeout({ seconds }),
    size: { width: info.width, height: pageHeight },
    pixels: { data, channels: info.channels },
  };
}

/**
 * Apply a step to each frame of a materialised animation on its own, so that
 * every operation (a crop, a flip, a rotation, an overlay) acts per frame
 * rather than on libvips' strip of stacked frames.
 */
async function perFrame(stage: Stage, apply: (frame: Sharp, size: Size, index: number) => Promise<Sharp>, seconds: number): Promise<Stage> {
  if (!stage.pixels) throw new Error('an animation must be materialised before a step');
  const { width, height } = stage.size;
  const { data, channels } = stage.pixels;
  const frameBytes = width * height * channels;
  const frames: Buffer[] = [];
  let size: Size | null = null;
  let outChannels = channels;
  for (let i = 0; i < stage.frames; i++) {
    const frame = sharp(data.subarray(i * frameBytes, (i + 1) * frameBytes), { raw: { width, height, channels } }).timeout({ seconds });
    const out = await (await apply(frame, stage.size, i)).raw().toBuffer({ resolveWithObject: true });
    size = { width: out.info.width, height: out.info.height };
    outChannels = out.info.channels;
    frames.push(out.data);
  }
  const strip = Buffer.concat(frames);
  const raw = { width: size!.width, height: size!.height * stage.frames, channels: outChannels, pageHeight: size!.height };
  return { ...stage, image: sharp(strip, { raw }).timeout({ seconds }), size: size!, pixels: { data: strip, channels: outChannels } };
}

/**
 * The first frame of an animation, for an output format that cannot animate.
 * Only a job with several variants decodes frames some variant drops, and
 * that job branches from raw pixels, where the first frame is the first rows.
 */
function firstFrame(stage: Stage, seconds: number): Stage {
  if (stage.frames === 1) return stage;
  if (!stage.pixels) throw new Error('an animation reached a single-frame output without being materialised');
  const { width, height } = stage.size;
  const { data, channels } = stage.pixels;
  const frame = data.subarray(0, width * height * channels);
  return { ...stage, image: sharp(frame, { raw: { width, height, channels } }).timeout({ seconds }), frames: 1, pixels: { data: frame, channels } };
}

/**
 * keepIcc only where the input's profile can stay: with the RGB pixels every
 * output holds, only an RGB one. Asked to keep a CMYK or grey profile, libvips
 * drops it anyway and converts to sRGB without it (CMYK comes out several
 * levels darker), so such an input is converted as without keepIcc.
 */
function keepingIccWhereItFits(spec: JobSpec, meta: Metadata): JobSpec {
  if (!meta.icc || iccColourSpace(meta.icc) === 'RGB') return spec;
  return { ...spec, variants: spec.variants.map((variant) => ({ ...variant, output: { ...variant.output, keepIcc: false } })) };
}

/**
 * Run a job on `input`: the shared operations once, then each variant's
 * operations and encoding. A job with one variant runs as one chain whose last
 * operation shares a sharp pipeline with the encoder, so a one-operation job
 * costs what the same call to sharp costs, unless the encoder must flatten
 * transparency. With several variants, the shared result is decoded once and
 * every variant branches from it.
 */
export async function processImage(
  input: Buffer,
  job: JobSpec,
  limits: ProcessLimits,
  onStep: StepListener,
  files: readonly Buffer[] = [],
): Promise<ProcessedImage[]> {
  const meta = await inspectInput(input, limits);
  const spec = keepingIccWhereItFits(job, meta);
  const start = displayedSize(meta, spec.autoOrient);
  planJob(spec, start, limits.output);

  const formats = spec.variants.map((variant) => chooseFormat(variant.output.format, meta));
  // Decode every frame only when some output can keep them.
  const frames = spec.animated && formats.some((format) => ANIMATES.has(format)) ? (meta.pages ?? 1) : 1;
  const source = await vips(() =>
    sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'warning', animated: frames > 1 }).timeout({
      seconds: limits.timeoutSeconds,
    }),
  );
  const total = spec.operations.length + spec.variants.reduce((sum, variant) => sum + variant.operations.length + 1, 0);
  const run = new StepRunner(limits, onStep, files, total);
  let stage: Stage = {
    image: spec.autoOrient ? source.autoOrient() : source,
    size: start,
    alpha: meta.hasAlpha,
    frames,
    pixels: null,
    timing: frames > 1 ? { delay: meta.delay, loop: meta.loop } : null,
    matches: [],
  };
  // An animation is decoded once into raw frames, which every step then works on one by one.
  if (frames > 1) stage = await vips(() => materialise(stage, kept([]), limits.timeoutSeconds));

  if (spec.variants.length === 1) {
    const [variant] = spec.variants;
    return [await run.variant(stage, variant, formats[0], [...spec.operations, ...variant.operations], true)];
  }
  const keep = kept(spec.variants.map((variant) => variant.output));
  stage = await run.steps(stage, spec.operations, keep);
  if (spec.operations.length === 0 && !stage.pixels) stage = await vips(() => materialise(stage, keep, limits.timeoutSeconds));
  const results: ProcessedImage[] = [];
  for (let i = 0; i < spec.variants.length; i++) {
    const variant = spec.variants[i];
    const branch = { ...stage, image: stage.image.clone() };
    try {
      results.push(await run.variant(branch, variant, formats[i], variant.operations, i === spec.variants.length - 1));
    } catch (err) {
      // One failing variant fails the job, saying which.
      if (err instanceof DarkroomError) throw new DarkroomError(err.code, `Variant "${variant.name}": ${err.message}`, err.field, err.details);
      throw err;
    }
  }
  return results;
}

/** Applies steps in order, counting them for progress. */
class StepRunner {
  private done = 0;

  constructor(
    private readonly limits: ProcessLimits,
    private readonly onStep: StepListener,
    private readonly files: readonly Buffer[],
    private readonly total: number,
  ) {}

  /** Apply `steps`, materialising after each so the next sees its result, the last included. */
  async steps(stage: Stage, steps: readonly OperationStep[], keep: Kept): Promise<Stage> {
    for (const step of steps) {
      stage = await this.apply(stage, step);
      if (!stage.pixels) stage = await vips(() => materialise(stage, keep, this.limits.timeoutSeconds));
      await this.advance(stage.size);
    }
    return stage;
  }

  /**
   * One variant to the end: its steps (the last one left in the encoder's
   * pipeline where it can be), then encoding; the job's `last` encoding is
   * reported by its completion instead.
   */
  async variant(stage: Stage, variant: VariantSpec, format: ImageFormat, steps: readonly OperationStep[], last: boolean): Promise<ProcessedImage> {
    if (!ANIMATES.has(format)) stage = firstFrame(stage, this.limits.timeoutSeconds);
    const keep = kept([variant.output]);
    // The encoding, and the last operation when it shares the encoder's pipeline.
    let encoded = 1;
    for (let i = 0; i < steps.length; i++) {
      stage = await this.apply(stage, steps[i]);
      // sharp flattens before any operation in its pipeline, so when the encoder
      // must flatten, the last operation needs a pass of its own as well.
      if (i < steps.length - 1 || (stage.alpha && !keepsAlpha(format, variant.output)) || stage.pixels) {
        if (!stage.pixels) stage = await vips(() => materialise(stage, keep, this.limits.timeoutSeconds));
        await this.advance(stage.size);
      } else {
        encoded++;
      }
    }
    const { data, info } = await vips(() => encodeOutput(stage.image, variant.output, format, stage.timing));
    const height = stage.frames > 1 ? (info.pageHeight ?? info.height) : info.height;
    checkSize({ width: info.width, height }, this.limits);
    if (!last) await this.advance({ width: info.width, height }, encoded);
    const standIn = variant.output.placeholder ? await vips(() => placeholder(data)) : null;
    return { name: variant.name, data, format, width: info.width, height, matches: stage.matches, placeholder: standIn };
  }

  private async apply(stage: Stage, step: OperationStep): Promise<Stage> {
    let stopped: { reason: unknown } | null = null;
    const context = (size: Size, findings: Findings, frame: number): StepContext => ({
      size,
      files: this.files,
      findings,
      progress: async (fraction: number) => {
        // Let timers and I/O run between slices of a long step.
        await new Promise<void>((resolve) => setImmediate(resolve));
        // Each frame of an animation is an equal share of the step.
        const within = (frame + Math.min(1, Math.max(0, fraction))) / stage.frames;
        await this.onStep(this.done + within, this.total).catch((reason) => {
          stopped = { reason };
          throw reason;
        });
      },
    });
    try {
      const alpha = stage.alpha || addsTransparency(step);
      if (stage.frames > 1) {
        checkAnimates(step);
        const found: Findings[] = [];
        const next = await perFrame(
          stage,
          (frame, size, index) => {
            const findings: Findings = { matches: [] };
            found.push(findings);
            return Promise.resolve(applyStep(frame, step, context(size, findings, index)));
          },
          this.limits.timeoutSeconds,
        );
        return { ...next, alpha, matches: [...stage.matches, ...mergeFrameFindings(step, found).matches] };
      }
      const findings: Findings = { matches: [] };
      const image = await applyStep(stage.image, step, context(stage.size, findings, 0));
      return { ...stage, image, alpha, pixels: null, matches: [...stage.matches, ...findings.matches] };
    } catch (err) {
      // The listener's own refusal (a cancel, a lost backend) is not an image error.
      if (stopped) throw (stopped as { reason: unknown }).reason;
      throw classifySharpError(err);
    }
  }

  private async advance(size: Size, steps = 1): Promise<void> {
    checkSize(size, this.limits);
    this.done += steps;
    await this.onStep(this.done, this.total);
  }
}

/** Image work fails with a classified DarkroomError; the step listener's own errors pass untouched. */
async function vips<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw classifySharpError(err);
  }
}
