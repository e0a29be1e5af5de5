import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './support/processes';

/**
 * A short run of `npm run bench` in every test run, so the benchmark cannot
 * rot. It checks the report is complete (every section and target with
 * measured figures), not how fast anything was.
 */
test('the benchmark smoke run completes and reports every workload side by side', () => {
  const build = spawnSync('npx', ['tsc', '-p', 'bench/tsconfig.json'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  expect(build.stdout + build.stderr).toBe('');
  // dist/ was built by `npm test`'s pretest; rebuilding it here would disturb the suites running beside this one.
  const run = spawnSync('node', ['bench/dist/main.js', '--smoke'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 180_000 });
  expect(run.status).toBe(0);
  const report = readFileSync(path.join(PROJECT_ROOT, 'bench', 'dist', 'BENCHMARKS.smoke.md'), 'utf8');
  for (const workload of ['JPEG task', 'PNG task', 'Small jobs']) {
    // raw jobs/s, darkroom jobs/s and their ratio, all measured (numbers, not blanks).
    expect(report).toMatch(new RegExp(`\\| ${workload}[^|]*\\| [\\d.]+ \\| [\\d.]+ \\| [\\d.]+ \\|`));
  }
  expect(report).toContain('Memory (RSS)');
  // The Targets table names every target of issue 5 with a figure and a verdict.
  const targets = report.slice(report.indexOf('## Targets'), report.indexOf('## Machine and settings'));
  for (const target of ['JPEG task throughput', 'p50 ≤ 5 ms', 'p99 ≤ 20 ms', 'Status-event delivery', 'concurrent 10 MB uploads', 'Worker RSS grows']) {
    expect(targets).toMatch(new RegExp(`\\| [^|\n]*${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^|\n]* \\| [^|\n]*\\d[^|\n]* \\| \\*\\*(met|not met|not measured)\\*\\* \\|`));
  }
  expect(targets).toMatch(/JPEG task throughput[^\n]*\| [\d.]+ × raw/);
  // Fan-out: every subscriber got every event of the watched job, each kind of event measured.
  const fanout = report.match(/\| (\d+) \| \d+ \| (\d+) \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d.]+ \| \d+ MiB \|/);
  expect(fanout).not.toBeNull();
  expect(Number(fanout![2])).toBe(Number(fanout![1]) * 4 * 2);
  for (const event of ['ACTIVE', 'progress 25%', 'progress 50%', 'COMPLETED']) expect(report).toMatch(new RegExp(`\\| ${event} \\| \\d+ \\| [\\d.]+ \\|`));
  // Uploads: the web process's RSS peak and its increase over idle, as numbers.
  expect(report).toMatch(/\| 5 × 10\.\d MiB \| \d+ MiB \| \d+ MiB \| \d+ MiB \| [\d.]+ \| \d+ \| \d+ \| \d+ MiB \|/);
}, 200_000);
