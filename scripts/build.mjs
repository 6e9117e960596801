// Bundles the extension (Node, CJS, `vscode` external), the CLI, the SQLite checker process, the
// S3 destination with the AWS SDK (dist/s3Destination.js, loaded only when a bucket is used: the
// SDK would otherwise be parsed by every CLI run, 0.03 CPU-s each), and the diff webview page
// (browser, dist/webview/). No native module: SQLite is Node's built-in
// node:sqlite. The CLI is two files: dist/cli.js (the `lifeboat` bin, src/cli/entry.ts) checks
// the Node version in syntax any Node parses, then loads dist/lifeboatCli.js (src/cli/main.ts).
//   --production  minified, no source maps (the VSIX)
//   --webview     only the webview page (the browser test builds just what it serves)
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const webviewOnly = process.argv.includes('--webview');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  // pg's optional native binding is never used; vscode is provided by the editor.
  external: ['vscode', 'pg-native'],
};

// The page runs under a CSP that allows its script by nonce and its stylesheet from the
// extension's origin, nothing inline: one script, one stylesheet.
const webview = esbuild.build({
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  entryPoints: ['webview/main.ts', 'webview/main.css'],
  outdir: 'dist/webview',
});

// src/storage/s3Location.ts imports './s3' when a bucket is first used: in the bundles that is the
// S3 bundle beside them.
const s3Apart = {
  name: 's3-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/s3$/ }, args => args.importer.endsWith('s3Location.ts') ? { path: './s3Destination.js', external: true } : undefined);
  },
};

await Promise.all(webviewOnly ? [webview] : [
  esbuild.build({ ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', plugins: [s3Apart] }),
  esbuild.build({ ...common, entryPoints: { lifeboatCli: 'src/cli/main.ts' }, outdir: 'dist', plugins: [s3Apart] }),
  esbuild.build({ ...common, entryPoints: { s3Destination: 'src/storage/s3.ts' }, outdir: 'dist' }),
  esbuild.build({ platform: 'node', format: 'cjs', target: 'node6', logLevel: 'warning', minify: production, entryPoints: { cli: 'src/cli/entry.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: { sqliteChecker: 'src/engines/sqlite/checker.ts' }, outdir: 'dist' }),
  webview,
]);
