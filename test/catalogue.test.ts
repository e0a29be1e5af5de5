import sharp, { type Metadata } from 'sharp';
import { DarkroomError } from '../src/errors';
import { planJob, validateJobSpec } from '../src/operations/catalogue';
import { DEFAULT_JOB_LIMITS, type FileClaims } from '../src/operations/operation';
import { processImage, type ProcessedImage } from '../src/processing/pipeline';
import { processLimits, readConfig } from '../src/config';
import { corpus } from './support/corpus';
import { changedBox, channelMeans, meanDiff, pixels, type Pixels } from './support/pixels';

type JobInput = Parameters<typeof validateJobSpec>[0];

const LIMITS = processLimits(readConfig({}));

/** Claims every upload as the next extra file, as the web process does. */
function claims(): FileClaims {
  let next = 0;
  return { claim: () => ({ file: next++ }) };
}

/** A stand-in for an Upload argument: these tests pass the bytes as the job's files instead. */
const UPLOAD = Promise.resolve(null) as unknown as Parameters<FileClaims['claim']>[0];

async function run(input: Buffer | string, job: JobInput = {}, files: Buffer[] = []): Promise<{ result: ProcessedImage; meta: Metadata; out: Pixels }> {
  const bytes = typeof input === 'string' ? corpus(input) : input;
  const [result] = await processImage(bytes, validateJobSpec(job, undefined, claims()), LIMITS, async () => {}, files);
  return { result, meta: await sharp(result.data).metadata(), out: await pixels(result.data) };
}

/** The job's image as decoded and written losslessly, without operations: the base to compare with. */
async function base(name: string): Promise<Pixels> {
  return (await run(name, { output: { format: 'PNG' } })).out;
}

/** The colour channels alone: a composite adds an alpha channel, opaque where the image was. */
function colourOnly(image: Pixels): Promise<Pixels> {
  const raw = { width: image.width, height: image.height, channels: image.channels as sharp.Channels };
  return pixels(sharp(image.data, { raw }).removeAlpha());
}

function solid(width: number, height: number, background: string): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background } }).png().toBuffer();
}

async function expectCode(work: Promise<unknown>, code: string): Promise<DarkroomError> {
  const err = await work.then(
    () => new Error('expected a failure, but the job succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DarkroomError);
  expect((err as DarkroomError).code).toBe(code);
  return err as DarkroomError;
}

/** Circular mean hue in degrees of the pixels with some colour in them. */
function meanHue(image: Pixels): number {
  let x = 0;
  let y = 0;
  // Every third pixel is plenty for a mean.
  for (let i = 0; i < image.data.length; i += image.channels * 3) {
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    const max = Math.max(r, g, b);
    const chroma = max - Math.min(r, g, b);
    if (chroma < 10) continue;
    const sector = max === r ? ((g - b) / chroma + 6) % 6 : max === g ? (b - r) / chroma + 2 : (r - g) / chroma + 4;
    const angle = (sector * Math.PI) / 3;
    x += Math.cos(angle) * chroma;
    y += Math.sin(angle) * chroma;
  }
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)];
}

function luminance(image: Pixels): number[] {
  const values: number[] = [];
  for (let i = 0; i < image.data.length; i += image.channels) {
    values.push(image.channels < 3 ? image.data[i] : 0.2126 * image.data[i] + 0.7152 * image.data[i + 1] + 0.0722 * image.data[i + 2]);
  }
  return values;
}

function expectNear(actual: number[], expected: number[], tolerance: number): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(tolerance));
}

describe('geometry', () => {
  it('resize with a focus point crops COVER around it: Landscape_1.jpg 600x450 to 200x200 at x 0.6', async () => {
    const { out } = await run('Landscape_1.jpg', {
      operations: [{ resize: { width: 200, height: 200, focus: { x: 0.6, y: 0.5 } } }],
      output: { format: 'PNG' },
    });
    expect([out.width, out.height]).toEqual([200, 200]);
    // Scaled to 267x200; the point at 0.6 * 267 = 160 is put in the middle, so the crop starts at 60.
    const reference = await pixels(sharp(corpus('Landscape_1.jpg')).resize(267, 200, { fit: 'fill' }).extract({ left: 60, top: 0, width: 200, height: 200 }));
    expect(meanDiff(out, reference)).toBeLessThan(0.5);
    // A point at the edge keeps the crop inside the image: the right-most 200 columns.
    const edge = await run('Landscape_1.jpg', { operations: [{ resize: { width: 200, height: 200, focus: { x: 1, y: 0 } } }], output: { format: 'PNG' } });
    const right = await pixels(sharp(corpus('Landscape_1.jpg')).resize(267, 200, { fit: 'fill' }).extract({ left: 67, top: 0, width: 200, height: 200 }));
    expect(meanDiff(edge.out, right)).toBeLessThan(0.5);
  });

  it('extend adds borders of the background colour around the unchanged image', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', {
      operations: [{ extend: { top: 10, left: 5, bottom: 3, background: '#ff0000' } }],
      output: { format: 'PNG' },
    });
    expect([out.width, out.height]).toEqual([605, 463]);
    for (const [x, y] of [[0, 0], [4, 200], [300, 9], [604, 462], [300, 460]]) expect(out.at(x, y).slice(0, 3)).toEqual([255, 0, 0]);
    for (const [x, y] of [[0, 0], [599, 449], [123, 321]]) expect(out.at(x + 5, y + 10).slice(0, 3)).toEqual(original.at(x, y));
  });

  it('extend with COPY repeats the edge pixels outwards, and leaves no transparency', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', { operations: [{ extend: { right: 7, extendWith: 'COPY' } }], output: { format: 'PNG' } });
    expect([out.width, out.height, out.channels]).toEqual([607, 450, 3]);
    for (const y of [0, 100, 449]) {
      for (const x of [600, 603, 606]) expect(out.at(x, y)).toEqual(original.at(599, y));
    }
  });

  it('trim removes a known border of one colour', async () => {
    const framed = await sharp(corpus('Landscape_1.jpg')).extend({ top: 20, bottom: 30, left: 40, right: 10, background: '#ffffff' }).png().toBuffer();
    const { out } = await run(framed, { operations: [{ trim: { background: 'white', threshold: 10 } }], output: { format: 'PNG' } });
    expect([out.width, out.height]).toEqual([600, 450]);
    expect(meanDiff(out, await base('Landscape_1.jpg'))).toBe(0);
    // With a margin, that much of the border stays; the colour of the top-left pixel is the default background.
    const margin = await run(framed, { operations: [{ trim: { margin: 5 } }], output: { format: 'PNG' } });
    expect([margin.out.width, margin.out.height]).toEqual([610, 460]);
  });

  it('autoOrient as a step turns Landscape_6.jpg upright when the job does not', async () => {
    const stored = await run('Landscape_6.jpg', { autoOrient: false });
    expect([stored.meta.width, stored.meta.height]).toEqual([450, 600]);
    const { meta } = await run('Landscape_6.jpg', { autoOrient: false, operations: [{ autoOrient: true }, { resize: { width: 300 } }] });
    expect([meta.width, meta.height]).toEqual([300, 225]);
  });
});

describe('colour and tone', () => {
  it('modulate brightness 1.5 raises the mean; saturation 0 gives equal channels', async () => {
    const before = channelMeans(await base('flowers.jpeg'));
    const brighter = channelMeans((await run('flowers.jpeg', { operations: [{ modulate: { brightness: 1.5 } }], output: { format: 'PNG' } })).out);
    brighter.forEach((mean, i) => expect(mean).toBeGreaterThan(before[i] * 1.2));
    const { out } = await run('flowers.jpeg', { operations: [{ modulate: { saturation: 0 } }], output: { format: 'PNG' } });
    for (let i = 0; i < out.data.length; i += 3 * 997) {
      expect(Math.abs(out.data[i] - out.data[i + 1])).toBeLessThanOrEqual(1);
      expect(Math.abs(out.data[i] - out.data[i + 2])).toBeLessThanOrEqual(1);
    }
  });

  it('modulate hue 180 turns the mean hue half way round', async () => {
    const before = meanHue(await base('flowers.jpeg'));
    const after = meanHue((await run('flowers.jpeg', { operations: [{ modulate: { hue: 180 } }], output: { format: 'PNG' } })).out);
    const turn = (after - before + 360) % 360;
    expect(Math.abs(turn - 180)).toBeLessThan(30);
  });

  it('tint moves the mean hue to the tint colour', async () => {
    const before = meanHue(await base('flowers.jpeg'));
    expect(Math.abs(before - 240)).toBeGreaterThan(60);
    const { out } = await run('flowers.jpeg', { operations: [{ tint: { colour: '#0000ff' } }], output: { format: 'PNG' } });
    // Blue in LCh, where libvips tints, sits a little off the 240 degrees of HSV.
    expect(Math.abs(meanHue(out) - 240)).toBeLessThan(30);
  });

  it('normalise stretches the luminance of low-contrast.jpg to the full range', async () => {
    const before = luminance(await base('low-contrast.jpg'));
    expect(percentile(before, 0.99) - percentile(before, 0.01)).toBeLessThan(120);
    const after = luminance((await run('low-contrast.jpg', { operations: [{ normalise: {} }], output: { format: 'PNG' } })).out);
    // libvips stretches L of Lab, so sRGB luminance lands near, not at, the ends.
    expect(percentile(after, 0.01)).toBeLessThan(15);
    expect(percentile(after, 0.99)).toBeGreaterThan(225);
    expect(percentile(after, 0.99) - percentile(after, 0.01)).toBeGreaterThan(210);
  });

  it('gamma 2.2 maps each value v to v^(1/2.2)', async () => {
    const original = await base('gamma_dalai_lama_gray.jpg');
    const { out } = await run('gamma_dalai_lama_gray.jpg', { operations: [{ gamma: { gamma: 2.2 } }], output: { format: 'PNG' } });
    for (const [x, y] of [[10, 10], [100, 100], [200, 50], [129, 200]]) {
      expectNear(out.at(x, y), original.at(x, y).map((v) => 255 * (v / 255) ** (1 / 2.2)), 2);
    }
  });

  it('negate inverts every colour value and keeps alpha unless asked', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', { operations: [{ negate: {} }], output: { format: 'PNG' } });
    for (const [x, y] of [[0, 0], [300, 200], [599, 449]]) expect(out.at(x, y)).toEqual(original.at(x, y).map((v) => 255 - v));
    // with-alpha.png is rgb(91,0,194) at alpha 168 all over.
    expect((await run('with-alpha.png', { operations: [{ negate: {} }] })).out.at(10, 10)).toEqual([164, 255, 61, 168]);
    expect((await run('with-alpha.png', { operations: [{ negate: { alpha: true } }] })).out.at(10, 10)).toEqual([164, 255, 61, 87]);
  });

  it('threshold gives only 0 and 255, grey (equal channels) by default', async () => {
    const grey = await run('flowers.jpeg', { operations: [{ threshold: { value: 100 } }], output: { format: 'PNG' } });
    expect([...new Set(grey.out.data)].sort()).toEqual([0, 255]);
    let unequal = 0;
    for (let i = 0; i < grey.out.data.length; i += grey.out.channels) {
      if (new Set(grey.out.data.subarray(i, i + grey.out.channels)).size > 1) unequal++;
    }
    expect(unequal).toBe(0);
    const colour = await run('flowers.jpeg', { operations: [{ threshold: { value: 100, grayscale: false } }], output: { format: 'PNG' } });
    expect([...new Set(colour.out.data)].sort()).toEqual([0, 255]);
    let coloured = 0;
    for (let i = 0; i < colour.out.data.length; i += colour.out.channels) {
      if (new Set(colour.out.data.subarray(i, i + 3)).size > 1) coloured++;
    }
    expect(coloured).toBeGreaterThan(1000);
  });

  it('linear applies a * v + b to each colour value', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', { operations: [{ linear: { a: 1.5, b: -40 } }], output: { format: 'PNG' } });
    for (const [x, y] of [[0, 0], [300, 200], [599, 449], [50, 400]]) {
      expectNear(out.at(x, y), original.at(x, y).map((v) => Math.min(255, Math.max(0, 1.5 * v - 40))), 1);
    }
  });

  it('flatten merges transparency onto the background', async () => {
    // with-alpha.png is rgb(91,0,194) at alpha 168 all over.
    const { out } = await run('with-alpha.png', { operations: [{ flatten: { background: '#00ff00' } }], output: { format: 'PNG' } });
    expect(out.channels).toBe(3);
    expectNear(out.at(100, 100), [91, 0, 194].map((c, i) => (c * 168 + [0, 255, 0][i] * 87) / 255), 1);
    const white = await run('with-alpha.png', { operations: [{ flatten: {} }, { flip: true }], output: { format: 'PNG' } });
    expectNear(white.out.at(5, 5), [91, 0, 194].map((c) => (c * 168 + 255 * 87) / 255), 1);
  });
});

describe('filters', () => {
  it('median 5 smooths the noise of random.jpg, as sharp median(5) does', async () => {
    const { out } = await run('random.jpg', { operations: [{ median: { size: 5 } }], output: { format: 'PNG' } });
    const spread = (image: Pixels) => {
      const values = luminance(image);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
    };
    expect(spread(out)).toBeLessThan(spread(await base('random.jpg')) * 0.7);
    expect(meanDiff(out, await pixels(sharp(corpus('random.jpg')).median(5)))).toBe(0);
  });

  it('refuses a median window larger than the image, naming its size, whether the size is known up front or not', async () => {
    const small = await solid(8, 5, '#336699');
    const planned = await expectCode(run(small, { operations: [{ median: { size: 7 } }] }), 'BAD_USER_INPUT');
    expect(planned.field).toBe('operations[0].median.size');
    // After a trim only the pixels tell the size: the step itself refuses.
    const stepped = await expectCode(run(small, { operations: [{ trim: { threshold: 200 } }, { median: { size: 7 } }] }), 'BAD_USER_INPUT');
    expect(stepped.field).toBe('operations[1].median.size');
  });

  it('refuses to trim an image under 3x3 pixels', async () => {
    const err = await expectCode(run('grey-plus-alpha.gif', { operations: [{ trim: {} }] }), 'BAD_USER_INPUT');
    expect(err).toMatchObject({ field: 'operations[0].trim', message: expect.stringMatching(/2x1 image is too small to trim/) });
  });
});

describe('watermark', () => {
  const job = (watermark: Record<string, unknown>): JobInput => ({
    operations: [{ watermark: { image: UPLOAD, ...watermark } }],
    output: { format: 'PNG' },
  });

  it('changes pixels only in its box, bottom right by default', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({}), [await solid(100, 50, '#ff0000')]);
    expect([out.width, out.height]).toEqual([600, 450]);
    expect(changedBox(await colourOnly(out), original)).toEqual({
      left: 500,
      top: 400,
      width: 100,
      height: 50,
    });
    expect(out.at(550, 425).slice(0, 3)).toEqual([255, 0, 0]);
  });

  it('goes at left and top, at half opacity, scaled to a fraction of the width', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({ left: 10, top: 20, opacity: 0.5, scale: 0.5 }), [await solid(100, 50, '#ff0000')]);
    const rgb = await colourOnly(out);
    // 0.5 of 600 wide: 300x150.
    expect(changedBox(rgb, original)).toEqual({ left: 10, top: 20, width: 300, height: 150 });
    const under = original.at(100, 100);
    expectNear(rgb.at(100, 100), [(255 + under[0]) / 2, under[1] / 2, under[2] / 2], 2);
  });

  it('scales an overlay larger than the image down to fit, never refusing it', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({ gravity: 'NORTH' }), [await solid(2000, 100, '#0000ff')]);
    const rgb = await colourOnly(out);
    expect(changedBox(rgb, original)).toEqual({ left: 0, top: 0, width: 600, height: 30 });
    expect(rgb.at(300, 15)).toEqual([0, 0, 255]);
  });

  it('tiles across the whole image', async () => {
    const { out } = await run('Landscape_1.jpg', job({ tile: true }), [await solid(32, 32, '#00ff00')]);
    for (const [x, y] of [[0, 0], [599, 449], [301, 17]]) expect(out.at(x, y).slice(0, 3)).toEqual([0, 255, 0]);
  });

  it('keeps the overlay transparency and refuses a position outside the image before decoding', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({ gravity: 'CENTER' }), [corpus('full-transparent.png')]);
    expect(changedBox(await colourOnly(out), original)).toBeNull();
    const err = await expectCode(run('Landscape_1.jpg', job({ left: 600, top: 0 }), [await solid(10, 10, '#000')]), 'BAD_USER_INPUT');
    expect(err.field).toBe('operations[0].watermark');
  });

  it('names an overlay or a template damaged past its header, rather than blaming the image', async () => {
    // truncated.jpg has a whole header (2725x2225), so only decoding finds it out.
    const overlay = await expectCode(run('Landscape_1.jpg', job({}), [corpus('truncated.jpg')]), 'INVALID_IMAGE');
    expect(overlay.field).toBe('operations[0].watermark.image');
    expect(overlay.message).toMatch(/^operations\[0\]\.watermark\.image: The image is damaged or incomplete/);
    const template = await expectCode(
      run('Landscape_1.jpg', { operations: [{ flip: true }, { locate: { template: UPLOAD } }] }, [corpus('truncated.png')]),
      'INVALID_IMAGE',
    );
    expect(template.field).toBe('operations[1].locate.template');
  });
});

describe('locate', () => {
  it('refuses to search an image over maxLocatePixels, before decoding and in the worker, naming the step', async () => {
    const limits = { ...DEFAULT_JOB_LIMITS, maxLocatePixels: 60_000 };
    const spec = (operations: JobInput['operations']) => validateJobSpec({ operations }, limits, claims());
    const bounds = LIMITS.output;
    // Landscape_1.jpg is 600x450 (270,000 pixels); at 300x225 it is 67,500, over the limit; at 200x150, 30,000.
    let err: unknown = null;
    try {
      planJob(spec([{ resize: { width: 300, height: 225 } }, { locate: { template: UPLOAD } }]), { width: 600, height: 450 }, bounds);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DarkroomError);
    expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'operations[1].locate' });
    expect((err as Error).message).toMatch(/300x225 \(0\.1 megapixels\).*at most 0\.1 megapixels, so resize it first/);
    expect(() => planJob(spec([{ resize: { width: 200, height: 150 } }, { locate: { template: UPLOAD } }]), { width: 600, height: 450 }, bounds)).not.toThrow();

    const template = await sharp(corpus('Landscape_1.jpg')).extract({ left: 100, top: 100, width: 64, height: 64 }).png().toBuffer();
    const inWorker = processImage(corpus('Landscape_1.jpg'), spec([{ locate: { template: UPLOAD } }]), LIMITS, async () => {}, [template]);
    const refused = await expectCode(inWorker, 'LIMIT_EXCEEDED');
    expect(refused.field).toBe('operations[0].locate');
  });
});

describe('text', () => {
  const job = (text: Record<string, unknown>): JobInput => ({ operations: [{ text: { text: 'Darkroom', ...text } }], output: { format: 'PNG' } });

  it('changes pixels only in its area, in its colour', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({ size: 40, colour: '#ff0000', left: 20, top: 30 }));
    const rgb = await colourOnly(out);
    const box = changedBox(rgb, original)!;
    expect(box.left).toBeGreaterThanOrEqual(20);
    expect(box.top).toBeGreaterThanOrEqual(30);
    expect(box.left + box.width).toBeLessThan(20 + 8 * 40);
    expect(box.top + box.height).toBeLessThanOrEqual(30 + 60);
    expect(box.width).toBeGreaterThan(100);
    // Somewhere inside a letter the text is pure red.
    let red = 0;
    for (let y = box.top; y < box.top + box.height; y++) {
      for (let x = box.left; x < box.left + box.width; x++) if (rgb.at(x, y).join() === '255,0,0') red++;
    }
    expect(red).toBeGreaterThan(50);
  });

  it('shows markup characters as written and scales text too large for the image down to fit', async () => {
    const original = await base('Landscape_1.jpg');
    const { out } = await run('Landscape_1.jpg', job({ text: '<b>&amp; "quoted"</b>', size: 1000, gravity: 'CENTER' }));
    const box = changedBox(await colourOnly(out), original)!;
    expect(box.width).toBeLessThanOrEqual(600);
    expect(box.width).toBeGreaterThan(300);
  });

  it.each([
    ['a word too long to wrap', 'W'.repeat(500)],
    ['marks stacked on one letter', `a${'\u0301'.repeat(499)}`],
    ['a long text on a small image', 'hello world '.repeat(41).trim()],
  ])('fits %s inside the image, even below Pango\'s smallest size', async (_what, text) => {
    const { result } = await run('320x240.jpg', job({ text, size: 1000 }));
    expect([result.width, result.height]).toEqual([320, 240]);
  });
});

describe('output options', () => {
  it('searches the quality that fits maxBytes', async () => {
    const full = await run('flowers.jpeg', { output: { format: 'JPEG' } });
    expect(full.result.data.length).toBeGreaterThan(30000);
    for (const format of ['JPEG', 'WEBP'] as const) {
      const { result, meta } = await run('flowers.jpeg', { output: { format, maxBytes: 20000 } });
      expect(result.data.length).toBeLessThanOrEqual(20000);
      expect(result.data.length).toBeGreaterThan(10000);
      expect([meta.width, meta.height]).toEqual([1920, 1080]);
    }
    // A budget the default quality already meets changes nothing.
    const roomy = await run('flowers.jpeg', { output: { format: 'JPEG', maxBytes: 1_000_000 } });
    expect(roomy.result.data.equals(full.result.data)).toBe(true);
  });

  it('refuses with OUTPUT_TOO_LARGE when even quality 1 is over the budget', async () => {
    const err = await expectCode(run('flowers.jpeg', { output: { format: 'JPEG', maxBytes: 5000 } }), 'OUTPUT_TOO_LARGE');
    expect(err.message).toMatch(/quality 1.*5000/);
  });

  it('writes progressive and mozjpeg JPEG', async () => {
    expect((await run('Landscape_1.jpg', { output: { format: 'JPEG' } })).meta.isProgressive).toBe(false);
    expect((await run('Landscape_1.jpg', { output: { format: 'JPEG', progressive: true } })).meta.isProgressive).toBe(true);
    const plain = await run('Landscape_1.jpg', { output: { format: 'JPEG' } });
    const moz = await run('Landscape_1.jpg', { output: { format: 'JPEG', mozjpeg: true } });
    expect(moz.meta.isProgressive).toBe(true);
    expect(moz.result.data.length).toBeLessThan(plain.result.data.length);
  });

  it('writes palette PNG with the asked number of colours, and follows the compression level', async () => {
    const palette = await run('Landscape_1.jpg', { output: { format: 'PNG', palette: true, colours: 16 } });
    expect(palette.meta).toMatchObject({ isPalette: true, bitsPerSample: 4 });
    const full = await run('Landscape_1.jpg', { output: { format: 'PNG' } });
    expect(full.meta.isPalette).toBe(false);
    const fast = await run('Landscape_1.jpg', { output: { format: 'PNG', compressionLevel: 0 } });
    expect(fast.result.data.length).toBeGreaterThan(full.result.data.length);
    expect(meanDiff(fast.out, full.out)).toBe(0);
  });

  it('keeps PNG lossless when given a quality without palette, and fits the palette to the quality with one', async () => {
    const full = await run('Landscape_1.jpg', { output: { format: 'PNG' } });
    const withQuality = await run('Landscape_1.jpg', { output: { format: 'PNG', quality: 50 } });
    expect(withQuality.meta.isPalette).toBe(false);
    expect(meanDiff(withQuality.out, full.out)).toBe(0);
    const coarse = await run('Landscape_1.jpg', { output: { format: 'PNG', palette: true, quality: 10 } });
    const fine = await run('Landscape_1.jpg', { output: { format: 'PNG', palette: true, quality: 100 } });
    expect(coarse.meta.isPalette).toBe(true);
    expect(meanDiff(coarse.out, full.out)).toBeGreaterThan(meanDiff(fine.out, full.out));
  });

  it('writes lossless WebP and LZW TIFF with the exact pixels', async () => {
    const original = await base('Landscape_1.jpg');
    const webp = await run('Landscape_1.jpg', { output: { format: 'WEBP', lossless: true } });
    expect(webp.meta.format).toBe('webp');
    expect(meanDiff(webp.out, original)).toBe(0);
    const tiff = await run('Landscape_1.jpg', { output: { format: 'TIFF', tiffCompression: 'LZW' } });
    expect(tiff.meta.format).toBe('tiff');
    expect(meanDiff(tiff.out, original)).toBe(0);
    expect(meanDiff((await run('Landscape_1.jpg', { output: { format: 'TIFF' } })).out, original)).toBeGreaterThan(0);
  });

  it('writes AVIF at the asked effort and GIF with few colours', async () => {
    const fast = await run('Landscape_1.jpg', { output: { format: 'AVIF', effort: 0 } });
    expect(fast.meta).toMatchObject({ format: 'heif', compression: 'av1', width: 600, height: 450 });
    const distinct = (image: Pixels) => {
      const colours = new Set<string>();
      for (let i = 0; i < image.data.length; i += image.channels) colours.add(image.data.subarray(i, i + 3).join());
      return colours.size;
    };
    expect(distinct((await run('Landscape_1.jpg', { output: { format: 'GIF' } })).out)).toBeGreaterThan(100);
    const gif = await run('Landscape_1.jpg', { output: { format: 'GIF', colours: 4 } });
    expect(distinct(gif.out)).toBeLessThanOrEqual(4);
  });

  it('converts p3.png to sRGB by default and keeps its Display P3 profile with keepIcc', async () => {
    const p3 = await sharp(corpus('p3.png')).metadata();
    expect(p3.icc).toBeDefined();
    const converted = await run('p3.png', { output: { format: 'PNG' } });
    expect(converted.meta.icc).toBeUndefined();
    expect(converted.out.at(0, 0).slice(0, 3)).toEqual([255, 0, 0]);
    for (const operations of [[], [{ flip: true }, { resize: { width: 16 } }]]) {
      const kept = await run('p3.png', { operations, output: { format: 'PNG', keepIcc: true } });
      expect(kept.meta).toMatchObject({ space: 'srgb', hasProfile: true });
      expect(kept.meta.icc!.equals(p3.icc!)).toBe(true);
      // The same red in P3's own values, not clipped to sRGB's.
      const stored = await pixels(sharp(kept.result.data).keepIccProfile());
      expectNear(stored.at(0, 0).slice(0, 3), [241, 0, 0], 2);
    }
  });

  it('converts a CMYK or grey input with its own profile even with keepIcc, which only an RGB profile can survive', async () => {
    for (const name of ['Channel_digital_image_CMYK_color.jpg', 'concert.jpg']) {
      for (const operations of [[], [{ rotate: { angle: 10 } }, { flip: true }]]) {
        const converted = await run(name, { operations, output: { format: 'PNG' } });
        const kept = await run(name, { operations, output: { format: 'PNG', keepIcc: true } });
        expect(kept.meta).toMatchObject({ space: 'srgb', hasProfile: false });
        // Before, the CMYK photo came out 8.7 levels a value darker, with an sRGB profile; concert.jpg 2.1.
        expect(meanDiff(kept.out, converted.out)).toBe(0);
      }
    }
  });

  it('keeps jobs without the new options byte for byte what sharp writes', async () => {
    const { result } = await run('Landscape_1.jpg', { operations: [{ resize: { width: 300 } }], output: { format: 'JPEG' } });
    const direct = await sharp(corpus('Landscape_1.jpg')).autoOrient().resize({ width: 300 }).jpeg({ quality: 80 }).toBuffer();
    expect(result.data.equals(direct)).toBe(true);
  });
});
