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

  constructor(private readonly maxFiles: number) {}

  claim(upload: Promise<FileUpload>, field: string): FileRef {
    // A file named in several places (one variable used twice, or one multipart
    // part mapped to several paths) is one upload, whose stream can be read only
    // once: it is one file of the job, read and stored once.
    const known = this.claims.findIndex((claim) => claim.upload === upload);
    if (known >= 0) return { file: known };
    if (this.claims.length >= this.maxFiles) {
      throw new DarkroomError('LIMIT_EXCEEDED', `${field}: a job may send at most ${this.maxFiles} files besides its image.`, field);
    }
    this.claims.push({ upload, field });
    return { file: this.claims.length - 1 };
  }

  /**
   * Every claimed file, read all at once: the parts of a multipart request come
   * in whatever order the client wrote them, and a part left unread holds back
   * every part after it. A claim of the job's own image (`image.upload`) takes
   * its bytes as the image's reading gives them, since a stream is read once.
   */
  read(maxBytes: number, policy: InputPolicy, image: { upload: Promise<FileUpload>; data: () => Promise<Buffer> }): Promise<Buffer[]> {
    return Promise.all(
      this.claims.map(async ({ upload, field }) => {
        if (upload === image.upload) return image.data();
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
