import sharp from 'sharp';
import { endsInsideAGifBlock } from '../src/processing/truncation';
import { corpus } from './support/corpus';

const GIFS = ['animated-loop-3.gif', 'grey-plus-alpha.gif', 'rotating-squares.gif'];

describe('GIFs cut short', () => {
  test('libvips decodes a GIF cut in half without an error, keeping only the frames it has: hence the check', async () => {
    const whole = corpus('rotating-squares.gif');
    const half = whole.subarray(0, whole.length / 2);
    const { info } = await sharp(half, { animated: true, failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
    expect(info.height / 80).toBeLessThan(30);
    expect(endsInsideAGifBlock(half)).toBe(true);
  });

  test('whole GIFs pass: the corpus, with and without trailing padding, and what sharp writes', async () => {
    for (const name of GIFS) expect(endsInsideAGifBlock(corpus(name))).toBe(false);
    const written = await sharp(corpus('animated-loop-3.webp'), { animated: true }).gif().toBuffer();
    expect(endsInsideAGifBlock(written)).toBe(false);
    expect(endsInsideAGifBlock(Buffer.concat([written, Buffer.alloc(100)]))).toBe(false);
  });

  test('every cut inside a block is found; only cuts between whole blocks pass', () => {
    for (const name of GIFS) {
      const gif = corpus(name);
      const trailer = gif.length - 1 - [...gif].reverse().findIndex((byte) => byte !== 0);
      let passed = 0;
      for (let length = 0; length < trailer; length++) if (!endsInsideAGifBlock(gif.subarray(0, length))) passed++;
      // A block boundary comes at most every few hundred bytes: a cut lands on one rarely.
      expect(passed / trailer).toBeLessThan(0.1);
      // The cuts in the header and the global colour table are all found.
      for (let length = 0; length < 13; length++) expect(endsInsideAGifBlock(gif.subarray(0, length))).toBe(true);
    }
  });
});
