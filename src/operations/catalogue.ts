import type { Sharp } from 'sharp';
import type { CreateImageJobInput, ImageOperation } from '../generated/graphql';
import { badInput, DarkroomError } from '../errors';
import { grayscale } from './colour';
import { blur, sharpen } from './filters';
import { crop, flip, flop, resize, rotate } from './geometry';
import { DEFAULT_JOB_LIMITS, oversize, type JobLimits, type Operation, type Size, type SizeBounds } from './operation';
import { validateOutput, type OutputSpec } from './output';

/** Every operation a job can ask for, by its name in the ImageOperation input. */
const CATALOGUE = { resize, crop, rotate, flip, flop, grayscale, blur, sharpen } satisfies {
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

/** Everything the worker needs to know about what to do, validated before the job is stored. */
export interface JobSpec {
  operations: OperationStep[];
  output: OutputSpec;
  autoOrient: boolean;
}

function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(CATALOGUE, name);
}

function validateOperation(op: ImageOperation, field: string, limits: JobLimits): OperationStep | null {
  const given = Object.entries(op).filter(([, value]) => value != null);
  if (given.length !== 1) throw badInput(field, 'give exactly one operation per list entry');
  const [name, value] = given[0];
  if (!isOperationName(name)) throw badInput(field, `unknown operation "${name}"`);
  // `flip: false` and the like ask for nothing.
  if (value === false) return null;
  const operation = CATALOGUE[name as OperationName] as Operation<unknown, unknown>;
  return { name, args: operation.validate(value, `${field}.${name}`, limits), field: `${field}.${name}` };
}

export function validateJobSpec(input: Omit<CreateImageJobInput, 'file'>, limits: JobLimits = DEFAULT_JOB_LIMITS): JobSpec {
  const operations = input.operations ?? [];
  if (operations.length > limits.maxOperations) {
    throw badInput('operations', `at most ${limits.maxOperations} operations per job, got ${operations.length}`);
  }
  return {
    operations: operations
      .map((op, i) => validateOperation(op, `operations[${i}]`, limits))
      .filter((step): step is OperationStep => step !== null),
    output: validateOutput(input.output),
    autoOrient: input.autoOrient ?? true,
  };
}

function operationOf(step: OperationStep): Operation<unknown, unknown> {
  return CATALOGUE[step.name] as Operation<unknown, unknown>;
}

export function applyStep(image: Sharp, step: OperationStep, size: Size): Sharp {
  const operation = operationOf(step);
  operation.checkFits?.(step.args, size, step.field);
  return operation.apply(image, step.args, size);
}

/**
 * Walk the job's steps over the sizes they will make, before any pixel is
 * decoded: refuse a step that would make an image beyond `bounds`, and arguments that
 * cannot fit while the sizes are known exactly (the worker checks the rest).
 */
export function planSizes(steps: readonly OperationStep[], start: Size, bounds: SizeBounds): void {
  let size = start;
  let exact = true;
  for (const step of steps) {
    const operation = operationOf(step);
    if (exact) operation.checkFits?.(step.args, size, step.field);
    const next = operation.resultSize?.(step.args, size) ?? { size, exact: true };
    size = next.size;
    exact &&= next.exact;
    const tooLarge = oversize(size, bounds);
    if (tooLarge) throw new DarkroomError('LIMIT_EXCEEDED', `${step.field} would make ${tooLarge}.`, step.field);
  }
}

export function addsTransparency(step: OperationStep): boolean {
  return operationOf(step).addsTransparency?.(step.args) ?? false;
}
