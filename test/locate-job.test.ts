import sharp from 'sharp';
import { embeddedServer } from './support/embedded';
import { corpus } from './support/corpus';
import { finalOf } from './support/pipeline-scenarios';

/** A 64x64 patch of one photo, pasted into another photo at (x, y), saved as JPEG. */
async function scene(x: number, y: number): Promise<{ image: Buffer; template: Buffer }> {
  const template = await sharp(corpus('flowers.jpeg')).extract({ left: 200, top: 150, width: 64, height: 64 }).png().toBuffer();
  const base = sharp(corpus('2569067123_aca715a2ee_o.jpg')).resize(960, 540, { fit: 'fill' });
  const image = await base.composite([{ input: template, left: x, top: y }]).jpeg({ quality: 85 }).toBuffer();
  return { image, template };
}

describe('locate through GraphQL (embedded mode)', () => {
  const server = embeddedServer();

  const MATCH_FIELDS = 'id status progress error { code message } results { name url width height matches { x y width height score scale angle } }';

  async function run(image: Buffer, template: Buffer, locate: Record<string, unknown>, operations: unknown[] = []) {
    const created = await server.client().submit({ name: 'scene.jpg', data: image }, { operations: [...operations, { locate: { ...locate, template: null } }], output: { format: 'PNG' } }, [
      { path: `input.operations.${operations.length}.locate.template`, name: 'template.png', data: template },
    ]);
    const events = await server.client().watch(created.id);
    const done = finalOf(events);
    const full = await server.client().query<{ job: { status: string; results: { url: string; width: number; height: number; matches: { x: number; y: number; width: number; height: number; score: number; scale: number; angle: number }[] }[]; error: unknown } }>(
      `query ($id: ID!) { job(id: $id) { ${MATCH_FIELDS} } }`,
      { id: created.id },
    );
    return { done, events, job: full.data!.job };
  }

  it('finds a pasted template within 2 px and reports it in the output coordinates', async () => {
    const { image, template } = await scene(611, 203);
    const { job } = await run(image, template, {});
    expect(job.status).toBe('COMPLETED');
    const [match] = job.results[0].matches;
    expect(Math.abs(match.x - 611)).toBeLessThanOrEqual(2);
    expect(Math.abs(match.y - 203)).toBeLessThanOrEqual(2);
    expect(match).toMatchObject({ width: 64, height: 64, scale: 1, angle: 0 });
    expect(match.score).toBeGreaterThan(0.9);
  });

  it('reports matches after earlier geometry steps, in the coordinates of the image at that step', async () => {
    const { image, template } = await scene(400, 300);
    // Crop 100 px off the left and top: the paste is then at (300, 200).
    const { job } = await run(image, template, {}, [{ crop: { left: 100, top: 100, width: 860, height: 440 } }]);
    const [match] = job.results[0].matches;
    expect(Math.abs(match.x - 300)).toBeLessThanOrEqual(2);
    expect(Math.abs(match.y - 200)).toBeLessThanOrEqual(2);
    expect(job.results[0]).toMatchObject({ width: 860, height: 440 });
  });

  it('draws a box at each match when asked, and leaves the rest of the image alone', async () => {
    const { image, template } = await scene(500, 250);
    const plain = await run(image, template, {});
    const marked = await run(image, template, { mark: { shape: 'BOX', colour: '#00ff00', strokeWidth: 4 } });
    const [match] = marked.job.results[0].matches;
    const read = async (url: string) =>
      sharp(Buffer.from(await (await server.client().download(url)).arrayBuffer()))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
    const [a, b] = await Promise.all([read(plain.job.results[0].url), read(marked.job.results[0].url)]);
    const at = (img: { data: Buffer; info: { width: number } }, x: number, y: number) => Array.from(img.data.subarray((y * img.info.width + x) * 3, (y * img.info.width + x) * 3 + 3));
    // On the box's top edge: green. Far from it: the same pixels as unmarked.
    expect(at(b, match.x + 32, match.y - 2)).toEqual([0, 255, 0]);
    expect(at(b, match.x - 2, match.y + 32)).toEqual([0, 255, 0]);
    expect(at(b, 10, 10)).toEqual(at(a, 10, 10));
    expect(at(b, match.x + 32, match.y + 32)).toEqual(at(a, match.x + 32, match.y + 32));
  });

  it('returns no match for an image without the template, with progress rising during the search', async () => {
    const { template } = await scene(0, 0);
    const image = await sharp(corpus('Landscape_1.jpg')).resize(960).jpeg().toBuffer();
    const { job, events } = await run(image, template, { threshold: 0.9 });
    expect(job.status).toBe('COMPLETED');
    expect(job.results[0].matches).toEqual([]);
    expect(events.map((e) => e.status)).toContain('ACTIVE');
  });

  it('refuses bad arguments and a missing template before anything is stored', async () => {
    const { image, template } = await scene(0, 0);
    const bad = await server.client().createJob({ name: 'scene.jpg', data: image }, { operations: [{ locate: { template: null, threshold: 1.5 } }] }, [
      { path: 'input.operations.0.locate.template', name: 't.png', data: template },
    ]);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'operations[0].locate.threshold' });
    const notAnImage = await server.client().createJob({ name: 'scene.jpg', data: image }, { operations: [{ locate: { template: null } }] }, [
      { path: 'input.operations.0.locate.template', name: 't.png', data: Buffer.from('not an image') },
    ]);
    expect(notAnImage.errors?.[0].extensions).toMatchObject({ code: 'UNSUPPORTED_FORMAT', field: 'operations[0].locate.template' });
  });
});

describe('a long locate search honours the time limit and cancel (embedded mode, JOB_TIMEOUT_SECONDS=2)', () => {
  const server = embeddedServer({ JOB_TIMEOUT_SECONDS: '2' });

  /** Small templates are searched at full resolution: 8 scales and 4 turns over 2725x2225 take far longer than 2 s. */
  async function slowSearch(): Promise<string> {
    const template = await sharp(corpus('flowers.jpeg')).extract({ left: 200, top: 150, width: 16, height: 16 }).png().toBuffer();
    const job = await server.client().submit(
      { name: 'photo.jpg', data: corpus('2569067123_aca715a2ee_o.jpg') },
      { operations: [{ locate: { template: null, scales: [1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7], rotationInvariant: true } }] },
      [{ path: 'input.operations.0.locate.template', name: 't.png', data: template }],
    );
    return job.id;
  }

  it('ends TIMEOUT, with progress reported during the search, and the next job still completes', async () => {
    const id = await slowSearch();
    const events = await server.client().watch(id);
    const done = finalOf(events);
    expect(done.status).toBe('FAILED');
    expect(done.error?.code).toBe('TIMEOUT');
    expect(events.some((e) => e.status === 'ACTIVE' && e.progress > 0 && e.progress < 100)).toBe(true);
    const next = await server.client().submit({ name: 'small.jpg', data: corpus('320x240.jpg') }, { operations: [{ resize: { width: 32 } }] });
    expect(finalOf(await server.client().watch(next.id)).status).toBe('COMPLETED');
  });

  it('stops when cancelled mid-search', async () => {
    const id = await slowSearch();
    const watching = server.client().watch(id);
    // Wait until the search has begun and reported some progress.
    for (let i = 0; i < 100; i++) {
      const job = await server.client().job(id);
      if (job?.status === 'ACTIVE' && job.progress > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const cancelled = await server.client().query<{ cancelJob: { status: string } }>('mutation ($id: ID!) { cancelJob(id: $id) { status } }', { id });
    expect(cancelled.data?.cancelJob.status).toBe('CANCELLED');
    const done = finalOf(await watching);
    expect(done.status).toBe('CANCELLED');
    expect(done.results).toEqual([]);
    // The worker let go of the search at its next progress report, and takes the next job.
    await server.process().waitFor((line) => line.msg === 'job stopped at a step boundary' && line.jobId === id && line.status === 'CANCELLED');
    const next = await server.client().submit({ name: 'small.jpg', data: corpus('320x240.jpg') }, { operations: [{ resize: { width: 32 } }] });
    expect(finalOf(await server.client().watch(next.id)).status).toBe('COMPLETED');
  });
});
