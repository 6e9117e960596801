/**
 * The `lifeboat` command's first code (dist/cli.js): it checks the Node version before anything
 * else loads, then runs the CLI (dist/lifeboatCli.js, from main.ts). Lifeboat needs Node 22.16 or
 * later: zstd in zlib (22.15) and node:sqlite with the online backup API (22.16); on the 23 line
 * both came in 23.8. Bundled without imports and for old syntax (scripts/build.mjs), so that even
 * a very old Node gets this one line, not a stack trace.
 */
const version = process.versions.node.split('.').map(Number);
const major = version[0], minor = version[1];
const supported = major >= 24 || (major === 23 && minor >= 8) || (major === 22 && minor >= 16);
if (!supported) {
  process.stderr.write(`lifeboat: needs Node.js 22.16 or later (22 or 24 LTS); this is Node ${process.version} (${process.execPath}).\n`);
  process.exit(1);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('./lifeboatCli.js');
