// Fails when the committed generated files differ from what `npm run codegen`
// would write now from schema/ and src/client/ (run by the tests, so by CI).
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { generate, loadCodegenConfig } = require('@graphql-codegen/cli');

const root = path.resolve(__dirname, '..');

async function main() {
  const { config } = await loadCodegenConfig({ configFilePath: path.join(root, 'codegen.yml') });
  const outputs = await generate({ ...config, cwd: root, silent: true }, false);
  const stale = outputs.filter((output) => {
    const file = path.resolve(root, output.filename);
    try {
      return readFileSync(file, 'utf8') !== output.content;
    } catch {
      return true;
    }
  });
  for (const output of stale) console.error(`stale: ${output.filename} (run npm run codegen)`);
  console.log(`checked ${outputs.length} generated files, ${stale.length} stale`);
  process.exitCode = stale.length === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 2;
});
