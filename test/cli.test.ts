import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
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
    const badArgument = await darkroom('process', corpusPath('320x240.jpg'), '--resize', '0x10', '--url', url);
    expect(badArgument.code).toBe(1);
    expect(badArgument.stderr).toMatch(/operations\[0\]\.resize\.width.*\(BAD_USER_INPUT\)/);
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
