import sharp from 'sharp';
import { badInput } from '../errors';

export function integer(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be a whole number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export function finite(value: number, field: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw badInput(field, `must be a number from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** A CSS colour as sharp understands it; checked by sharp itself so the two never disagree. */
export function colour(value: string, field: string): string {
  try {
    sharp().flatten({ background: value });
  } catch {
    throw badInput(field, `"${value}" is not a colour (use a CSS colour such as "#ff8800", "white" or "rgba(0,0,0,0.5)")`);
  }
  return value;
}
