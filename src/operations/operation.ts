import type { FileUpload } from 'graphql-upload-minimal';
import type { Sharp } from 'sharp';
import type { Match } from '../locate';
import { DarkroomError } from '../errors';
import { classifySharpError } from '../processing/sharp-errors';

export type { Match };

/** Pixel size of the image as it stands before a step. */
export interface Size {
  width: number;
  height: number;
}

/** The configurable bounds that validation enforces (see Config). */
export interface JobLimits {
  /** Largest side, in pixels, of anything a job asks for. */
  maxDimension: number;
  maxOperations: number;
  maxVariants: number;
  /** Largest image `locate` searches: its working tables take up to some 25 bytes a pixel. */
  maxLocatePixels: number;
}

export const DEFAULT_JOB_LIMITS: JobLimits = { maxDimension: 10000, maxOperations: 20, maxVariants: 10, maxLocatePixels: 25_000_000 };

/** The largest image a job may make, along the way or at the end. */
export interface SizeBounds {
  maxDimension: number;
  maxPixels: number;
}

/** Why an image of `size` is too large, or null when it is not. */
export function oversize(size: Size, bounds: SizeBounds): string | null {
  if (size.width > bounds.maxDimension || size.height > bounds.maxDimension) {
    return `a ${size.width}x${size.height} image; this service makes at most ${bounds.maxDimension} pixels a side`;
  }
  if (size.width * size.height > bounds.maxPixels) {
    return `a ${size.width}x${size.height} image (${((size.width * size.height) / 1e6).toFixed(1)} megapixels); this service makes at most ${(bounds.maxPixels / 1e6).toFixed(1)}`;
  }
  return null;
}

/** A file sent inside an operation (an overlay, a template), stored beside the job's input. */
export interface FileRef {
  /** Index into the job's extra files, in the order validation claimed them. */
  file: number;
}

/**
 * Decode a file sent with an operation, at `field`: a file damaged past its
 * header (checked on upload) is named, not taken for the job's own image.
 */
export async function readFile<T>(field: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const failure = classifySharpError(err);
    throw new DarkroomError(failure.code, `${field}: ${failure.message}`, field);
  }
}

/** Collects the uploads that operations name, so they are read only once every argument is valid. */
export interface FileClaims {
  claim(upload: Promise<FileUpload>, field: string): FileRef;
}

export interface ValidateContext {
  limits: JobLimits;
  files: FileClaims;
}

/** What a step sees while it runs in the worker. */
export interface StepContext {
  /** The image's size before this step. */
  size: Size;
  /** The job's extra files, by FileRef.file. */
  files: readonly Buffer[];
  /** Facts a step reports about the image besides its pixels (e.g. where a template was found). */
  findings: Findings;
  /** Report progress within the step, 0 to 1; rejects when the job must stop (cancelled, out of time). */
  progress(fraction: number): Promise<void>;
}

export interface Findings {
  matches: Match[];
}

/**
 * One entry of the operation catalogue: how its GraphQL arguments are checked
 * (up front, before anything is stored or queued) and how it is added to sharp.
 */
export interface Operation<Input, Args> {
  /** Check and normalise; throws BAD_USER_INPUT naming `field`. */
  validate(input: Input, field: string, context: ValidateContext): Args;
  /** Add the operation to `image`; the context lets it refuse what only pixels can tell. */
  apply(image: Sharp, args: Args, context: StepContext): Sharp | Promise<Sharp>;
  /** Whether the result can have transparent pixels the input lacked (a letterbox, rotated corners). */
  addsTransparency?(args: Args): boolean;
  /**
   * The size this step makes from `size`, for checking a whole job before any
   * pixel is decoded; `exact` is false where libvips' rounding may differ by a
   * pixel. Omitted: the size does not change.
   */
  resultSize?(args: Args, size: Size): { size: Size; exact: boolean };
  /** Refuse, naming `field`, arguments that do not fit an image of `size`. */
  checkFits?(args: Args, size: Size, field: string): void;
  /**
   * An animation runs `apply` on each frame with findings of its own; this
   * makes them one report for the step. Omitted: the frames' findings are joined.
   */
  mergeFrames?(args: Args, frames: Findings[]): Findings;
  /**
   * Why the step cannot act on the frames of an animation one by one (it
   * decides where to cut from each frame's own pixels, so the frames would
   * stop lining up), or null when it can. Omitted: it can.
   */
  refusesAnimation?(args: Args): string | null;
}

export function defineOperation<Input, Args>(op: Operation<Input, Args>): Operation<Input, Args> {
  return op;
}
