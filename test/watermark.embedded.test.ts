import sharp from 'sharp';
import { DarkroomClient, JOB_FIELDS, type JobView } from './support/client';
import { corpus } from './support/corpus';
import { changedBox, pixels } from './support/pixels';
import { ServiceProcess } from './support/processes';

/** createImageJob with a watermark: the job's image and the overlay as two files of one multipart request. */
async function createWithOverlay(
  client: DarkroomClient,
  image: Buffer,
  overlay: Buffer,
  watermark: Record<string, unknown>,
  overlayFirst = false,
): Promise<{ data?: { createImageJob: JobView }; errors?: unknown[] }> {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({
      query: `mutation Create($input: CreateImageJobInput!) { createImageJob(input: $input) { ${JOB_FIELDS} } }`,
      variables: { input: { file: null, operations: [{ watermark: { ...watermark, image: null } }], output: { format: 'PNG' } } },
    }),
  );
  form.append('map', JSON.stringify({ 0: ['variables.input.file'], 1: ['variables.input.operations.0.watermark.image'] }));
  // The multipart spec leaves the order of the file parts to the client.
  const parts: Array<[string, Buffer, string]> = [
    ['0', image, 'photo.jpg'],
    ['1', overlay, 'logo.png'],
  ];
  for (const [name, bytes, filename] of overlayFirst ? parts.reverse() : parts) form.append(name, new Blob([bytes]), filename);
  const res = await fetch(`${client.baseUrl}/graphql`, { method: 'POST', body: form, headers: { 'Apollo-Require-Preflight': 'true' } });
  return res.json() as Promise<{ data?: { createImageJob: JobView }; errors?: unknown[] }>;
}

describe('watermark through GraphQL, embedded one-process mode', () => {
  let main: ServiceProcess;
  let client: DarkroomClient;

  beforeAll(async () => {
    main = ServiceProcess.start('main', 'node dist/main.js', { REDIS_URL: '', CLOUDAMQP_URL: '', AMQP_URL: '', PORT: '0' });
    client = new DarkroomClient(`http://127.0.0.1:${await main.port()}`);
  });

  afterAll(async () => {
    expect(await main.stop()).toBe(0);
  });

  test('the uploaded overlay lands in its box at left/top, and nowhere else', async () => {
    const photo = corpus('Landscape_1.jpg');
    const overlay = await sharp({ create: { width: 80, height: 40, channels: 4, background: '#00ff00' } }).png().toBuffer();
    const created = await createWithOverlay(client, photo, overlay, { left: 30, top: 50 });
    expect(created.errors).toBeUndefined();
    const events = await client.watch(created.data!.createImageJob.id);
    const done = events[events.length - 1];
    expect(done).toMatchObject({ status: 'COMPLETED', result: { format: 'PNG', width: 600, height: 450 } });
    const response = await client.download(done.result!.url);
    expect(response.status).toBe(200);
    const out = await pixels(sharp(Buffer.from(await response.arrayBuffer())).removeAlpha());
    const original = await pixels(sharp(photo));
    expect(changedBox(out, original)).toEqual({ left: 30, top: 50, width: 80, height: 40 });
    expect(out.at(70, 70)).toEqual([0, 255, 0]);
    expect(out.at(10, 10)).toEqual(original.at(10, 10));
  });

  test('one file named in several places is read once and used in each: a variable in five variants, or one part mapped to two paths', async () => {
    const photo = corpus('Landscape_1.jpg');
    const overlay = await sharp({ create: { width: 80, height: 40, channels: 4, background: '#00ff00' } }).png().toBuffer();
    const post = async (query: string, variables: Record<string, unknown>, map: Record<string, string[]>, image = photo) => {
      const form = new FormData();
      form.append('operations', JSON.stringify({ query, variables }));
      form.append('map', JSON.stringify(map));
      form.append('0', new Blob([image]), 'photo.jpg');
      if (map[1]) form.append('1', new Blob([overlay]), 'logo.png');
      const res = await fetch(`${client.baseUrl}/graphql`, { method: 'POST', body: form, headers: { 'Apollo-Require-Preflight': 'true' } });
      return (await res.json()) as { data?: { createImageJob: JobView }; errors?: unknown[] };
    };
    const boxes = async (created: { data?: { createImageJob: JobView }; errors?: unknown[] }) => {
      expect(created.errors).toBeUndefined();
      const events = await client.watch(created.data!.createImageJob.id);
      const done = events[events.length - 1];
      expect(done.status).toBe('COMPLETED');
      const original = await pixels(sharp(photo));
      return Promise.all(
        done.results.map(async (result) => {
          const out = await pixels(sharp(Buffer.from(await (await client.download(result.url)).arrayBuffer())).removeAlpha());
          return changedBox(out, original);
        }),
      );
    };

    // More places than MAX_FILES_PER_JOB (4): they are one file.
    const names = ['a', 'b', 'c', 'd', 'e'];
    const variants = names.map((name, i) => `{ name: "${name}", operations: [{ watermark: { image: $logo, left: ${10 * i}, top: 20 } }], output: { format: PNG } }`);
    const inVariants = await post(
      `mutation($file: Upload!, $logo: Upload!) { createImageJob(input: { file: $file, variants: [${variants.join(', ')}] }) { ${JOB_FIELDS} } }`,
      { file: null, logo: null },
      { 0: ['variables.file'], 1: ['variables.logo'] },
    );
    expect(await boxes(inVariants)).toEqual(names.map((_, i) => ({ left: 10 * i, top: 20, width: 80, height: 40 })));

    const twoPaths = await post(
      `mutation($input: CreateImageJobInput!) { createImageJob(input: $input) { ${JOB_FIELDS} } }`,
      { input: { file: null, operations: [{ watermark: { image: null, left: 0, top: 0 } }, { watermark: { image: null, left: 100, top: 0 } }], output: { format: 'PNG' } } },
      { 0: ['variables.input.file'], 1: ['variables.input.operations.0.watermark.image', 'variables.input.operations.1.watermark.image'] },
    );
    expect(await boxes(twoPaths)).toEqual([{ left: 0, top: 0, width: 180, height: 40 }]);

    // The job's own image as its overlay, at a quarter of its width.
    const itself = await post(
      `mutation($file: Upload!) { createImageJob(input: { file: $file, operations: [{ watermark: { image: $file, scale: 0.25, left: 0, top: 0 } }], output: { format: PNG } }) { ${JOB_FIELDS} } }`,
      { file: null },
      { 0: ['variables.file'] },
    );
    const [box] = await boxes(itself);
    expect(box!.left + box!.width).toBeLessThanOrEqual(150);
  });

  test('an overlay whose part comes before the image in the request is read all the same', async () => {
    // Large enough that the parser cannot hold it while it looks for the image's part.
    const overlay = corpus('2569067123_aca715a2ee_o.jpg');
    const created = await createWithOverlay(client, corpus('Landscape_1.jpg'), overlay, { scale: 0.5 }, true);
    expect(created.errors).toBeUndefined();
    const events = await client.watch(created.data!.createImageJob.id);
    expect(events[events.length - 1]).toMatchObject({ status: 'COMPLETED', result: { width: 600, height: 450 } });
  });

  test('an overlay that is not an image is refused up front, naming its field', async () => {
    const created = await createWithOverlay(client, corpus('Landscape_1.jpg'), Buffer.from('not an image'), {});
    expect(created.data ?? null).toBeNull();
    expect(created.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^operations\[0\]\.watermark\.image: /),
        extensions: expect.objectContaining({ code: 'UNSUPPORTED_FORMAT', field: 'operations[0].watermark.image' }),
      }),
    ]);
  });
});
