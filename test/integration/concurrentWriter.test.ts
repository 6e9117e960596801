import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backupDatabase, restoreBackup } from '../../src/engines';
import { runCli, json } from '../support/cli';
import { engineContext, monotonic } from '../support/engineContext';
import { exactRows, openDatabase, pragmaValue } from '../support/sqlite';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';
import { ledger, startWriter, stopWriter } from '../support/writerProcess';

function eventsUpTo(file: string, maxId: number): unknown[] {
  const db = openDatabase(file, { readOnly: true });
  try {
    return exactRows(db, 'SELECT id, batch, payload FROM events WHERE id <= ? ORDER BY id', maxId);
  } finally {
    db.close();
  }
}

/**
 * SQLite's online backup restarts whenever another connection writes between steps; Lifeboat
 * pins one snapshot instead. Proof: a writer in another process commits continuously during a
 * copy of many small steps; the backup finishes with zero restarts, progress never goes back, and
 * the copy is exactly the source as of one commit (ledger consistent, rows equal to the source's
 * prefix).
 */
describe('backup while another process writes', () => {
  const tmp = tempFolder();
  const source = tmp.file('busy.db');
  before(() => createSampleDatabase(source, { rows: 30_000, blobBytes: 1500 }));
  after(() => tmp.dispose());

  it('finishes with small steps, progress never backwards, copy consistent (engine)', async () => {
    const writer = await startWriter(source);
    try {
      const before = ledger(source).total;
      const { ctx, progress } = engineContext(tmp.file('backups-engine'));
      const entry = await backupDatabase({ engine: 'sqlite', id: 'busy', name: 'busy', path: source }, { codec: 'gzip', pagesPerStep: 16 }, ctx);
      const duringBackup = ledger(source).total - before;
      const commits = await stopWriter(writer);
      assert.ok(commits > 0);
      assert.ok(duringBackup > 0, 'the writer committed while the backup ran');
      assert.equal(entry.manifest.consistency.backupRestarts, 0);
      assert.ok(Number(entry.manifest.consistency.backupSteps) > 100, `many steps (${entry.manifest.consistency.backupSteps}), each an opportunity to restart`);
      assert.ok(monotonic(progress), 'progress never runs backwards');

      const restored = tmp.file('restored-engine.db');
      await restoreBackup(entry, { target: restored }, ctx);
      const copy = ledger(restored);
      assert.equal(copy.total, copy.count, 'ledger matches the rows: the copy is one transaction-consistent snapshot');
      assert.equal(copy.last_batch, copy.maxBatch);
      assert.deepEqual(eventsUpTo(restored, copy.maxId), eventsUpTo(source, copy.maxId), 'the copy equals the source as of that snapshot, row for row');
    } finally {
      if (writer.exitCode === null) await stopWriter(writer);
    }
  });

  it('`lifeboat backup` of a database being written gives a copy whose integrity_check is ok and whose restore equals a snapshot of the source', async () => {
    const writer = await startWriter(source);
    try {
      const folder = tmp.file('backups-cli');
      const backup = await runCli(['backup', source, '--backup-dir', folder, '--json']);
      assert.equal(backup.code, 0, backup.stderr);
      const { backup: made } = json<{ backup: { id: string; manifest: { verifications: { checks: { name: string; ok: boolean }[] }[]; consistency: Record<string, number> } } }>(backup);
      assert.ok(made.manifest.verifications[0].checks.some(c => c.name === 'integrity_check' && c.ok));
      assert.equal(made.manifest.consistency.backupRestarts, 0);
      const target = tmp.file('restored-cli.db');
      const restore = await runCli(['restore', made.id, '--to', target, '--backup-dir', folder, '--json']);
      assert.equal(restore.code, 0, restore.stderr);
      await stopWriter(writer);
      const db = openDatabase(target, { readOnly: true });
      assert.equal(pragmaValue(db, 'integrity_check'), 'ok');
      db.close();
      const copy = ledger(target);
      assert.equal(copy.total, copy.count);
      assert.deepEqual(eventsUpTo(target, copy.maxId), eventsUpTo(source, copy.maxId));
      // Every other table (and the schema) did not change while the writer ran: equal, row for row.
      const withoutWritten = (rows: Record<string, unknown[]>) => Object.fromEntries(Object.entries(rows).filter(([table]) => table !== 'events' && table !== 'ledger'));
      assert.deepEqual(withoutWritten(dumpRows(target)), withoutWritten(dumpRows(source)));
    } finally {
      if (writer.exitCode === null) await stopWriter(writer);
    }
  });
});
