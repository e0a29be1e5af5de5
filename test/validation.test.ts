import { DarkroomError } from '../src/errors';
import { validateJobSpec } from '../src/operations/catalogue';
import { DEFAULT_JOB_LIMITS } from '../src/operations/operation';
import type { ImageOperation } from '../src/generated/graphql';

type JobInput = Parameters<typeof validateJobSpec>[0];

/** validateJobSpec(job) must refuse with BAD_USER_INPUT naming `field`, in the message too. */
function expectRefused(job: JobInput, field: string): DarkroomError {
  let caught: unknown;
  try {
    validateJobSpec(job);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(DarkroomError);
  const err = caught as DarkroomError;
  expect(err.code).toBe('BAD_USER_INPUT');
  expect(err.field).toBe(field);
  expect(err.message.startsWith(`${field}: `)).toBe(true);
  return err;
}

const one = (operation: ImageOperation): JobInput => ({ operations: [operation] });

describe('defaults', () => {
  it('fills in the documented defaults', () => {
    expect(validateJobSpec({})).toEqual({
      operations: [],
      variants: [
        {
          name: 'default',
          operations: [],
          output: { format: null, quality: null, background: '#ffffff', keepMetadata: false, keepIcc: false, maxBytes: null, encoder: {} },
        },
      ],
      autoOrient: true,
      animated: true,
      files: 0,
    });
    expect(validateJobSpec(one({ resize: { width: 10 } })).operations).toEqual([
      {
        name: 'resize',
        field: 'operations[0].resize',
        args: { width: 10, height: null, fit: 'COVER', position: 'CENTER', withoutEnlargement: false, background: null },
      },
    ]);
    expect(validateJobSpec(one({ sharpen: {} })).operations).toEqual([{ name: 'sharpen', field: 'operations[0].sharpen', args: { sigma: null } }]);
  });

  it('keeps the given order and drops entries that ask for nothing', () => {
    const spec = validateJobSpec({ operations: [{ flop: true }, { flip: false }, { grayscale: true }, { rotate: { angle: -30.5 } }] });
    expect(spec.operations.map((step) => step.name)).toEqual(['flop', 'grayscale', 'rotate']);
    expect(spec.operations[2].args).toEqual({ angle: -30.5, background: null });
  });

  it('accepts the edges of every range', () => {
    expect(() =>
      validateJobSpec({
        operations: [
          { resize: { width: 1, height: 10000 } },
          { crop: { left: 0, top: 0, width: 1, height: 10000 } },
          { blur: { sigma: 0.3 } },
          { blur: { sigma: 1000 } },
          { sharpen: { sigma: 0.000001 } },
          { sharpen: { sigma: 10 } },
          { rotate: { angle: -36000 } },
        ],
        output: { quality: 1 },
      }),
    ).not.toThrow();
    expect(validateJobSpec({ output: { quality: 100 } }).variants[0].output.quality).toBe(100);
  });

  it('accepts CSS colours', () => {
    for (const colour of ['#ff8800', '#f80', 'white', 'rgba(0,0,0,0.5)', 'rgb(10, 20, 30)']) {
      expect(validateJobSpec({ output: { background: colour } }).variants[0].output.background).toBe(colour);
      expect(validateJobSpec(one({ rotate: { angle: 10, background: colour } })).operations[0].args).toEqual({ angle: 10, background: colour });
    }
  });
});

describe('resize', () => {
  it.each([0, -1, 1.5, 10001, NaN, Infinity])('refuses width %p', (width) => {
    const err = expectRefused(one({ resize: { width, height: 100 } }), 'operations[0].resize.width');
    expect(err.message).toContain(String(width));
  });

  it.each([0, -20, 2.25, 10001])('refuses height %p', (height) => {
    expectRefused(one({ resize: { height } }), 'operations[0].resize.height');
  });

  it('refuses neither width nor height', () => {
    expectRefused(one({ resize: {} }), 'operations[0].resize');
    expectRefused(one({ resize: { width: null, height: null, fit: 'CONTAIN' } }), 'operations[0].resize');
  });

  it('refuses an unknown letterbox colour', () => {
    const err = expectRefused(one({ resize: { width: 10, background: 'not-a-colour' } }), 'operations[0].resize.background');
    expect(err.message).toContain('"not-a-colour"');
  });
});

describe('crop', () => {
  it.each([
    ['left', { left: -1, top: 0, width: 10, height: 10 }],
    ['top', { left: 0, top: 0.5, width: 10, height: 10 }],
    ['width', { left: 0, top: 0, width: 0, height: 10 }],
    ['height', { left: 0, top: 0, width: 10, height: 10001 }],
  ])('refuses a bad %s', (field, crop) => {
    expectRefused(one({ crop }), `operations[0].crop.${field}`);
  });
});

describe('rotate', () => {
  it.each([NaN, Infinity, 36001])('refuses angle %p', (angle) => {
    expectRefused(one({ rotate: { angle } }), 'operations[0].rotate.angle');
  });

  it('refuses an unknown background colour', () => {
    expectRefused(one({ rotate: { angle: 45, background: '#12345' } }), 'operations[0].rotate.background');
  });
});

describe('blur and sharpen', () => {
  it.each([NaN, -1, 0, 0.29, 1000.5, Infinity])('refuses blur sigma %p', (sigma) => {
    expectRefused(one({ blur: { sigma } }), 'operations[0].blur.sigma');
  });

  it.each([NaN, 0, -1, 10.01])('refuses sharpen sigma %p', (sigma) => {
    expectRefused(one({ sharpen: { sigma } }), 'operations[0].sharpen.sigma');
  });
});

describe('output', () => {
  it.each([0, 101, -5, 80.5, NaN])('refuses quality %p', (quality) => {
    expectRefused({ output: { quality } }, 'output.quality');
  });

  it('refuses an unknown background colour', () => {
    expectRefused({ output: { background: 'blurple' } }, 'output.background');
  });
});

describe('the operation list', () => {
  const flips = (n: number): ImageOperation[] => Array.from({ length: n }, () => ({ flip: true }));

  it('takes at most 20 operations by default', () => {
    expect(DEFAULT_JOB_LIMITS.maxOperations).toBe(20);
    expect(validateJobSpec({ operations: flips(20) }).operations).toHaveLength(20);
    const err = expectRefused({ operations: flips(21) }, 'operations');
    expect(err.message).toContain('21');
  });

  it('follows configured limits', () => {
    const limits = { maxOperations: 2, maxDimension: 500, maxVariants: 10 };
    expect(() => validateJobSpec({ operations: flips(3) }, limits)).toThrow(/at most 2 operations/);
    expect(() => validateJobSpec({ operations: [{ resize: { width: 501 } }] }, limits)).toThrow(/operations\[0\]\.resize\.width.*1 to 500/);
    expect(validateJobSpec({ operations: [{ resize: { width: 500 } }] }, limits).operations).toHaveLength(1);
  });

  it('names the entry at fault by its index', () => {
    expectRefused({ operations: [{ flip: true }, { grayscale: true }, { blur: { sigma: NaN } }] }, 'operations[2].blur.sigma');
  });

  it('refuses an entry with no operation, two operations or an unknown one', () => {
    expectRefused({ operations: [{} as ImageOperation] }, 'operations[0]');
    expectRefused({ operations: [{ flip: true, flop: true } as unknown as ImageOperation] }, 'operations[0]');
    const err = expectRefused({ operations: [{ invert: true } as unknown as ImageOperation] }, 'operations[0]');
    expect(err.message).toContain('"invert"');
  });

  it('is not fooled by names inherited from Object', () => {
    expectRefused({ operations: [{ toString: { x: 1 } } as unknown as ImageOperation] }, 'operations[0]');
  });
});
