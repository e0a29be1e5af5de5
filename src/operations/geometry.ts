import sharp from 'sharp';
import type { CropInput, ResizeFit, ResizeInput, ResizePosition, RotateInput } from '../generated/graphql';
import { badInput } from '../errors';
import { colour, finite, integer } from './checks';
import { defineOperation } from './operation';

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

export interface ResizeArgs {
  width: number | null;
  height: number | null;
  fit: ResizeFit;
  position: ResizePosition;
  withoutEnlargement: boolean;
  background: string | null;
}

export const resize = defineOperation<ResizeInput, ResizeArgs>({
  validate(input, field, limits) {
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
  validate(input, field, limits) {
    return {
      left: integer(input.left, `${field}.left`, 0, Number.MAX_SAFE_INTEGER),
      top: integer(input.top, `${field}.top`, 0, Number.MAX_SAFE_INTEGER),
      width: integer(input.width, `${field}.width`, 1, limits.maxDimension),
      height: integer(input.height, `${field}.height`, 1, limits.maxDimension),
    };
  },
  apply(image, args, size) {
    if (args.left + args.width > size.width || args.top + args.height > size.height) {
      throw badInput(
        'crop',
        `the area ${args.width}x${args.height} at ${args.left},${args.top} reaches outside the ${size.width}x${size.height} image`,
      );
    }
    return image.extract(args);
  },
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
});

export const flip = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.flip(),
});

export const flop = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.flop(),
});
