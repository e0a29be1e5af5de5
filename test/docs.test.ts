import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from './support/processes';

/** The README's operations reference and the demo page's catalogue must be what `npm run docs` makes from schema/ now. */
test('operations reference and demo catalogue are up to date (npm run docs)', () => {
  const check = spawnSync('node', ['scripts/operations-reference.js', '--check'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.stdout).toContain('checked 2 generated files, 0 stale');
  expect(check.status).toBe(0);
});
