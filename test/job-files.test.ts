import type { FileUpload } from 'graphql-upload-minimal';
import { DarkroomError } from '../src/errors';
import { validateJobSpec } from '../src/operations/catalogue';
import { DEFAULT_JOB_LIMITS } from '../src/operations/operation';
import { JobFiles } from '../src/web/job-files';
import { processLimits, readConfig } from '../src/config';

/** Stand-ins for the uploads graphql-upload resolves: a file is known by its promise, never read here. */
const upload = (): Promise<FileUpload> => new Promise<FileUpload>(() => undefined);

const watermarks = (images: Promise<FileUpload>[]) => ({ operations: images.map((image) => ({ watermark: { image } })) });

describe('MAX_FILES_PER_JOB counts the files sent besides the image', () => {
  test('the job\'s own image named as an overlay is not one of them', () => {
    const image = upload();
    const others = [upload(), upload(), upload(), upload()];
    const files = new JobFiles(4, image);
    // The image first or last among the overlays: four other files still fit.
    expect(() => validateJobSpec(watermarks([image, ...others, image]), DEFAULT_JOB_LIMITS, files)).not.toThrow();
  });

  test('a fifth file besides the image is refused, naming its place', () => {
    const image = upload();
    let caught: unknown;
    try {
      validateJobSpec(watermarks([image, upload(), upload(), upload(), upload(), upload()]), DEFAULT_JOB_LIMITS, new JobFiles(4, image));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DarkroomError);
    expect(caught).toMatchObject({ code: 'LIMIT_EXCEEDED', field: 'operations[5].watermark.image' });
  });

  test('with no files allowed, the image may still be its own overlay, and its bytes are the image\'s', async () => {
    const image = upload();
    const files = new JobFiles(0, image);
    validateJobSpec(watermarks([image]), DEFAULT_JOB_LIMITS, files);
    const bytes = Buffer.from('the image');
    expect(await files.read(1024, processLimits(readConfig({})), async () => bytes)).toEqual([bytes]);
  });
});
