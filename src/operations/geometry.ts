import sharp from 'sharp';
import type { CropInput, ResizeFit, ResizeInput, ResizePosition, RotateInput } from '../generated/graphql';
import { badInput } from '../errors';
import { colour, finite, integer } from './checks';
import { defineOperation, type Size } from './operation';

const FITS: Record<ResizeFit, keyof sharp.FitEnum> = {
  COVER: 'cover',
  CONTAIN: 'contain',
  FILL: 'fill',
  INSIDE: 'inside',
  OUTSIDE: 'outside',
};

const POSITIONS: Record<ResizePosition, string | number> = {
  CENTER: 'centre',
  NORTH: 'north',
  NORTHEAST: 'northeast',
  EAST: 'east',
  SOUTHEAST: 'southeast',
  SOUTH: 'south',
  SOUTHWEST: 'southwest',
  WEST: 'west',
  NORTHWEST: 'northwest',
  ATTENTION: sharp.strategy.attention,
  ENTROPY: sharp.strategy.entropy,
};

function scaled(size: Size, scale: number): Size {
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

export interface ResizeArgs {
  width: number | null;
  height: number | null;
  fit: ResizeFit;
  position: ResizePosition;
  withoutEnlargement: boolean;
  background: string | null;
}

export const resize = defineOperation<ResizeInput, ResizeArgs>({
  validate(input, field, { limits }) {
    const width = input.width == null ? null : integer(input.width, `${field}.width`, 1, limits.maxDimension);
    const height = input.height == null ? null : integer(input.height, `${field}.height`, 1, limits.maxDimension);
    if (width === null && height === null) throw badInput(field, 'give width, height or both');
    return {
      width,
      height,
      fit: input.fit ?? 'COVER',
      position: input.position ?? 'CENTER',
      withoutEnlargement: input.withoutEnlargement ?? false,
      background: input.background == null ? null : colour(input.background, `${field}.background`),
    };
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
  apply(image, args) {
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
