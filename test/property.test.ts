import fc from 'fast-check';
import sharp from 'sharp';
import type { DarkroomClient } from './support/client';
import { Deployment, waitForJob } from './support/deployment';
import type { ServiceProcess } from './support/processes';

/** Codes a refusal may carry; INTERNAL (or no code) would mean an unhandled case. */
const REFUSALS = ['BAD_USER_INPUT', 'BAD_REQUEST', 'UNSUPPORTED_FORMAT', 'INVALID_IMAGE', 'LIMIT_EXCEEDED', 'PAYLOAD_TOO_LARGE'];
const JOB_FAILURES = ['INVALID_IMAGE', 'UNSUPPORTED_FORMAT', 'LIMIT_EXCEEDED', 'BAD_USER_INPUT', 'PROCESSING_FAILED', 'TIMEOUT'];

// Mostly plausible values, so that jobs really run, with hostile ones mixed in.
const anyNumber = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 120 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
);
const anyText = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('red', '#00ff0080', 'rgba(0,0,0,0.5)') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
const anyEnum = (...valid: string[]) => fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });

const operation = fc.oneof(
  fc.record({ resize: fc.record({ width: anyNumber, height: anyNumber, fit: anyEnum('COVER', 'CONTAIN', 'FILL', 'INSIDE', 'OUTSIDE'), background: anyText }, { requiredKeys: [] }) }),
  fc.record({ crop: fc.record({ left: anyNumber, top: anyNumber, width: anyNumber, height: anyNumber }) }),
  fc.record({ rotate: fc.record({ angle: anyNumber, background: anyText }, { requiredKeys: ['angle'] }) }),
  fc.record({ blur: fc.record({ sigma: anyNumber }) }),
  fc.record({ sharpen: fc.record({ sigma: anyNumber }, { requiredKeys: [] }) }),
  fc.record({ flip: fc.boolean() }),
  fc.record({ grayscale: fc.boolean() }),
  fc.record({ flop: fc.boolean(), grayscale: fc.boolean() }),
);

const output = fc.record({ format: anyEnum('JPEG', 'PNG', 'WEBP', 'AVIF', 'GIF', 'TIFF'), quality: anyNumber, background: anyText }, { requiredKeys: [] });

/** Random bytes, or a real small image with some of its bytes overwritten. */
function files(photo: Buffer) {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant(photo) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 2,
      arbitrary: fc.array(fc.tuple(fc.nat({ max: photo.length - 1 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }).map((edits) => {
        const copy = Buffer.from(photo);
        for (const [at, value] of edits) copy[at] = value;
        return copy;
      }),
    },
    { weight: 1, arbitrary: fc.nat({ max: photo.length }).map((length) => photo.subarray(0, length)) },
  );
}

describe('property: random arguments and random bytes never crash anything or leave a job stuck', () => {
  let deployment: Deployment;
  let client: DarkroomClient;
  let processes: ServiceProcess[];

  beforeAll(async () => {
    deployment = new Deployment('property', { JOB_TIMEOUT_SECONDS: '10' });
    const web = await deployment.web('web');
    client = web.client;
    processes = [web.process, await deployment.worker('worker')];
  });

  afterAll(async () => {
    await deployment.stop();
  });

  test('only clean refusals or jobs that end', async () => {
    const photo = await sharp({ create: { width: 48, height: 32, channels: 3, background: '#88aacc' } }).jpeg().toBuffer();
    const seen = { refused: 0, completed: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(files(photo), fc.array(operation, { maxLength: 3 }), fc.option(output, { nil: undefined }), async (file, operations, out) => {
        const response = await client.createJob({ name: 'x.jpg', data: file }, { operations, ...(out ? { output: out } : {}) });
        if (!response.data) {
          const code = response.errors?.[0].extensions?.code;
          expect(REFUSALS).toContain(code);
          seen.refused++;
          return;
        }
        const job = await waitForJob(client, response.data.createImageJob.id, (j) => j.status === 'COMPLETED' || j.status === 'FAILED', 30000);
        if (job.status === 'FAILED') {
          expect(JOB_FAILURES).toContain(job.error?.code);
          seen.failed++;
        } else {
          seen.completed++;
        }
        expect(processes.every((p) => p.running)).toBe(true);
      }),
      { numRuns: 200 },
    );
    console.log(`property: ${JSON.stringify(seen)}`);
    // The generators reach all three outcomes, so the property is not vacuous.
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.completed + seen.failed).toBeGreaterThan(0);
    expect((await fetch(`${client.baseUrl}/healthz`)).status).toBe(200);
  });
});
