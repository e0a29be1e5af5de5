import { gzipSync } from 'node:zlib';
import sharp from 'sharp';
import type { DarkroomClient, JobView } from './support/client';
import { corpus } from './support/corpus';
import { Deployment, waitForJob } from './support/deployment';
import type { ServiceProcess } from './support/processes';

type Outcome = { completed: true } | { refused: string } | { failed: string };
interface Case {
  name: string;
  file: () => Promise<Buffer> | Buffer;
  expect: Outcome;
  /** Default: resize to 64 px wide, and a completed job is checked for that width. */
  operations?: unknown[];
  size?: { width: number; height: number };
}

const fromCorpus = (name: string, expect: Outcome): Case => ({ name, file: () => corpus(name), expect });
const completed: Outcome = { completed: true };

/** Every hard case of ../shared/corpus/README.md, with what a correct service does. */
const CORPUS_CASES: Case[] = [
  fromCorpus('16-bit-grey-alpha.png', completed),
  fromCorpus('2569067123_aca715a2ee_o.jpg', completed),
  fromCorpus('320x240.jpg', completed),
  fromCorpus('4.webp', completed),
  fromCorpus('65536-uint32-limit.png', { refused: 'LIMIT_EXCEEDED' }),
  fromCorpus('Channel_digital_image_CMYK_color.jpg', completed),
  fromCorpus('Flag_of_the_Netherlands-16bit.png', completed),
  fromCorpus('G31D_MULTI.TIF', completed),
  fromCorpus('Landscape_1.jpg', completed),
  fromCorpus('Landscape_6.jpg', completed),
  fromCorpus('Portrait_8.jpg', completed),
  fromCorpus('alpha-premultiply-2048x1536-paper.png', completed),
  fromCorpus('animated-loop-3.gif', completed),
  fromCorpus('animated-loop-3.webp', completed),
  fromCorpus('big-height.webp', completed),
  fromCorpus('cielab-dagams.tiff', completed),
  fromCorpus('circle.svg', { refused: 'UNSUPPORTED_FORMAT' }),
  fromCorpus('concert.jpg', completed),
  fromCorpus('corrupt-header.jpg', { refused: 'INVALID_IMAGE' }),
  fromCorpus('embedgravitybird.png', completed),
  fromCorpus('flowers.jpeg', completed),
  fromCorpus('full-transparent.png', completed),
  fromCorpus('gain-map.jpg', completed),
  fromCorpus('gamma_dalai_lama_gray.jpg', completed),
  fromCorpus('giant-image.jpg', { refused: 'LIMIT_EXCEEDED' }),
  fromCorpus('grey-plus-alpha.gif', completed),
  fromCorpus('low-contrast.jpg', completed),
  fromCorpus('p3.png', completed),
  fromCorpus('pitm.avif', completed),
  fromCorpus('random.jpg', completed),
  fromCorpus('relax.jp2', { refused: 'UNSUPPORTED_FORMAT' }),
  fromCorpus('rotating-squares.gif', completed),
  fromCorpus('struct-image-04-t.svg', { refused: 'UNSUPPORTED_FORMAT' }),
  fromCorpus('tifftag-photoshop.tiff', completed),
  fromCorpus('truncated.jpg', { failed: 'INVALID_IMAGE' }),
  fromCorpus('truncated.png', { failed: 'INVALID_IMAGE' }),
  fromCorpus('with-alpha.png', completed),
];

const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#3366cc' } });

/** Inputs made here: bombs, lies about the format, and the like. */
const MADE_CASES: Case[] = [
  { name: 'decompression bomb: 9000x9000 PNG of one colour', file: () => solid(9000, 9000).png({ compressionLevel: 9 }).toBuffer(), expect: { refused: 'LIMIT_EXCEEDED' } },
  { name: '0-byte file', file: () => Buffer.alloc(0), expect: { refused: 'INVALID_IMAGE' } },
  { name: 'text file named .jpg', file: () => Buffer.from('just some words, not a picture\n'), expect: { refused: 'UNSUPPORTED_FORMAT' } },
  { name: 'PNG disguised as .jpg', file: () => solid(40, 30).png().toBuffer(), expect: completed },
  {
    name: 'SVG with file: and http: references',
    file: () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/><image href="http://127.0.0.1:1/x.png"/></svg>'),
    expect: { refused: 'UNSUPPORTED_FORMAT' },
  },
  {
    name: 'gzip-compressed SVG (SVGZ) with a file: reference',
    file: () => gzipSync('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="file:///etc/passwd" width="10" height="10"/></svg>'),
    expect: { refused: 'UNSUPPORTED_FORMAT' },
  },
  { name: '1x10000 image, widened to 64 (640000 high)', file: () => solid(1, 10000).png().toBuffer(), expect: { refused: 'LIMIT_EXCEEDED' } },
  {
    name: '1x10000 image, to 100 high',
    file: () => solid(1, 10000).png().toBuffer(),
    operations: [{ resize: { height: 100 } }],
    size: { width: 1, height: 100 },
    expect: completed,
  },
  {
    // libjpeg's warning "Corrupt JPEG data: 12 extraneous bytes before marker", an error under failOn: 'warning'.
    name: 'JPEG with stray bytes between its markers',
    file: () => {
      const jpeg = corpus('concert.jpg');
      return Buffer.concat([jpeg.subarray(0, 2), Buffer.alloc(12, 0x20), jpeg.subarray(2)]);
    },
    expect: { failed: 'INVALID_IMAGE' },
  },
  // libvips would keep the frames it has and drop the rest without a word.
  { name: 'animated GIF cut short (rotating-squares.gif, first half)', file: () => corpus('rotating-squares.gif').subarray(0, 21000), expect: { refused: 'INVALID_IMAGE' } },
  // A grid of tiles, cut off: libheif would fill the missing tiles with flat green.
  { name: 'AVIF cut short (pitm.avif, first 30000 bytes)', file: () => corpus('pitm.avif').subarray(0, 30000), expect: { refused: 'INVALID_IMAGE' } },
  {
    name: '12000x1 image with no operations: its own size is over the side limit',
    file: () => solid(12000, 1).png().toBuffer(),
    operations: [],
    expect: { refused: 'LIMIT_EXCEEDED' },
  },
  { name: 'animation over the frame limit (101 frames)', file: () => animated(101), expect: { refused: 'LIMIT_EXCEEDED' } },
];

/** An animated GIF of `frames` 4x4 frames. */
async function animated(frames: number): Promise<Buffer> {
  // Each frame its own distinct colour, so the encoder cannot merge any two.
  const strip = Buffer.alloc(4 * 4 * frames * 3);
  for (let frame = 0; frame < frames; frame++) {
    for (let pixel = 0; pixel < 16; pixel++) {
      const at = (frame * 16 + pixel) * 3;
      strip.set([(frame * 2) % 256, 255 - ((frame * 2) % 256), (frame * 50) % 256], at);
    }
  }
  return sharp(strip, { raw: { width: 4, height: 4 * frames, channels: 3, pageHeight: 4 } }).gif().toBuffer();
}

describe('hostile and damaged input: clear codes, processes stay up, other jobs unharmed', () => {
  let deployment: Deployment;
  let client: DarkroomClient;
  let worker: ServiceProcess;
  let web: ServiceProcess;

  beforeAll(async () => {
    deployment = new Deployment('hostile');
    ({ process: web, client } = await deployment.web('web'));
    worker = await deployment.worker('worker');
  });

  afterAll(async () => {
    await deployment.stop();
  });

  async function run(file: Buffer, name: string, operations: unknown[] = [{ resize: { width: 64 } }]): Promise<{ refused?: string; job?: JobView }> {
    const response = await client.createJob({ name, data: file }, { operations });
    if (!response.data) return { refused: response.errors?.[0].extensions?.code ?? 'NO CODE' };
    const job = await waitForJob(client, response.data.createImageJob.id, (j) => ['COMPLETED', 'FAILED'].includes(j.status), 60000);
    return { job };
  }

  test.each([...CORPUS_CASES, ...MADE_CASES].map((c) => [c.name, c] as const))('%s', async (name, testCase) => {
    // Named as a photo whatever it is: the format must come from the bytes.
    const outcome = await run(await testCase.file(), CORPUS_CASES.includes(testCase) ? name : 'upload.jpg', testCase.operations);
    if ('refused' in testCase.expect) {
      expect(outcome.refused).toBe(testCase.expect.refused);
    } else if ('failed' in testCase.expect) {
      expect(outcome.job).toMatchObject({ status: 'FAILED', error: { code: testCase.expect.failed } });
      expect(outcome.job!.error!.message).not.toMatch(/\/work|node_modules|at \w+ \(/);
    } else {
      const size = testCase.size ?? { width: 64 };
      expect(outcome.job).toMatchObject({ status: 'COMPLETED', result: size });
      const bytes = Buffer.from(await (await client.download(outcome.job!.result!.url)).arrayBuffer());
      expect(await sharp(bytes).metadata()).toMatchObject(size);
    }
    expect(web.running && worker.running).toBe(true);
  });

  test('after all of that, both processes are healthy and a good job completes', async () => {
    expect((await fetch(`${client.baseUrl}/healthz`)).status).toBe(200);
    const response = await client.createJob({ name: 'ok.png', data: await solid(100, 50).png().toBuffer() }, { operations: [{ resize: { width: 10 } }] });
    const done = await waitForJob(client, response.data!.createImageJob.id, (j) => j.status === 'COMPLETED');
    expect(done.result).toMatchObject({ width: 10, height: 5 });
  });

  test('metadata is stripped by default, GPS included; keepMetadata keeps it', async () => {
    const withGps = await solid(64, 48)
      .jpeg()
      .withExif({ IFD0: { Make: 'Darkroom test camera' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .toBuffer();
    expect((await sharp(withGps).metadata()).exif?.toString('latin1')).toContain('Darkroom test camera');
    for (const keepMetadata of [false, true]) {
      const response = await client.createJob({ name: 'gps.jpg', data: withGps }, { output: { keepMetadata } });
      const done = await waitForJob(client, response.data!.createImageJob.id, (j) => j.status === 'COMPLETED');
      const bytes = Buffer.from(await (await client.download(done.result!.url)).arrayBuffer());
      const exif = (await sharp(bytes).metadata()).exif;
      if (keepMetadata) {
        expect(exif?.toString('latin1')).toContain('Darkroom test camera');
        expect(exif?.toString('latin1')).toContain('N');
      } else {
        expect(exif).toBeUndefined();
      }
    }
  });

  test('an upload over MAX_UPLOAD_BYTES is refused with PAYLOAD_TOO_LARGE and nothing is kept', async () => {
    const small = await deployment.web('web-small-uploads', { MAX_UPLOAD_BYTES: '50000' });
    const response = await small.client.createJob({ name: 'big.jpg', data: corpus('2569067123_aca715a2ee_o.jpg') });
    expect(response.errors?.[0].extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    const justUnder = await small.client.createJob({ name: 'ok.jpg', data: corpus('random.jpg').subarray(0, 50000) });
    expect(justUnder.errors?.[0].extensions?.code).not.toBe('PAYLOAD_TOO_LARGE');
  });

  test('malformed requests get 4xx and a code, never 500', async () => {
    const bad = await fetch(`${client.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": NaN}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    const huge = await fetch(`${client.baseUrl}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'x'.repeat(200_000) }) });
    expect(huge.status).toBe(413);
    // Truncated multipart bodies: the parser's errors must answer 400, never bring the process down.
    for (const body of ['--xx\r\nfoo\r\n', '--xx\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query']) {
      const cut = await fetch(`${client.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=xx', 'apollo-require-preflight': 'true' },
        body,
      });
      expect(cut.status).toBe(400);
      expect(await cut.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
    expect(web.running).toBe(true);
    expect((await fetch(`${client.baseUrl}/healthz`)).status).toBe(200);
  });

  test('bad requests the parsers find late are BAD_REQUEST, not INTERNAL', async () => {
    // A file part whose header busboy cannot parse (a NUL in the filename), after a valid operations and map.
    const operations = JSON.stringify({
      query: 'mutation($input: CreateImageJobInput!) { createImageJob(input: $input) { id } }',
      variables: { input: { file: null } },
    });
    const body = Buffer.concat([
      Buffer.from(`--xx\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${operations}\r\n`),
      Buffer.from('--xx\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.input.file"]}\r\n'),
      Buffer.from('--xx\r\nContent-Disposition: form-data; name="0"; filename="a\u0000.jpg"\r\n\r\n'),
      corpus('320x240.jpg'),
      Buffer.from('\r\n--xx--\r\n'),
    ]);
    const badPart = await fetch(`${client.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xx', 'apollo-require-preflight': 'true' },
      body,
    });
    expect(await badPart.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    // Persisted-query extensions Apollo cannot use: it answers 400, with no code of its own.
    for (const persistedQuery of [{ version: 2 }, { version: 1, sha256Hash: 'not the hash' }]) {
      const response = await fetch(`${client.baseUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery } }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    }
    expect(web.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  test('a job that would grow past the output limit is refused before it is queued', async () => {
    const response = await client.createJob({ name: 'r.jpg', data: corpus('random.jpg') }, {
      operations: [{ resize: { width: 9000, height: 5000, fit: 'FILL' } }, { rotate: { angle: 29 } }],
    });
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED', field: 'operations[1].rotate' } });
    expect(response.errors?.[0].message).toMatch(/10000 pixels a side/);
  });

  test('a job whose output would pass MAX_OUTPUT_PIXELS is refused before it is queued', async () => {
    const response = await client.createJob({ name: 'p.jpg', data: corpus('2569067123_aca715a2ee_o.jpg') }, {
      operations: [{ resize: { width: 7000, height: 5700, fit: 'FILL' } }, { rotate: { angle: 33 } }],
      output: { format: 'PNG' },
    });
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED', field: 'operations[1].rotate' } });
    expect(response.errors?.[0].message).toMatch(/megapixels/);
  });

  test('a crop outside the image is refused up front, naming the operation', async () => {
    const response = await client.createJob({ name: 'r.jpg', data: corpus('random.jpg') }, {
      operations: [{ flip: true }, { crop: { left: 150, top: 150, width: 100, height: 100 } }],
    });
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'operations[1].crop' } });
    expect(response.errors?.[0].message).toContain('200x200');
  });
});

describe('SVG when enabled: rendered, but never following outside references', () => {
  let deployment: Deployment;
  let client: DarkroomClient;

  beforeAll(async () => {
    deployment = new Deployment('svg', { ALLOWED_INPUT_FORMATS: 'png,svg' });
    client = (await deployment.web('web')).client;
    await deployment.worker('worker');
  });

  afterAll(async () => {
    await deployment.stop();
  });

  test('a self-contained SVG renders to PNG', async () => {
    const response = await client.createJob({ name: 'circle.svg', data: corpus('circle.svg') }, { operations: [{ resize: { width: 32 } }] });
    const done = await waitForJob(client, response.data!.createImageJob.id, (j) => j.status === 'COMPLETED');
    expect(done.result).toMatchObject({ format: 'PNG', width: 32, height: 32 });
  });

  const svg = (inner: string, prologue = '') =>
    `${prologue}<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="8" height="8">${inner}</svg>`;

  const rect = '<rect width="8" height="8" fill="red"/>';
  test.each([
    ['a file: reference', svg('<image href="file:///etc/passwd" width="8" height="8"/>')],
    ['an http: reference', svg('<image xlink:href="http://127.0.0.1:1/a.png" width="8" height="8"/>')],
    ['a relative reference', svg('<image href="../secret.png" width="8" height="8"/>')],
    ['a CSS url()', svg(`<style>rect { fill: url(http://127.0.0.1:1/p.svg#g) }</style>${rect}`)],
    ['@import', svg('<style>@import url(http://127.0.0.1:1/a.css);</style>')],
    ['an entity that smuggles a reference past the href check', svg('<image href="&x;" width="8" height="8"/>', '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "file:///etc/passwd">]>')],
    ['an external DTD (SYSTEM)', svg(rect, '<?xml version="1.0"?><!DOCTYPE svg SYSTEM "http://127.0.0.1:1/evil.dtd">')],
    ['an external DTD (PUBLIC)', svg(rect, '<?xml version="1.0"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">')],
  ])('refuses an SVG with %s: UNSUPPORTED_FORMAT at upload', async (_what, body) => {
    const response = await client.createJob({ name: 'x.svg', data: Buffer.from(body) });
    expect(response.data).toBeFalsy();
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'UNSUPPORTED_FORMAT' }, message: expect.stringMatching(/outside itself/) });
  });

  test.each([
    ['a file: reference', svg('<image href="file:///etc/passwd" width="8" height="8"/>')],
    ['nothing outside itself', svg(rect)],
  ])('refuses a gzip-compressed SVG (SVGZ) with %s: its text cannot be checked', async (_what, body) => {
    const response = await client.createJob({ name: 'x.svgz', data: gzipSync(body) });
    expect(response.data).toBeFalsy();
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'UNSUPPORTED_FORMAT' }, message: expect.stringMatching(/gzip/) });
  });

  test('an external entity is refused before librsvg reads a byte of it', async () => {
    const body = svg('<text>&x;</text>', '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>');
    const response = await client.createJob({ name: 'x.svg', data: Buffer.from(body) });
    expect(response.data).toBeFalsy();
    expect(response.errors?.[0].extensions?.code).toBe('UNSUPPORTED_FORMAT');
  });

  test('JPEG is not in this deployment\'s list: refused by its bytes, whatever the name', async () => {
    const response = await client.createJob({ name: 'looks-like.png', data: corpus('320x240.jpg') });
    expect(response.errors?.[0]).toMatchObject({ extensions: { code: 'UNSUPPORTED_FORMAT' } });
    expect(response.errors?.[0].message).toContain('JPEG');
  });
});
