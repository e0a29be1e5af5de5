import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from './support/processes';

/** The generated files are committed; they must be what `npm run codegen` makes from schema/ and src/client/ now. */
test('generated GraphQL types and typed documents are up to date (npm run codegen)', () => {
  const check = spawnSync('node', ['scripts/codegen-check.js'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  expect(check.stderr).toBe('');
  expect(check.stdout).toContain('checked 2 generated files, 0 stale');
  expect(check.status).toBe(0);
}, 60000);
