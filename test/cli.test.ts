import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { corpusPath } from './support/corpus';
import { PROJECT_ROOT, ServiceProcess } from './support/processes';

const run = promisify(execFile);

/** `darkroom` as a user runs it: `npx darkroom …` from the project, against a running server. */
async function darkroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['--no-install', 'darkroom', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, CI: 'true' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the darkroom CLI against a running server', () => {
  let server: ServiceProcess;
  let url: string;
  const out = mkdtempSync(path.join(tmpdir(), 'darkroom-cli-'));

  beforeAll(async () => {
    server = ServiceProcess.start('main', 'node dist/main.js', { REDIS_URL: '', CLOUDAMQP_URL: '', AMQP_URL: '', PORT: '0' });
    url = `http://127.0.0.1:${await server.port()}`;
  });

  afterAll(async () => {
    await server.stop();
  });

  test('process one file: resize, fit, format and quality, saved with -o', async () => {
    const target = path.join(out, 'out.webp');
    const result = await darkroom('process', corpusPath('Landscape_6.jpg'), '--resize', '800x600', '--fit', 'cover', '--format', 'webp', '--quality', '80', '-o', target, '--url', url);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('COMPLETED 100%');
    expect(await sharp(readFileSync(target)).metadata()).toMatchObject({ format: 'webp', width: 800, height: 600 });
  });

  test('several files at once into --out-dir, each in its own format by default', async () => {
    const dir = mkdtempSync(path.join(out, 'many-'));
    const result = await darkroom('process', corpusPath('320x240.jpg'), corpusPath('with-alpha.png'), '--resize', '100x', '--out-dir', dir, '--url', url);
    expect(result.code).toBe(0);
    expect(await sharp(readFileSync(path.join(dir, '320x240.jpg'))).metadata()).toMatchObject({ format: 'jpeg', width: 100, height: 75 });
    expect(await sharp(readFileSync(path.join(dir, 'with-alpha.png'))).metadata()).toMatchObject({ format: 'png', width: 100 });
  });

  test('creates a missing output folder; refuses inputs whose results would collide', async () => {
    const dir = path.join(out, 'new', 'folder');
    const made = await darkroom('process', corpusPath('random.jpg'), '--resize', '20x20', '--out-dir', dir, '--url', url);
    expect(made.code).toBe(0);
    expect((await sharp(readFileSync(path.join(dir, 'random.jpg'))).metadata()).width).toBe(20);
    const twins = await darkroom('process', corpusPath('random.jpg'), path.join(out, 'new', 'folder', 'random.jpg'), '--out-dir', out, '--url', url);
    expect(twins.code).toBe(1);
    expect(twins.stderr).toContain('Two inputs are named "random"');
  });

  test("failures exit non-zero with the server's message", async () => {
    const refused = await darkroom('process', corpusPath('corrupt-header.jpg'), '--resize', '100x', '--out-dir', out, '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/corrupt-header\.jpg: The image is damaged or incomplete.*\(INVALID_IMAGE\)/);
    const failed = await darkroom('process', corpusPath('truncated.jpg'), '--resize', '100x', '--out-dir', out, '--url', url);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/truncated\.jpg: .*\(INVALID_IMAGE\)/);
    const bmp = await darkroom('process', corpusPath('320x240.jpg'), '-o', path.join(out, 'photo.bmp'), '--url', url);
    expect(bmp.code).toBe(1);
    expect(bmp.stderr).toContain('does not write .bmp files');
    expect(existsSync(path.join(out, 'photo.bmp'))).toBe(false);
    const badArgument = await darkroom('process', corpusPath('320x240.jpg'), '--resize', '0x10', '--url', url);
    expect(badArgument.code).toBe(1);
    expect(badArgument.stderr).toMatch(/operations\[0\]\.resize\.width.*\(BAD_USER_INPUT\)/);
  });

  test('a server that cannot be reached, or is not Darkroom, is named in the message; off a terminal no bars are printed', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const closedPort = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const unreachable = await darkroom('process', corpusPath('random.jpg'), '--out-dir', out, '--url', `http://127.0.0.1:${closedPort}`);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toBe(`darkroom: ${corpusPath('random.jpg')}: Could not reach Darkroom at http://127.0.0.1:${closedPort} (ECONNREFUSED); check --url or DARKROOM_URL. (UNREACHABLE)\n`);

    const proxy = createHttpServer((_, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad gateway</html>'));
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const other = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const notDarkroom = await darkroom('status', '00000000-0000-4000-8000-000000000000', '--url', other);
      expect(notDarkroom.code).toBe(1);
      expect(notDarkroom.stderr).toBe(`darkroom: ${other}/graphql answered HTTP 502 with text/html, not GraphQL: is --url a Darkroom web process? (BAD_RESPONSE)\n`);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('status <id> prints the job', async () => {
    const created = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ job(id: "00000000-0000-4000-8000-000000000000") { id } }' }),
    });
    expect(created.status).toBe(200);
    const missing = await darkroom('status', '00000000-0000-4000-8000-000000000000', '--url', url);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('NOT_FOUND');

    const done = await darkroom('process', corpusPath('random.jpg'), '--resize', '50x50', '-o', path.join(out, 'r.jpg'), '--url', url);
    const id = /([0-9a-f-]{36}) COMPLETED/.exec(done.stdout)![1];
    const status = await darkroom('status', id, '--url', url);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${id} COMPLETED 100% 50x50 JPEG \\d+ bytes`));
  });

  test('--variant saves one file per variant, <input>-<name>.<ext>, each at its own size and format', async () => {
    const dir = mkdtempSync(path.join(out, 'variants-'));
    const result = await darkroom('process', corpusPath('320x240.jpg'), '--grayscale', '--variant', 'small:80x:webp', '--variant', 'big:160x120:png', '--out-dir', dir, '--url', url);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/320x240-small\.webp \([0-9a-f-]{36} COMPLETED 100% 80x60 WEBP \d+ bytes\)/);
    expect(await sharp(readFileSync(path.join(dir, '320x240-small.webp'))).metadata()).toMatchObject({ format: 'webp', width: 80, height: 60 });
    expect(await sharp(readFileSync(path.join(dir, '320x240-big.png'))).metadata()).toMatchObject({ format: 'png', width: 160, height: 120 });
    const refused = await darkroom('process', corpusPath('320x240.jpg'), '--variant', 'small', '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('NAME:WIDTHxHEIGHT');
  });

  test('--op sends any operation as JSON, after the flag-built ones and in order', async () => {
    const target = path.join(out, 'op.png');
    const result = await darkroom('process', corpusPath('Landscape_1.jpg'), '--resize', '64x', '--op', '{"grayscale":true}', '--op', '{"blur":{"sigma":2}}', '--format', 'png', '-o', target, '--url', url);
    expect(result.code).toBe(0);
    const { data, info } = await sharp(readFileSync(target)).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([64, 48]);
    const grey = [];
    for (let i = 0; i < data.length; i += info.channels) grey.push(data[i] === data[i + 1] && data[i + 1] === data[i + 2]);
    expect(grey.every(Boolean)).toBe(true);
    // The photo itself has colour, so equal channels are the grayscale step's doing.
    const source = await sharp(corpusPath('Landscape_1.jpg')).stats();
    expect(Math.abs(source.channels[0].mean - source.channels[2].mean)).toBeGreaterThan(5);

    const badJson = await darkroom('process', corpusPath('320x240.jpg'), '--op', '{blur', '--url', url);
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('not valid JSON');
    const badArgument = await darkroom('process', corpusPath('320x240.jpg'), '--grayscale', '--op', '{"blur":{"sigma":5000}}', '--url', url);
    expect(badArgument.code).toBe(1);
    expect(badArgument.stderr).toMatch(/operations\[1\]\.blur\.sigma.*\(BAD_USER_INPUT\)/);
  });

  test('--op locate with a {"$file"} template prints the match within 2 px of the paste and saves the image with its box', async () => {
    // A 64x64 patch of one photo pasted at a known place into another.
    const template = path.join(out, 'template.png');
    await sharp(corpusPath('2569067123_aca715a2ee_o.jpg')).extract({ left: 950, top: 930, width: 64, height: 64 }).png().toFile(template);
    const paste = { left: 437, top: 219 };
    const scene = path.join(out, 'scene.jpg');
    await sharp(corpusPath('4.webp'))
      .composite([{ input: template, ...paste }])
      .jpeg({ quality: 90 })
      .toFile(scene);
    const target = path.join(out, 'found.png');
    const result = await darkroom('process', scene, '--op', `{"locate":{"template":{"$file":"${template}"},"mark":{"shape":"BOX"}}}`, '-o', target, '--url', url);
    expect(result.stderr).not.toContain('darkroom:');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line.includes(': match '));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    const best = /^(.+): match x=(\d+) y=(\d+) w=(\d+) h=(\d+) score=([\d.]+) scale=([\d.]+) angle=(\d+)$/.exec(lines[0]);
    expect(best).not.toBeNull();
    const [, file, x, y, w, h, score, scale, angle] = best!;
    expect(file).toBe(target);
    expect(Math.abs(Number(x) - paste.left)).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(y) - paste.top)).toBeLessThanOrEqual(2);
    expect([Number(w), Number(h), Number(scale), Number(angle)]).toEqual([64, 64, 1, 0]);
    expect(Number(score)).toBeGreaterThan(0.9);

    // The default mark is a 3 px #ff0000 box just outside the match: red there in the output, not in the input.
    const pixel = async (file: string, px: number, py: number) =>
      Array.from(await sharp(file).removeAlpha().extract({ left: px, top: py, width: 1, height: 1 }).raw().toBuffer());
    const edges = [
      [Number(x) + 32, Number(y) - 2],
      [Number(x) - 2, Number(y) + 32],
      [Number(x) + 32, Number(y) + 64 + 1],
    ];
    for (const [px, py] of edges) {
      expect(await pixel(target, px, py)).toEqual([255, 0, 0]);
      expect(await pixel(scene, px, py)).not.toEqual([255, 0, 0]);
    }
    // -o found.png without --format: a PNG, though the scene is a JPEG.
    expect(await sharp(target).metadata()).toMatchObject({ format: 'png', width: 1024, height: 772 });
  });

  test('--op watermark with a {"$file"} overlay changes the pixels inside its box only', async () => {
    // Lossless input and output, so every pixel outside the box can be compared exactly.
    const input = path.join(out, 'landscape.png');
    await sharp(corpusPath('Landscape_1.jpg')).png().toFile(input);
    const overlay = path.join(out, 'overlay.png');
    await sharp({ create: { width: 80, height: 50, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } }).png().toFile(overlay);
    const target = path.join(out, 'signed.png');
    const result = await darkroom('process', input, '--op', `{"watermark":{"image":{"$file":"${overlay}"}}}`, '-o', target, '--url', url);
    expect(result.stderr).not.toContain('darkroom:');
    expect(result.code).toBe(0);

    const read = (file: string) => sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const [before, after] = await Promise.all([read(input), read(target)]);
    expect([after.info.width, after.info.height]).toEqual([600, 450]);
    // The default gravity is SOUTHEAST: the 80x50 box in the bottom-right corner.
    const box = { left: 600 - 80, top: 450 - 50, right: 600, bottom: 450 };
    let inside = 0;
    let outside = 0;
    for (let py = 0; py < 450; py++) {
      for (let px = 0; px < 600; px++) {
        const i = (py * 600 + px) * 3;
        const changed = before.data[i] !== after.data[i] || before.data[i + 1] !== after.data[i + 1] || before.data[i + 2] !== after.data[i + 2];
        if (!changed) continue;
        if (px >= box.left && px < box.right && py >= box.top && py < box.bottom) inside++;
        else outside++;
      }
    }
    expect(outside).toBe(0);
    expect(inside).toBeGreaterThan(0.99 * 80 * 50);
    // Half-transparent blue over the photo: bluer and less red inside the box than the photo was there.
    const mean = (image: { data: Buffer }, channel: number) => {
      let sum = 0;
      for (let py = box.top; py < box.bottom; py++) for (let px = box.left; px < box.right; px++) sum += image.data[(py * 600 + px) * 3 + channel];
      return sum / (80 * 50);
    };
    expect(mean(after, 2) - mean(before, 2)).toBeGreaterThan(30);
    expect(mean(before, 0) - mean(after, 0)).toBeGreaterThan(10);
  });

  test('info <file> prints what the server reads from the header, orientation applied', async () => {
    const result = await darkroom('info', corpusPath('Landscape_6.jpg'), '--url', url);
    expect(result.code).toBe(0);
    const meta = await sharp(corpusPath('Landscape_6.jpg')).metadata();
    expect(result.stdout).toContain('file: Landscape_6.jpg\n');
    expect(result.stdout).toContain('format: JPEG (image/jpeg)\n');
    expect(result.stdout).toContain(`size: ${meta.height}x${meta.width} (stored ${meta.width}x${meta.height}, orientation 6)\n`);
    expect(result.stdout).toContain(`bytes: ${readFileSync(corpusPath('Landscape_6.jpg')).length}\n`);
    expect(result.stdout).toMatch(/dominant colour: #[0-9a-f]{6}\n/);
    const refused = await darkroom('info', corpusPath('corrupt-header.jpg'), '--url', url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('(INVALID_IMAGE)');
  });
});
