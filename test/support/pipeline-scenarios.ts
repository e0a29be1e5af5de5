import sharp from 'sharp';
import type { DarkroomClient, JobView } from './client';
import { corpusPath } from './corpus';

export interface Deployment {
  /** Where uploads go. */
  submitter: DarkroomClient;
  /** Another web process (the same one in embedded mode): subscriptions, queries, downloads. */
  reader: DarkroomClient;
}

const STATUS_ORDER = ['QUEUED', 'ACTIVE', 'COMPLETED'];

/** What a user sees end to end, whatever the deployment: the same checks for processes and embedded mode. */
export function pipelineScenarios(deployment: () => Deployment): void {
  test('upload, live progress per step, COMPLETED, download the right image from the other web process', async () => {
    const { submitter, reader } = deployment();
    const created = await submitter.submit(corpusPath('2569067123_aca715a2ee_o.jpg'), {
      operations: [{ resize: { width: 2000 } }, { blur: { sigma: 8 } }, { sharpen: {} }, { resize: { width: 720, height: 588 } }],
      output: { format: 'WEBP', quality: 70 },
    });
    expect(created).toMatchObject({
      status: 'QUEUED',
      progress: 0,
      attempts: 0,
      input: { filename: '2569067123_aca715a2ee_o.jpg', format: 'JPEG', width: 2725, height: 2225, bytes: 829183 },
      result: null,
    });

    const events = await reader.watch(created.id);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ status: 'COMPLETED', progress: 100, attempts: 1, error: null });
    expect(last.result).toMatchObject({ url: `/results/${created.id}`, format: 'WEBP', contentType: 'image/webp', width: 720, height: 588 });
    // Statuses only move forward, progress never falls, and each materialised step was reported.
    const order = events.map((e) => STATUS_ORDER.indexOf(e.status));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const progress = events.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress).toEqual(expect.arrayContaining([20, 40, 60, 100]));

    const queried = await reader.job(created.id);
    expect(queried).toEqual(last);

    const download = await reader.download(last.result!.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/webp');
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(download.headers.get('content-length')).toBe(String(bytes.length));
    expect(bytes.length).toBe(last.result!.bytes);
    expect(download.headers.get('content-disposition')).toBe('inline; filename="2569067123_aca715a2ee_o.webp"');
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 720, height: 588 });
  });

  test('a subscriber arriving after the end gets the final state at once, then completion', async () => {
    const { submitter, reader } = deployment();
    const created = await submitter.submit(corpusPath('Portrait_8.jpg'), { output: { format: 'PNG' } });
    await reader.watch(created.id);
    const late = await reader.watch(created.id);
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ status: 'COMPLETED', result: { format: 'PNG', width: 450, height: 600 } });
  });

  test('a damaged image ends FAILED with a clear code, and the next job still completes', async () => {
    const { submitter, reader } = deployment();
    // Its header is sound (2725x2225), so only decoding finds the damage: in the worker.
    const bad = await submitter.submit(corpusPath('truncated.jpg'), { operations: [{ resize: { width: 100 } }] });
    expect(bad.input).toMatchObject({ format: 'JPEG', width: 2725, height: 2225 });
    const badEvents = await reader.watch(bad.id);
    const failed = badEvents[badEvents.length - 1];
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.code).toBe('INVALID_IMAGE');
    expect(failed.error?.message).toMatch(/damaged or incomplete/);
    expect(failed.result).toBeNull();
    expect((await reader.download(`/results/${bad.id}`)).status).toBe(404);

    const good = await submitter.submit(corpusPath('Landscape_6.jpg'), { operations: [{ resize: { width: 300 } }] });
    const goodEvents = await reader.watch(good.id);
    expect(goodEvents[goodEvents.length - 1]).toMatchObject({ status: 'COMPLETED', result: { format: 'JPEG', width: 300, height: 225 } });
  });

  test('a file whose header already condemns it is refused at once, with its code', async () => {
    const { submitter } = deployment();
    for (const [file, code] of [
      ['corrupt-header.jpg', 'INVALID_IMAGE'],
      ['relax.jp2', 'UNSUPPORTED_FORMAT'],
      ['giant-image.jpg', 'LIMIT_EXCEEDED'],
      ['circle.svg', 'UNSUPPORTED_FORMAT'],
    ]) {
      const response = await submitter.createJob(corpusPath(file), { operations: [{ resize: { width: 100 } }] });
      expect([file, response.errors?.[0].extensions?.code]).toEqual([file, code]);
      expect(response.data).toBeFalsy();
    }
  });

  test('bad arguments are refused before anything is queued, naming the field', async () => {
    const { submitter } = deployment();
    const response = await submitter.createJob(corpusPath('320x240.jpg'), { operations: [{ resize: { width: -5 } }] });
    expect(response.data).toBeFalsy();
    expect(response.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0].message).toContain('operations[0].resize.width');
  });

  test('unknown jobs: null from the query, NOT_FOUND from the subscription, 404 from the download', async () => {
    const { reader } = deployment();
    expect(await reader.job('00000000-0000-4000-8000-000000000000')).toBeNull();
    await expect(reader.watch('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/NOT_FOUND/);
    const res = await reader.download('/results/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
}

export function finalOf(events: JobView[]): JobView {
  return events[events.length - 1];
}
