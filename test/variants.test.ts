import sharp from 'sharp';
import { DarkroomError } from '../src/errors';
import { validateJobSpec } from '../src/operations/catalogue';
import type { FileClaims } from '../src/operations/operation';
import { processImage, type ProcessedImage } from '../src/processing/pipeline';
import { processLimits, readConfig } from '../src/config';
import { embeddedServer } from './support/embedded';
import { corpus, corpusPath } from './support/corpus';
import { finalOf } from './support/pipeline-scenarios';

type JobInput = Parameters<typeof validateJobSpec>[0];

const LIMITS = processLimits(readConfig({}));

/** A stand-in for an Upload argument: `run` passes the bytes as the job's files instead. */
const UPLOAD = Promise.resolve(null) as unknown as Parameters<FileClaims['claim']>[0];

/** Run `job`, whose Upload arguments (UPLOAD) are `files`, in order. */
async function run(input: string, job: JobInput, files: Buffer[] = []): Promise<{ results: ProcessedImage[]; steps: number[][] }> {
  const steps: number[][] = [];
  let next = 0;
  const claims: FileClaims = { claim: () => ({ file: next++ }) };
  const results = await processImage(
    corpus(input),
    validateJobSpec(job, undefined, claims),
    LIMITS,
    async (done, total) => {
      steps.push([done, total]);
    },
    files,
  );
  return { results, steps };
}

function refusal(job: JobInput): DarkroomError {
  try {
    validateJobSpec(job);
  } catch (err) {
    if (err instanceof DarkroomError) return err;
    throw err;
  }
  throw new Error('validation passed');
}

const RESPONSIVE: JobInput = {
  variants: [
    { name: 'w320', operations: [{ resize: { width: 320 } }], output: { format: 'WEBP' } },
    { name: 'w640', operations: [{ resize: { width: 640 } }], output: { format: 'AVIF' } },
    { name: 'fallback', operations: [{ resize: { width: 640 } }], output: { format: 'JPEG', quality: 70 } },
  ],
};

describe('variants in the pipeline', () => {
  it('makes a responsive set from one 2725x2225 photo, each variant as asked', async () => {
    const { results, steps } = await run('2569067123_aca715a2ee_o.jpg', RESPONSIVE);
    expect(results.map(({ name, format, width, height }) => ({ name, format, width, height }))).toEqual([
      { name: 'w320', format: 'WEBP', width: 320, height: 261 },
      { name: 'w640', format: 'AVIF', width: 640, height: 523 },
      { name: 'fallback', format: 'JPEG', width: 640, height: 523 },
    ]);
    for (const result of results) {
      const meta = await sharp(result.data).metadata();
      expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({
        format: result.format === 'AVIF' ? 'heif' : result.format.toLowerCase(),
        width: result.width,
        height: result.height,
      });
    }
    // Progress rises through every variant; the last encoding is reported by the job's completion.
    expect(steps.map(([done]) => done)).toEqual([2, 4]);
    expect(new Set(steps.map(([, total]) => total))).toEqual(new Set([6]));
  });

  it('runs the shared operations once, before each variant', async () => {
    const { results } = await run('2569067123_aca715a2ee_o.jpg', {
      operations: [{ crop: { left: 0, top: 0, width: 1000, height: 1000 } }, { grayscale: true }],
      variants: [
        { name: 'small', operations: [{ resize: { width: 100 } }] },
        { name: 'rotated', operations: [{ rotate: { angle: 90 } }, { resize: { width: 50, height: 20, fit: 'FILL' } }], output: { format: 'PNG' } },
      ],
    });
    expect(results.map(({ name, format, width, height }) => [name, format, width, height])).toEqual([
      ['small', 'JPEG', 100, 100],
      ['rotated', 'PNG', 50, 20],
    ]);
    const stats = await sharp(results[0].data).stats();
    // Grey from the shared step: every channel alike.
    expect(Math.abs(stats.channels[0].mean - stats.channels[2].mean)).toBeLessThan(1);
  });

  it('gives every variant the output of the job when it names none', async () => {
    const { results } = await run('320x240.jpg', {
      output: { format: 'PNG' },
      variants: [{ name: 'a' }, { name: 'b', output: { format: 'WEBP' } }],
    });
    expect(results.map((r) => r.format)).toEqual(['PNG', 'WEBP']);
  });

  it('flattens only the variants whose format lacks alpha', async () => {
    const { results } = await run('with-alpha.png', {
      operations: [{ flip: true }],
      variants: [
        { name: 'jpeg', output: { format: 'JPEG', background: '#000000' } },
        { name: 'png', output: { format: 'PNG' } },
      ],
    });
    const [jpeg, png] = await Promise.all(results.map((r) => sharp(r.data).raw().toBuffer({ resolveWithObject: true })));
    expect(jpeg.info.channels).toBe(3);
    expect(png.info.channels).toBe(4);
    // rgb(91,0,194) at alpha 168 over black.
    expect(Math.abs(jpeg.data[0] - (91 * 168) / 255)).toBeLessThanOrEqual(3);
    expect(Array.from(png.data.subarray(0, 4))).toEqual([91, 0, 194, 168]);
  });

  it('names the variant that failed', async () => {
    const limits = { ...LIMITS, output: { maxDimension: 10000, maxPixels: 1_000_000 } };
    const spec = validateJobSpec({
      variants: [
        { name: 'fine', operations: [{ resize: { width: 100 } }] },
        { name: 'huge', operations: [{ resize: { width: 2000, height: 2000, fit: 'FILL' } }] },
      ],
    });
    await expect(processImage(corpus('320x240.jpg'), spec, limits, async () => {})).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      field: 'variants[1].operations[0].resize',
    });
  });
});

describe('variant validation', () => {
  it.each([
    [{ variants: [] }, 'variants', /at least one variant/],
    [{ variants: [{ name: 'a' }, { name: 'a' }] }, 'variants[1].name', /names two variants/],
    [{ variants: [{ name: '../etc' }] }, 'variants[0].name', /not a usable name/],
    [{ variants: [{ name: '' }] }, 'variants[0].name', /not a usable name/],
    [{ variants: Array.from({ length: 11 }, (_, i) => ({ name: `v${i}` })) }, 'variants', /at most 10 variants/],
    [{ variants: [{ name: 'a', operations: [{ resize: { width: 0 } }] }] }, 'variants[0].operations[0].resize.width', /1 to 10000/],
    [{ variants: [{ name: 'a', output: { quality: 101 } }] }, 'variants[0].output.quality', /1 to 100/],
    [
      { operations: Array.from({ length: 10 }, () => ({ flop: true })), variants: [{ name: 'a', operations: Array.from({ length: 11 }, () => ({ flip: true })) }] },
      'variants',
      /at most 20 operations per job, got 21/,
    ],
  ] as [JobInput, string, RegExp][])('refuses %j at %s', (job, field, message) => {
    const err = refusal(job);
    expect(err.code).toBe('BAD_USER_INPUT');
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });
});

describe('animation', () => {
  // animated-loop-3.gif: 370x285, 10 frames, the last held longest.
  const GIF = 'animated-loop-3.gif';

  async function frames(data: Buffer): Promise<{ pages: number; pageHeight: number; width: number; delay: number[]; loop: number | undefined }> {
    const meta = await sharp(data, { animated: true }).metadata();
    return { pages: meta.pages ?? 1, pageHeight: meta.pageHeight ?? meta.height!, width: meta.width!, delay: meta.delay ?? [], loop: meta.loop };
  }

  it('keeps every frame and the timing of an animated GIF through a resize', async () => {
    const source = await frames(corpus(GIF));
    expect(source).toMatchObject({ pages: 10, pageHeight: 285, width: 370 });
    const { results } = await run(GIF, { operations: [{ resize: { width: 185 } }] });
    const out = await frames(results[0].data);
    expect(results[0]).toMatchObject({ format: 'GIF', width: 185, height: 143 });
    expect(out).toMatchObject({ width: 185, pageHeight: 143, loop: source.loop });
    // The GIF encoder merges frames that came out identical, adding up their delays.
    expect(out.pages).toBeGreaterThan(1);
    expect(out.delay.reduce((a, b) => a + b, 0)).toBe(source.delay.reduce((a, b) => a + b, 0));
  });

  it('crops and rotates each frame on its own', async () => {
    const { results } = await run(GIF, {
      operations: [{ crop: { left: 100, top: 80, width: 150, height: 120 } }, { rotate: { angle: 90 } }],
      output: { format: 'WEBP', quality: 100 },
    });
    expect(results[0]).toMatchObject({ format: 'WEBP', width: 120, height: 150 });
    const out = await frames(results[0].data);
    expect(out).toMatchObject({ width: 120, pageHeight: 150 });
    expect(out.pages).toBeGreaterThan(1);
    // Frame 0 of the output is frame 0 of the input, cropped and turned.
    const expected = await sharp(corpus(GIF)).extract({ left: 100, top: 80, width: 150, height: 120 }).rotate(90).removeAlpha().raw().toBuffer();
    const actual = await sharp(results[0].data, { page: 0 }).removeAlpha().raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < expected.length; i++) diff += Math.abs(expected[i] - actual[i]);
    expect(diff / expected.length).toBeLessThan(6);
  });

  it('reads an animated WebP and writes one', async () => {
    const { results } = await run('animated-loop-3.webp', { operations: [{ resize: { width: 100 } }] });
    const out = await frames(results[0].data);
    expect(results[0]).toMatchObject({ format: 'WEBP', width: 100 });
    expect(out.pages).toBe((await frames(corpus('animated-loop-3.webp'))).pages);
  });

  it('takes the first frame with animated: false, or for a format that cannot animate', async () => {
    const still = await run(GIF, { operations: [{ resize: { width: 185 } }], animated: false });
    expect((await frames(still.results[0].data)).pages).toBe(1);
    const jpeg = await run(GIF, { operations: [{ resize: { width: 100 } }], output: { format: 'JPEG' } });
    expect(jpeg.results[0]).toMatchObject({ format: 'JPEG', width: 100, height: 77 });
  });

  it('branches an animation into animated and still variants', async () => {
    const { results } = await run(GIF, {
      operations: [{ resize: { width: 200 } }],
      variants: [
        { name: 'animated', output: { format: 'WEBP' } },
        { name: 'poster', operations: [{ crop: { left: 0, top: 0, width: 50, height: 50 } }], output: { format: 'JPEG' } },
      ],
    });
    expect((await frames(results[0].data)).pages).toBeGreaterThan(1);
    expect(results[1]).toMatchObject({ format: 'JPEG', width: 50, height: 50 });
    expect((await frames(results[1].data)).pages).toBe(1);
  });

  it('locates a template in every frame, reports each place once and marks every frame', async () => {
    // The "A" and "0" at the start of the axis stay put in all 10 frames.
    const template = await sharp(corpus(GIF)).extract({ left: 5, top: 195, width: 30, height: 55 }).png().toBuffer();
    const { results, steps } = await run(
      GIF,
      { operations: [{ locate: { template: UPLOAD, mark: { colour: '#00ff00', strokeWidth: 4 } } }], output: { format: 'WEBP', lossless: true } },
      [template],
    );
    expect(results[0].matches).toHaveLength(1);
    expect(results[0].matches[0]).toMatchObject({ x: 5, y: 195, width: 30, height: 55, scale: 1, angle: 0 });
    expect(results[0].matches[0].score).toBeGreaterThan(0.99);
    // The box's top edge, just above the match, in the first and the last frame.
    for (const page of [0, 9]) {
      const { data, info } = await sharp(results[0].data, { page }).raw().toBuffer({ resolveWithObject: true });
      const at = (info.width * (195 - 2) + 20) * info.channels;
      expect(Array.from(data.subarray(at, at + 3))).toEqual([0, 255, 0]);
    }
    // Progress through the frames' searches never goes back.
    const done = steps.map(([d]) => d);
    expect(done).toEqual([...done].sort((a, b) => a - b));
  });

  it('keeps maxMatches over all the frames of an animation', async () => {
    const template = await sharp(corpus('rotating-squares.gif')).extract({ left: 20, top: 20, width: 40, height: 40 }).png().toBuffer();
    const { results } = await run(
      'rotating-squares.gif',
      { operations: [{ locate: { template: UPLOAD, threshold: 0.3, maxMatches: 3 } }], output: { format: 'GIF' } },
      [template],
    );
    const { matches } = results[0];
    expect(matches.length).toBeGreaterThan(0);
    expect(matches.length).toBeLessThanOrEqual(3);
    expect(matches[0]).toMatchObject({ x: 20, y: 20, width: 40, height: 40 });
    expect(matches.map((m) => m.score)).toEqual([...matches.map((m) => m.score)].sort((a, b) => b - a));
  });

  it('refuses, naming the step, a trim or a smart crop, which would cut each frame differently', async () => {
    // The frames of animated-loop-3.gif trim to 341x48, 341x61, … 341x260; ATTENTION crops them 0 to 6 px apart.
    await expect(run(GIF, { operations: [{ flip: true }, { trim: {} }] })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'operations[1].trim',
      message: expect.stringMatching(/^operations\[1\]\.trim: cuts each frame by its own pixels/),
    });
    for (const position of ['ATTENTION', 'ENTROPY'] as const) {
      await expect(run(GIF, { operations: [{ resize: { width: 100, height: 100, position } }] })).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'operations[0].resize',
      });
    }
    // The first frame alone is a still image, where both work.
    const still = await run(GIF, { operations: [{ trim: {} }, { resize: { width: 100, height: 100, position: 'ATTENTION' } }], animated: false });
    expect(still.results[0]).toMatchObject({ width: 100, height: 100 });
  });
});

describe('variants through GraphQL (embedded mode)', () => {
  const server = embeddedServer();

  it('answers with one result per variant, each downloadable at /results/<id>/<name>', async () => {
    const created = await server.client().submit(corpusPath('2569067123_aca715a2ee_o.jpg'), RESPONSIVE);
    expect(created.results).toEqual([]);
    const done = finalOf(await server.client().watch(created.id));
    expect(done.status).toBe('COMPLETED');
    expect(done.results.map(({ name, url, format, width, height }) => ({ name, url, format, width, height }))).toEqual([
      { name: 'w320', url: `/results/${created.id}/w320`, format: 'WEBP', width: 320, height: 261 },
      { name: 'w640', url: `/results/${created.id}/w640`, format: 'AVIF', width: 640, height: 523 },
      { name: 'fallback', url: `/results/${created.id}/fallback`, format: 'JPEG', width: 640, height: 523 },
    ]);
    expect(done.result).toMatchObject({ url: `/results/${created.id}/w320`, format: 'WEBP' });
    for (const result of done.results) {
      const res = await server.client().download(result.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(result.contentType);
      expect(res.headers.get('content-disposition')).toContain(`2569067123_aca715a2ee_o-${result.name}.`);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([result.width, result.height]);
    }
    expect((await server.client().download(`/results/${created.id}/nope`)).status).toBe(404);
    const first = await server.client().download(`/results/${created.id}`);
    expect(Number(first.headers.get('content-length'))).toBe(done.results[0].bytes);
  });

  it('gives a placeholder for the variants that ask for one', async () => {
    const created = await server.client().submit(corpusPath('Landscape_6.jpg'), {
      variants: [
        { name: 'large', operations: [{ resize: { width: 300 } }], output: { format: 'WEBP', placeholder: true } },
        { name: 'plain', operations: [{ resize: { width: 100 } }] },
      ],
    });
    finalOf(await server.client().watch(created.id));
    const response = await server.client().query<{ job: { results: { name: string; placeholder: { thumbhash: string; dominantColor: string; dataUrl: string } | null }[] } }>(
      'query ($id: ID!) { job(id: $id) { results { name placeholder { thumbhash dominantColor dataUrl } } } }',
      { id: created.id },
    );
    const [large, plain] = response.data!.job.results;
    expect(plain).toEqual({ name: 'plain', placeholder: null });
    expect(large.placeholder!.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    expect(Buffer.from(large.placeholder!.thumbhash, 'base64').length).toBeGreaterThan(5);
    const preview = await sharp(Buffer.from(large.placeholder!.dataUrl.replace(/^data:image\/\w+;base64,/, ''), 'base64')).metadata();
    // Landscape_6.jpg is displayed 600x450: the preview keeps the upright aspect.
    expect(preview.width!).toBeGreaterThan(preview.height!);
    expect(preview.width!).toBeLessThanOrEqual(32);
  });

  it('refuses a crop that leaves one variant\'s image before anything is stored', async () => {
    const response = await server.client().createJob(corpusPath('320x240.jpg'), {
      variants: [{ name: 'ok' }, { name: 'bad', operations: [{ crop: { left: 300, top: 0, width: 100, height: 10 } }] }],
    });
    expect(response.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'variants[1].operations[0].crop' });
  });
});
