import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqliteConnection } from '../../src/core/connection';
import { removeBackupFiles } from '../../src/core/catalog';
import type { LifeboatError } from '../../src/core/errors';
import { backupDatabase, restoreBackup, verifyBackup } from '../../src/engines';
import { CHINOOK_SQLITE } from '../support/chinook';
import { engineContext, monotonic } from '../support/engineContext';
import { sha256File } from '../support/hash';
import { openDatabase } from '../support/sqlite';
import { ODD_TABLE, createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';


/** The database header's bookkeeping that SQLite's backup API rewrites in the copy (file change
 *  counter, schema cookie, version-valid-for, library version); every other byte must match. */
function withoutHeaderCounters(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  for (const [start, end] of [[24, 28], [40, 44], [92, 100]]) copy.fill(0, start, end);
  return copy;
}

function sqlite(file: string, id = 'app'): SqliteConnection {
  return { engine: 'sqlite', id, name: path.basename(file), path: file };
}

describe('SQLite backup → verify → restore', () => {
  const tmp = tempFolder();
  const source = tmp.file('app.db');
  before(() => createSampleDatabase(source, { rows: 6000 }));
  after(() => tmp.dispose());

  for (const codec of ['gzip', 'none'] as const) {
    it(`round-trips every row, BLOB and odd name with ${codec}`, async () => {
      const { ctx, progress, destination } = engineContext(tmp.file(`backups-${codec}`));
      const entry = await backupDatabase(sqlite(source), { codec }, ctx);
      const m = entry.manifest;

      assert.equal(m.kind, 'sqlite-online-copy');
      assert.deepEqual(m.tables.find(t => t.name === ODD_TABLE), { name: ODD_TABLE, rows: 600 });
      assert.deepEqual(m.tables.find(t => t.name === 'customers'), { name: 'customers', rows: 6000 });
      assert.equal(m.files[0].codec, codec);
      assert.equal(m.verifications[0].ok, true);
      assert.equal(m.consistency.backupRestarts, 0);
      assert.ok(monotonic(progress) && progress.at(-1)!.fraction === 1, 'progress only grows, and ends at 100%');
      assert.deepEqual(listFiles(destination.location), [`${entry.prefix}/${m.files[0].name}`, `${entry.prefix}/manifest.json`], 'nothing but payload and manifest');

      const verification = await verifyBackup(entry, ctx);
      assert.equal(verification.ok, true, JSON.stringify(verification.checks));

      const target = tmp.file(`restored-${codec}.db`);
      const result = await restoreBackup(entry, { target }, ctx);
      assert.ok(result.engine === 'sqlite');
      assert.equal(result.target, target);
      assert.equal(sha256File(target), m.files[0].contentSha256, 'the restored file is byte for byte the stored copy');
      assert.deepEqual(dumpRows(target), dumpRows(source), 'the restored database equals the source, row for row');
    });
  }

  it('restores into a new file only, unless told to replace, then moves the old -wal aside too', async () => {
    const { ctx } = engineContext(tmp.file('backups-replace'));
    const entry = await backupDatabase(sqlite(source), { codec: 'gzip' }, ctx);
    const target = tmp.file('existing.db');
    // An existing database with uncheckpointed rows in its -wal: the restore must not replay them.
    createSampleDatabase(target, { rows: 10 });
    const writer = openDatabase(target);
    writer.exec('PRAGMA wal_autocheckpoint = 0');
    writer.exec("INSERT INTO customers (name) VALUES ('only in the old wal')");
    fs.copyFileSync(target + '-wal', tmp.file('saved-wal'));
    writer.close();
    fs.copyFileSync(tmp.file('saved-wal'), target + '-wal');
    fs.chmodSync(target, 0o640);

    await assert.rejects(restoreBackup(entry, { target }, ctx), (e: LifeboatError) => e.code === 'already-exists' && e.message.includes(target));
    assert.ok(fs.existsSync(target + '-wal'), 'a refused restore touches nothing');

    const result = await restoreBackup(entry, { target, overwrite: true }, ctx);
    assert.ok(result.engine === 'sqlite');
    assert.equal(result.replacedExisting, true);
    assert.equal(fs.statSync(target).mode & 0o777, 0o640, 'the replacement keeps the permissions of the file it replaced');
    assert.equal(fs.existsSync(target + '-wal'), false, 'the old write-ahead log was moved away with the old file');
    assert.deepEqual(dumpRows(target), dumpRows(source));
    assert.deepEqual(fs.readdirSync(tmp.path).filter(n => /\.(partial|aside)-/.test(n)), [], 'no aside or partial files remain');
  });

  it('does not bring back a backup deleted while it was being verified', async () => {
    const { ctx, destination } = engineContext(tmp.file('backups-deleted'));
    const entry = await backupDatabase(sqlite(source), { codec: 'gzip' }, ctx);
    await removeBackupFiles(destination, entry.prefix);
    await assert.rejects(verifyBackup(entry, ctx), (e: LifeboatError) => e.code === 'not-found');
    assert.deepEqual(listFiles(destination.location), []);
  });

  it('backs up a rollback-journal database as well', async () => {
    const file = tmp.file('journal.db');
    createSampleDatabase(file, { rows: 500, wal: false });
    const { ctx } = engineContext(tmp.file('backups-journal'));
    const entry = await backupDatabase(sqlite(file, 'journal'), { codec: 'gzip' }, ctx);
    assert.equal(entry.manifest.consistency.journalMode, 'delete');
    const target = tmp.file('journal-restored.db');
    await restoreBackup(entry, { target }, ctx);
    assert.deepEqual(dumpRows(target), dumpRows(file));
  });

  it('round-trips Chinook', async () => {
    const file = tmp.file('chinook.sqlite');
    fs.copyFileSync(CHINOOK_SQLITE, file);
    const { ctx } = engineContext(tmp.file('backups-chinook'));
    const entry = await backupDatabase(sqlite(file, 'chinook'), { codec: 'gzip' }, ctx);
    assert.ok(entry.manifest.tables.some(t => t.name === 'Track' && (t.rows ?? 0) > 3000));
    const target = tmp.file('chinook-restored.sqlite');
    await restoreBackup(entry, { target }, ctx);
    assert.deepEqual(dumpRows(target), dumpRows(file));
    assert.deepEqual(withoutHeaderCounters(fs.readFileSync(target)), withoutHeaderCounters(fs.readFileSync(file)),
      'a quiet database restores page for page; only the header counters the backup API maintains differ');
  });
});

describe('SQLite backup failures', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('says when the file is missing or not a database, and stores nothing', async () => {
    const { ctx, destination } = engineContext(tmp.file('backups'));
    await assert.rejects(backupDatabase(sqlite(tmp.file('missing.db')), { codec: 'gzip' }, ctx),
      (e: LifeboatError) => e.code === 'not-found' && /does not exist/.test(e.message));
    fs.writeFileSync(tmp.file('notes.db'), 'these are my notes, not a database '.repeat(200));
    await assert.rejects(backupDatabase(sqlite(tmp.file('notes.db')), { codec: 'gzip' }, ctx),
      (e: LifeboatError) => e.code === 'integrity' && /is not a SQLite database/.test(e.message));
    assert.deepEqual(listFiles(destination.location), []);
  });

  it('refuses a damaged source without storing a backup', async () => {
    const file = tmp.file('damaged.db');
    createSampleDatabase(file, { rows: 3000, wal: false });
    const bytes = fs.readFileSync(file);
    // Scribble over the middle of the file (table b-tree pages), leaving the header intact.
    bytes.fill(0x5a, 40 * 4096, 44 * 4096);
    fs.writeFileSync(file, bytes);
    const { ctx, destination } = engineContext(tmp.file('backups-damaged'));
    await assert.rejects(backupDatabase(sqlite(file), { codec: 'gzip' }, ctx), (e: LifeboatError) => e.code === 'integrity');
    assert.deepEqual(listFiles(destination.location), []);
  });

  it('is cancellable in every phase and leaves nothing behind', async () => {
    const file = tmp.file('big.db');
    createSampleDatabase(file, { rows: 40_000, blobBytes: 2000 });
    // Checking and compressing run side by side: cancelling while compressing also stops the check.
    for (const phase of ['Copying', 'Compressing']) {
      const controller = new AbortController();
      const { ctx, destination } = engineContext(tmp.file(`cancel-${phase}`), { signal: controller.signal });
      ctx.onProgress = u => { if (u.message.startsWith(phase)) controller.abort(); };
      await assert.rejects(backupDatabase(sqlite(file), { codec: 'gzip', pagesPerStep: 64 }, ctx), (e: LifeboatError) => e.code === 'cancelled', phase);
      assert.deepEqual(listFiles(destination.location), [], `nothing left after cancelling while ${phase}`);
    }
  });

  it('reports a full disk in words and leaves the small disk empty', { skip: process.getuid?.() !== 0 && 'needs root to mount a small tmpfs' }, async () => {
    const file = tmp.file('fill.db');
    createSampleDatabase(file, { rows: 20_000, blobBytes: 1000 });
    const small = tmp.file('small-disk');
    fs.mkdirSync(small);
    const { spawnSync } = await import('node:child_process');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    assert.equal(mounted.status, 0, `mount failed: ${mounted.stderr}`);
    try {
      // Scratch on the small disk: the copy would not fit there, which is said before it starts.
      const onDisk = engineContext(small);
      await assert.rejects(backupDatabase(sqlite(file), { codec: 'none' }, onDisk.ctx), (e: LifeboatError) => e.code === 'io' && /^Not enough room for a copy of .*fill\.db in the scratch folder .*small-disk\/\.lifeboat-scratch: [\d.]+ MB free, about [\d.]+ MB needed\.$/.test(e.message));
      assert.deepEqual(listFiles(small), []);
      // Scratch elsewhere, backup folder on the small disk: storing hits the wall.
      const storeOnly = engineContext(small, { scratchParent: tmp.path });
      await assert.rejects(backupDatabase(sqlite(file), { codec: 'none' }, storeOnly.ctx), (e: LifeboatError) => e.code === 'io' && /disk is full/.test(e.message));
      assert.deepEqual(listFiles(small), []);
      assert.deepEqual(fs.readdirSync(tmp.path).filter(n => n.startsWith('.lifeboat')), []);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});
