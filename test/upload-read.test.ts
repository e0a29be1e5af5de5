import { Readable } from 'node:stream';
import type { FileUpload } from 'graphql-upload-minimal';
import { readUpload } from '../src/web/upload';

function upload(chunks: Buffer[]): FileUpload {
  return { filename: 'x', fieldName: '0', mimetype: 'image/png', encoding: '7bit', createReadStream: () => Readable.from(chunks) } as unknown as FileUpload;
}

const chunks = Array.from({ length: 5 }, (_, i) => Buffer.alloc(1000, i + 1));
const whole = Buffer.concat(chunks);

test.each([
  ['no hint', undefined],
  ['a hint above the size (Content-Length with multipart overhead)', 5300],
  ['a hint of exactly the size', 5000],
  ['a hint below the size', 2500],
])('collects every byte in order with %s', async (_name, hint) => {
  const data = await readUpload(upload(chunks), 10_000, hint);
  expect(data.length).toBe(5000);
  expect(data.equals(whole)).toBe(true);
});

test('refuses a file one byte over the limit, whatever the hint', async () => {
  await expect(readUpload(upload(chunks), 4999, 5300)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
  await expect(readUpload(upload(chunks), 4999)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
});
