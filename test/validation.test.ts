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
          output: { format: null, quality: null, background: '#ffffff', keepMetadata: false, placeholder: false, keepIcc: false, maxBytes: null, encoder: {} },
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
    const limits = { ...DEFAULT_JOB_LIMITS, maxOperations: 2, maxDimension: 500 };
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

describe('the wider catalogue', () => {
  const UPLOAD = Promise.resolve(null) as unknown as Promise<import('graphql-upload-minimal').FileUpload>;
  const watermark = (args: Record<string, unknown>): JobInput => ({ operations: [{ watermark: { image: UPLOAD, ...args } }] });
  const files = { claim: () => ({ file: 0 }) };
  const refusedWithFiles = (job: JobInput, field: string): void => {
    let caught: unknown;
    try {
      validateJobSpec(job, DEFAULT_JOB_LIMITS, files);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'BAD_USER_INPUT', field });
  };

  it('fills in defaults and claims the watermark file', () => {
    expect(validateJobSpec(one({ median: {} })).operations[0].args).toEqual({ size: 3 });
    expect(validateJobSpec(one({ threshold: {} })).operations[0].args).toEqual({ value: 128, grayscale: true });
    expect(validateJobSpec(one({ normalise: {} })).operations[0].args).toEqual({ lower: 1, upper: 99 });
    expect(validateJobSpec(one({ trim: {} })).operations[0].args).toEqual({ background: null, threshold: 10, margin: 0 });
    const spec = validateJobSpec(watermark({}), DEFAULT_JOB_LIMITS, files);
    expect(spec.files).toBe(1);
    expect(spec.operations[0].args).toEqual({ image: { file: 0 }, field: 'operations[0].watermark.image', placement: { gravity: 'SOUTHEAST' }, opacity: 1, scale: null, tile: false });
  });

  it.each([
    [{ resize: { width: 10, height: 10, focus: { x: 1.5, y: 0 } } }, 'operations[0].resize.focus.x'],
    [{ resize: { width: 10, height: 10, focus: { x: 0, y: NaN } } }, 'operations[0].resize.focus.y'],
    [{ resize: { width: 10, focus: { x: 0.5, y: 0.5 } } }, 'operations[0].resize.focus'],
    [{ resize: { width: 10, height: 10, fit: 'CONTAIN', focus: { x: 0.5, y: 0.5 } } }, 'operations[0].resize.focus'],
    [{ resize: { width: 10, height: 10, position: 'ATTENTION', focus: { x: 0.5, y: 0.5 } } }, 'operations[0].resize.focus'],
    [{ extend: {} }, 'operations[0].extend'],
    [{ extend: { top: -1 } }, 'operations[0].extend.top'],
    [{ extend: { left: 10001 } }, 'operations[0].extend.left'],
    [{ extend: { right: 1.5 } }, 'operations[0].extend.right'],
    [{ extend: { bottom: 5, background: 'nope' } }, 'operations[0].extend.background'],
    [{ extend: { bottom: 5, background: 'red', extendWith: 'MIRROR' } }, 'operations[0].extend.background'],
    [{ trim: { threshold: -1 } }, 'operations[0].trim.threshold'],
    [{ trim: { threshold: NaN } }, 'operations[0].trim.threshold'],
    [{ trim: { margin: -3 } }, 'operations[0].trim.margin'],
    [{ trim: { background: '#zzz' } }, 'operations[0].trim.background'],
    [{ modulate: {} }, 'operations[0].modulate'],
    [{ modulate: { brightness: -0.1 } }, 'operations[0].modulate.brightness'],
    [{ modulate: { saturation: 11 } }, 'operations[0].modulate.saturation'],
    [{ modulate: { hue: 10.5 } }, 'operations[0].modulate.hue'],
    [{ modulate: { hue: 361 } }, 'operations[0].modulate.hue'],
    [{ modulate: { lightness: Infinity } }, 'operations[0].modulate.lightness'],
    [{ tint: { colour: 'blurple' } }, 'operations[0].tint.colour'],
    [{ normalise: { lower: -1 } }, 'operations[0].normalise.lower'],
    [{ normalise: { upper: 101 } }, 'operations[0].normalise.upper'],
    [{ normalise: { lower: 60, upper: 40 } }, 'operations[0].normalise'],
    [{ gamma: { gamma: 0.9 } }, 'operations[0].gamma.gamma'],
    [{ gamma: { gamma: 3.1 } }, 'operations[0].gamma.gamma'],
    [{ gamma: { gamma: NaN } }, 'operations[0].gamma.gamma'],
    [{ threshold: { value: 256 } }, 'operations[0].threshold.value'],
    [{ threshold: { value: 12.5 } }, 'operations[0].threshold.value'],
    [{ linear: { a: -1 } }, 'operations[0].linear.a'],
    [{ linear: { b: 300 } }, 'operations[0].linear.b'],
    [{ linear: { a: NaN } }, 'operations[0].linear.a'],
    [{ flatten: { background: 'not a colour' } }, 'operations[0].flatten.background'],
    [{ median: { size: 4 } }, 'operations[0].median.size'],
    [{ median: { size: 0 } }, 'operations[0].median.size'],
    [{ median: { size: 51 } }, 'operations[0].median.size'],
    [{ text: { text: '' } }, 'operations[0].text.text'],
    [{ text: { text: '   ' } }, 'operations[0].text.text'],
    [{ text: { text: 'x'.repeat(501) } }, 'operations[0].text.text'],
    [{ text: { text: 'hi', size: 3 } }, 'operations[0].text.size'],
    [{ text: { text: 'hi', size: 1001 } }, 'operations[0].text.size'],
    [{ text: { text: 'hi', colour: 'sparkly' } }, 'operations[0].text.colour'],
    [{ text: { text: 'hi', font: 'Sans" size="99' } }, 'operations[0].text.font'],
    [{ text: { text: 'hi', opacity: 1.1 } }, 'operations[0].text.opacity'],
    [{ text: { text: 'hi', left: 5 } }, 'operations[0].text.top'],
    [{ text: { text: 'hi', left: 5, top: 5, gravity: 'NORTH' } }, 'operations[0].text.gravity'],
    [{ text: { text: 'hi', left: -5, top: 5 } }, 'operations[0].text.left'],
  ] as [ImageOperation, string][])('refuses %j naming %s', (operation, field) => {
    expectRefused(one(operation), field);
  });

  it.each([
    [{ opacity: -0.1 }, 'operations[0].watermark.opacity'],
    [{ opacity: NaN }, 'operations[0].watermark.opacity'],
    [{ scale: 0 }, 'operations[0].watermark.scale'],
    [{ scale: 1.01 }, 'operations[0].watermark.scale'],
    [{ top: 3 }, 'operations[0].watermark.left'],
    [{ left: 1, top: 2.5 }, 'operations[0].watermark.top'],
    [{ left: 1, top: 2, gravity: 'CENTER' }, 'operations[0].watermark.gravity'],
  ])('refuses watermark %j naming %s', (args, field) => {
    refusedWithFiles(watermark(args), field);
  });

  it('refuses a watermark outside an upload request, naming its image', () => {
    expectRefused(watermark({}), 'operations[0].watermark.image');
  });

  it.each([
    [{ maxBytes: 1000 }, 'output.maxBytes'],
    [{ format: 'PNG', maxBytes: 1000 }, 'output.maxBytes'],
    [{ format: 'WEBP', lossless: true, maxBytes: 1000 }, 'output.maxBytes'],
    [{ format: 'JPEG', maxBytes: 0 }, 'output.maxBytes'],
    [{ format: 'JPEG', maxBytes: NaN }, 'output.maxBytes'],
    [{ format: 'PNG', mozjpeg: true }, 'output.mozjpeg'],
    [{ format: 'WEBP', progressive: true }, 'output.progressive'],
    [{ compressionLevel: 10 }, 'output.compressionLevel'],
    [{ compressionLevel: -1 }, 'output.compressionLevel'],
    [{ format: 'JPEG', compressionLevel: 5 }, 'output.compressionLevel'],
    [{ colours: 1 }, 'output.colours'],
    [{ colours: 257 }, 'output.colours'],
    [{ format: 'PNG', colours: 16 }, 'output.colours'],
    [{ format: 'JPEG', lossless: true }, 'output.lossless'],
    [{ effort: 10 }, 'output.effort'],
    [{ format: 'WEBP', effort: 3 }, 'output.effort'],
    [{ format: 'PNG', tiffCompression: 'LZW' }, 'output.tiffCompression'],
  ] as [Record<string, unknown>, string][])('refuses output %j naming %s', (output, field) => {
    expectRefused({ output }, field);
  });

  it('accepts encoder options for the format they belong to, and any with the format left to the input', () => {
    expect(validateJobSpec({ output: { format: 'JPEG', progressive: true, mozjpeg: true, maxBytes: 5000 } }).variants[0].output).toMatchObject({
      maxBytes: 5000,
      encoder: { progressive: true, mozjpeg: true },
    });
    expect(validateJobSpec({ output: { palette: true, colours: 16, effort: 2, keepIcc: true } }).variants[0].output).toMatchObject({
      keepIcc: true,
      encoder: { palette: true, colours: 16, effort: 2 },
    });
  });
});
