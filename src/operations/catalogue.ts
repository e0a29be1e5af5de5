import type { Sharp } from 'sharp';
import type { CreateImageJobInput, ImageOperation, VariantInput } from '../generated/graphql';
import { badInput, DarkroomError } from '../errors';
import { flatten, gamma, grayscale, linear, modulate, negate, normalise, threshold, tint } from './colour';
import { blur, median, sharpen } from './filters';
import { autoOrient, crop, extend, flip, flop, resize, rotate, trim } from './geometry';
import { locate } from './locate';
import {
  DEFAULT_JOB_LIMITS,
  oversize,
  type FileClaims,
  type Findings,
  type JobLimits,
  type Operation,
  type Size,
  type SizeBounds,
  type StepContext,
  type ValidateContext,
} from './operation';
import { validateOutput, type OutputSpec } from './output';
import { text, watermark } from './overlay';

/** Every operation a job can ask for, by its name in the ImageOperation input. */
const CATALOGUE = {
  resize,
  crop,
  extend,
  trim,
  rotate,
  flip,
  flop,
  autoOrient,
  grayscale,
  modulate,
  tint,
  normalise,
  gamma,
  negate,
  threshold,
  linear,
  flatten,
  blur,
  sharpen,
  median,
  watermark,
  text,
  locate,
} satisfies {
  [K in keyof ImageOperation]-?: Operation<NonNullable<ImageOperation[K]>, unknown>;
};

export type OperationName = keyof typeof CATALOGUE;

/** A validated operation as stored in the job record and replayed by the worker. */
export interface OperationStep {
  name: OperationName;
  args: unknown;
  /** Where it stands in the request, e.g. "operations[2].crop", for messages. */
  field: string;
}

/** One output of a job: its own operations after the shared ones, and its own encoding. */
export interface VariantSpec {
  name: string;
  operations: OperationStep[];
  output: OutputSpec;
}

/** Everything the worker needs to know about what to do, validated before the job is stored. */
export interface JobSpec {
  /** Applied once, before the job branches into its variants. */
  operations: OperationStep[];
  variants: VariantSpec[];
  autoOrient: boolean;
  /** Keep every frame of an animated input; false takes the first frame only. */
  animated: boolean;
  /** How many extra files (overlays, templates) the operations refer to. */
  files: number;
}

/** The one variant of a job that asks for a single output. */
export const SINGLE_VARIANT = 'default';

const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, name);
}

function validateOperation(op: ImageOperation, field: string, context: ValidateContext): OperationStep | null {
  const given = Object.entries(op).filter(([, value]) => value != null);
  if (given.length !== 1) throw badInput(field, 'give exactly one operation per list entry');
  const [name, value] = given[0];
  if (!isOperationName(name)) throw badInput(field, `unknown operation "${name}"`);
  // `flip: false` and the like ask for nothing.
  if (value === false) return null;
  const operation = CATALOGUE[name as OperationName] as Operation<unknown, unknown>;
  return { name, args: operation.validate(value, `${field}.${name}`, context), field: `${field}.${name}` };
}

function validateOperations(operations: readonly ImageOperation[], field: string, context: ValidateContext): OperationStep[] {
  return operations
    .map((op, i) => validateOperation(op, `${field}[${i}]`, context))
    .filter((step): step is OperationStep => step !== null);
}

function validateVariants(variants: readonly VariantInput[], output: OutputSpec, limits: JobLimits, context: ValidateContext): VariantSpec[] {
  if (variants.length === 0) throw badInput('variants', 'give at least one variant, or leave variants out');
  if (variants.length > limits.maxVariants) {
    throw badInput('variants', `at most ${limits.maxVariants} variants per job, got ${variants.length}`);
  }
  const seen = new Set<string>();
  return variants.map((variant, i) => {
    const field = `variants[${i}]`;
    if (!VARIANT_NAME.test(variant.name)) {
      throw badInput(`${field}.name`, `"${variant.name}" is not a usable name: 1 to 64 letters, digits, "-" or "_", starting with a letter or digit`);
    }
    if (seen.has(variant.name)) throw badInput(`${field}.name`, `"${variant.name}" names two variants; each needs its own name`);
    seen.add(variant.name);
    return {
      name: variant.name,
      operations: validateOperations(variant.operations ?? [], `${field}.operations`, context),
      output: variant.output ? validateOutput(variant.output, `${field}.output`) : output,
    };
  });
}

/** Claims nothing: for validating a job outside a request, where no upload can be read. */
const NO_FILES: FileClaims = {
  claim(_upload, field) {
    throw badInput(field, 'files can only be sent with an upload request');
  },
};

export function validateJobSpec(
  input: Omit<CreateImageJobInput, 'file'>,
  limits: JobLimits = DEFAULT_JOB_LIMITS,
  files: FileClaims = NO_FILES,
): JobSpec {
  let claimed = 0;
  const context: ValidateContext = {
    limits,
    files: {
      claim(upload, field) {
        // Claims of one file share its index, so count the files rather than the claims.
        const ref = files.claim(upload, field);
        claimed = Math.max(claimed, ref.file + 1);
        return ref;
      },
    },
  };
  const operations = validateOperations(input.operations ?? [], 'operations', context);
  const output = validateOutput(input.output, 'output');
  const variants = input.variants ? validateVariants(input.variants, output, limits, context) : [{ name: SINGLE_VARIANT, operations: [], output }];
  const count = operations.length + variants.reduce((sum, variant) => sum + variant.operations.length, 0);
  if (count > limits.maxOperations) {
    throw badInput(input.variants ? 'variants' : 'operations', `at most ${limits.maxOperations} operations per job, got ${count}`);
  }
  return { operations, variants, autoOrient: input.autoOrient ?? true, animated: input.animated ?? true, files: claimed };
}

function operationOf(step: OperationStep): Operation<unknown, unknown> {
  return CATALOGUE[step.name] as Operation<unknown, unknown>;
}

export function applyStep(image: Sharp, step: OperationStep, context: StepContext): Sharp | Promise<Sharp> {
  const operation = operationOf(step);
  operation.checkFits?.(step.args, context.size, step.field);
  return operation.apply(image, step.args, context);
}

/** Refuse, naming it, a step that cannot act on the frames of an animation one by one. */
export function checkAnimates(step: OperationStep): void {
  const why = operationOf(step).refusesAnimation?.(step.args);
  if (why) throw badInput(step.field, why);
}

/** One report of what `step` found in each frame of an animation. */
export function mergeFrameFindings(step: OperationStep, frames: Findings[]): Findings {
  return operationOf(step).mergeFrames?.(step.args, frames) ?? { matches: frames.flatMap((frame) => frame.matches) };
}

/** A size known ahead of decoding; not `exact` where libvips' rounding may differ by a pixel. */
export interface PlannedSize {
  size: Size;
  exact: boolean;
}

/**
 * Walk steps over the sizes they will make, before any pixel is decoded:
 * refuse a step that would make an image beyond `bounds`, and arguments that
 * cannot fit while the sizes are known exactly (the worker checks the rest).
 */
function planSizes(steps: readonly OperationStep[], start: PlannedSize, bounds: SizeBounds): PlannedSize {
  let { size, exact } = start;
  for (const step of steps) {
    const operation = operationOf(step);
    if (exact) operation.checkFits?.(step.args, size, step.field);
    const next = operation.resultSize?.(step.args, size) ?? { size, exact: true };
    size = next.size;
    exact &&= next.exact;
    const tooLarge = oversize(size, bounds);
    if (tooLarge) throw new DarkroomError('LIMIT_EXCEEDED', `${step.field} would make ${tooLarge}.`, step.field);
  }
  return { size, exact };
}

/** planSizes over a whole job: the shared steps, then each variant from where they end. */
export function planJob(spec: JobSpec, start: Size, bounds: SizeBounds): void {
  const shared = planSizes(spec.operations, { size: start, exact: true }, bounds);
  for (const variant of spec.variants) {
    const { size } = planSizes(variant.operations, shared, bounds);
    // Every step's result was checked; a variant with no step at all keeps the input's own size.
    const tooLarge = oversize(size, bounds);
    if (tooLarge) {
      const what = spec.variants.length > 1 ? `Variant "${variant.name}"` : 'The job';
      throw new DarkroomError('LIMIT_EXCEEDED', `${what} would make ${tooLarge}.`);
    }
  }
}

export function addsTransparency(step: OperationStep): boolean {
  return operationOf(step).addsTransparency?.(step.args) ?? false;
}
