import type { FileUpload } from 'graphql-upload-minimal';
import { DarkroomError } from '../errors';
import type { FileClaims, FileRef } from '../operations/operation';
import { inspectInput, type InputPolicy } from '../processing/input-policy';
import { readUpload, receivedUpload } from './upload';

/**
 * The uploads that operations name (overlays, templates): claimed while the
 * arguments are validated, read only once every argument is valid, each under
 * the same size limit and input policy as the job's own image.
 */
export class JobFiles implements FileClaims {
  private readonly claims: { upload: Promise<FileUpload>; field: string }[] = [];

  /** `image` is the job's own upload: naming it as an overlay or template sends no file besides it. */
  constructor(
    private readonly maxFiles: number,
    private readonly image: Promise<FileUpload>,
  ) {}

  claim(upload: Promise<FileUpload>, field: string): FileRef {
    // A file named in several places (one variable used twice, or one multipart
    // part mapped to several paths) is one upload, whose stream can be read only
    // once: it is one file of the job, read and stored once.
    const known = this.claims.findIndex((claim) => claim.upload === upload);
    if (known >= 0) return { file: known };
    // MAX_FILES_PER_JOB counts the files sent besides the image, so the image itself is not one of them.
    const besides = this.claims.filter((claim) => claim.upload !== this.image).length;
    if (upload !== this.image && besides >= this.maxFiles) {
      throw new DarkroomError('LIMIT_EXCEEDED', `${field}: a job may send at most ${this.maxFiles} files besides its image.`, field);
    }
    this.claims.push({ upload, field });
    return { file: this.claims.length - 1 };
  }

  /**
   * Every claimed file, read all at once: the parts of a multipart request come
   * in whatever order the client wrote them, and a part left unread holds back
   * every part after it. A claim of the job's own image gets the image's bytes
   * from `imageData`, the image's own reading, since a stream is read once.
   */
  read(maxBytes: number, policy: InputPolicy, imageData: () => Promise<Buffer>): Promise<Buffer[]> {
    return Promise.all(
      this.claims.map(async ({ upload, field }) => {
        if (upload === this.image) return imageData();
        try {
          const data = await readUpload(await receivedUpload(upload), maxBytes);
          await inspectInput(data, policy);
          return data;
        } catch (err) {
          if (err instanceof DarkroomError) throw new DarkroomError(err.code, `${field}: ${err.message}`, field, err.details);
          throw err;
        }
      }),
    );
  }
}
