import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { CreateImageJobInput, ImageFormat, ImageOperation, OutputInput, ResizeFit, VariantInput } from '../generated/operations';
import type { FileArgument } from './api';

/** `--variant name:WIDTHxHEIGHT[:format[:quality]]`, as parsed. */
export interface VariantFlag {
  name: string;
  size: { width?: number; height?: number };
  format?: string;
  quality?: number;
}

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
  op?: unknown[];
  variant?: VariantFlag[];
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

const FORMATS = ['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff'];

const NAME_FORMATS: Record<string, string> = { jpg: 'jpeg', jpeg: 'jpeg', png: 'png', webp: 'webp', avif: 'avif', gif: 'gif', tif: 'tiff', tiff: 'tiff' };

/** The format an output file's extension names (photo.png: png), so -o never saves one format under another's name. */
export function formatOfName(file: string): string | undefined {
  return NAME_FORMATS[path.extname(file).slice(1).toLowerCase()];
}

/** Repeatable --op: any ImageOperation as JSON, one operation per flag; the server checks its arguments. */
export function parseOperation(value: string, previous: unknown[] = []): unknown[] {
  let operation: unknown;
  try {
    operation = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('not valid JSON; quote it, e.g. --op \'{"blur":{"sigma":2}}\'');
  }
  if (typeof operation !== 'object' || operation === null || Array.isArray(operation) || Object.keys(operation).length !== 1) {
    throw new InvalidArgumentError('one operation per --op, as an object with one key, e.g. {"grayscale":true}');
  }
  return [...previous, operation];
}

export function parseVariant(value: string, previous: VariantFlag[] = []): VariantFlag[] {
  const [name, size, format, quality, ...rest] = value.split(':');
  if (!name || !size || rest.length) throw new InvalidArgumentError('use NAME:WIDTHxHEIGHT[:FORMAT[:QUALITY]], e.g. small:320x:webp:75');
  if (format && !FORMATS.includes(format.toLowerCase())) throw new InvalidArgumentError(`format must be one of ${FORMATS.join(', ')}`);
  return [
    ...previous,
    {
      name,
      size: parseSize(size),
      ...(format ? { format } : {}),
      ...(quality ? { quality: parseNumber(quality) } : {}),
    },
  ];
}

/**
 * An Upload argument is written {"$file": "path"} in --op's JSON: it is sent as
 * an extra file of the multipart request, and its value in the variables is null.
 * (GraphQL names cannot start with $, so no real argument looks like this.)
 */
function extractFiles(value: unknown, at: string, files: FileArgument[]): unknown {
  if (Array.isArray(value)) return value.map((item, i) => extractFiles(item, `${at}.${i}`, files));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0] === '$file') {
    if (typeof entries[0][1] !== 'string') throw new InvalidArgumentError(`${at}: $file takes a file name`);
    files.push({ path: at, file: entries[0][1] });
    return null;
  }
  return Object.fromEntries(entries.map(([key, v]) => [key, extractFiles(v, `${at}.${key}`, files)]));
}

function outputOf(format?: string, quality?: number): OutputInput {
  return {
    ...(format ? { format: format.toUpperCase() as ImageFormat } : {}),
    ...(quality !== undefined ? { quality } : {}),
  };
}

/**
 * Operations in a fixed, predictable order: crop, rotate, flip, flop, resize,
 * grayscale, blur, sharpen, then each --op in the order given. A variant resizes
 * after them and encodes with the job's output, its own format and quality on
 * top. The server checks every value.
 */
export function jobInput(flags: JobFlags): { input: Omit<CreateImageJobInput, 'file'>; files: FileArgument[] } {
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
  const files: FileArgument[] = [];
  for (const op of flags.op ?? []) operations.push(extractFiles(op, `operations.${operations.length}`, files) as ImageOperation);
  const output = outputOf(flags.format, flags.quality);
  const variants: VariantInput[] | undefined = flags.variant?.map((v) => ({
    name: v.name,
    operations: [{ resize: v.size }],
    output: { ...output, ...outputOf(v.format, v.quality) },
  }));
  const input = { operations, ...(Object.keys(output).length ? { output } : {}), ...(variants ? { variants } : {}) };
  return { input, files };
}
