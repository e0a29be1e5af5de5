import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { readConfig } from '../src/config';
import type { DarkroomClient } from './support/client';
import { Deployment, waitForJob } from './support/deployment';
import { SMALL_JOB } from './support/jobs';
import { PROJECT_ROOT } from './support/processes';
import { REDIS_URL } from './support/services';

/**
 * Heroku Redis speaks TLS with a self-signed certificate on rediss:// URLs.
 * This proxy does the same in front of the local Redis, with a certificate
 * made for this run.
 */
async function startTlsProxy(): Promise<{ port: number; handshakes: () => number; close(): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'darkroom-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=darkroom-test-redis',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    const key = readFileSync(path.join(dir, 'key.pem'));
    const cert = readFileSync(path.join(dir, 'cert.pem'));
    const upstream = new URL(REDIS_URL);
    const sockets = new Set<net.Socket>();
    let handshakes = 0;
    const server = tls.createServer({ key, cert }, (client) => {
      handshakes++;
      const redis = net.connect(Number(upstream.port || 6379), upstream.hostname);
      for (const [a, b] of [[client, redis], [redis, client]] as const) {
        sockets.add(a);
        a.on('error', () => b.destroy());
        a.on('close', () => {
          sockets.delete(a);
          b.destroy();
        });
      }
      client.pipe(redis).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as net.AddressInfo).port,
      handshakes: () => handshakes,
      close() {
        server.close();
        for (const socket of sockets) socket.destroy();
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('on Heroku: rediss:// with a self-signed certificate, and a quick boot', () => {
  let proxy: Awaited<ReturnType<typeof startTlsProxy>>;
  let deployment: Deployment;
  let client: DarkroomClient;
  let bootMs: number;

  beforeAll(async () => {
    proxy = await startTlsProxy();
    deployment = new Deployment('heroku', { REDIS_URL: `rediss://127.0.0.1:${proxy.port}` });
    const spawned = Date.now();
    ({ client } = await deployment.web('web'));
    bootMs = Date.now() - spawned;
    await deployment.worker('worker');
  });

  afterAll(async () => {
    await deployment.stop();
    proxy.close();
  });

  test('the certificate is one a verifying client refuses, as Heroku\'s is', async () => {
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => {
      const socket = tls.connect({ port: proxy.port, host: '127.0.0.1', servername: 'localhost' });
      socket.on('secureConnect', () => resolve(Object.assign(new Error('verified'), { code: 'VERIFIED' })));
      socket.on('error', resolve);
    });
    expect(error.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  test('the web process answers on PORT well within Heroku\'s 60 s boot timeout', () => {
    expect(bootMs).toBeLessThan(10_000);
  });

  test('/healthz is 200 over rediss://, and a job completes', async () => {
    const health = await fetch(`${client.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', backends: { store: expect.stringContaining(`rediss://127.0.0.1:${proxy.port}`) } });
    const job = await client.submit(SMALL_JOB.file, SMALL_JOB.input);
    expect(await waitForJob(client, job.id, (j) => j.status === 'COMPLETED')).toMatchObject({ result: { format: 'WEBP', width: 100 } });
    const download = await client.download(`/results/${job.id}`);
    expect(download.status).toBe(200);
    // Web and worker: a command and a subscriber connection each, all through TLS.
    expect(proxy.handshakes()).toBeGreaterThanOrEqual(4);
  });
});

describe('app.json and .env.example', () => {
  const appJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'app.json'), 'utf8'));
  const configSource = readFileSync(path.join(PROJECT_ROOT, 'src', 'config.ts'), 'utf8');
  /** Read by glibc, not by Darkroom. */
  const outside = new Set(['MALLOC_ARENA_MAX']);

  test('app.json: both add-ons, one web and one worker, and only variables Darkroom reads, with valid values', () => {
    expect(appJson.addons.map((a: { plan: string }) => a.plan.split(':')[0]).sort()).toEqual(['cloudamqp', 'heroku-redis']);
    expect(appJson.formation).toMatchObject({ web: { quantity: 1 }, worker: { quantity: 1 } });
    expect(appJson.buildpacks).toEqual([{ url: 'heroku/nodejs' }]);
    const env: Record<string, string> = {};
    for (const [name, spec] of Object.entries<{ description: string; value?: string; generator?: string }>(appJson.env)) {
      expect(spec.description).toBeTruthy();
      if (!outside.has(name)) expect(configSource).toContain(`'${name}'`);
      if (spec.value !== undefined) env[name] = spec.value;
      if (spec.generator === 'secret') env[name] = 'x'.repeat(64);
    }
    expect(() => readConfig(env)).not.toThrow();
  });

  test('.env.example names only variables Darkroom reads, and its values pass', () => {
    const env = Object.fromEntries(
      readFileSync(path.join(PROJECT_ROOT, '.env.example'), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    for (const name of Object.keys(env)) if (!outside.has(name)) expect(configSource).toContain(`'${name}'`);
    expect(env).toHaveProperty('REDIS_URL');
    expect(env).toHaveProperty('CLOUDAMQP_URL');
    expect(() => readConfig(env)).not.toThrow();
  });
});
