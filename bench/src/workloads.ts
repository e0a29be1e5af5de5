import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { CORPUS_DIR } from './corpus';

export { CORPUS_DIR, PROJECT_ROOT } from './corpus';

/** What Darkroom applies by default to every input (src/config.ts, src/processing/pipeline.ts). */
const INPUT_OPTIONS: sharp.SharpOptions = { limitInputPixels: 50_000_000, failOn: 'warning' };
/** resize's defaults as src/operations/geometry.ts passes them to sharp. */
const RESIZE_DEFAULTS = { fit: 'cover', position: 'centre', withoutEnlargement: false, background: { r: 0, g: 0, b: 0, alpha: 0 } } as const;

export interface Workload {
  key: string;
  title: string;
  file: string;
  /** The CreateImageJobInput minus `file`, as the client sends it. */
  input: Record<string, unknown>;
  /**
   * The same work as one sharp call in this process: what Darkroom's worker
   * ends up asking libvips for (auto-orient, the operation, encoder settings).
   * The bench checks that Darkroom's results are byte-identical to this.
   */
  raw(data: Buffer): Promise<Buffer>;
  expect: { format: string; width: number; height: number };
  /** Sequential jobs for latency, as a multiple of --latency-jobs. */
  latencyFactor: number;
}

export const WORKLOADS: Record<string, Workload> = {
  jpeg: {
    key: 'jpeg',
    title: 'JPEG task: 2725x2225 JPEG → 720x588 JPEG q80',
    file: '2569067123_aca715a2ee_o.jpg',
    input: { operations: [{ resize: { width: 720, height: 588, fit: 'COVER' } }], output: { format: 'JPEG', quality: 80 } },
    raw: (data) =>
      sharp(data, INPUT_OPTIONS)
        .autoOrient()
        .resize({ width: 720, height: 588, ...RESIZE_DEFAULTS })
        // Darkroom flattens for formats without alpha; a no-op on this opaque image, kept to match.
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80 })
        .toBuffer(),
    expect: { format: 'JPEG', width: 720, height: 588 },
    latencyFactor: 1,
  },
  png: {
    key: 'png',
    title: 'PNG task: 2048x1536 RGBA PNG → 720x540 PNG',
    file: 'alpha-premultiply-2048x1536-paper.png',
    input: { operations: [{ resize: { width: 720, height: 540, fit: 'COVER' } }], output: { format: 'PNG' } },
    raw: (data) => sharp(data, INPUT_OPTIONS).autoOrient().resize({ width: 720, height: 540, ...RESIZE_DEFAULTS }).png().toBuffer(),
    expect: { format: 'PNG', width: 720, height: 540 },
    latencyFactor: 1,
  },
  small: {
    key: 'small',
    title: 'Small jobs: 320x240 JPEG → 100 px wide WebP q80',
    file: '320x240.jpg',
    input: { operations: [{ resize: { width: 100 } }], output: { format: 'WEBP', quality: 80 } },
    raw: (data) => sharp(data, INPUT_OPTIONS).autoOrient().resize({ width: 100, ...RESIZE_DEFAULTS }).webp({ quality: 80 }).toBuffer(),
    expect: { format: 'WEBP', width: 100, height: 75 },
    latencyFactor: 4,
  },
};

export function corpusFile(name: string): Buffer {
  return readFileSync(path.join(CORPUS_DIR, name));
}

/** The job watched by every subscriber in the fan-out test: three steps, so three events after ACTIVE. */
export const FANOUT_JOB = {
  file: '320x240.jpg',
  input: {
    operations: [{ resize: { width: 200 } }, { blur: { sigma: 1 } }, { resize: { width: 100 } }],
    output: { format: 'WEBP', quality: 80 },
  },
};
