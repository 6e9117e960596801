import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { listBackups, type CatalogEntry } from '../../src/core/catalog';
import { CODECS } from '../../src/core/codec';
import { LifeboatError } from '../../src/core/errors';
import { jobContext } from '../../src/core/job';
import { MANIFEST_FILE, parseManifest, type Manifest } from '../../src/core/manifest';
import { BACKUP_ID_PATTERN } from '../../src/core/manifestGrammar';
import { sharedKey } from '../../src/core/sharedFiles';
import { verifyFileHashes } from '../../src/core/storedHashes';
import { discardLog, keptLogFile } from '../../src/core/toolLog';
import { restoreBackup, verifyBackup } from '../../src/engines';
// Loaded here, not on first use under the file-system watch below (the registry loads engines lazily).
import '../../src/engines/sqlite/engine';
import { LocalFolderDestination } from '../../src/storage/local';
import { sampleManifest } from '../support/manifests';
import { makeRng, seedFromEnv, type Rng } from '../support/rng';
import { listFiles, tempFolder } from '../support/temp';

// Manifests are input from outside (a shared folder, an S3 bucket). Generated ones, hostile in
// every field, go through parseManifest and, written into real folders, through listBackups,
// then what is listed through the reads a verify and a restore make: nothing may throw but a
// LifeboatError, and no path outside the backup folder may be touched.
// LIFEBOAT_PROPERTY_SEED repeats a run.

const seed = seedFromEnv('LIFEBOAT_PROPERTY_SEED');
console.log(`manifest property test: seed ${seed} — LIFEBOAT_PROPERTY_SEED=${seed} repeats this run`);

const MANIFESTS = 1200;
const PER_FOLDER = 60;
/** Stand-ins the JSON text turns into numbers JSON.stringify cannot write (1e999 parses as Infinity). */
const HUGE = '\u0001huge\u0001';
const NEGATIVE_HUGE = '\u0001-huge\u0001';

const CONTROL = ['\u001b[2K', '\u001b]0;title\u0007', '\r', '\n', '\r\n', '\u0000', '\u0007', '\u007f', '\u0085', '\u009b31m', '\t', '\u202e'];
const PATHY = ['../', '..', '/', '/etc/passwd', '..\\..\\', './', '.', '', '~', '%2e%2e%2f', 'a/b', '-rf', '--exec=sh', 'C:\\x', '\\\\server\\share'];
const WORDS = ['app', 'pg', 'database.sqlite.gz', 'manifest.json', 'blocks', '.lifeboat-logs', '.lifeboat-scratch', 'toc.dat', 'rot13', 'zstd', 'NaN', 'Infinity', '-0', 'null', 'é', '😀', 'verified'];

function randomWord(rng: Rng): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_.ABC';
  return Array.from({ length: 1 + rng.int(12) }, () => alphabet[rng.int(alphabet.length)]).join('');
}

function randomString(rng: Rng): string {
  const pieces = Array.from({ length: rng.int(6) }, () => {
    switch (rng.int(6)) {
      case 0: return rng.pick(CONTROL);
      case 1: return rng.pick(PATHY);
      case 2: return rng.pick(WORDS);
      case 3: return rng.chance(0.1) ? 'x'.repeat(rng.pick([256, 300, 5000])) : randomWord(rng);
      case 4: return validId(rng);
      default: return randomWord(rng);
    }
  });
  return pieces.join('');
}

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 1 ? 6 : 9)) {
    case 0: case 1: return randomString(rng);
    case 2: return rng.pick([0, -1, 1.5, -0.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, 42, HUGE, NEGATIVE_HUGE]);
    case 3: return rng.pick(['NaN', 'Infinity', '-0', '1e999', '0x10', '']);
    case 4: return rng.pick([true, false, null]);
    case 5: return undefined;
    case 6: return Array.from({ length: rng.int(3) }, () => randomValue(rng, depth + 1));
    case 7: return Object.fromEntries(Array.from({ length: rng.int(3) }, () => [rng.pick(['name', 'id', '__proto__', 'constructor', randomWord(rng)]), randomValue(rng, depth + 1)]));
    default: return rng.pick([[], {}, [null], [{}]]);
  }
}

function validId(rng: Rng): string {
  const two = (n: number) => String(rng.int(n)).padStart(2, '0');
  return `20${two(100)}-${two(12)}-${two(28)}T${two(24)}-${two(60)}-${two(60)}-${String(rng.int(1000)).padStart(3, '0')}Z-${rng.int(0x10000).toString(16).padStart(4, '0')}`;
}

function validConnectionId(rng: Rng): string {
  return rng.pick(['app', 'crm', 'pg', 'test-postgres-5432', 'a', '0']) + (rng.chance(0.5) ? `-${rng.int(100)}` : '');
}

/** A manifest Lifeboat could have written, with the free text (names, table names) hostile. */
function plausibleManifest(rng: Rng): Manifest {
  const engine = rng.pick(['sqlite', 'postgres', 'mysql'] as const);
  const base = sampleManifest();
  const codec = rng.pick(CODECS);
  const file = { ...base.files[0], name: rng.pick(['database.sqlite.gz', 'database.dump', 'toc.dat', '3001.dat.gz', 'merge-undo.json', 'a..b']), codec, size: rng.int(1e6), contentSize: rng.int(1e9) };
  const id = validId(rng);
  return sampleManifest({
    id,
    connection: { id: validConnectionId(rng), name: rng.chance(0.5) ? randomString(rng) : 'App', engine, source: rng.chance(0.3) ? randomString(rng) : '/srv/app.db' },
    engine,
    kind: rng.pick(['sqlite-online-copy', 'sqlite-snapshot', 'sqlite-sql-dump', 'pg_dump-custom', 'pg_dump-directory', 'pg_dump-plain', 'mysql-dump-sql', 'merge-undo', 'future-kind']),
    options: rng.chance(0.5) ? { format: rng.pick(['custom', 'directory', 'plain', 'weird']), codec, tables: [randomString(rng)] } : base.options,
    tables: Array.from({ length: rng.int(3) }, () => ({ name: randomString(rng).replace(/\0/g, ''), rows: rng.chance(0.5) ? rng.int(1000) : null })),
    files: Array.from({ length: 1 + rng.int(3) }, (_, i) => ({ ...file, name: i === 0 ? file.name : `${i}.dat` })),
    ...(rng.chance(0.3) ? { shared: [{ ...file, name: `${id}.pack` }, { ...file, name: `${id}.pack-index` }], parent: rng.chance(0.5) ? validId(rng) : null } : {}),
  });
}

/** Sets (or deletes, for undefined) the value at `keys`, creating objects on the way. */
function setPath(target: Record<string, unknown>, keys: (string | number)[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = typeof key === 'number' ? [] : {};
    node = node[key] as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const TARGETS: (string | number)[][] = [
  ['id'], ['id'], ['connection'], ['connection', 'id'], ['connection', 'id'], ['connection', 'name'], ['connection', 'engine'], ['connection', 'source'],
  ['engine'], ['kind'], ['startedAt'], ['completedAt'], ['completedAt'], ['server'], ['server', 'version'], ['tool', 'name'], ['tool', 'version'],
  ['options'], ['options', 'format'], ['options', 'tables'], ['consistency'], ['consistency', 'databaseBytes'], ['consistency', 'newBytes'],
  ['tables'], ['tables', 0, 'name'], ['tables', 0, 'schema'], ['tables', 0, 'rows'], ['tables', 0, 'oid'], ['tables', 0, 'dependents'],
  ['files'], ['files', 0], ['files', 0, 'name'], ['files', 0, 'name'], ['files', 0, 'name'], ['files', 0, 'size'], ['files', 0, 'codec'], ['files', 0, 'sha256'],
  ['files', 0, 'contentSize'], ['files', 1, 'name'], ['shared'], ['shared', 0, 'name'], ['shared', 0, 'size'], ['timings', 'totalMs'],
  ['verifications'], ['parent'], ['encryption'], ['createdBy'], ['format'], ['version'],
];

interface Generated {
  text: string;
  /** Where it is written: "<connection>/<backup>", a folder name a hostile copy could make. */
  prefix: string;
}

function generate(rng: Rng): Generated {
  const manifest = plausibleManifest(rng) as unknown as Record<string, unknown>;
  const mutations = rng.chance(0.3) ? 0 : 1 + rng.int(4);
  for (let i = 0; i < mutations; i++) {
    if (rng.chance(0.1)) setPath(manifest, [randomWord(rng)], randomValue(rng));
    else setPath(manifest, rng.pick(TARGETS), rng.chance(0.5) ? randomString(rng) : randomValue(rng));
  }
  let text = JSON.stringify(manifest, null, rng.chance(0.5) ? 2 : undefined).replaceAll(JSON.stringify(HUGE), '1e999').replaceAll(JSON.stringify(NEGATIVE_HUGE), '-1e999');
  if (rng.chance(0.03)) text = text.slice(0, rng.int(text.length));
  const folderName = (value: unknown, fallback: string) => typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(value) && value !== 'blocks' ? value : fallback;
  const connection = manifest.connection as Record<string, unknown> | undefined;
  const mismatch = rng.chance(0.1);
  const prefix = `${folderName(mismatch ? undefined : connection?.id, validConnectionId(rng))}/${folderName(mismatch ? undefined : manifest.id, validId(rng))}`;
  return { text, prefix };
}

/** Records every path the code under test hands to the file system outside `inside`. */
function watchFileSystem(inside: string): { outside: string[]; stop(): void } {
  const outside: string[] = [];
  const check = (candidate: unknown) => {
    if (typeof candidate !== 'string') return;
    const relative = path.relative(inside, path.resolve(candidate));
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return;
    // Only Lifeboat's own calls: the test runner and tsx's compile cache use the file system too.
    const caller = new Error().stack?.split('\n').find(line => line.includes(`${path.sep}src${path.sep}`));
    if (caller) outside.push(`${candidate} (${caller.trim()})`);
  };
  const restore: (() => void)[] = [];
  const wrap = (owner: Record<string, unknown>, names: string[], paths: number) => {
    for (const name of names) {
      const original = owner[name] as (...args: unknown[]) => unknown;
      if (typeof original !== 'function') continue;
      owner[name] = function (this: unknown, ...args: unknown[]) {
        for (const arg of args.slice(0, paths)) check(arg);
        return original.apply(this, args);
      };
      restore.push(() => { owner[name] = original; });
    }
  };
  // The modules themselves, not this file's import wrappers: src's imports read through to them.
  const realFs = createRequire(__filename)('node:fs') as Record<string, unknown>;
  const promises = realFs.promises as Record<string, unknown>;
  wrap(promises, ['open', 'rm', 'rmdir', 'mkdir', 'readdir', 'stat', 'lstat', 'writeFile', 'readFile', 'unlink', 'chmod', 'access', 'realpath', 'opendir'], 1);
  wrap(promises, ['rename', 'copyFile', 'link', 'symlink'], 2);
  wrap(realFs, ['createReadStream', 'createWriteStream', 'openSync', 'mkdirSync', 'rmSync', 'rmdirSync', 'unlinkSync', 'writeFileSync', 'readFileSync', 'statSync', 'existsSync', 'mkdtempSync'], 1);
  wrap(realFs, ['renameSync', 'copyFileSync'], 2);
  return { outside, stop: () => restore.reverse().forEach(undo => undo()) };
}

/** A destination that also checks every object path it builds. */
class CheckedDestination extends LocalFolderDestination {
  readonly built: string[] = [];
  override localPath(key: string): string {
    const file = super.localPath(key);
    this.built.push(file);
    return file;
  }
}

function expectLifeboatErrorOnly(error: unknown, what: string): void {
  if (!(error instanceof LifeboatError)) assert.fail(`${what} threw ${error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)} (seed ${seed})`);
}

/** What a parsed manifest guarantees to the code that builds paths and arguments from it. */
function assertTrustworthy(manifest: Manifest, where: string): void {
  assert.match(manifest.id, BACKUP_ID_PATTERN, where);
  assert.match(manifest.connection.id, /^[a-z0-9][a-z0-9-]{0,63}$/, where);
  for (const file of [...manifest.files, ...manifest.shared ?? []]) {
    assert.match(file.name, /^[A-Za-z0-9][A-Za-z0-9._-]*$/, where);
    assert.ok(file.name !== '..' && file.name.length <= 255, where);
    assert.ok(CODECS.includes(file.codec), where);
    assert.ok(Number.isSafeInteger(file.size) && file.size >= 0 && (file.contentSize === undefined || (Number.isSafeInteger(file.contentSize) && file.contentSize >= 0)), where);
  }
  assert.ok(!Number.isNaN(Date.parse(manifest.completedAt)) && !Number.isNaN(Date.parse(manifest.startedAt)), where);
  assert.ok(Array.isArray(manifest.tables) && Array.isArray(manifest.verifications), where);
}

describe(`generated manifests (seed ${seed})`, () => {
  const tmp = tempFolder('lifeboat-property');
  after(() => tmp.dispose());
  const rng = makeRng(seed);
  const generated = Array.from({ length: MANIFESTS }, () => generate(rng));

  it(`parseManifest takes or refuses each of ${MANIFESTS} with a LifeboatError, never a crash`, () => {
    let accepted = 0;
    for (const [i, { text }] of generated.entries()) {
      try {
        assertTrustworthy(parseManifest(text, `#${i}`), `#${i}: ${text}`);
        accepted++;
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        expectLifeboatErrorOnly(error, `parseManifest of #${i} ${text}`);
        assert.equal((error as LifeboatError).code, 'verification');
      }
    }
    console.log(`  ${accepted} of ${MANIFESTS} generated manifests were valid`);
    assert.ok(accepted > MANIFESTS / 10 && accepted < MANIFESTS * 0.9, `the generator makes both kinds (${accepted} valid)`);
  });

  it('listBackups lists each as a backup or a problem, and verify and restore build no path outside the folder', async () => {
    const inside = tmp.file('inside');
    const outsideFolder = tmp.file('outside');
    fs.mkdirSync(path.join(outsideFolder, 'canary-dir'), { recursive: true });
    fs.writeFileSync(path.join(outsideFolder, 'canary.txt'), 'must survive');
    fs.mkdirSync(inside);
    const before = listFiles(tmp.path);
    const destinations: { destination: CheckedDestination; written: Map<string, string> }[] = [];
    for (let start = 0; start < generated.length; start += PER_FOLDER) {
      const destination = new CheckedDestination(path.join(inside, `folder-${start}`));
      const written = new Map<string, string>();
      for (const { text, prefix } of generated.slice(start, start + PER_FOLDER)) {
        if (written.has(prefix)) continue;
        fs.mkdirSync(path.join(destination.location, prefix), { recursive: true });
        fs.writeFileSync(path.join(destination.location, prefix, MANIFEST_FILE), text);
        written.set(prefix, text);
      }
      destinations.push({ destination, written });
    }

    const watch = watchFileSystem(inside);
    let listed = 0;
    try {
      for (const { destination, written } of destinations) {
        const listing = await listBackups(destination).catch(error => { expectLifeboatErrorOnly(error, `listBackups of ${destination.location}`); throw error; });
        assert.deepEqual([...listing.entries.map(e => e.prefix), ...listing.problems.map(p => p.prefix)].sort(), [...written.keys()].sort(), 'every manifest is a backup or a problem');
        for (const problem of listing.problems) assert.equal(typeof problem.message, 'string');
        for (const entry of listing.entries) {
          assertTrustworthy(entry.manifest, `${entry.prefix}: ${written.get(entry.prefix)}`);
          assert.equal(entry.prefix, `${entry.manifest.connection.id}/${entry.manifest.id}`, 'a listed backup is in the folder it names');
          await exercise(entry, destination, inside);
        }
        listed += listing.entries.length;
        for (const built of destination.built) assert.ok(!path.relative(destination.location, built).startsWith('..'), `${built} is inside ${destination.location}`);
      }
    } finally {
      watch.stop();
    }
    console.log(`  ${listed} listed as backups; every path they led to was inside the folder`);
    assert.deepEqual(watch.outside, [], 'no file-system call went outside the backup folders');
    assert.deepEqual(listFiles(tmp.path).filter(f => !f.startsWith(`inside${path.sep}`)), before.filter(f => !f.startsWith(`inside${path.sep}`)), 'nothing outside changed');
    assert.equal(fs.readFileSync(path.join(outsideFolder, 'canary.txt'), 'utf8'), 'must survive');
    assert.ok(fs.statSync(path.join(outsideFolder, 'canary-dir')).isDirectory());
  });
});

/** The paths a verify and a restore build from a listed manifest: its files, its shared files, a
 *  kept log named after it, and for SQLite the whole quick verify and restore (whose stored files
 *  are missing here, so both fail, cleanly). */
async function exercise(entry: CatalogEntry, destination: CheckedDestination, inside: string): Promise<void> {
  const { manifest } = entry;
  for (const file of manifest.files) destination.localPath(`${entry.prefix}/${file.name}`);
  for (const file of manifest.shared ?? []) destination.localPath(sharedKey(manifest.connection.id, file.name));
  const ctx = jobContext(destination, { debug() {}, info() {}, warn() {}, error() {} });
  const log = await keptLogFile(ctx, `restore-${manifest.id}`);
  assert.equal(path.dirname(log), path.join(destination.location, '.lifeboat-logs'));
  await discardLog(log);
  await verifyFileHashes(entry, destination).catch(error => expectLifeboatErrorOnly(error, `verifyFileHashes of ${entry.prefix}`));
  if (manifest.engine !== 'sqlite') return;
  await verifyBackup(entry, ctx, { quick: true }).catch(error => expectLifeboatErrorOnly(error, `verify of ${entry.prefix}`));
  await restoreBackup(entry, { target: path.join(inside, 'restored', `${manifest.id}.db`) }, ctx).catch(error => expectLifeboatErrorOnly(error, `restore of ${entry.prefix}`));
}
