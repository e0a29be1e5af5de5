import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './support/processes';

/**
 * A short run of `npm run bench` in every test run, so the benchmark cannot
 * rot. It checks the report is complete, not how fast anything was.
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
}, 200_000);
