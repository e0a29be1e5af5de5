import { spawnSync } from 'node:child_process';
import sharp from 'sharp';
import { DarkroomError } from '../src/errors';
import { drawMarks, greyImage, locate, markStyle, type GreyImage, type Match } from '../src/locate';
import { corpus } from './support/corpus';
import { PROJECT_ROOT } from './support/processes';

const SAW = corpus('2569067123_aca715a2ee_o.jpg');

/** Patches of the saw photo with clear structure: the "24 CARBIDE" lettering and the blade's hub. */
const cut = (left: number, top: number, width: number, height: number): Promise<Buffer> =>
  sharp(SAW).extract({ left, top, width, height }).png().toBuffer();

interface Paste {
  input: Buffer;
  left: number;
  top: number;
}

/** The pastes on a corpus photo, then a brightness/contrast change and JPEG recompression, as grey pixels. */
async function scene(background: string, pastes: Paste[]): Promise<GreyImage> {
  const composed = await sharp(corpus(background)).composite(pastes).png().toBuffer();
  const altered = await sharp(composed).linear(0.85, 25).jpeg({ quality: 75 }).toBuffer();
  return greyImage(altered);
}

function near(match: Match, left: number, top: number): boolean {
  return Math.abs(match.x - left) <= 2 && Math.abs(match.y - top) <= 2;
}

let lettering: Buffer;
let hub: Buffer;
let letteringGrey: GreyImage;
let hubGrey: GreyImage;

beforeAll(async () => {
  lettering = await cut(1065, 1055, 100, 80);
  hub = await cut(895, 1065, 96, 96);
  letteringGrey = await greyImage(lettering);
  hubGrey = await greyImage(hub);
});

describe('locate', () => {
  it.each([
    ['4.webp', 613, 127],
    ['Landscape_1.jpg', 37, 301],
    ['Channel_digital_image_CMYK_color.jpg', 250, 190],
  ])('finds the lettering pasted into %s at (%i, %i) within 2 px', async (background, left, top) => {
    const image = await scene(background, [{ input: lettering, left, top }]);
    const matches = await locate(image, letteringGrey);
    expect(matches).toHaveLength(1);
    const [m] = matches;
    expect(Math.abs(m.x - left)).toBeLessThanOrEqual(2);
    expect(Math.abs(m.y - top)).toBeLessThanOrEqual(2);
    expect({ width: m.width, height: m.height, scale: m.scale, angle: m.angle }).toEqual({ width: 100, height: 80, scale: 1, angle: 0 });
    expect(m.score).toBeGreaterThan(0.9);
    expect(m.score).toBeLessThanOrEqual(1);
  });

  it('returns no match in photos that do not contain the template', async () => {
    for (const background of ['4.webp', 'Landscape_1.jpg', 'Channel_digital_image_CMYK_color.jpg']) {
      const image = await scene(background, []);
      expect(await locate(image, letteringGrey)).toEqual([]);
      expect(await locate(image, hubGrey)).toEqual([]);
    }
  });

  it('finds a paste at 1.2x with the matching scale, and reports the scaled size', async () => {
    const bigger = await sharp(hub).resize(115, 115).png().toBuffer();
    const image = await scene('4.webp', [{ input: bigger, left: 401, top: 517 }]);
    const matches = await locate(image, hubGrey, { scales: [0.8, 1, 1.2] });
    expect(matches.length).toBeGreaterThanOrEqual(1);
    const [best] = matches;
    expect(best.scale).toBe(1.2);
    expect({ width: best.width, height: best.height }).toEqual({ width: 115, height: 115 });
    expect(near(best, 401, 517)).toBe(true);
    // At its own size alone the template scores lower on the enlarged paste than at the right scale.
    const single = await locate(image, hubGrey, { scales: [1], threshold: 0, maxMatches: 1 });
    expect(single[0].score).toBeLessThan(best.score);
  });

  it('finds a small template with fine lettering at every sub-pixel phase of the coarse levels', async () => {
    const small = await cut(900, 900, 32, 32);
    const positions = [
      [100, 100],
      [301, 201],
      [502, 302],
      [703, 403],
    ];
    const image = await scene('4.webp', positions.map(([left, top]) => ({ input: small, left, top })));
    const matches = await locate(image, await greyImage(small));
    expect(matches).toHaveLength(4);
    expect(positions.every(([left, top]) => matches.some((m) => near(m, left, top)))).toBe(true);
  });

  it('takes a copy at half the contrast, not a faint ghost at a tenth', async () => {
    const half = await sharp(lettering).linear(0.5, 64).png().toBuffer();
    const ghost = await sharp(lettering).linear(0.1, 115).png().toBuffer();
    const image = await scene('Landscape_1.jpg', [
      { input: half, left: 60, top: 40 },
      { input: ghost, left: 400, top: 300 },
    ]);
    const matches = await locate(image, letteringGrey);
    expect(matches).toHaveLength(1);
    expect(near(matches[0], 60, 40)).toBe(true);
  });

  it('keeps one match per instance when the template is pasted twice', async () => {
    const image = await scene('4.webp', [
      { input: lettering, left: 120, top: 90 },
      { input: lettering, left: 700, top: 560 },
    ]);
    const matches = await locate(image, letteringGrey, { threshold: 0.7, maxMatches: 10, scales: [0.9, 1, 1.1] });
    expect(matches).toHaveLength(2);
    const sorted = [...matches].sort((a, b) => a.x - b.x);
    expect(near(sorted[0], 120, 90)).toBe(true);
    expect(near(sorted[1], 700, 560)).toBe(true);
    expect(matches[0].score).toBeGreaterThanOrEqual(matches[1].score);
  });

  it('caps the list at maxMatches, best first', async () => {
    const image = await scene('4.webp', [
      { input: hub, left: 50, top: 50 },
      { input: hub, left: 400, top: 300 },
      { input: hub, left: 800, top: 600 },
    ]);
    const pasted = [[50, 50], [400, 300], [800, 600]];
    const all = await locate(image, hubGrey, { maxMatches: 3 });
    expect(all).toHaveLength(3);
    expect(pasted.every(([left, top]) => all.some((m) => near(m, left, top)))).toBe(true);
    const two = await locate(image, hubGrey, { maxMatches: 2 });
    expect(two).toEqual(all.slice(0, 2));
    expect(two[0].score).toBeGreaterThanOrEqual(two[1].score);
  });

  it('finds a 90-degree-turned paste only when rotation-invariant', async () => {
    const turned = await sharp(lettering).rotate(90).png().toBuffer();
    const image = await scene('Landscape_1.jpg', [{ input: turned, left: 300, top: 120 }]);
    expect(await locate(image, letteringGrey)).toEqual([]);
    const matches = await locate(image, letteringGrey, { rotationInvariant: true });
    expect(matches).toHaveLength(1);
    expect(near(matches[0], 300, 120)).toBe(true);
    expect({ width: matches[0].width, height: matches[0].height, angle: matches[0].angle }).toEqual({ width: 80, height: 100, angle: 90 });
  });

  it('reports rising progress fractions and stops when the hook throws', async () => {
    const big = await greyImage(await sharp(corpus('4.webp')).resize(1920, 1080, { fit: 'fill' }).toBuffer());
    const fractions: number[] = [];
    await locate(big, hubGrey, { scales: [0.8, 1, 1.25], rotationInvariant: true }, {
      onProgress: async (fraction) => {
        fractions.push(fraction);
      },
    });
    expect(fractions.length).toBeGreaterThan(3);
    expect(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]))).toBe(true);
    expect(fractions[fractions.length - 1]).toBeGreaterThan(0.5);

    let calls = 0;
    const aborted = locate(big, hubGrey, { scales: [0.8, 1, 1.25], rotationInvariant: true }, {
      onProgress: async () => {
        calls++;
        throw new Error('cancelled by the caller');
      },
    });
    await expect(aborted).rejects.toThrow('cancelled by the caller');
    expect(calls).toBe(1);
  });

  describe('refuses bad options up front, naming the field', () => {
    const refusal = async (promise: Promise<unknown>): Promise<{ code: string; field?: string; message: string }> => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DarkroomError);
      const { code, field, message } = error as DarkroomError;
      return { code, field, message };
    };

    it.each([
      [{ threshold: 1.5 }, 'locate.threshold', /from 0 to 1/],
      [{ threshold: Number.NaN }, 'locate.threshold', /from 0 to 1/],
      [{ maxMatches: 0 }, 'locate.maxMatches', /1 to 100/],
      [{ maxMatches: 2.5 }, 'locate.maxMatches', /whole number/],
      [{ scales: [] }, 'locate.scales', /1 to 8 scales/],
      [{ scales: [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8] }, 'locate.scales', /1 to 8 scales/],
      [{ scales: [1, 5] }, 'locate.scales[1]', /0.1 to 4/],
    ])('%j -> %s', async (options, field, message) => {
      const r = await refusal(locate(hubGrey, hubGrey, options));
      expect(r.code).toBe('BAD_USER_INPUT');
      expect(r.field).toBe(field);
      expect(r.message).toMatch(message);
    });

    it('puts the caller\'s prefix on the field', async () => {
      const r = await refusal(locate(hubGrey, hubGrey, { threshold: -1 }, {}, 'operations[2]'));
      expect(r.field).toBe('operations[2].threshold');
    });

    it('refuses a template larger than the image, too small, or flat', async () => {
      const small = await greyImage(await sharp(hub).resize(40, 40).png().toBuffer());
      const tooBig = await refusal(locate(small, hubGrey));
      expect(tooBig.field).toBe('locate.template');
      expect(tooBig.message).toMatch(/96x96 does not fit inside the 40x40 image/);
      const tiny = await refusal(locate(hubGrey, { data: new Uint8Array(16), width: 4, height: 4 }));
      expect(tiny.field).toBe('locate.template');
      expect(tiny.message).toMatch(/at least 8x8/);
      const flat = await refusal(locate(hubGrey, { data: new Uint8Array(400).fill(128), width: 20, height: 20 }));
      expect(flat.field).toBe('locate.template');
      expect(flat.message).toMatch(/flat/);
    });
  });
});

describe('greyImage', () => {
  it('reads one channel from a sharp pipeline without changing it', async () => {
    const pipeline = sharp(corpus('Landscape_1.jpg')).extract({ left: 10, top: 20, width: 200, height: 100 });
    const grey = await greyImage(pipeline);
    expect({ width: grey.width, height: grey.height, length: grey.data.length }).toEqual({ width: 200, height: 100, length: 20000 });
    const colour = await pipeline.raw().toBuffer({ resolveWithObject: true });
    expect(colour.info.channels).toBe(3);
    // Rec. 709 luma of the first pixel, as libvips computes it, within rounding.
    const [r, g, b] = colour.data;
    expect(Math.abs(grey.data[0] - (0.2126 * r + 0.7152 * g + 0.0722 * b))).toBeLessThanOrEqual(3);
  });
});

describe('drawMarks', () => {
  const match: Match = { x: 40, y: 50, width: 60, height: 30, score: 0.934, scale: 1, angle: 0 };

  async function rgba(svg: Buffer): Promise<{ data: Buffer; width: number }> {
    const { data, info } = await sharp(svg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(4);
    return { data, width: info.width };
  }
  const pixel = (img: { data: Buffer; width: number }, x: number, y: number): number[] => {
    const i = (y * img.width + x) * 4;
    return [...img.data.subarray(i, i + 4)];
  };

  it('draws a box in the colour and width asked, leaving the inside clear', async () => {
    const svg = drawMarks(200, 120, [match], markStyle({ shape: 'box', colour: '#00ff00', strokeWidth: 4 }));
    const img = await rgba(svg);
    // The line lies just outside the match (x 36..39), so the matched pixels stay visible.
    expect(pixel(img, 39, 70)).toEqual([0, 255, 0, 255]);
    expect(pixel(img, 36, 70)).toEqual([0, 255, 0, 255]);
    expect(pixel(img, 40, 70)[3]).toBe(0);
    expect(pixel(img, 70, 65)[3]).toBe(0);
    expect(pixel(img, 30, 70)[3]).toBe(0);
  });

  it('draws a circle round the match', async () => {
    const svg = drawMarks(200, 120, [match], markStyle({ shape: 'circle', colour: 'blue', strokeWidth: 4 }));
    const img = await rgba(svg);
    // Centre (70, 65), radius 32, ring 30..34 from the centre: solid at x = 37 and 102 on the centre row.
    expect(pixel(img, 102, 65)).toEqual([0, 0, 255, 255]);
    expect(pixel(img, 37, 65)).toEqual([0, 0, 255, 255]);
    expect(pixel(img, 70 + 28, 65)[3]).toBe(0);
    expect(pixel(img, 70, 65)[3]).toBe(0);
  });

  it('writes the score above the mark when asked, and composites onto a photo', async () => {
    const withLabel = await rgba(drawMarks(200, 120, [match], markStyle({ label: true, strokeWidth: 2 })));
    const without = await rgba(drawMarks(200, 120, [match], markStyle({ label: false, strokeWidth: 2 })));
    const inked = (img: { data: Buffer; width: number }): number => {
      let n = 0;
      for (let y = 0; y < 46; y++) for (let x = 40; x < 100; x++) if (pixel(img, x, y)[3] > 0) n++;
      return n;
    };
    expect(inked(without)).toBe(0);
    expect(inked(withLabel)).toBeGreaterThan(50);

    const photo = sharp(corpus('Landscape_1.jpg')).resize(200, 120, { fit: 'fill' });
    const marked = await photo
      .composite([{ input: drawMarks(200, 120, [match], markStyle({ colour: 'red', strokeWidth: 3 })), top: 0, left: 0 }])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(marked.info).toMatchObject({ width: 200, height: 120, channels: 3 });
    const i = (70 * 200 + 38) * 3;
    expect([...marked.data.subarray(i, i + 3)]).toEqual([255, 0, 0]);
  });

  it('refuses a bad style naming the field', () => {
    expect(() => markStyle({ colour: 'not-a-colour' }, 'operations[1].mark')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'operations[1].mark.colour' }));
    expect(() => markStyle({ strokeWidth: 0 })).toThrow(expect.objectContaining({ field: 'mark.strokeWidth' }));
    expect(() => markStyle({ shape: 'star' as 'box' })).toThrow(expect.objectContaining({ field: 'mark.shape' }));
  });
});

describe('locate on a score map with a peak everywhere', () => {
  // A plain image scores 0 at every position, so with threshold 0 each position is a local
  // maximum. Run in a process whose JavaScript heap is capped (the images themselves live
  // outside it, in typed arrays): the candidates kept must not grow with the image.
  it('keeps its candidates bounded: a 2000x2000 plain image runs in a 96 MB heap', () => {
    const script = `
      const { locate } = require('./dist/locate');
      const image = { data: new Uint8Array(2000 * 2000).fill(128), width: 2000, height: 2000 };
      const template = { data: new Uint8Array(64 * 64).map((_, i) => (i * 31) % 253), width: 64, height: 64 };
      locate(image, template, { scales: [0.1], threshold: 0, maxMatches: 3 }).then((m) => console.log(JSON.stringify(m.length)));
    `;
    const run = spawnSync(process.execPath, ['--max-old-space-size=96', '-e', script], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).not.toMatch(/heap out of memory/);
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toBe(3);
  });
});
