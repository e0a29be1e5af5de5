import type { BlurInput, SharpenInput } from '../generated/graphql';
import { finite } from './checks';
import { defineOperation } from './operation';

export const blur = defineOperation<BlurInput, { sigma: number }>({
  validate: (input, field) => ({ sigma: finite(input.sigma, `${field}.sigma`, 0.3, 1000) }),
  apply: (image, args) => image.blur(args.sigma),
});

export const sharpen = defineOperation<SharpenInput, { sigma: number | null }>({
  validate: (input, field) => ({
    sigma: input.sigma == null ? null : finite(input.sigma, `${field}.sigma`, 0.000001, 10),
  }),
  apply: (image, args) => (args.sigma === null ? image.sharpen() : image.sharpen({ sigma: args.sigma })),
});
