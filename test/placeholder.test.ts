import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { placeholder } from '../src/processing/placeholder';
import { corpus } from './support/corpus';

function decodeHash(base64: string): { w: number; h: number; rgba: Uint8Array } {
  return thumbHashToRGBA(Buffer.from(base64, 'base64'));
}

/** Mean of each of R, G, B, A over RGBA pixels. */
function meanRgba(rgba: Uint8Array): number[] {
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < rgba.length; i++) sums[i % 4] += rgba[i];
  return sums.map((sum) => sum / (rgba.length / 4));
}

/** The source's mean colour, upright and in sRGB, from all its pixels. */
async function sourceMean(image: Buffer): Promise<number[]> {
  const { data } = await sharp(image).autoOrient().toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return meanRgba(data);
}

function dataUrlBytes(dataUrl: string): Buffer {
  const match = /^data:image\/webp;base64,([A-Za-z0-9+/]+=*)$/.exec(dataUrl);
  expect(match).not.toBeNull();
  return Buffer.from(match![1], 'base64');
}

describe('placeholder', () => {
  test.each(['2569067123_aca715a2ee_o.jpg', 'flowers.jpeg', 'Channel_digital_image_CMYK_color.jpg', 'Flag_of_the_Netherlands-16bit.png'])(
    '%s: the ThumbHash decodes to an image of the same mean colour',
    async (name) => {
      const image = corpus(name);
      const { thumbhash } = await placeholder(image);
      const decoded = meanRgba(decodeHash(thumbhash).rgba);
      const source = await sourceMean(image);
      for (let c = 0; c < 3; c++) expect(Math.abs(decoded[c] - source[c])).toBeLessThanOrEqual(10);
      expect(decoded[3]).toBeGreaterThan(250);
    },
  );

  test('Landscape_6.jpg (stored 450x600, EXIF orientation 6): the hash has the displayed aspect ratio, 4:3', async () => {
    const { thumbhash } = await placeholder(corpus('Landscape_6.jpg'));
    // ThumbHash keeps the ratio only roughly; stored upright it would be 0.75.
    const ratio = thumbHashToApproximateAspectRatio(Buffer.from(thumbhash, 'base64'));
    expect(ratio).toBeGreaterThan(600 / 450 - 0.1);
    expect(ratio).toBeLessThan(600 / 450 + 0.1);
  });

  test('a solid red image: dominant colour #ff0000 within a histogram bin, the hash decodes to red', async () => {
    const red = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#ff0000' } }).png().toBuffer();
    const result = await placeholder(red);
    expect(result.dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(result.dominantColor.slice(i, i + 2), 16));
    expect(r).toBeGreaterThanOrEqual(247);
    expect(g).toBeLessThanOrEqual(8);
    expect(b).toBeLessThanOrEqual(8);
    const [mr, mg, mb] = meanRgba(decodeHash(result.thumbhash).rgba);
    expect(mr).toBeGreaterThan(240);
    expect(mg).toBeLessThan(15);
    expect(mb).toBeLessThan(15);
  });

  test('a red disc on a transparent background (a logo): the dominant colour is red, not the black of its hidden pixels', async () => {
    const disc = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200"><circle cx="100" cy="100" r="50" fill="#e02020"/></svg>');
    const logo = await sharp(disc).png().toBuffer();
    const { dominantColor } = await placeholder(logo);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(dominantColor.slice(i, i + 2), 16));
    expect(Math.abs(r - 0xe0)).toBeLessThanOrEqual(8);
    expect(Math.abs(g - 0x20)).toBeLessThanOrEqual(8);
    expect(Math.abs(b - 0x20)).toBeLessThanOrEqual(8);
    // With nothing visible, every pixel counts.
    const clear = await sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0 } } }).png().toBuffer();
    expect((await placeholder(clear)).dominantColor).toMatch(/^#[0-9a-f]{6}$/);
  });

  test('a small blue square on transparency: the dominant colour is the square, not the invisible pixels around it', async () => {
    const square = await sharp({ create: { width: 30, height: 30, channels: 4, background: '#3366cc' } }).png().toBuffer();
    const logo = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: square, left: 35, top: 35 }])
      .png()
      .toBuffer();
    const { dominantColor } = await placeholder(logo);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(dominantColor.slice(i, i + 2), 16));
    // Within a histogram bin (8) of #3366cc; the 91% of pixels that are transparent black do not count.
    expect(Math.abs(r - 0x33)).toBeLessThanOrEqual(8);
    expect(Math.abs(g - 0x66)).toBeLessThanOrEqual(8);
    expect(Math.abs(b - 0xcc)).toBeLessThanOrEqual(8);
  });

  test('the data URL is a WebP at the size of the decoded ThumbHash, at most 32 px a side, well under 1 KB', async () => {
    for (const name of ['2569067123_aca715a2ee_o.jpg', 'Landscape_6.jpg', 'with-alpha.png', 'animated-loop-3.gif']) {
      const result = await placeholder(corpus(name));
      const bytes = dataUrlBytes(result.dataUrl);
      const meta = await sharp(bytes).metadata();
      const decoded = decodeHash(result.thumbhash);
      expect(meta.format).toBe('webp');
      expect({ width: meta.width, height: meta.height }).toEqual({ width: decoded.w, height: decoded.h });
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(32);
      expect(result.dataUrl.length).toBeLessThan(600);
    }
  });

  test('the data URL shows the ThumbHash rendering: the same mean colour', async () => {
    const result = await placeholder(corpus('flowers.jpeg'));
    const decoded = meanRgba(decodeHash(result.thumbhash).rgba);
    const { data } = await sharp(dataUrlBytes(result.dataUrl)).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const shown = meanRgba(data);
    for (let c = 0; c < 3; c++) expect(Math.abs(shown[c] - decoded[c])).toBeLessThanOrEqual(6);
  });

  test('raw pixels give the same placeholder as the same pixels encoded losslessly', async () => {
    const width = 160;
    const height = 90;
    const data = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = Math.round((x / (width - 1)) * 255);
        data[i + 1] = Math.round((y / (height - 1)) * 255);
        data[i + 2] = 64;
      }
    }
    const raw = { data, width, height, channels: 3 as const };
    const png = await sharp(data, { raw }).png().toBuffer();
    const fromRaw = await placeholder(raw);
    expect(fromRaw).toEqual(await placeholder(png));
    // Left to right red rises, top to bottom green: the decoded hash keeps both gradients.
    const { w, h, rgba } = decodeHash(fromRaw.thumbhash);
    const at = (x: number, y: number, c: number) => rgba[(y * w + x) * 4 + c];
    expect(at(w - 1, 0, 0) - at(0, 0, 0)).toBeGreaterThan(120);
    expect(at(0, h - 1, 1) - at(0, 0, 1)).toBeGreaterThan(120);
  });

  test('a fully transparent image: the ThumbHash decodes transparent', async () => {
    const { thumbhash } = await placeholder(corpus('full-transparent.png'));
    expect(meanRgba(decodeHash(thumbhash).rgba)[3]).toBeLessThan(5);
  });

  test.each(['with-alpha.png', 'alpha-premultiply-2048x1536-paper.png'])('%s: the decoded alpha follows the source alpha', async (name) => {
    const image = corpus(name);
    const { thumbhash } = await placeholder(image);
    const decodedAlpha = meanRgba(decodeHash(thumbhash).rgba)[3];
    const sourceAlpha = (await sourceMean(image))[3];
    expect(sourceAlpha).toBeLessThan(250);
    expect(Math.abs(decodedAlpha - sourceAlpha)).toBeLessThanOrEqual(20);
  });
});
