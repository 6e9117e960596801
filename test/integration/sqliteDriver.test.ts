import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { json, runCli, startCli } from '../support/cli';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

/**
 * Lifeboat's one SQLite driver is Node's node:sqlite (src/engines/sqlite/loadDriver.ts), the same
 * in the CLI and in the editor; better-sqlite3 and the LIFEBOAT_SQLITE_DRIVER switch are gone
 * (CHANGELOG). Through the CLI as users run it: backup, restore, verify, and Ctrl-C mid-copy.
 */
describe('SQLite driver', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('app.db');
  createSampleDatabase(source, { rows: 2000 });

  it('is node:sqlite, whatever an old LIFEBOAT_SQLITE_DRIVER asks; its backup restores equal to the source', async () => {
    const folder = tmp.file('b');
    const env = { LIFEBOAT_SQLITE_DRIVER: 'better-sqlite3' };
    const backup = await runCli(['backup', source, '--backup-dir', folder, '--json'], { env });
    assert.equal(backup.code, 0, backup.stderr);
    const made = json<{ backup: { id: string; manifest: { tool: { name: string; version: string }; consistency: { backupRestarts: number } } } }>(backup).backup;
    assert.deepEqual(made.manifest.tool, { name: 'node:sqlite', version: process.version });
    assert.equal(made.manifest.consistency.backupRestarts, 0);
    const target = tmp.file('restored.db');
    const restore = await runCli(['restore', made.id, '--to', target, '--backup-dir', folder], { env });
    assert.equal(restore.code, 0, restore.stderr);
    assert.deepEqual(dumpRows(target), dumpRows(source));
    const verify = await runCli(['verify', made.id, '--backup-dir', folder], { env });
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  it('stops on Ctrl-C during the copy and keeps nothing', async () => {
    const big = tmp.file('big.db');
    createSampleDatabase(big, { rows: 60_000, blobBytes: 2000 });
    const folder = tmp.file('b-cancel');
    const child = startCli(['backup', big, '--backup-dir', folder, '--pages-per-step', '1']);
    while (!listFiles(folder).some(f => f.endsWith('/database.sqlite'))) {
      if (child.exitCode !== null) throw new Error(`the backup ended (exit ${child.exitCode}) before its copy began`);
      await new Promise(resolve => setTimeout(resolve, 2));
    }
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 130);
    assert.deepEqual(listFiles(folder), []);
  });
});
