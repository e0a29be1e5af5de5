import type { BlurInput, MedianInput, SharpenInput } from '../generated/graphql';
import { badInput } from '../errors';
import { finite, integer } from './checks';
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

export const median = defineOperation<MedianInput, { size: number }>({
  validate(input, field) {
    const size = integer(input.size ?? 3, `${field}.size`, 1, 49);
    // An even window has no centre pixel to replace.
    if (size % 2 === 0) throw badInput(`${field}.size`, `must be odd, got ${size}`);
    return { size };
  },
  // libvips' rank filter refuses a window larger than the image.
  checkFits(args, size, field) {
    if (args.size > Math.min(size.width, size.height)) {
      throw badInput(`${field}.size`, `a ${args.size}x${args.size} window does not fit in the ${size.width}x${size.height} image`);
    }
  },
  apply: (image, args) => image.median(args.size),
});
