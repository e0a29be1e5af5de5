import { defineOperation } from './operation';

export const grayscale = defineOperation<boolean, true>({
  validate: () => true,
  apply: (image) => image.grayscale(),
});
