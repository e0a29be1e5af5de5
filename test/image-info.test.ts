import { statSync } from 'node:fs';
import sharp from 'sharp';
import { createBackends } from '../src/backends';
import type { Backends } from '../src/backends/types';
import { readConfig } from '../src/config';
import { iccDescription } from '../src/processing/icc';
import { startWebServer, type WebServer } from '../src/web/server';
import { DarkroomClient, type ImageInfoView } from './support/client';
import { corpus, corpusPath } from './support/corpus';

/** A web process in this test's own process, on the embedded in-memory backends (no worker: nothing here needs one). */
async function startWeb(env: Record<string, string>): Promise<{ web: WebServer; backends: Backends; client: DarkroomClient }> {
  const config = readConfig({ PORT: '0', ...env });
  const backends = await createBackends(config, 'web');
  const web = await startWebServer(backends, config);
  return { web, backends, client: new DarkroomClient(`http://127.0.0.1:${web.port}`) };
}

async function stopWeb({ web, backends }: { web: WebServer; backends: Backends }): Promise<void> {
  await web.close();
  await backends.close();
}

const MAX_UPLOAD_BYTES = 1_200_000;

describe('Query.imageInfo over HTTP', () => {
  let server: Awaited<ReturnType<typeof startWeb>>;
  let client: DarkroomClient;

  beforeAll(async () => {
    server = await startWeb({ MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES), MAX_FRAMES: '20', RATE_LIMIT_PER_MINUTE: '0' });
    client = server.client;
  });

  afterAll(async () => {
    await stopWeb(server);
  });

  async function info(file: string | { name: string; data: Buffer }): Promise<ImageInfoView> {
    const response = await client.imageInfo(typeof file === 'string' ? corpusPath(file) : file);
    if (!response.data) throw new Error(`imageInfo failed: ${JSON.stringify(response.errors)}`);
    return response.data.imageInfo;
  }

  test('Landscape_6.jpg: stored 450x600, orientation 6, displayed 600x450', async () => {
    expect(await info('Landscape_6.jpg')).toMatchObject({
      filename: 'Landscape_6.jpg',
      format: 'JPEG',
      mediaType: 'image/jpeg',
      width: 600,
      height: 450,
      storedWidth: 450,
      storedHeight: 600,
      orientation: 6,
      colorSpace: 'srgb',
      channels: 3,
      bitDepth: 8,
      hasAlpha: false,
      frames: 1,
      iccProfile: 'Generic RGB Profile',
      exif: { make: null, model: null, takenAt: null, hasGps: false },
      bytes: statSync(corpusPath('Landscape_6.jpg')).size,
    });
  });

  test('Portrait_8.jpg: stored 600x450, orientation 8, displayed 450x600', async () => {
    expect(await info('Portrait_8.jpg')).toMatchObject({ width: 450, height: 600, storedWidth: 600, storedHeight: 450, orientation: 8 });
  });

  test('an upright JPEG without an orientation tag reads orientation 1, displayed as stored', async () => {
    const data = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    expect(await info({ name: 'plain.jpg', data })).toMatchObject({ width: 30, height: 20, storedWidth: 30, storedHeight: 20, orientation: 1, exif: null, iccProfile: null });
  });

  test('the CMYK JPEG: colour space cmyk in 4 channels, its ICC profile name and camera', async () => {
    expect(await info('Channel_digital_image_CMYK_color.jpg')).toMatchObject({
      colorSpace: 'cmyk',
      channels: 4,
      hasAlpha: false,
      bitDepth: 8,
      iccProfile: 'U.S. Web Coated (SWOP) v2',
      exif: { make: 'Canon', model: 'Canon EOS 300D DIGITAL', takenAt: '2004-03-20T14:54:55', hasGps: false },
    });
  });

  test('p3.png: the version 4 profile is named Display P3', async () => {
    const p3 = await info('p3.png');
    expect(p3.iccProfile).toContain('P3');
    expect(p3).toMatchObject({ format: 'PNG', width: 8, height: 8, channels: 4, hasAlpha: true, exif: null });
  });

  test('16-bit grey PNG with alpha: bit depth 16, 2 channels, alpha, its mluc profile name', async () => {
    expect(await info('16-bit-grey-alpha.png')).toMatchObject({
      colorSpace: 'grey16',
      bitDepth: 16,
      channels: 2,
      hasAlpha: true,
      iccProfile: 'Greyscale D50',
      width: 109,
      height: 96,
    });
  });

  test('animated GIF: 10 frames of 370x285', async () => {
    expect(await info('animated-loop-3.gif')).toMatchObject({ format: 'GIF', frames: 10, width: 370, height: 285, hasAlpha: true });
  });

  test('a format Darkroom reads but does not write: format null, the media type says what it is', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10" fill="#0000ff"/></svg>');
    const open = await startWeb({ ALLOWED_INPUT_FORMATS: 'svg', RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const response = await open.client.imageInfo({ name: 'bar.svg', data: svg });
      expect(response.data?.imageInfo).toMatchObject({ format: null, mediaType: 'image/svg+xml', width: 40, height: 10, dominantColor: '#0808f8' });
    } finally {
      await stopWeb(open);
    }
  });

  test('EXIF written with sharp withExifMerge: camera, time taken with its offset, GPS present', async () => {
    const data = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
      .jpeg()
      .withExifMerge({
        IFD0: { Make: 'Darkroom', Model: 'Test Camera' },
        IFD2: { DateTimeOriginal: '2024:05:06 07:08:09', OffsetTimeOriginal: '+02:00' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '52/1 22/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '4/1 53/1 0/1' },
      })
      .toBuffer();
    const withGps = await info({ name: 'gps.jpg', data });
    expect(withGps.exif).toEqual({ make: 'Darkroom', model: 'Test Camera', takenAt: '2024-05-06T07:08:09+02:00', hasGps: true });

    const noGps = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } })
      .jpeg()
      .withExifMerge({ IFD0: { Make: 'Darkroom' }, IFD2: { DateTimeOriginal: '0000:00:00 00:00:00' } })
      .toBuffer();
    expect((await info({ name: 'no-gps.jpg', data: noGps })).exif).toEqual({ make: 'Darkroom', model: null, takenAt: null, hasGps: false });
  });

  test('dominant colour: the colour of three quarters of the picture, as #rrggbb', async () => {
    const orange = { r: 230, g: 120, b: 20 };
    const data = await sharp({ create: { width: 200, height: 100, channels: 3, background: orange } })
      .composite([{ input: { create: { width: 50, height: 100, channels: 3, background: '#1040c0' } }, left: 150, top: 0 }])
      .png()
      .toBuffer();
    const { dominantColor } = await info({ name: 'orange.png', data });
    expect(dominantColor).toMatch(/^#[0-9a-f]{6}$/);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(dominantColor!.slice(i, i + 2), 16));
    // sharp reports the centre of a 16-level histogram bin: within 8 of the true value.
    expect(Math.abs(r - orange.r)).toBeLessThanOrEqual(8);
    expect(Math.abs(g - orange.g)).toBeLessThanOrEqual(8);
    expect(Math.abs(b - orange.b)).toBeLessThanOrEqual(8);
  });

  describe('refusals: the codes createImageJob gives for the same upload', () => {
    const cases: Array<[string, () => Promise<{ name: string; data: Buffer }>, string]> = [
      ['an empty file', async () => ({ name: 'empty.jpg', data: Buffer.alloc(0) }), 'INVALID_IMAGE'],
      ['a corrupt header', async () => ({ name: 'corrupt-header.jpg', data: corpus('corrupt-header.jpg') }), 'INVALID_IMAGE'],
      ['text that is no image', async () => ({ name: 'notes.png', data: Buffer.from('not an image at all') }), 'UNSUPPORTED_FORMAT'],
      ['JPEG 2000', async () => ({ name: 'relax.jp2', data: corpus('relax.jp2') }), 'UNSUPPORTED_FORMAT'],
      ['SVG, not in ALLOWED_INPUT_FORMATS', async () => ({ name: 'circle.svg', data: corpus('circle.svg') }), 'UNSUPPORTED_FORMAT'],
      ['280 megapixels declared', async () => ({ name: 'giant-image.jpg', data: corpus('giant-image.jpg') }), 'LIMIT_EXCEEDED'],
      ['30 frames over MAX_FRAMES 20', async () => ({ name: 'rotating-squares.gif', data: corpus('rotating-squares.gif') }), 'LIMIT_EXCEEDED'],
      ['one byte over MAX_UPLOAD_BYTES', async () => ({ name: 'big.png', data: Buffer.alloc(MAX_UPLOAD_BYTES + 1, 7) }), 'PAYLOAD_TOO_LARGE'],
    ];

    test.each(cases)('%s', async (_label, make, code) => {
      const file = await make();
      const asJob = await client.createJob(file);
      const asInfo = await client.imageInfo(file);
      expect(asJob.errors?.[0].extensions?.code).toBe(code);
      expect(asInfo.errors?.[0].extensions?.code).toBe(code);
      expect(asInfo.errors?.[0].message).toBe(asJob.errors?.[0].message);
      expect(asInfo.data).toBeNull();
    });

    test('a JPEG cut short passes the header check but not the preview decode: INVALID_IMAGE, naming the damage', async () => {
      const response = await client.imageInfo(corpusPath('truncated.jpg'));
      expect(response.errors?.[0].extensions?.code).toBe('INVALID_IMAGE');
      expect(response.errors?.[0].message).toMatch(/damaged or incomplete.*premature end/);
    });
  });
});

describe('Query.imageInfo: keys and the rate limit, as for createImageJob', () => {
  const KEY_A = 'info-key-a-0123456789';
  const KEY_B = 'info-key-b-0123456789';
  let server: Awaited<ReturnType<typeof startWeb>>;

  beforeAll(async () => {
    server = await startWeb({ API_KEYS: `${KEY_A},${KEY_B}`, RATE_LIMIT_PER_MINUTE: '3' });
  });

  afterAll(async () => {
    await stopWeb(server);
  });

  test('without a key: 401 UNAUTHENTICATED, before the upload is read', async () => {
    const response = await server.client.imageInfo(corpusPath('p3.png'));
    expect(response).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  test('imageInfo and createImageJob spend one budget per key: the fourth request of a minute is RATE_LIMITED', async () => {
    const alice = server.client.as(KEY_A);
    expect((await alice.imageInfo(corpusPath('p3.png'))).data?.imageInfo.iccProfile).toBe('Display P3');
    expect((await alice.createJob(corpusPath('p3.png'))).data?.createImageJob.status).toBe('QUEUED');
    expect((await alice.imageInfo(corpusPath('p3.png'))).data?.imageInfo.width).toBe(8);
    const fourth = await alice.imageInfo(corpusPath('p3.png'));
    expect(fourth.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const retryAfter = (fourth.errors?.[0].extensions as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await server.client.as(KEY_B).imageInfo(corpusPath('p3.png'))).data?.imageInfo.width).toBe(8);
  });
});

describe('iccDescription', () => {
  test('a profile cut short or without a desc tag has no name; nothing throws', async () => {
    const icc = (await sharp(corpusPath('p3.png')).metadata()).icc!;
    expect(iccDescription(icc)).toBe('Display P3');
    const entries = Array.from({ length: icc.readUInt32BE(128) }, (_, i) => 132 + i * 12);
    const desc = entries.find((entry) => icc.toString('latin1', entry, entry + 4) === 'desc')!;
    const descOffset = icc.readUInt32BE(desc + 4);
    for (const length of [0, 100, 131, desc + 6, descOffset + 10]) expect(iccDescription(icc.subarray(0, length))).toBeNull();
    const renamed = Buffer.from(icc);
    renamed.write('xxxx', desc, 'latin1');
    expect(iccDescription(renamed)).toBeNull();
  });
});
