import { InvalidArgumentError } from 'commander';
import type { CreateImageJobInput, ImageFormat, ImageOperation, ResizeFit } from '../generated/operations';

/** The command-line flags that describe a job, as commander parsed them. */
export interface JobFlags {
  resize?: { width?: number; height?: number };
  fit?: string;
  crop?: number[];
  rotate?: number;
  flip?: boolean;
  flop?: boolean;
  grayscale?: boolean;
  blur?: number;
  sharpen?: boolean;
  format?: string;
  quality?: number;
}

export function parseSize(value: string): { width?: number; height?: number } {
  const match = /^(\d*)x(\d*)$/i.exec(value) ?? /^(\d+)$/.exec(value);
  if (!match || (!match[1] && !match[2])) throw new InvalidArgumentError('use WIDTHxHEIGHT, WIDTHx, xHEIGHT or WIDTH');
  return { width: match[1] ? Number(match[1]) : undefined, height: match[2] ? Number(match[2]) : undefined };
}

export function parseNumber(value: string): number {
  const number = Number(value);
  if (!Number.isFinite(number)) throw new InvalidArgumentError('not a number');
  return number;
}

export function parseCrop(value: string): number[] {
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n))) throw new InvalidArgumentError('use LEFT,TOP,WIDTH,HEIGHT');
  return parts;
}

/**
 * Operations in a fixed, predictable order: crop, rotate, flip, flop, resize,
 * grayscale, blur, sharpen. The server checks every value.
 */
export function jobInput(flags: JobFlags): Omit<CreateImageJobInput, 'file'> {
  const operations: ImageOperation[] = [];
  if (flags.crop) {
    const [left, top, width, height] = flags.crop;
    operations.push({ crop: { left, top, width, height } });
  }
  if (flags.rotate !== undefined) operations.push({ rotate: { angle: flags.rotate } });
  if (flags.flip) operations.push({ flip: true });
  if (flags.flop) operations.push({ flop: true });
  if (flags.resize) operations.push({ resize: { ...flags.resize, ...(flags.fit ? { fit: flags.fit.toUpperCase() as ResizeFit } : {}) } });
  if (flags.grayscale) operations.push({ grayscale: true });
  if (flags.blur !== undefined) operations.push({ blur: { sigma: flags.blur } });
  if (flags.sharpen) operations.push({ sharpen: {} });
  const output = {
    ...(flags.format ? { format: flags.format.toUpperCase() as ImageFormat } : {}),
    ...(flags.quality !== undefined ? { quality: flags.quality } : {}),
  };
  return { operations, ...(Object.keys(output).length ? { output } : {}) };
}
