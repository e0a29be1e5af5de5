// Bundles the browser pages in ui/ into dist/ui with esbuild, so the web process
// serves them with no CDN: the demo page at / and GraphiQL at /graphql.
// Run by `npm run build` after tsc; everything it needs is a devDependency.
'use strict';
const { cpSync, rmSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'ui');
// The workers must come from the same Monaco that GraphiQL's editor uses.
const graphiqlReact = path.dirname(require.resolve('@graphiql/react/package.json', { paths: [require.resolve('graphiql')] }));
const worker = (id) => require.resolve(id, { paths: [graphiqlReact] });

const common = {
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'browser',
  target: ['es2022'],
  // React and GraphiQL read NODE_ENV to drop their development checks.
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
};

async function main() {
  rmSync(out, { recursive: true, force: true });
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: { main: path.join(root, 'ui', 'demo', 'main.ts') },
      outdir: path.join(out, 'demo'),
      format: 'iife',
    }),
    // ESM with splitting, so Monaco (GraphiQL's editor, loaded by a dynamic
    // import) comes in its own chunk after the page has rendered.
    esbuild.build({
      ...common,
      entryPoints: { main: path.join(root, 'ui', 'graphiql', 'main.tsx') },
      outdir: path.join(out, 'graphiql'),
      format: 'esm',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      jsx: 'automatic',
      // Monaco's own stylesheets point at its icon font.
      loader: { '.ttf': 'file' },
      assetNames: 'assets/[name]-[hash]',
    }),
    // Monaco runs its language services in web workers, one script per worker,
    // which ui/graphiql/main.tsx names in MonacoEnvironment.getWorker.
    esbuild.build({
      ...common,
      entryPoints: {
        editor: worker('monaco-editor/esm/vs/editor/editor.worker.js'),
        json: worker('monaco-editor/esm/vs/language/json/json.worker.js'),
        graphql: worker('monaco-graphql/esm/graphql.worker.js'),
      },
      entryNames: '[name].worker',
      outdir: path.join(out, 'graphiql', 'workers'),
      format: 'iife',
    }),
  ]);
  for (const page of ['demo', 'graphiql']) {
    cpSync(path.join(root, 'ui', page, 'index.html'), path.join(out, page, 'index.html'));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
