// Exits 0 when node_modules holds what package-lock.json names; otherwise prints why on stderr and
// exits 1 (scripts/setup.sh then runs `npm ci`). Nothing in it is built for one Node version (the
// project has no native module), so any Node's install serves every Node.
// It reads npm's own record of the install (node_modules/.package-lock.json, written by every
// `npm ci`/`npm install`), so it takes milliseconds where `npm ls` takes seconds.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function stale() {
  const installedFile = path.join(root, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(installedFile)) return 'node_modules has no record of a finished npm install';
  const wanted = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages;
  const installed = JSON.parse(fs.readFileSync(installedFile, 'utf8')).packages;
  for (const [name, entry] of Object.entries(wanted)) {
    if (name === '') continue;
    const have = installed[name];
    // Optional packages for other platforms (esbuild's, for one) are rightly left out.
    if (!have) { if (entry.optional) continue; return `${name} is not installed`; }
    if (have.version !== entry.version || have.integrity !== entry.integrity) return `${name} is ${have.version}, package-lock.json wants ${entry.version}`;
  }
  const extra = Object.keys(installed).find(name => !(name in wanted));
  if (extra) return `${extra} is installed but not in package-lock.json`;
  return undefined;
}

const reason = stale();
if (reason) {
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}
