import sharp from 'sharp';
import type { CropInput, ExtendInput, ExtendWith, ResizeFit, ResizeInput, ResizePosition, RotateInput, TrimInput } from '../generated/graphql';
import { badInput } from '../errors';
import { colour, finite, integer } from './checks';
import { COMPASS } from './compass';
import { defineOperation, type Size } from './operation';

const FITS: Record<ResizeFit, keyof sharp.FitEnum> = {
  COVER: 'cover',
  CONTAIN: 'contain',
  FILL: 'fill',
  INSIDE: 'inside',
  OUTSIDE: 'outside',
};

const POSITIONS: Record<ResizePosition, string | number> = {
  ...COMPASS,
  ATTENTION: sharp.strategy.attention,
  ENTROPY: sharp.strategy.entropy,
};

function scaled(size: Size, scale: number): Size {
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

/** A point as fractions of the width and height. */
export interface Focus {
  x: number;
  y: number;
}

export interface ResizeArgs {
  width: number | null;
  height: number | null;
  fit: ResizeFit;
  position: ResizePosition;
  withoutEnlargement: boolean;
  background: string | null;
  /** Only with COVER and both sides; replaces position. */
  focus?: Focus;
}

function validateFocus(input: ResizeInput, field: string, width: number | null, height: number | null): Focus {
  const focus = input.focus!;
  if (width === null || height === null || (input.fit ?? 'COVER') !== 'COVER') {
    throw badInput(field, 'a focus point needs fit COVER with both width and height (only then is anything cropped)');
  }
  if ((input.position ?? 'CENTER') !== 'CENTER') throw badInput(field, 'give either a focus point or a position, not both');
  return { x: finite(focus.x, `${field}.x`, 0, 1), y: finite(focus.y, `${field}.y`, 0, 1) };
}

/** Where a side of `length` pixels starts so that `at` is as near its middle as the edges allow. */
function around(at: number, length: number, full: number): number {
  return Math.min(full - length, Math.max(0, Math.round(at - length / 2)));
}

/**
 * COVER around a focus point: scale so the target is covered, then cut the
 * target out around the point (sharp's own positions know only compass points).
 */
function coverAround(image: sharp.Sharp, args: ResizeArgs & { focus: Focus }, size: Size): sharp.Sharp {
  const target = { width: args.width!, height: args.height! };
  const scale = Math.max(target.width / size.width, target.height / size.height);
  const factor = args.withoutEnlargement ? Math.min(1, scale) : scale;
  const scaledSize = {
    width: Math.max(Math.min(target.width, size.width), Math.round(size.width * factor)),
    height: Math.max(Math.min(target.height, size.height), Math.round(size.height * factor)),
  };
  const width = Math.min(target.width, scaledSize.width);
  const height = Math.min(target.height, scaledSize.height);
  const left = around(args.focus.x * scaledSize.width, width, scaledSize.width);
  const top = around(args.focus.y * scaledSize.height, height, scaledSize.height);
  const resized = factor === 1 ? image : image.resize({ ...scaledSize, fit: 'fill' });
  return resized.extract({ left, top, width, height });
}

export const resize = defineOperation<ResizeInput, ResizeArgs>({
  validate(input, field, { limits }) {
    const width = input.width == null ? null : integer(input.width, `${field}.width`, 1, limits.maxDimension);
    const height = input.height == null ? null : integer(input.height, `${field}.height`, 1, limits.maxDimension);
    if (width === null && height === null) throw badInput(field, 'give width, height or both');
    const args: ResizeArgs = {
      width,
      height,
      fit: input.fit ?? 'COVER',
      position: input.position ?? 'CENTER',
      withoutEnlargement: input.withoutEnlargement ?? false,
      background: input.background == null ? null : colour(input.background, `${field}.background`),
    };
    return input.focus == null ? args : { ...args, focus: validateFocus(input, `${field}.focus`, width, height) };
  },
  resultSize(args, size) {
    if (args.width !== null && args.height !== null) {
      if (args.fit === 'INSIDE' || args.fit === 'OUTSIDE') {
        const pick = args.fit === 'INSIDE' ? Math.min : Math.max;
        return { size: scaled(size, pick(args.width / size.width, args.height / size.height)), exact: false };
      }
      return { size: { width: args.width, height: args.height }, exact: !args.withoutEnlargement };
    }
    const scale = args.width !== null ? args.width / size.width : args.height! / size.height;
    return { size: scaled(size, scale), exact: false };
  },
  apply(image, args, { size }) {
    if (args.focus) return coverAround(image, { ...args, focus: args.focus }, size);
    return image.resize({
      width: args.width ?? undefined,
      height: args.height ?? undefined,
      fit: FITS[args.fit],
      position: POSITIONS[args.position],
      withoutEnlargement: args.withoutEnlargement,
      background: args.background ?? { r: 0, g: 0, b: 0, alpha: 0 },
    });
  },
  addsTransparency: (args) => args.fit === 'CONTAIN',
  refusesAnimation: (args) =>
    args.width !== null && args.height !== null && args.fit === 'COVER' && (args.position === 'ATTENTION' || args.position === 'ENTROPY')
      ? `position ${args.position} picks the crop of each frame from its own pixels, so the frames of an animation would stop lining up; use a compass position or focus, or animated: false for the first frame only`
      : null,
});

export const crop = defineOperation<CropInput, CropInput>({
  validate(input, field, { limits }) {
    return {
      left: integer(input.left, `${field}.left`, 0, Number.MAX_SAFE_INTEGER),
      top: integer(input.top, `${field}.top`, 0, Number.MAX_SAFE_INTEGER),
      width: integer(input.width, `${field}.width`, 1, limits.maxDimension),
      height: integer(input.height, `${field}.height`, 1, limits.maxDimension),
    };
  },
  resultSize: (args) => ({ size: { width: args.width, height: args.height }, exact: true }),
  checkFits(args, size, field) {
    if (args.left + args.width > size.width || args.top + args.height > size.height) {
      throw badInput(
        field,
        `the area ${args.width}x${args.height} at ${args.left},${args.top} reaches outside the ${size.width}x${size.height} image`,
      );
    }
  },
  apply: (image, args) => image.extract(args),
});

export interface RotateArgs {
  angle: number;
  background: string | null;
}

export const rotate = defineOperation<RotateInput, RotateArgs>({
  validate(input, field) {
    return {
      angle: finite(input.angle, `${field}.angle`, -36000, 36000),
      background: input.background == null ? null : colour(input.background, `${field}.background`),
    };
  },
  apply(image, args) {
    return image.rotate(args.angle, { background: args.background ?? { r: 0, g: 0, b: 0, alpha: 0 } });
  },
  addsTransparency: (args) => args.angle % 90 !== 0,
  resultSize(args, size) {
    if (args.angle % 90 === 0) {
      const quarter = Math.abs(args.angle / 90) % 2 === 1;
      return { size: quarter ? { width: size.height, height: size.width } : size, exact: true };
    }
    const radians = (args.angle * Math.PI) / 180;
    const cos = Math.abs(Math.cos(radians));
    const sin = Math.abs(Math.sin(radians));
    const box = { width: Math.ceil(size.width * cos + size.height * sin), height: Math.ceil(size.width * sin + size.height * cos) };
    return { size: box, exact: false };
  },
});

export const flip = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.flip(),
});

export const flop = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.flop(),
});

const EXTEND_WITH: Record<ExtendWith, sharp.ExtendWith> = { BACKGROUND: 'background', COPY: 'copy', REPEAT: 'repeat', MIRROR: 'mirror' };

export interface ExtendArgs {
  top: number;
  right: number;
  bottom: number;
  left: number;
  background: string | null;
  extendWith: ExtendWith;
}

export const extend = defineOperation<ExtendInput, ExtendArgs>({
  validate(input, field, { limits }) {
    const side = (name: 'top' | 'right' | 'bottom' | 'left') => integer(input[name] ?? 0, `${field}.${name}`, 0, limits.maxDimension);
    const args = {
      top: side('top'),
      right: side('right'),
      bottom: side('bottom'),
      left: side('left'),
      background: input.background == null ? null : colour(input.background, `${field}.background`),
      extendWith: input.extendWith ?? 'BACKGROUND',
    };
    if (args.top + args.right + args.bottom + args.left === 0) throw badInput(field, 'give at least one border above 0 pixels');
    if (args.background !== null && args.extendWith !== 'BACKGROUND') {
      throw badInput(`${field}.background`, `a background colour only applies with extendWith BACKGROUND, not ${args.extendWith}`);
    }
    return args;
  },
  resultSize: (args, size) => ({
    size: { width: size.width + args.left + args.right, height: size.height + args.top + args.bottom },
    exact: true,
  }),
  apply(image, args) {
    return image.extend({
      top: args.top,
      right: args.right,
      bottom: args.bottom,
      left: args.left,
      extendWith: EXTEND_WITH[args.extendWith],
      background: args.background ?? { r: 0, g: 0, b: 0, alpha: 0 },
    });
  },
  addsTransparency: (args) => args.extendWith === 'BACKGROUND',
});

export interface TrimArgs {
  background: string | null;
  threshold: number;
  margin: number;
}

export const trim = defineOperation<TrimInput, TrimArgs>({
  validate(input, field, { limits }) {
    return {
      background: input.background == null ? null : colour(input.background, `${field}.background`),
      threshold: finite(input.threshold ?? 10, `${field}.threshold`, 0, 255),
      margin: integer(input.margin ?? 0, `${field}.margin`, 0, limits.maxDimension),
    };
  },
  // Only the pixels tell how much goes; never more than there is.
  resultSize: (_args, size) => ({ size, exact: false }),
  refusesAnimation: () => 'cuts each frame by its own pixels, so the frames of an animation would stop lining up; use crop, or animated: false for the first frame only',
  // The edge is found through a 3x3 median, which needs that much image.
  checkFits(_args, size, field) {
    if (size.width < 3 || size.height < 3) throw badInput(field, `the ${size.width}x${size.height} image is too small to trim (at least 3x3 pixels)`);
  },
  apply(image, args) {
    return image.trim({ threshold: args.threshold, margin: args.margin, ...(args.background === null ? {} : { background: args.background }) });
  },
});

export const autoOrient = defineOperation<boolean, true>({
  validate: () => true,
  // A quarter turn swaps the sides, which only the input's EXIF tells.
  resultSize: (_args, size) => ({ size, exact: false }),
  apply: (image) => image.autoOrient(),
});
