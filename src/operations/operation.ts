import type { Sharp } from 'sharp';

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
}

export const DEFAULT_JOB_LIMITS: JobLimits = { maxDimension: 10000, maxOperations: 20 };

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

/**
 * One entry of the operation catalogue: how its GraphQL arguments are checked
 * (up front, before anything is stored or queued) and how it is added to sharp.
 */
export interface Operation<Input, Args> {
  /** Check and normalise; throws BAD_USER_INPUT naming `field`. */
  validate(input: Input, field: string, limits: JobLimits): Args;
  /** Add the operation to `image`; `size` lets it refuse what only pixels can tell. */
  apply(image: Sharp, args: Args, size: Size): Sharp;
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
}

export function defineOperation<Input, Args>(op: Operation<Input, Args>): Operation<Input, Args> {
  return op;
}
