// Bundles the extension (Node, CJS, `vscode` external), the CLI (dist/cli.js, the `lifeboat` bin),
// the SQLite checker process, and the diff webview page (browser, dist/webview/). better-sqlite3's
// JavaScript is bundled; its native binary is loaded from dist/native/<runtime>/ (see
// src/engines/sqlite/loadDriver.ts), so the same bundle runs on any runtime that has a matching
// binary, or falls back to node:sqlite.
//   --production  minified, no source maps (the VSIX)
//   --webview     only the webview page (the browser test builds just what it serves)
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const webviewOnly = process.argv.includes('--webview');
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
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

await Promise.all(webviewOnly ? [webview] : [
  esbuild.build({ ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: { sqliteChecker: 'src/engines/sqlite/checker.ts' }, outdir: 'dist' }),
  webview,
]);
