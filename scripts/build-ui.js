// Bundles the browser pages in ui/ into dist/ui with esbuild, so the web process
// serves them with no CDN: the demo page at / and GraphiQL at /graphql.
// Run by `npm run build` after tsc; everything it needs is a devDependency.
'use strict';
const { cpSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'ui');
// The workers must come from the same Monaco that GraphiQL's editor uses.
const graphiqlReact = path.dirname(require.resolve('@graphiql/react/package.json', { paths: [require.resolve('graphiql')] }));
const worker = (id) => require.resolve(id, { paths: [graphiqlReact] });

// graphiql/style.css already holds Monaco's styles and icon font, so the
// stylesheets Monaco's modules import themselves are left out.
const monacoStylesFromGraphiQL = {
  name: 'monaco-styles-from-graphiql',
  setup(build) {
    const monaco = `${path.sep}monaco-editor${path.sep}`;
    build.onResolve({ filter: /\.css$/ }, (args) => (args.importer.includes(monaco) ? { path: args.path, namespace: 'monaco-css' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'monaco-css' }, () => ({ contents: '', loader: 'js' }));
  },
};

// GraphiQL's schema, joined from schema/ the way src/web/schema.ts joins it: Apollo
// refuses introspection in production, and the SDL is the API's contract anyway.
const schemaDir = path.join(root, 'schema');
const schemaSdl = readdirSync(schemaDir)
  .filter((name) => name.endsWith('.graphql'))
  .sort()
  .map((name) => readFileSync(path.join(schemaDir, name), 'utf8'))
  .join('\n');

const common = {
  bundle: true,
  minify: true,
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
      sourcemap: true,
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
      define: { ...common.define, DARKROOM_SCHEMA_SDL: JSON.stringify(schemaSdl) },
      plugins: [monacoStylesFromGraphiQL],
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
