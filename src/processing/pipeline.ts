import sharp, { type Metadata, type Sharp } from 'sharp';
import type { ImageFormat } from '../generated/graphql';
import { addsTransparency, applyStep, planSizes, type JobSpec } from '../operations/catalogue';
import { oversize, type Size, type SizeBounds } from '../operations/operation';
import { chooseFormat, encode, FORMATS } from '../operations/output';
import { DarkroomError } from '../errors';
import { inspectInput, type InputPolicy } from './input-policy';
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

export interface ProcessedImage {
  data: Buffer;
  format: ImageFormat;
  width: number;
  height: number;
}

/** Called after each materialised step: `done` of `total` steps (operations plus encoding). */
export type StepListener = (done: number, total: number) => Promise<void>;

export function displayedSize(meta: Metadata, autoOrient: boolean): Size {
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // EXIF orientations 5 to 8 turn the image a quarter, swapping its sides.
  const swap = autoOrient && (meta.orientation ?? 1) >= 5;
  return swap ? { width: height, height: width } : { width, height };
}

/**
 * Materialise a step so the next operation sees its result, in the order the
 * client gave (sharp orders operations inside one pipeline by its own rules).
 * Raw pixels are cheapest, but sharp writes a greyscale image as its one grey
 * band, dropping alpha; uncompressed PNG keeps alpha, and EXIF and XMP when
 * metadata must travel along (TIFF keeps only a stub of the EXIF).
 */
async function materialise(image: Sharp, keepMetadata: boolean, alpha: boolean, seconds: number): Promise<{ image: Sharp; size: Size }> {
  if (keepMetadata || alpha) {
    const kept = keepMetadata ? image.keepExif().keepXmp() : image;
    const { data, info } = await kept.png({ compressionLevel: 0 }).toBuffer({ resolveWithObject: true });
    return { image: sharp(data).timeout({ seconds }), size: info };
  }
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  return { image: sharp(data, { raw }).timeout({ seconds }), size: info };
}

/**
 * Run a job's operations on `input` in order and encode the output. The last
 * operation shares one sharp pipeline with the encoder, so a one-operation job
 * costs what the same call to sharp costs, unless the encoder must flatten
 * transparency.
 */
export async function processImage(
  input: Buffer,
  spec: JobSpec,
  limits: ProcessLimits,
  onStep: StepListener,
): Promise<ProcessedImage> {
  const meta = await inspectInput(input, limits);
  let size = displayedSize(meta, spec.autoOrient);
  planSizes(spec.operations, size, limits.output);
  const source = await vips(() => sharp(input, { limitInputPixels: limits.maxInputPixels, failOn: 'warning' }).timeout({ seconds: limits.timeoutSeconds }));
  const format = chooseFormat(spec.output.format, meta);
  let image = spec.autoOrient ? source.autoOrient() : source;
  const steps = spec.operations;
  const total = steps.length + 1;
  // No operation removes alpha, so once there it stays until the encoder.
  let alpha = meta.hasAlpha;
  for (let i = 0; i < steps.length; i++) {
    image = await vips(() => applyStep(image, steps[i], size));
    alpha ||= addsTransparency(steps[i]);
    // sharp flattens before any operation in its pipeline, so when the encoder
    // must flatten, the last operation needs a pass of its own as well.
    if (i < steps.length - 1 || (alpha && !FORMATS[format].alpha)) {
      ({ image, size } = await vips(() => materialise(image, spec.output.keepMetadata, alpha, limits.timeoutSeconds)));
      checkSize(size, limits);
      await onStep(i + 1, total);
    }
  }
  const { data, info } = await vips(() => encode(image, spec.output, format).toBuffer({ resolveWithObject: true }));
  checkSize(info, limits);
  return { data, format, width: info.width, height: info.height };
}

/** Image work fails with a classified DarkroomError; the step listener's own errors pass untouched. */
async function vips<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw classifySharpError(err);
  }
}
