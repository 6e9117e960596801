// Bundles the extension (Node, CJS, `vscode` external), the CLI (dist/cli.js, the `lifeboat` bin)
// and the SQLite checker process. better-sqlite3's JavaScript is bundled; its native binary is
// loaded from dist/native/<runtime>/ (see src/engines/sqlite/loadDriver.ts), so the same bundle
// runs on any runtime that has a matching binary, or falls back to node:sqlite.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
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

await Promise.all([
  esbuild.build({ ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' }),
  esbuild.build({ ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } }),
  esbuild.build({ ...common, entryPoints: { sqliteChecker: 'src/engines/sqlite/checker.ts' }, outdir: 'dist' }),
]);
