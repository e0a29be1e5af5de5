import sharp, { type Metadata } from 'sharp';
import { DarkroomError, type ErrorCode } from '../src/errors';
import { validateJobSpec } from '../src/operations/catalogue';
import { processImage, type ProcessedImage } from '../src/processing/pipeline';
import { corpus } from './support/corpus';
import { meanDiff, pixels, type Pixels } from './support/pixels';
import { processLimits, readConfig } from '../src/config';

type JobInput = Parameters<typeof validateJobSpec>[0];
type RGB = [number, number, number];

// The defaults, with SVG let in so the default-format rule can be checked on it.
const LIMITS = processLimits(readConfig({ ALLOWED_INPUT_FORMATS: 'jpeg,png,webp,gif,tiff,avif,svg' }));

interface Run {
  result: ProcessedImage;
  meta: Metadata;
  steps: [number, number][];
}

/** Validate `job` as the GraphQL layer would, run it, and read back what came out. */
async function run(input: Buffer | string, job: JobInput = {}): Promise<Run> {
  const steps: [number, number][] = [];
  const bytes = typeof input === 'string' ? corpus(input) : input;
  const [result] = await processImage(bytes, validateJobSpec(job), LIMITS, async (done, total) => {
    steps.push([done, total]);
  });
  return { result, meta: await sharp(result.data).metadata(), steps };
}

function expectColour(actual: number[], expected: number[], tolerance = 2): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance));
}

async function expectFailure(work: Promise<unknown>, code: ErrorCode): Promise<DarkroomError> {
  const err = await work.then(
    () => {
      throw new Error(`expected a ${code} failure, but the job succeeded`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DarkroomError);
  expect((err as DarkroomError).code).toBe(code);
  return err as DarkroomError;
}

const RED: RGB = [255, 0, 0];
const GREEN: RGB = [0, 255, 0];
const BLUE: RGB = [0, 0, 255];
const WHITE: RGB = [255, 255, 255];

/**
 * A lossless 8x6 PNG in four coloured quadrants (red | green over blue | white),
 * so moved pixels can be checked exactly.
 */
async function quadrants(): Promise<Buffer> {
  const width = 8;
  const height = 6;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < height / 2 ? (x < width / 2 ? RED : GREEN) : x < width / 2 ? BLUE : WHITE;
      data.set(colour, (y * width + x) * 3);
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** A 40x40 PNG: an opaque red 20x20 square in the middle of a fully transparent canvas. */
async function redSquareOnTransparent(): Promise<Buffer> {
  const square = await sharp({ create: { width: 20, height: 20, channels: 4, background: '#ff0000' } }).png().toBuffer();
  return sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: square }])
    .png()
    .toBuffer();
}

describe('EXIF orientation', () => {
  it('turns Landscape_6.jpg (stored 450x600) upright to 600x450, matching the upright Landscape_1.jpg', async () => {
    expect(await sharp(corpus('Landscape_6.jpg')).metadata()).toMatchObject({ width: 450, height: 600, orientation: 6 });
    const { result, meta } = await run('Landscape_6.jpg', { output: { format: 'PNG' } });
    expect([result.width, result.height, meta.width, meta.height]).toEqual([600, 450, 600, 450]);
    expect(meta.orientation).toBeUndefined();
    // Same photograph, stored the other way up: only the two JPEG encodings differ.
    expect(meanDiff(await pixels(result.data), await pixels(corpus('Landscape_1.jpg')))).toBeLessThan(10);
  });

  it('turns Portrait_8.jpg (stored 600x450) upright to 450x600: the stored pixels a quarter turn anticlockwise', async () => {
    const { result, meta } = await run('Portrait_8.jpg', { output: { format: 'PNG' } });
    expect([result.width, result.height, meta.width, meta.height]).toEqual([450, 600, 450, 600]);
    const stored = sharp(corpus('Portrait_8.jpg')).rotate(-90);
    expect(meanDiff(await pixels(result.data), await pixels(stored))).toBeLessThan(1);
  });

  it('keeps the stored dimensions with autoOrient: false', async () => {
    const landscape = await run('Landscape_6.jpg', { autoOrient: false });
    expect([landscape.meta.width, landscape.meta.height]).toEqual([450, 600]);
    const portrait = await run('Portrait_8.jpg', { autoOrient: false });
    expect([portrait.meta.width, portrait.meta.height]).toEqual([600, 450]);
  });

  it('applies operations to the upright image', async () => {
    const { meta } = await run('Landscape_6.jpg', { operations: [{ resize: { width: 300 } }] });
    expect([meta.width, meta.height]).toEqual([300, 225]);
    // The right half of the upright picture is 300x450; of the stored one it would not fit.
    const cropped = await run('Landscape_6.jpg', {
      operations: [{ crop: { left: 300, top: 0, width: 300, height: 450 } }],
      output: { format: 'PNG' },
    });
    const reference = sharp(corpus('Landscape_1.jpg')).extract({ left: 300, top: 0, width: 300, height: 450 });
    expect(meanDiff(await pixels(cropped.result.data), await pixels(reference))).toBeLessThan(10);
  });
});

describe('real photos', () => {
  it('resizes the 2725x2225 benchmark photo to exactly 720x588 JPEG', async () => {
    expect(await sharp(corpus('2569067123_aca715a2ee_o.jpg')).metadata()).toMatchObject({ width: 2725, height: 2225 });
    const { result, meta, steps } = await run('2569067123_aca715a2ee_o.jpg', {
      operations: [{ resize: { width: 720, height: 588 } }],
      output: { format: 'JPEG' },
    });
    expect(result).toMatchObject({ format: 'JPEG', width: 720, height: 588 });
    expect(meta).toMatchObject({ format: 'jpeg', width: 720, height: 588, space: 'srgb', channels: 3 });
    expect(steps).toEqual([]);
  });

  it('converts the CMYK JPEG to 3-channel sRGB with the colours its ICC profile gives', async () => {
    expect(await sharp(corpus('Channel_digital_image_CMYK_color.jpg')).metadata()).toMatchObject({ space: 'cmyk', channels: 4 });
    const { result, meta } = await run('Channel_digital_image_CMYK_color.jpg', { output: { format: 'PNG' } });
    expect(meta).toMatchObject({ format: 'png', space: 'srgb', channels: 3, width: 500, height: 333 });
    const reference = sharp(corpus('Channel_digital_image_CMYK_color.jpg')).toColourspace('srgb');
    expect(meanDiff(await pixels(result.data), await pixels(reference))).toBeLessThan(1);
  });

  it('converts CMYK to sRGB in multi-step jobs too', async () => {
    const { meta } = await run('Channel_digital_image_CMYK_color.jpg', { operations: [{ flip: true }, { flop: true }] });
    expect(meta).toMatchObject({ format: 'jpeg', space: 'srgb', channels: 3, width: 500, height: 333 });
  });

  it('resizes the 370x285 animated GIF, using its first frame when asked to', async () => {
    expect(await sharp(corpus('animated-loop-3.gif')).metadata()).toMatchObject({ width: 370, height: 285, pages: 10 });
    const { result, meta } = await run('animated-loop-3.gif', { operations: [{ resize: { width: 185 } }], animated: false });
    expect(result).toMatchObject({ format: 'GIF', width: 185, height: 143 });
    expect(meta).toMatchObject({ format: 'gif', width: 185, height: 143 });
    expect(meta.pages ?? 1).toBe(1);
  });
});

describe('transparency', () => {
  // with-alpha.png is one colour, rgb(91,0,194) at alpha 168 of 255, all over.
  const over = (background: RGB): number[] => [91, 0, 194].map((c, i) => (c * 168 + background[i] * (255 - 168)) / 255);

  it('flattens alpha onto white for JPEG output by default', async () => {
    const { meta, result } = await run('with-alpha.png', { output: { format: 'JPEG' } });
    expect(meta).toMatchObject({ format: 'jpeg', channels: 3, hasAlpha: false });
    expectColour((await pixels(result.data)).at(128, 96), over(WHITE));
  });

  it('flattens onto output.background when given', async () => {
    const { result } = await run('with-alpha.png', { output: { format: 'JPEG', background: '#0000ff' } });
    expectColour((await pixels(result.data)).at(128, 96), over(BLUE));
  });

  it('turns fully transparent areas white, and keeps opaque ones', async () => {
    const { result } = await run(await redSquareOnTransparent(), { output: { format: 'JPEG' } });
    const out = await pixels(result.data);
    expectColour(out.at(2, 2), WHITE);
    expectColour(out.at(20, 20), RED, 8);
  });

  it('keeps alpha in PNG output', async () => {
    const { meta, result } = await run('with-alpha.png');
    expect(meta).toMatchObject({ format: 'png', channels: 4, hasAlpha: true });
    expect((await pixels(result.data)).at(128, 96)).toEqual([91, 0, 194, 168]);
    const bird = await run('embedgravitybird.png');
    expect(bird.meta).toMatchObject({ format: 'png', width: 576, height: 384, channels: 4, hasAlpha: true });
  });

  it('flattens onto output.background for TIFF with JPEG compression (the default), and keeps alpha with the lossless ones', async () => {
    for (const job of [{ output: { format: 'TIFF' as const, background: '#0000ff' } }, { operations: [{ flip: true }], output: { format: 'TIFF' as const, background: '#0000ff' } }]) {
      const { meta, result } = await run('with-alpha.png', job);
      expect(meta).toMatchObject({ format: 'tiff', channels: 3, hasAlpha: false });
      expectColour((await pixels(result.data)).at(128, 96), over(BLUE), 4);
    }
    const lzw = await run('with-alpha.png', { output: { format: 'TIFF', tiffCompression: 'LZW', background: '#0000ff' } });
    expect(lzw.meta).toMatchObject({ format: 'tiff', channels: 4, hasAlpha: true });
    expect((await pixels(lzw.result.data)).at(128, 96)).toEqual([91, 0, 194, 168]);
  });

  it('fills a letterbox and rotated corners with the output background in JPEG, whichever step adds them', async () => {
    for (const operations of [
      [{ resize: { width: 300, height: 300, fit: 'CONTAIN' as const } }],
      [{ flip: true }, { resize: { width: 300, height: 300, fit: 'CONTAIN' as const } }],
      [{ resize: { width: 300, height: 300, fit: 'CONTAIN' as const } }, { flip: true }],
      [{ rotate: { angle: 45 } }],
      [{ rotate: { angle: 45 } }, { flip: true }],
    ]) {
      const white = await run('Landscape_1.jpg', { operations, output: { format: 'JPEG' } });
      expectColour((await pixels(white.result.data)).at(0, 0), WHITE);
      const green = await run('Landscape_1.jpg', { operations, output: { format: 'JPEG', background: '#00ff00' } });
      expectColour((await pixels(green.result.data)).at(0, 0), GREEN, 4);
    }
  });
});

describe('default output format', () => {
  it.each([
    ['Landscape_1.jpg', 'JPEG', 'jpeg'],
    ['with-alpha.png', 'PNG', 'png'],
    ['4.webp', 'WEBP', 'webp'],
    ['animated-loop-3.gif', 'GIF', 'gif'],
    // Darkroom cannot write SVG; it has transparency, so PNG.
    ['circle.svg', 'PNG', 'png'],
  ])('%s comes out as %s', async (file, format, sharpFormat) => {
    const { result, meta } = await run(file);
    expect(result.format).toBe(format);
    expect(meta.format).toBe(sharpFormat);
  });

  it('uses the requested format over the input one', async () => {
    const { result, meta } = await run('Landscape_1.jpg', { output: { format: 'WEBP' } });
    expect(result.format).toBe('WEBP');
    expect(meta).toMatchObject({ format: 'webp', width: 600, height: 450 });
  });
});

describe('crop', () => {
  it('cuts out exactly the requested region', async () => {
    const { result, meta } = await run('Landscape_1.jpg', {
      operations: [{ crop: { left: 100, top: 50, width: 200, height: 120 } }],
      output: { format: 'PNG' },
    });
    expect([meta.width, meta.height]).toEqual([200, 120]);
    const source = await pixels(corpus('Landscape_1.jpg'));
    const out = await pixels(result.data);
    for (const [x, y] of [[0, 0], [199, 0], [0, 119], [199, 119], [57, 83]]) {
      expect(out.at(x, y)).toEqual(source.at(x + 100, y + 50));
    }
  });

  it('keeps one quadrant of the generated image', async () => {
    const { result } = await run(await quadrants(), { operations: [{ crop: { left: 4, top: 3, width: 4, height: 3 } }] });
    const out = await pixels(result.data);
    expect([out.width, out.height]).toEqual([4, 3]);
    expect(out.at(0, 0)).toEqual(WHITE);
    expect(out.at(3, 2)).toEqual(WHITE);
  });

  it('refuses an area outside the image with BAD_USER_INPUT', async () => {
    const err = await expectFailure(
      run('Landscape_1.jpg', { operations: [{ crop: { left: 500, top: 0, width: 200, height: 100 } }] }),
      'BAD_USER_INPUT',
    );
    expect(err.message).toContain('600x450');
  });

  it('checks the area against the image as it is at that step', async () => {
    const job = { operations: [{ resize: { width: 300 } }, { crop: { left: 0, top: 0, width: 400, height: 100 } }] };
    await expectFailure(run('Landscape_1.jpg', job), 'BAD_USER_INPUT');
  });
});

describe('rotate', () => {
  it('swaps the sides for 90 and -90, keeps them for 180', async () => {
    for (const [angle, size] of [
      [90, [450, 600]],
      [-90, [450, 600]],
      [270, [450, 600]],
      [180, [600, 450]],
    ] as const) {
      const { meta } = await run('Landscape_1.jpg', { operations: [{ rotate: { angle } }] });
      expect([meta.width, meta.height]).toEqual(size);
    }
  });

  it('turns clockwise', async () => {
    const { result } = await run(await quadrants(), { operations: [{ rotate: { angle: 90 } }] });
    const out = await pixels(result.data);
    expect([out.width, out.height]).toEqual([6, 8]);
    // Clockwise: the bottom-left (blue) quadrant comes to the top left.
    expect(out.at(0, 0)).toEqual(BLUE);
    expect(out.at(5, 0)).toEqual(RED);
    expect(out.at(5, 7)).toEqual(GREEN);
    expect(out.at(0, 7)).toEqual(WHITE);
  });

  it('grows the canvas for 45 degrees and fills the corners with the rotate background', async () => {
    const { meta, result } = await run('Landscape_1.jpg', {
      operations: [{ rotate: { angle: 45, background: '#ff0000' } }],
    });
    // 600·cos45 + 450·sin45 = 742.5
    expect([meta.width, meta.height]).toEqual([742, 742]);
    expectColour((await pixels(result.data)).at(0, 0), RED, 4);
  });

  it('leaves the corners transparent in PNG output', async () => {
    const { meta, result } = await run('Landscape_1.jpg', { operations: [{ rotate: { angle: 45 } }], output: { format: 'PNG' } });
    expect(meta).toMatchObject({ channels: 4, hasAlpha: true });
    expect((await pixels(result.data)).at(0, 0)[3]).toBe(0);
  });
});

describe('flip and flop', () => {
  it('flip mirrors top to bottom', async () => {
    const { result } = await run(await quadrants(), { operations: [{ flip: true }] });
    const out = await pixels(result.data);
    expect([out.at(0, 0), out.at(7, 0), out.at(0, 5), out.at(7, 5)]).toEqual([BLUE, WHITE, RED, GREEN]);
  });

  it('flop mirrors left to right', async () => {
    const { result } = await run(await quadrants(), { operations: [{ flop: true }] });
    const out = await pixels(result.data);
    expect([out.at(0, 0), out.at(7, 0), out.at(0, 5), out.at(7, 5)]).toEqual([GREEN, RED, WHITE, BLUE]);
  });

  it('flip then flop turns the image half round', async () => {
    const { result } = await run(await quadrants(), { operations: [{ flip: true }, { flop: true }] });
    const out = await pixels(result.data);
    expect([out.at(0, 0), out.at(7, 0), out.at(0, 5), out.at(7, 5)]).toEqual([WHITE, BLUE, GREEN, RED]);
  });

  it('flip: false asks for nothing', async () => {
    const { result } = await run(await quadrants(), { operations: [{ flip: false }] });
    expect((await pixels(result.data)).at(0, 0)).toEqual(RED);
  });
});

describe('grayscale', () => {
  /** Every pixel has equal red, green and blue, or the image has a single grey band. */
  function expectGrey(out: Pixels): void {
    if (out.channels <= 2) return;
    let coloured = 0;
    for (let i = 0; i < out.data.length; i += out.channels) {
      if (out.data[i + 1] !== out.data[i] || out.data[i + 2] !== out.data[i]) coloured++;
    }
    expect(coloured).toBe(0);
  }

  it('produces a grey image with the luminance of the colours', async () => {
    const { result, meta } = await run(await quadrants(), { operations: [{ grayscale: true }] });
    expect(meta).toMatchObject({ format: 'png', width: 8, height: 6 });
    const out = await pixels(result.data);
    expectGrey(out);
    // Pure green is much lighter than pure red, which is lighter than pure blue; white stays white.
    const [red, green, blue, white] = [out.at(0, 0), out.at(7, 0), out.at(0, 5), out.at(7, 5)].map((p) => p[0]);
    expect(green).toBeGreaterThan(red);
    expect(red).toBeGreaterThan(blue);
    expect(white).toBe(255);
  });

  it('makes a photo grey, as first or as last step', async () => {
    for (const operations of [[{ grayscale: true }], [{ grayscale: true }, { flop: true }], [{ flop: true }, { grayscale: true }]]) {
      const { result, meta } = await run('Landscape_1.jpg', { operations, output: { format: 'PNG' } });
      expect([meta.width, meta.height]).toEqual([600, 450]);
      expectGrey(await pixels(result.data));
    }
  });

  it('keeps alpha, as last step and before other steps', async () => {
    for (const operations of [[{ grayscale: true }], [{ grayscale: true }, { flop: true }]]) {
      const { result, meta } = await run('with-alpha.png', { operations });
      expect(meta).toMatchObject({ format: 'png', hasAlpha: true });
      const pixel = (await pixels(result.data)).at(128, 96);
      expect(pixel[pixel.length - 1]).toBe(168);
    }
  });

  it('flattens a grey image with alpha onto the output background, as last step and before other steps', async () => {
    const grey = (await pixels((await run('with-alpha.png', { operations: [{ grayscale: true }] })).result.data)).at(0, 0)[0];
    const expected = (grey * 168 + 255 * (255 - 168)) / 255;
    for (const operations of [[{ grayscale: true }], [{ grayscale: true }, { flop: true }]]) {
      const { result } = await run('with-alpha.png', { operations, output: { format: 'JPEG' } });
      expectColour((await pixels(result.data)).at(128, 96), [expected, expected, expected]);
    }
  });
});

describe('blur and sharpen', () => {
  async function stats(data: Buffer): Promise<{ stdev: number; sharpness: number }> {
    const s = await sharp(data).stats();
    return { stdev: s.channels[0].stdev, sharpness: s.sharpness };
  }

  it('blur lowers the contrast of noise and the sharpness of a photo', async () => {
    const before = await stats(corpus('random.jpg'));
    const { result, meta } = await run('random.jpg', { operations: [{ blur: { sigma: 3 } }], output: { format: 'PNG' } });
    expect([meta.width, meta.height]).toEqual([200, 200]);
    const after = await stats(result.data);
    expect(after.stdev).toBeLessThan(before.stdev / 2);

    const photo = await stats(corpus('Landscape_1.jpg'));
    const blurred = await stats((await run('Landscape_1.jpg', { operations: [{ blur: { sigma: 2 } }], output: { format: 'PNG' } })).result.data);
    expect(blurred.sharpness).toBeLessThan(photo.sharpness);
    expect(blurred.stdev).toBeLessThan(photo.stdev);
  });

  it('a stronger blur blurs more', async () => {
    const light = await stats((await run('random.jpg', { operations: [{ blur: { sigma: 1 } }] })).result.data);
    const heavy = await stats((await run('random.jpg', { operations: [{ blur: { sigma: 10 } }] })).result.data);
    expect(heavy.stdev).toBeLessThan(light.stdev);
  });

  it('sharpen raises the sharpness of a photo, with and without sigma', async () => {
    const photo = await stats(corpus('Landscape_1.jpg'));
    for (const sharpen of [{}, { sigma: 2 }]) {
      const { result, meta } = await run('Landscape_1.jpg', { operations: [{ sharpen }], output: { format: 'PNG' } });
      expect([meta.width, meta.height]).toEqual([600, 450]);
      expect((await stats(result.data)).sharpness).toBeGreaterThan(photo.sharpness);
    }
  });
});

describe('resize', () => {
  async function size(job: JobInput, file = 'Landscape_1.jpg'): Promise<[number | undefined, number | undefined]> {
    const { meta } = await run(file, job);
    return [meta.width, meta.height];
  }

  it('COVER (the default) fills both sides exactly', async () => {
    expect(await size({ operations: [{ resize: { width: 200, height: 200 } }] })).toEqual([200, 200]);
    expect(await size({ operations: [{ resize: { width: 200, height: 200, fit: 'COVER', position: 'ATTENTION' } }] })).toEqual([200, 200]);
  });

  it('follows the aspect ratio when only one side is given', async () => {
    expect(await size({ operations: [{ resize: { width: 300 } }] })).toEqual([300, 225]);
    expect(await size({ operations: [{ resize: { height: 150 } }] })).toEqual([200, 150]);
  });

  it('INSIDE keeps the aspect ratio within the box; OUTSIDE covers it; FILL stretches', async () => {
    expect(await size({ operations: [{ resize: { width: 200, height: 200, fit: 'INSIDE' } }] })).toEqual([200, 150]);
    expect(await size({ operations: [{ resize: { width: 200, height: 200, fit: 'OUTSIDE' } }] })).toEqual([267, 200]);
    expect(await size({ operations: [{ resize: { width: 100, height: 300, fit: 'FILL' } }] })).toEqual([100, 300]);
  });

  it('CONTAIN letterboxes with the resize background', async () => {
    const { meta, result } = await run('Landscape_1.jpg', {
      operations: [{ resize: { width: 200, height: 200, fit: 'CONTAIN', background: '#0000ff' } }],
      output: { format: 'PNG' },
    });
    expect([meta.width, meta.height]).toEqual([200, 200]);
    const out = await pixels(result.data);
    // 600x450 into 200x200 is 200x150 with 25 rows of letterbox above and below.
    for (const y of [0, 24, 175, 199]) expect(out.at(100, y)).toEqual(BLUE);
    const picture = await pixels(sharp(result.data).extract({ left: 0, top: 25, width: 200, height: 150 }));
    expect(meanDiff(picture, await pixels(sharp(corpus('Landscape_1.jpg')).resize(200, 150)))).toBeLessThan(2);
  });

  it('CONTAIN leaves a transparent letterbox in PNG output when no background is given', async () => {
    const { meta, result } = await run('Landscape_1.jpg', {
      operations: [{ resize: { width: 200, height: 200, fit: 'CONTAIN' } }],
      output: { format: 'PNG' },
    });
    expect(meta).toMatchObject({ width: 200, height: 200, hasAlpha: true });
    const out = await pixels(result.data);
    expect(out.at(100, 0)[3]).toBe(0);
    expect(out.at(100, 100)[3]).toBe(255);
  });

  it('withoutEnlargement never makes the image larger', async () => {
    expect(await size({ operations: [{ resize: { width: 1200, withoutEnlargement: true } }] })).toEqual([600, 450]);
    expect(await size({ operations: [{ resize: { width: 1200 } }] })).toEqual([1200, 900]);
    expect(await size({ operations: [{ resize: { width: 300, withoutEnlargement: true } }] })).toEqual([300, 225]);
  });
});

describe('operation order', () => {
  it('applies operations in the order given', async () => {
    const resizeThenCrop = await run('Landscape_1.jpg', {
      operations: [{ resize: { width: 300 } }, { crop: { left: 0, top: 0, width: 200, height: 200 } }],
    });
    expect([resizeThenCrop.meta.width, resizeThenCrop.meta.height]).toEqual([200, 200]);
    const cropThenResize = await run('Landscape_1.jpg', {
      operations: [{ crop: { left: 0, top: 0, width: 200, height: 200 } }, { resize: { width: 300 } }],
    });
    expect([cropThenResize.meta.width, cropThenResize.meta.height]).toEqual([300, 300]);
  });

  it('rotate then crop differs from crop then rotate', async () => {
    const rotateThenCrop = await run(await quadrants(), {
      operations: [{ rotate: { angle: 90 } }, { crop: { left: 0, top: 0, width: 3, height: 4 } }],
    });
    expect((await pixels(rotateThenCrop.result.data)).at(0, 0)).toEqual(BLUE);
    const cropThenRotate = await run(await quadrants(), {
      operations: [{ crop: { left: 0, top: 0, width: 4, height: 3 } }, { rotate: { angle: 90 } }],
    });
    expect((await pixels(cropThenRotate.result.data)).at(0, 0)).toEqual(RED);
  });
});

describe('progress', () => {
  it('reports each materialised step, not the last one, which is encoded in the same pass', async () => {
    const flips = (n: number): JobInput => ({ operations: Array.from({ length: n }, (_, i) => (i % 2 ? { flop: true } : { flip: true })) });
    expect((await run('320x240.jpg', flips(0))).steps).toEqual([]);
    expect((await run('320x240.jpg', flips(1))).steps).toEqual([]);
    expect((await run('320x240.jpg', flips(2))).steps).toEqual([[1, 3]]);
    expect((await run('320x240.jpg', flips(4))).steps).toEqual([[1, 5], [2, 5], [3, 5]]);
  });

  it('reports the last step too when it needs a pass of its own before JPEG flattens transparency', async () => {
    const contain = { resize: { width: 100, height: 100, fit: 'CONTAIN' as const } };
    expect((await run('320x240.jpg', { operations: [contain], output: { format: 'JPEG' } })).steps).toEqual([[1, 2]]);
    expect((await run('320x240.jpg', { operations: [contain], output: { format: 'PNG' } })).steps).toEqual([]);
    expect((await run('320x240.jpg', { operations: [{ rotate: { angle: 90 } }] })).steps).toEqual([]);
    expect((await run('with-alpha.png', { operations: [{ flip: true }], output: { format: 'JPEG' } })).steps).toEqual([[1, 2]]);
    expect((await run('with-alpha.png', { operations: [{ flip: true }, { flop: true }], output: { format: 'JPEG' } })).steps).toEqual([
      [1, 3],
      [2, 3],
    ]);
    expect((await run('with-alpha.png', { operations: [{ flip: true }] })).steps).toEqual([]);
  });

  it("passes the listener's own error through untouched", async () => {
    const boom = new Error('listener failed');
    const spec = validateJobSpec({ operations: [{ flip: true }, { flop: true }] });
    await expect(processImage(corpus('320x240.jpg'), spec, LIMITS, () => Promise.reject(boom))).rejects.toBe(boom);
  });
});

describe('metadata', () => {
  it('strips EXIF by default', async () => {
    expect((await sharp(corpus('320x240.jpg')).metadata()).exif).toBeDefined();
    const { meta } = await run('320x240.jpg');
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
  });

  it.each([
    ['no operation', []],
    ['one operation', [{ flip: true }]],
    ['several operations', [{ flip: true }, { resize: { width: 160 } }, { grayscale: true }]],
  ])('keeps all of the EXIF and XMP with keepMetadata (%s)', async (_, operations) => {
    const source = await sharp(corpus('320x240.jpg')).metadata();
    // 320x240.jpg's EXIF names the program that wrote it, deep in its IFD0.
    expect(source.exif?.toString('latin1')).toContain('GIMP 2.6.7');
    const { meta } = await run('320x240.jpg', { operations, output: { keepMetadata: true } });
    expect(meta.exif?.toString('latin1')).toContain('GIMP 2.6.7');
    expect(meta.exif!.length).toBeGreaterThan(source.exif!.length * 0.9);
    expect(meta.xmp?.toString()).toBe(source.xmp?.toString());
  });

  it.each([
    ['no operation', []],
    ['one operation', [{ resize: { width: 300 } }]],
    ['several operations', [{ flip: true }, { flip: true }, { resize: { width: 300 } }]],
  ])('keeps EXIF of Landscape_6.jpg without an orientation that would turn it again (%s)', async (_, operations) => {
    const { meta, steps } = await run('Landscape_6.jpg', { operations, output: { keepMetadata: true, format: 'PNG' } });
    expect(meta.exif?.length).toBeGreaterThan(0);
    expect([undefined, 1]).toContain(meta.orientation);
    // Upright: 600 wide (300 after the resize) and 4:3.
    expect(meta.width! * 3).toBe(meta.height! * 4);
    expect(steps).toHaveLength(Math.max(operations.length - 1, 0));
  });

  it('with autoOrient: false keeps the stored pixels and the orientation tag that shows them upright', async () => {
    for (const operations of [[], [{ flip: true }, { flip: true }]]) {
      const { meta } = await run('Landscape_6.jpg', { autoOrient: false, operations, output: { keepMetadata: true } });
      expect(meta).toMatchObject({ width: 450, height: 600, orientation: 6 });
    }
  });

  it('gives the same pixels with and without keepMetadata in a multi-step job', async () => {
    const operations = [{ flop: true }, { crop: { left: 10, top: 20, width: 300, height: 200 } }, { grayscale: true }];
    const kept = await run('Landscape_6.jpg', { operations, output: { keepMetadata: true, format: 'PNG' } });
    const stripped = await run('Landscape_6.jpg', { operations, output: { format: 'PNG' } });
    expect(kept.meta.exif?.length).toBeGreaterThan(0);
    expect(stripped.meta.exif).toBeUndefined();
    expect(meanDiff(await pixels(kept.result.data), await pixels(stripped.result.data))).toBeLessThan(1);
  });
});

describe('unreadable and refused images', () => {
  it.each([
    ['corrupt-header.jpg', 'INVALID_IMAGE'],
    ['truncated.jpg', 'INVALID_IMAGE'],
    ['truncated.png', 'INVALID_IMAGE'],
    ['relax.jp2', 'UNSUPPORTED_FORMAT'],
    ['giant-image.jpg', 'LIMIT_EXCEEDED'],
    ['65536-uint32-limit.png', 'LIMIT_EXCEEDED'],
  ] as const)('%s fails with %s', async (file, code) => {
    const err = await expectFailure(run(file, { operations: [{ resize: { width: 100 } }] }), code);
    expect(err.message).not.toMatch(/\/work\//);
  });

  it('refuses text as UNSUPPORTED_FORMAT', async () => {
    await expectFailure(run(Buffer.from('this is not an image, just some text\n')), 'UNSUPPORTED_FORMAT');
  });

  it('refuses the truncated JPEG rather than returning a half-grey image, also without operations', async () => {
    await expectFailure(run('truncated.jpg'), 'INVALID_IMAGE');
  });
});
