import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { Gravity, TextInput, WatermarkInput } from '../generated/graphql';
import { badInput } from '../errors';
import { colour, finite, integer } from './checks';
import { COMPASS } from './compass';
import { defineOperation, readFile, type FileRef, type JobLimits, type Size } from './operation';

/** Where an overlay goes: a compass point, or its top-left corner in pixels. */
export type Placement = { gravity: Gravity } | { left: number; top: number };

interface Placed {
  gravity?: Gravity | null;
  left?: number | null;
  top?: number | null;
}

function validatePlacement(input: Placed, field: string, limits: JobLimits): Placement {
  if (input.left == null && input.top == null) return { gravity: input.gravity ?? 'SOUTHEAST' };
  if (input.left == null || input.top == null) throw badInput(`${field}.${input.left == null ? 'left' : 'top'}`, 'give left and top together');
  if (input.gravity != null) throw badInput(`${field}.gravity`, 'give either gravity or left and top, not both');
  return {
    left: integer(input.left, `${field}.left`, 0, limits.maxDimension),
    top: integer(input.top, `${field}.top`, 0, limits.maxDimension),
  };
}

function checkPlacementFits(placement: Placement, size: Size, field: string): void {
  if ('left' in placement && (placement.left >= size.width || placement.top >= size.height)) {
    throw badInput(field, `${placement.left},${placement.top} lies outside the ${size.width}x${size.height} image`);
  }
}

function compositeOptions(placement: Placement): Pick<OverlayOptions, 'gravity' | 'left' | 'top'> {
  return 'left' in placement ? { left: placement.left, top: placement.top } : { gravity: COMPASS[placement.gravity] };
}

/** `own` scaled to `width` (when given), then down until it fits inside `base`: an overlay is never refused for its size. */
function fitInside(own: Size, base: Size, width: number | null): Size {
  const factor = Math.min(width === null ? 1 : width / own.width, base.width / own.width, base.height / own.height);
  return {
    width: Math.min(base.width, Math.max(1, Math.round(own.width * factor))),
    height: Math.min(base.height, Math.max(1, Math.round(own.height * factor))),
  };
}

/** Straight (not premultiplied) RGBA pixels, ready for composite. */
interface Rgba {
  data: Buffer;
  size: Size;
}

function withOpacity(overlay: Rgba, opacity: number): Rgba {
  if (opacity === 1) return overlay;
  const data = Buffer.from(overlay.data);
  for (let i = 3; i < data.length; i += 4) data[i] = Math.round(data[i] * opacity);
  return { ...overlay, data };
}

function composite(image: Sharp, overlay: Rgba, placement: Placement, tile: boolean): Sharp {
  return image.composite([
    { input: overlay.data, raw: { ...overlay.size, channels: 4 }, tile, ...compositeOptions(placement) },
  ]);
}

export interface WatermarkArgs {
  image: FileRef;
  /** Where the overlay was sent, to name it when it cannot be read. */
  field: string;
  placement: Placement;
  opacity: number;
  scale: number | null;
  tile: boolean;
}

export const watermark = defineOperation<WatermarkInput, WatermarkArgs>({
  validate(input, field, { limits, files }) {
    const placement = validatePlacement(input, field, limits);
    const opacity = finite(input.opacity ?? 1, `${field}.opacity`, 0, 1);
    const scale = input.scale == null ? null : finite(input.scale, `${field}.scale`, 0, 1);
    if (scale === 0) throw badInput(`${field}.scale`, 'must be above 0');
    return { image: files.claim(input.image, `${field}.image`), field: `${field}.image`, placement, opacity, scale, tile: input.tile ?? false };
  },
  checkFits: (args, size, field) => checkPlacementFits(args.placement, size, field),
  async apply(image, args, { size, files }) {
    const bytes = files[args.image.file];
    if (!bytes) throw new Error(`the job has no file ${args.image.file} for its watermark`);
    const { data, info } = await readFile(args.field, async () => {
      const meta = await sharp(bytes).metadata();
      // EXIF orientations 5 to 8 swap the sides once the overlay is turned upright.
      const swap = (meta.orientation ?? 1) >= 5;
      const own = { width: swap ? meta.height! : meta.width!, height: swap ? meta.width! : meta.height! };
      const target = fitInside(own, size, args.scale === null ? null : args.scale * size.width);
      return sharp(bytes, { failOn: 'warning' })
        .autoOrient()
        .resize({ ...target, fit: 'fill' })
        .toColourspace('srgb')
        .ensureAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    });
    const overlay = withOpacity({ data, size: { width: info.width, height: info.height } }, args.opacity);
    return composite(image, overlay, args.placement, args.tile);
  },
});

const MAX_TEXT = 500;
const FONT_FAMILY = /^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$/;
/** Pango renders points; at 72 dots per inch a point is a pixel. */
const PIXEL_DPI = 72;

/** Text shown as written: sharp's text input reads Pango markup. */
function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface TextArgs {
  text: string;
  font: string;
  size: number;
  colour: string;
  placement: Placement;
  opacity: number;
}

/** The text's coverage (0 to 255, one band) wrapped at the image's width and no larger than the image. */
async function renderText(args: TextArgs, base: Size): Promise<{ data: Buffer; size: Size }> {
  const text = { text: escapeMarkup(args.text), font: `${args.font} ${args.size}`, width: base.width };
  const coverage = async (input: sharp.CreateText) => {
    const { data, info } = await sharp({ text: input }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    return { data, size: { width: info.width, height: info.height }, dpi: info.textAutofitDpi };
  };
  const inside = (size: Size) => size.width <= base.width && size.height <= base.height;
  // Fitting the text to the whole image says how large it may be; when that is
  // smaller than asked, the fitted rendering is the answer.
  const fitted = await coverage({ ...text, height: base.height });
  if (fitted.dpi === undefined || fitted.dpi >= PIXEL_DPI) {
    const asked = await coverage({ ...text, dpi: PIXEL_DPI });
    if (inside(asked.size)) return asked;
  }
  if (inside(fitted.size)) return fitted;
  // Pango's smallest size can still be too large: a word too long to wrap, marks
  // stacked on one letter, a long text on a small image. Scale it down to fit.
  const { data, info } = await sharp(fitted.data, { raw: { ...fitted.size, channels: 1 } })
    .resize({ ...base, fit: 'inside' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, size: { width: info.width, height: info.height } };
}

/** A CSS colour as 0-255 RGBA, parsed by sharp like every other colour. */
async function rgbaOf(css: string): Promise<number[]> {
  const pixel = await sharp({ create: { width: 1, height: 1, channels: 4, background: css } }).raw().toBuffer();
  return Array.from(pixel);
}

export const text = defineOperation<TextInput, TextArgs>({
  validate(input, field, { limits }) {
    if (input.text.trim().length === 0 || [...input.text].length > MAX_TEXT) {
      throw badInput(`${field}.text`, `give 1 to ${MAX_TEXT} characters that are not all spaces, got ${[...input.text].length}`);
    }
    const font = input.font ?? 'sans-serif';
    if (!FONT_FAMILY.test(font)) {
      throw badInput(`${field}.font`, `"${font}" is not a font family name (letters, digits, spaces, "-" and "_", up to 64)`);
    }
    return {
      text: input.text,
      font,
      size: integer(input.size ?? 32, `${field}.size`, 4, 1000),
      colour: input.colour == null ? '#ffffff' : colour(input.colour, `${field}.colour`),
      placement: validatePlacement(input, field, limits),
      opacity: finite(input.opacity ?? 1, `${field}.opacity`, 0, 1),
    };
  },
  checkFits: (args, size, field) => checkPlacementFits(args.placement, size, field),
  async apply(image, args, { size }) {
    const [coverage, [r, g, b, alpha]] = await Promise.all([renderText(args, size), rgbaOf(args.colour)]);
    const data = Buffer.alloc(coverage.data.length * 4);
    for (let i = 0; i < coverage.data.length; i++) {
      data[i * 4] = r;
      data[i * 4 + 1] = g;
      data[i * 4 + 2] = b;
      data[i * 4 + 3] = Math.round((coverage.data[i] * alpha * args.opacity) / 255);
    }
    return composite(image, { data, size: coverage.size }, args.placement, false);
  },
});
