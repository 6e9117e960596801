import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, runCli } from '../support/cli';
import { loadChinook } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

// One backup written to several destinations at once (backup --copy-to): each copy is complete
// and verifies on its own; a destination that fails (read-only, or full halfway) is named, holds
// nothing of the backup afterwards, and the other copies stay complete.

stopServersAfterTests();

interface Made {
  ok: boolean;
  backup: { id: string; location: string; copies: string[]; failedCopies: { location: string; message: string }[]; manifest: { copies?: { location: string }[]; files: { name: string; size: number; sha256: string }[] } };
}

const isRoot = process.getuid?.() === 0;

/** A small file system of its own (tmpfs), read-only if asked: root only. */
function mountSmall(dir: string, options: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(mounted.status, 0, `mount failed: ${mounted.stderr}`);
  return () => { if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]); };
}

async function verifyIn(folder: string, id: string): Promise<void> {
  const verified = await runCli(['verify', id, '--backup-dir', folder, '--json']);
  assert.equal(verified.code, 0, `${folder}: ${verified.stdout}${verified.stderr}`);
}

describe('a backup written to several destinations at once', () => {
  const tmp = tempFolder('lifeboat-copies');
  const source = tmp.file('shop.db');
  let pg: PostgresServer;
  let config: string;

  before(async () => {
    // About 6 MB of incompressible attachments: more than the small disks below hold.
    createSampleDatabase(source, { rows: 6_000, blobBytes: 1000 });
    pg = await startPostgres();
    await loadChinook(pg, 'chinook');
    config = tmp.file('lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({ connections: [{ id: 'music', name: 'Music', engine: 'postgres', host: pg.host, port: pg.port, user: pg.user, database: 'chinook', passwordEnv: 'LIFEBOAT_COPIES_PASSWORD' }] }));
  });
  after(async () => {
    await pg?.stop();
    tmp.dispose();
  });

  for (const format of ['copy', 'snapshot', 'sql']) {
    it(`SQLite ${format}: a complete, verifiable copy in each folder, and each manifest lists both`, async () => {
      const [a, b] = [tmp.file(`${format}-a`), tmp.file(`${format}-b`)];
      const made = await runCli(['backup', source, '--sqlite-format', format, '--backup-dir', a, '--copy-to', b, '--json']);
      assert.equal(made.code, 0, made.stderr);
      const { backup } = json<Made>(made);
      assert.deepEqual(backup.copies.map(c => path.dirname(path.dirname(c))), [a, b]);
      assert.deepEqual(backup.failedCopies, []);
      for (const folder of [a, b]) {
        const manifest = JSON.parse(fs.readFileSync(path.join(folder, path.relative(a, backup.location), 'manifest.json'), 'utf8')) as Made['backup']['manifest'];
        assert.deepEqual(manifest.copies?.map(c => c.location), [a, b], `${folder}: the manifest says where the copies are`);
        await verifyIn(folder, backup.id);
        const restored = tmp.file(`${format}-${path.basename(folder)}.db`);
        const restore = await runCli(['restore', backup.id, '--to', restored, '--backup-dir', folder]);
        assert.equal(restore.code, 0, restore.stderr);
      }
      // The same stored bytes in both, for a copy or a dump; a snapshot stores what each folder lacks.
      if (format !== 'snapshot') {
        // (Not the manifests, which hold their own times, nor the records of the verifies above.)
        const files = (folder: string) => listFiles(folder).filter(f => !f.endsWith('manifest.json') && !f.includes('/verifications/'))
          .map(f => [f, fs.readFileSync(path.join(folder, f)).toString('base64')]);
        assert.deepEqual(files(a), files(b));
      }
    });
  }

  for (const format of ['custom', 'directory']) {
    it(`PostgreSQL ${format}: pg_dump runs once, and each folder holds a copy that a restore drill passes`, async () => {
      const [a, b] = [tmp.file(`pg-${format}-a`), tmp.file(`pg-${format}-b`)];
      const env = { LIFEBOAT_COPIES_PASSWORD: pg.password };
      // The directory format's files are compressed by pg_dump, whose version 15 writes only gzip (zstd, the default, from 16).
      const codec = format === 'directory' ? ['--compression', 'gzip'] : [];
      const made = await runCli(['--config', config, 'backup', 'music', '--format', format, ...codec, '--backup-dir', a, '--copy-to', b, '--json'], { env });
      assert.equal(made.code, 0, made.stderr);
      const { backup } = json<Made>(made);
      assert.equal(backup.copies.length, 2);
      for (const folder of [a, b]) {
        const drill = await runCli(['--config', config, 'verify', backup.id, '--deep', '--backup-dir', folder], { env });
        assert.equal(drill.code, 0, `${folder}: ${drill.stdout}${drill.stderr}`);
      }
    });
  }

  it('a read-only destination: named, exit 1, nothing in it, and the other copy is complete', { skip: !isRoot && 'mounting needs root' }, async () => {
    const [a, b] = [tmp.file('ro-a'), tmp.file('ro-b')];
    const unmount = mountSmall(b, 'ro,size=8m');
    try {
      const made = await runCli(['backup', source, '--backup-dir', a, '--copy-to', b, '--json']);
      assert.equal(made.code, 1, made.stderr);
      const result = json<Made>(made);
      assert.equal(result.ok, false);
      assert.deepEqual(result.backup.failedCopies.map(f => f.location), [b]);
      assert.match(result.backup.failedCopies[0].message, /permission denied|read-only/i);
      assert.match(made.stderr, new RegExp(`could not be made: ${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `));
      assert.deepEqual(fs.readdirSync(b), []);
      await verifyIn(a, result.backup.id);
      const listed = json<{ backups: { id: string }[] }>(await runCli(['list', '--backup-dir', a, '--json'])).backups;
      assert.deepEqual(listed.map(l => l.id), [result.backup.id]);
    } finally {
      unmount();
    }
  });

  it('a destination whose disk fills halfway: named, exit 1, nothing partial in it, and the other copy is complete', { skip: !isRoot && 'mounting needs root' }, async () => {
    const [a, b] = [tmp.file('full-a'), tmp.file('full-b')];
    const unmount = mountSmall(b, 'size=2m');
    try {
      const made = await runCli(['backup', source, '--compression', 'none', '--backup-dir', a, '--copy-to', b, '--json']);
      assert.equal(made.code, 1, made.stderr);
      const result = json<Made>(made);
      assert.deepEqual(result.backup.failedCopies.map(f => f.location), [b]);
      assert.match(result.backup.failedCopies[0].message, /disk is full/);
      assert.deepEqual(listFiles(b), [], 'nothing partial is left in the full destination');
      await verifyIn(a, result.backup.id);
      // The copy that was made says only where it is.
      const manifest = JSON.parse(fs.readFileSync(path.join(result.backup.location, 'manifest.json'), 'utf8')) as Made['backup']['manifest'];
      assert.deepEqual(manifest.copies?.map(c => c.location), [a]);
    } finally {
      unmount();
    }
  });

  it('the same folder twice is refused before anything is written', async () => {
    const a = tmp.file('twice');
    const made = await runCli(['backup', source, '--backup-dir', a, '--copy-to', a]);
    assert.equal(made.code, 2, made.stderr);
    assert.match(made.stderr, /is named twice as a destination/);
    assert.equal(fs.existsSync(a), false);
  });
});
