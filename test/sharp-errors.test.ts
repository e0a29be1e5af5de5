import sharp from 'sharp';
import { classifySharpError } from '../src/processing/sharp-errors';
import { corpus } from './support/corpus';

/** What sharp throws for `input` decoded the way the pipeline decodes (failOn: 'warning'). */
async function failure(input: Buffer, format: 'jpeg' | 'webp' = 'jpeg'): Promise<unknown> {
  try {
    await sharp(input, { failOn: 'warning' }).toFormat(format).toBuffer();
  } catch (err) {
    return err;
  }
  throw new Error('expected sharp to fail');
}

describe('libvips failures as stable codes', () => {
  test('a decoder warning that failOn turns into an error is INVALID_IMAGE, naming the warning', async () => {
    // with-alpha.png with one byte of its IHDR changed: the chunk's CRC no longer matches.
    const png = Buffer.from(corpus('with-alpha.png'));
    png[28] ^= 0x01;
    const error = classifySharpError(await failure(png));
    expect(error).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/CRC error/) });
    expect(error.message).not.toMatch(/failOn/);
  });

  test("libjpeg's \"Corrupt JPEG data\" is INVALID_IMAGE", async () => {
    const jpeg = corpus('concert.jpg');
    const strayBytes = Buffer.concat([jpeg.subarray(0, 2), Buffer.alloc(12, 0x20), jpeg.subarray(2)]);
    expect(classifySharpError(await failure(strayBytes, 'webp'))).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/Corrupt JPEG data/) });
  });

  test('an error nobody recognises stays PROCESSING_FAILED, without file paths', () => {
    expect(classifySharpError(new Error('something odd in /usr/lib/vips/module.so: went wrong'))).toMatchObject({
      code: 'PROCESSING_FAILED',
      message: 'The image could not be processed (something odd in : went wrong).',
    });
  });
});
