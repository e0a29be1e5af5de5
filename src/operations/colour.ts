import type {
  FlattenInput,
  GammaInput,
  LinearInput,
  ModulateInput,
  NegateInput,
  NormaliseInput,
  ThresholdInput,
  TintInput,
} from '../generated/graphql';
import { badInput } from '../errors';
import { colour, finite, integer } from './checks';
import { defineOperation } from './operation';

export const grayscale = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.grayscale(),
});

export interface ModulateArgs {
  brightness?: number;
  saturation?: number;
  hue?: number;
  lightness?: number;
}

export const modulate = defineOperation<ModulateInput, ModulateArgs>({
  validate(input, field) {
    const args: ModulateArgs = {};
    if (input.brightness != null) args.brightness = finite(input.brightness, `${field}.brightness`, 0, 10);
    if (input.saturation != null) args.saturation = finite(input.saturation, `${field}.saturation`, 0, 10);
    if (input.hue != null) args.hue = integer(input.hue, `${field}.hue`, -360, 360);
    if (input.lightness != null) args.lightness = finite(input.lightness, `${field}.lightness`, -100, 100);
    if (Object.keys(args).length === 0) throw badInput(field, 'give at least one of brightness, saturation, hue and lightness');
    return args;
  },
  apply: (image, args) => image.modulate(args),
});

export const tint = defineOperation<TintInput, { colour: string }>({
  validate: (input, field) => ({ colour: colour(input.colour, `${field}.colour`) }),
  apply: (image, args) => image.tint(args.colour),
});

export const normalise = defineOperation<NormaliseInput, { lower: number; upper: number }>({
  validate(input, field) {
    const lower = finite(input.lower ?? 1, `${field}.lower`, 0, 99);
    const upper = finite(input.upper ?? 99, `${field}.upper`, 1, 100);
    if (lower >= upper) throw badInput(field, `lower (${lower}) must be below upper (${upper})`);
    return { lower, upper };
  },
  apply: (image, args) => image.normalise(args),
});

export const gamma = defineOperation<GammaInput, { gamma: number }>({
  validate: (input, field) => ({ gamma: finite(input.gamma, `${field}.gamma`, 1, 3) }),
  // sharp's gamma() darkens by its first value before resizing and brightens by the
  // second after; with no resize in the step, 1 and gamma leave just the brightening.
  apply: (image, args) => image.gamma(1, args.gamma),
});

export const negate = defineOperation<NegateInput, { alpha: boolean }>({
  validate: (input) => ({ alpha: input.alpha ?? false }),
  apply: (image, args) => image.negate({ alpha: args.alpha }),
});

export const threshold = defineOperation<ThresholdInput, { value: number; grayscale: boolean }>({
  validate: (input, field) => ({ value: integer(input.value ?? 128, `${field}.value`, 0, 255), grayscale: input.grayscale ?? true }),
  apply: (image, args) => image.threshold(args.value, { grayscale: args.grayscale }),
});

export const linear = defineOperation<LinearInput, { a: number; b: number }>({
  validate: (input, field) => ({ a: finite(input.a ?? 1, `${field}.a`, 0, 10), b: finite(input.b ?? 0, `${field}.b`, -255, 255) }),
  apply: (image, args) => image.linear(args.a, args.b),
});

export const flatten = defineOperation<FlattenInput, { background: string }>({
  validate: (input, field) => ({ background: input.background == null ? '#ffffff' : colour(input.background, `${field}.background`) }),
  apply: (image, args) => image.flatten({ background: args.background }),
});
