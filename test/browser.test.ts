import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { DarkroomClient } from './support/client';
import { corpus, corpusPath } from './support/corpus';
import { Deployment, waitForJob } from './support/deployment';
import { PROJECT_ROOT } from './support/processes';

/** Debian's Chromium (.ci/run installs it); never a downloaded browser. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = path.join(PROJECT_ROOT, 'test-output', 'demo.png');
/** The README shows the screenshot of the last run. */
const README_SCREENSHOT = path.join(PROJECT_ROOT, 'docs', 'demo.png');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** Monaco renders spaces as no-break spaces; compare editor text without any whitespace. */
const squeeze = (text: string): string => text.replace(/\s+/g, '');

async function waitForText(locator: Locator, wanted: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    seen = (await locator.count()) > 0 ? await locator.first().innerText() : '';
    if (squeeze(seen).includes(squeeze(wanted))) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`expected ${wanted} in the page, last saw: ${seen}`);
}

describe('demo page and GraphiQL in Chromium, offline', () => {
  const deployment = new Deployment('browser');
  let client: DarkroomClient;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: these tests need Debian's chromium (apt-get install chromium, as .ci/run does).`);
    }
    await deployment.worker('worker');
    ({ client } = await deployment.web('web'));
    // launch() gives every run a fresh, temporary user-data-dir.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await deployment.stop();
  });

  /** A page on the web process that may reach nothing else: any other request is refused and recorded. */
  async function open(url: string, origin = client.baseUrl): Promise<{ page: Page; offsite: string[]; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 960, height: 720 } });
    const offsite: string[] = [];
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith(origin)) return route.continue();
      offsite.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${origin}${url}`);
    return { page, offsite, errors };
  }

  test('the demo page uploads an image, shows live progress to 100%, and the 720×588 result beside the original', async () => {
    const { page, offsite, errors } = await open('/');
    await page.getByLabel('Choose one or more images, or drop them here').setInputFiles(corpusPath('2569067123_aca715a2ee_o.jpg'));
    await page.getByLabel('Operation', { exact: true }).selectOption('resize');
    await page.getByRole('button', { name: 'Add operation' }).click();
    await page.getByLabel('Width', { exact: true }).fill('720');
    await page.getByLabel('Height', { exact: true }).fill('588');
    await page.getByLabel('Format', { exact: true }).selectOption('JPEG');
    // Every value the progress bar takes, as the subscription moves it.
    await page.evaluate(`(() => {
      window.progressSeen = [];
      new MutationObserver((records) => records.forEach((r) => window.progressSeen.push(Number(r.target.getAttribute('value')))))
        .observe(document.getElementById('jobs'), { subtree: true, attributes: true, attributeFilter: ['value'] });
    })()`);
    await page.getByRole('button', { name: 'Process' }).click();

    const job = page.locator('#jobs .job').first();
    await job.locator('progress[value="100"]').waitFor({ timeout: 30000 });
    const result = job.locator('.result img');
    await result.waitFor();
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await result.elementHandle());
    expect(await result.evaluate((img) => [img.naturalWidth, img.naturalHeight])).toEqual([720, 588]);

    const progress = (await page.evaluate('window.progressSeen')) as number[];
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    await waitForText(job.locator('.status'), 'Done');
    expect(await job.locator('.error').innerText()).toBe('');
    expect(await job.locator('.result figcaption').innerText()).toMatch(/720 × 588 px · [\d,]+ bytes/);
    expect(await job.locator('.original figcaption').innerText()).toMatch(/Original · \d+ × \d+ px · 829,183 bytes/);
    const download = job.getByRole('link', { name: 'Download JPEG' });
    expect(await download.getAttribute('href')).toMatch(/^\/results\//);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // The README's copy is refreshed on request only, so a test run leaves the work tree clean.
    if (process.env.UPDATE_DOCS_SCREENSHOT) {
      mkdirSync(path.dirname(README_SCREENSHOT), { recursive: true });
      copyFileSync(SCREENSHOT, README_SCREENSHOT);
    }
    expect(offsite).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90000);

  test('files dropped on the page; a FAILED job and a refused request show their messages in place', async () => {
    const { page, errors } = await open('/');
    const files = ['truncated.jpg', '320x240.jpg'].map((name) => ({ name, base64: corpus(name).toString('base64') }));
    const dropped = await page.evaluateHandle(`(() => {
      const transfer = new DataTransfer();
      for (const { name, base64 } of ${JSON.stringify(files)}) {
        transfer.items.add(new File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name, { type: 'image/jpeg' }));
      }
      return transfer;
    })()`);
    await page.dispatchEvent('#drop-zone', 'drop', { dataTransfer: dropped });
    expect(await page.locator('#file-summary').innerText()).toMatch(/^2 chosen: truncated\.jpg .*, 320x240\.jpg/);
    await page.getByRole('button', { name: 'Process' }).click();
    const truncated = page.locator('#jobs .job', { hasText: 'truncated.jpg' });
    const small = page.locator('#jobs .job', { hasText: '320x240.jpg' });
    await waitForText(truncated.locator('.status'), 'Failed');
    expect(await truncated.getByRole('alert').innerText()).not.toBe('');
    await waitForText(small.locator('.status'), 'Done');

    // Refused before any job exists: the GraphQL error names the field.
    await page.getByLabel('Operation', { exact: true }).selectOption('blur');
    await page.getByRole('button', { name: 'Add operation' }).click();
    await page.getByLabel('Sigma', { exact: true }).fill('5000');
    await page.getByRole('button', { name: 'Process' }).click();
    await waitForText(page.locator('#jobs .job').first().getByRole('alert'), 'sigma');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  test('the operation picker offers every operation of the generated catalogue; variants give one result each, with placeholders', async () => {
    const { page, offsite, errors } = await open('/');
    const catalogue = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'ui', 'demo', 'catalogue.json'), 'utf8')) as { operations: Array<{ name: string }> };
    const offered = await page.locator('#new-operation option').evaluateAll((options) => options.map((o) => (o as unknown as { value: string }).value));
    expect(offered).toEqual(catalogue.operations.map((op) => op.name));

    await page.getByLabel('Choose one or more images, or drop them here').setInputFiles(corpusPath('320x240.jpg'));
    await page.getByLabel('Operation', { exact: true }).selectOption('grayscale');
    await page.getByRole('button', { name: 'Add operation' }).click();
    await page.locator('#output').getByLabel('Placeholder', { exact: true }).check();
    for (const [name, width, format] of [['small', '80', 'WEBP'], ['large', '160', 'PNG']]) {
      await page.getByRole('button', { name: 'Add variant' }).click();
      const row = page.locator('#variants > li').last();
      await row.getByLabel('Name', { exact: true }).fill(name);
      await row.getByLabel('Resize width', { exact: true }).fill(width);
      await row.getByLabel('Format', { exact: true }).selectOption(format);
    }
    // The page checks a variant's name as the server does (a pattern the browser cannot compile checks nothing).
    const firstName = page.locator('#variants > li').first().getByLabel('Name', { exact: true });
    const mismatch = () => firstName.evaluate((input) => (input as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch);
    await firstName.fill('-small');
    expect(await mismatch()).toBe(true);
    await firstName.fill('small');
    expect(await mismatch()).toBe(false);
    await page.getByRole('button', { name: 'Process' }).click();

    const job = page.locator('#jobs .job').first();
    await waitForText(job.locator('.status'), 'Done', 30000);
    const sizes: Record<string, number[]> = {};
    for (const name of ['small', 'large']) {
      const image = job.locator(`.result[data-variant="${name}"] > img`);
      await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await image.elementHandle());
      sizes[name] = await image.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    }
    expect(sizes).toEqual({ small: [80, 60], large: [160, 120] });
    expect(await job.locator('.result > figcaption').allInnerTexts()).toEqual([
      expect.stringMatching(/^Result small · 80 × 60 px · [\d,]+ bytes · Download small WEBP$/),
      expect.stringMatching(/^Result large · 160 × 120 px · [\d,]+ bytes · Download large PNG$/),
    ]);

    // The grayscale step from the catalogue reached the server: the PNG's channels are equal.
    const href = await job.getByRole('link', { name: 'Download large PNG' }).getAttribute('href');
    expect(href).toMatch(/^\/results\/[0-9a-f-]+\/large$/);
    const png = Buffer.from(await (await fetch(`${client.baseUrl}${href}`)).arrayBuffer());
    const { channels } = await sharp(png).stats();
    const means = channels.slice(0, 3).map((c) => Math.round(c.mean * 100));
    expect(means.length === 1 || means.every((m) => m === means[0])).toBe(true);

    // Each result carries the placeholder the output asked for.
    const placeholders = job.locator('.result .placeholder');
    expect(await placeholders.count()).toBe(2);
    expect(await placeholders.locator('img').first().getAttribute('src')).toMatch(/^data:image\/webp;base64,/);
    expect(await placeholders.first().locator('figcaption').innerText()).toMatch(/dominant colour\s+#[0-9a-f]{6}/);
    expect(offsite).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90000);

  test('a locate job from the picker: template chosen in its file input, mark ticked, matches listed and the box drawn', async () => {
    // A 64x64 patch of one corpus photo pasted at a known place into another.
    const template = await sharp(corpus('2569067123_aca715a2ee_o.jpg')).extract({ left: 950, top: 930, width: 64, height: 64 }).png().toBuffer();
    const paste = { left: 612, top: 388 };
    const scene = await sharp(corpus('4.webp'))
      .composite([{ input: template, ...paste }])
      .jpeg({ quality: 90 })
      .toBuffer();
    const { page, offsite, errors } = await open('/');
    await page.getByLabel('Choose one or more images, or drop them here').setInputFiles({ name: 'scene.jpg', mimeType: 'image/jpeg', buffer: scene });
    await page.getByLabel('Operation', { exact: true }).selectOption('locate');
    await page.getByRole('button', { name: 'Add operation' }).click();
    const locate = page.locator('#operations > li[data-operation="locate"]');
    await locate.getByLabel('Template', { exact: true }).setInputFiles({ name: 'template.png', mimeType: 'image/png', buffer: template });
    // The mark's fields wait for its checkbox, then take the keyboard like any other.
    const shape = locate.getByLabel('Shape', { exact: true });
    expect(await shape.isDisabled()).toBe(true);
    await locate.getByLabel('Mark', { exact: true }).focus();
    await page.keyboard.press('Space');
    expect(await locate.getByLabel('Mark', { exact: true }).isChecked()).toBe(true);
    expect(await shape.isEnabled()).toBe(true);
    await shape.selectOption('BOX');
    await page.locator('#output').getByLabel('Format', { exact: true }).selectOption('PNG');
    await page.getByRole('button', { name: 'Process' }).click();

    const job = page.locator('#jobs .job').first();
    await waitForText(job.locator('.status'), 'Done', 30000);
    const table = job.locator('.result table.matches');
    expect(await table.locator('caption').innerText()).toMatch(/^\d+ match(es)? in scene\.jpg$/);
    expect(await table.locator('thead th').allInnerTexts()).toEqual(['x', 'y', 'width', 'height', 'score', 'scale', 'angle']);
    const [x, y, width, height, score, scale, angle] = await table.locator('tbody tr').first().locator('td').allInnerTexts();
    expect(Math.abs(Number(x) - paste.left)).toBeLessThanOrEqual(2);
    expect(Math.abs(Number(y) - paste.top)).toBeLessThanOrEqual(2);
    expect([width, height, scale, angle]).toEqual(['64', '64', '1.00', '0°']);
    expect(Number(score)).toBeGreaterThan(0.9);

    // The result the page shows is the marked one: red (the default colour) on the box's edges, just outside the match.
    const image = job.locator('.result > img');
    await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await image.elementHandle());
    const src = await image.getAttribute('src');
    const png = Buffer.from(await (await fetch(`${client.baseUrl}${src}`)).arrayBuffer());
    const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([1024, 772]);
    const at = (px: number, py: number) => Array.from(data.subarray((py * info.width + px) * 3, (py * info.width + px) * 3 + 3));
    const mx = Number(x);
    const my = Number(y);
    expect(at(mx + 32, my - 2)).toEqual([255, 0, 0]);
    expect(at(mx - 2, my + 32)).toEqual([255, 0, 0]);
    expect(at(mx + 64 + 1, my + 32)).toEqual([255, 0, 0]);
    // Inside the box, the photo as it was.
    expect(at(mx + 32, my + 32)).not.toEqual([255, 0, 0]);
    // The marked result takes the card's width, larger than its share of a two-column grid.
    const shown = await image.evaluate((img) => img.getBoundingClientRect().width);
    const card = await job.evaluate((li) => li.getBoundingClientRect().width);
    expect(shown).toBeGreaterThan(card * 0.9);
    expect(offsite).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90000);

  test('GET /graphql serves GraphiQL to browsers and GraphQL to everyone else', async () => {
    const page = await fetch(`${client.baseUrl}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('/ui/graphiql/main.js');

    const query = `${client.baseUrl}/graphql?query=${encodeURIComponent('{ __typename }')}`;
    for (const accept of ['*/*', 'application/json', 'application/graphql-response+json, text/html;q=0.5']) {
      const res = await fetch(query, { headers: { accept, 'apollo-require-preflight': 'true' } });
      expect(await res.json()).toEqual({ data: { __typename: 'Query' } });
    }
    // CSRF prevention is still on for GETs without the preflight header.
    expect((await fetch(query)).status).toBe(400);
  });

  test('GraphiQL renders offline, knows the schema, and runs a query and a subscription', async () => {
    const { id } = await client.submit(corpusPath('320x240.jpg'), { operations: [{ grayscale: true }] });
    await waitForJob(client, id, (job) => job.status === 'COMPLETED');
    const variables = encodeURIComponent(JSON.stringify({ id }));

    const query = encodeURIComponent('query Job($id: ID!) { job(id: $id) { status result { width height } } }');
    const { page, offsite, errors } = await open(`/graphql?query=${query}&variables=${variables}`);
    await waitForText(page.locator('.graphiql-query-editor .monaco-editor .view-lines'), 'job(id: $id)');
    // The schema is bundled from schema/, since the server refuses introspection in production.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await waitForText(page.locator('.graphiql-doc-explorer'), 'subscription: Subscription');
    await page.getByRole('button', { name: /Execute query/ }).click();
    await waitForText(page.locator('.graphiql-response .view-lines'), '"status": "COMPLETED", "result": { "width": 320, "height": 240 }');

    const subscription = encodeURIComponent('subscription Watch($id: ID!) { jobUpdated(id: $id) { status progress } }');
    await page.goto(`${client.baseUrl}/graphql?query=${subscription}&variables=${variables}`);
    await waitForText(page.locator('.graphiql-query-editor .monaco-editor .view-lines'), 'jobUpdated(id: $id)');
    await page.getByRole('button', { name: /Execute query/ }).click();
    await waitForText(page.locator('.graphiql-response .view-lines'), '"jobUpdated": { "status": "COMPLETED", "progress": 100 }');

    expect(offsite).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  }, 90000);

  test('GraphiQL with API_KEYS: a subscription without a key fails at once, and runs with the key in the Headers tab', async () => {
    const key = 'browser-test-key-0123456789';
    const { client: keyed } = await deployment.web('web-keyed', { API_KEYS: key });
    const { id } = await keyed.as(key).submit(corpusPath('320x240.jpg'), { operations: [{ grayscale: true }] });
    await waitForJob(keyed.as(key), id, (job) => job.status === 'COMPLETED');
    const subscription = encodeURIComponent('subscription Watch($id: ID!) { jobUpdated(id: $id) { status } }');
    const { page, offsite } = await open(`/graphql?query=${subscription}&variables=${encodeURIComponent(JSON.stringify({ id }))}`, keyed.baseUrl);
    await waitForText(page.locator('.graphiql-query-editor .monaco-editor .view-lines'), 'jobUpdated(id: $id)');
    await page.getByRole('button', { name: /Execute query/ }).click();
    // Retrying the refusal, graphql-ws would take about 40 s to say so.
    await waitForText(page.locator('.graphiql-response .view-lines'), '4403 Forbidden', 5000);

    await page.getByText('Headers', { exact: true }).click();
    await page.locator('.graphiql-editor-tool .monaco-editor').last().click();
    await page.keyboard.type(`{"Authorization": "Bearer ${key}"`);
    await page.getByRole('button', { name: /Execute query/ }).click();
    await waitForText(page.locator('.graphiql-response .view-lines'), '"jobUpdated": { "status": "COMPLETED" }');
    expect(offsite).toEqual([]);
    await page.context().close();
  }, 90000);
});
