import sharp from 'sharp';
import type { LocateInput, MarkShape } from '../generated/graphql';
import { drawMarks, greyImage, locate as findTemplate, locateOptions, markStyle, mergeMatches, type LocateOptions, type MarkStyle } from '../locate';
import { DarkroomError } from '../errors';
import { defineOperation, readFile, type FileRef } from './operation';

const SHAPES: Record<MarkShape, MarkStyle['shape']> = { BOX: 'box', CIRCLE: 'circle' };

export interface LocateArgs {
  template: FileRef;
  options: LocateOptions;
  mark: MarkStyle | null;
  field: string;
  /** The configured bound on the image searched (JobLimits.maxLocatePixels). */
  maxPixels: number;
}

export const locate = defineOperation<LocateInput, LocateArgs>({
  validate(input, field, { files, limits }) {
    const options = locateOptions(
      {
        threshold: input.threshold ?? undefined,
        maxMatches: input.maxMatches ?? undefined,
        scales: input.scales ?? undefined,
        rotationInvariant: input.rotationInvariant ?? undefined,
      },
      field,
    );
    const mark = input.mark
      ? markStyle(
          {
            shape: input.mark.shape ? SHAPES[input.mark.shape] : undefined,
            colour: input.mark.colour ?? undefined,
            strokeWidth: input.mark.strokeWidth ?? undefined,
            label: input.mark.label ?? undefined,
          },
          `${field}.mark`,
        )
      : null;
    return { template: files.claim(input.template, `${field}.template`), options, mark, field, maxPixels: limits.maxLocatePixels };
  },
  // The search holds several full-size tables of the image: its memory grows with the pixels.
  checkFits(args, { width, height }, field) {
    if (width * height <= args.maxPixels) return;
    const megapixels = (n: number) => `${(n / 1e6).toFixed(1)} megapixels`;
    throw new DarkroomError(
      'LIMIT_EXCEEDED',
      `${field}: the image at this step is ${width}x${height} (${megapixels(width * height)}); this service searches at most ${megapixels(args.maxPixels)}, so resize it first.`,
      field,
    );
  },
  async apply(image, args, context) {
    const [searched, template] = await Promise.all([
      greyImage(image),
      readFile(`${args.field}.template`, () => greyImage(sharp(context.files[args.template.file]).autoOrient())),
    ]);
    const matches = await findTemplate(searched, template, args.options, { onProgress: context.progress }, args.field);
    context.findings.matches.push(...matches);
    if (!args.mark || matches.length === 0) return image;
    return image.composite([{ input: drawMarks(searched.width, searched.height, matches, args.mark), top: 0, left: 0 }]);
  },
  // Each frame is searched and marked on its own; a place found in several frames is reported once.
  mergeFrames: (args, frames) => ({ matches: mergeMatches(frames.map((frame) => frame.matches), args.options.maxMatches) }),
});
