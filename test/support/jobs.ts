import { corpusPath } from './corpus';

/** About 3 s of libvips work on this machine: long enough to act on a job while it is ACTIVE, with a step boundary every half second. */
export const HEAVY_JOB = {
  file: corpusPath('2569067123_aca715a2ee_o.jpg'),
  input: {
    operations: [
      { resize: { width: 5450 } },
      ...Array.from({ length: 6 }, () => ({ blur: { sigma: 40 } })),
      { resize: { width: 720, height: 588 } },
    ],
    output: { format: 'JPEG' },
  },
};

/** A quick job: the small photo to a 100 px wide WebP. */
export const SMALL_JOB = {
  file: corpusPath('320x240.jpg'),
  input: { operations: [{ resize: { width: 100 } }], output: { format: 'WEBP' } },
};
