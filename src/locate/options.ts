import { badInput } from '../errors';

export interface LocateOptions {
  /** Lowest zero-mean NCC score reported, 0..1. */
  threshold: number;
  /** At most this many matches, best first, 1..100. */
  maxMatches: number;
  /** Template sizes tried, as factors of its own size, each 0.1..4, at most 8 of them. */
  scales: number[];
  /** Also try the template turned by 90, 180 and 270 degrees. */
  rotationInvariant: boolean;
}

export const LOCATE_DEFAULTS: Readonly<LocateOptions> = Object.freeze({
  threshold: 0.8,
  maxMatches: 10,
  scales: [1],
  rotationInvariant: false,
});

export const MAX_SCALES = 8;
export const MIN_SCALE = 0.1;
export const MAX_SCALE = 4;
export const MAX_MATCHES = 100;

/**
 * Checks the options a caller gave, fills in the defaults and returns the resolved set.
 * Errors name the field under `field` (e.g. "locate.threshold", or "operations[2].threshold").
 */
export function locateOptions(input: Partial<LocateOptions> = {}, field = 'locate'): LocateOptions {
  const threshold = input.threshold ?? LOCATE_DEFAULTS.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    throw badInput(`${field}.threshold`, `must be a number from 0 to 1 (a match score), got ${String(threshold)}`);
  }
  const maxMatches = input.maxMatches ?? LOCATE_DEFAULTS.maxMatches;
  if (typeof maxMatches !== 'number' || !Number.isInteger(maxMatches) || maxMatches < 1 || maxMatches > MAX_MATCHES) {
    throw badInput(`${field}.maxMatches`, `must be a whole number from 1 to ${MAX_MATCHES}, got ${String(maxMatches)}`);
  }
  const scales = input.scales ?? LOCATE_DEFAULTS.scales;
  if (!Array.isArray(scales) || scales.length === 0 || scales.length > MAX_SCALES) {
    throw badInput(`${field}.scales`, `must list 1 to ${MAX_SCALES} scales, got ${Array.isArray(scales) ? scales.length : String(scales)}`);
  }
  scales.forEach((scale, i) => {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
      throw badInput(`${field}.scales[${i}]`, `must be a number from ${MIN_SCALE} to ${MAX_SCALE} (1 is the template's own size), got ${String(scale)}`);
    }
  });
  const rotationInvariant = input.rotationInvariant ?? LOCATE_DEFAULTS.rotationInvariant;
  if (typeof rotationInvariant !== 'boolean') {
    throw badInput(`${field}.rotationInvariant`, `must be true or false, got ${String(rotationInvariant)}`);
  }
  return { threshold, maxMatches, scales: [...new Set(scales)], rotationInvariant };
}
