import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Manifest } from '../../src/core/manifest';
import { json, runCli, startCli, waitForFile } from '../support/cli';
import { sha256File } from '../support/hash';
import { backupApiCopy, changeScattered, createLargeDatabase, packFiles } from '../support/sqliteSnapshots';
import { listFiles, tempFolder } from '../support/temp';

type Made = { backup: { id: string; manifest: Manifest } };

/**
 * `lifeboat backup --sqlite-format snapshot` as users run it: chains, lists, verifies quickly and
 * restores; a snapshot killed outright (SIGKILL) after its pack was stored but before its manifest
 * leaves nothing listed, and the next listing removes its pack.
 */
describe('lifeboat CLI: SQLite snapshots, SQL dumps, VACUUM INTO', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('app.db');
  createLargeDatabase(source, 150_000);

  it('chains snapshots, lists them, verifies quickly and restores bit-identical', async () => {
    const folder = tmp.file('backups');
    const first = await runCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'snapshot', '--compression', 'gzip', '--json']);
    assert.equal(first.code, 0, first.stderr);
    changeScattered(source, 500);
    const second = await runCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'snapshot', '--compression', 'gzip']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /incremental · \+[\d.]+ [KM]B new of [\d.]+ MB, parent /);
    const list = await runCli(['list', '--backup-dir', folder, '--json']);
    const { backups } = json<{ backups: { id: string; kind: string; parent: string | null }[] }>(list);
    assert.equal(backups.length, 2);
    assert.deepEqual(backups.map(b => b.kind), ['sqlite-snapshot', 'sqlite-snapshot']);
    assert.equal(backups[0].parent, json<Made>(first).backup.id);
    const verify = await runCli(['verify', backups[0].id, '--quick', '--backup-dir', folder]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /ok {4}blocks: all \d+ pages have their block/);
    const target = tmp.file('restored.db');
    const restore = await runCli(['restore', backups[0].id, '--to', target, '--backup-dir', folder]);
    assert.equal(restore.code, 0, restore.stderr);
    await backupApiCopy(source, tmp.file('now.db'));
    assert.equal(sha256File(target), sha256File(tmp.file('now.db')), 'nothing wrote to the source since: the restore is its backup-API copy, byte for byte');

    // Deleting the first snapshot from the command line: its pack stays, the second needs it.
    const firstId = json<Made>(first).backup.id;
    const abbreviated = await runCli(['delete', firstId.slice(0, 20), '--backup-dir', folder]);
    assert.equal(abbreviated.code, 2, 'an abbreviated id is refused');
    const deleted = await runCli(['delete', firstId, '--backup-dir', folder, '--json']);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.deepEqual(json<{ sharedRemoved: string[] }>(deleted).sharedRemoved, []);
    assert.ok(packFiles(folder).includes(`${firstId}.pack`));
    const again = tmp.file('restored-again.db');
    assert.equal((await runCli(['restore', backups[0].id, '--to', again, '--backup-dir', folder])).code, 0);
    assert.equal(sha256File(again), sha256File(tmp.file('now.db')));
  });

  it('SIGKILL while the new pack is stored: nothing listed, and the next listing removes the pack', async () => {
    const folder = tmp.file('killed');
    const first = await runCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'snapshot', '--compression', 'none', '--json']);
    assert.equal(first.code, 0, first.stderr);
    const firstId = json<Made>(first).backup.id;
    changeScattered(source, 3);
    // Killed while the pack is written (a ".partial-…" file) or after it got its name (the
    // manifest waits for integrity_check too): the listing's cleanup covers both.
    const child = startCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'snapshot', '--compression', 'gzip', '--json']);
    await waitForFile(child, folder, new RegExp(`^[^/]+/blocks/(?!${firstId})[^/]+\\.pack($|\\.partial-)`));
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(packFiles(folder).length > 2, `the killed snapshot's pack (or its partial file) is there: ${packFiles(folder).join(', ')}`);
    const list = await runCli(['list', '--backup-dir', folder, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(json<{ backups: { id: string }[] }>(list).backups.map(b => b.id), [firstId]);
    assert.deepEqual(packFiles(folder).sort(), [`${firstId}.pack`, `${firstId}.pack-index`], `only the first snapshot's pack is left: ${listFiles(folder).join(', ')}`);
  });

  it('--sqlite-format sql and --vacuum from the command line; --vacuum with a snapshot is refused', async () => {
    const folder = tmp.file('formats');
    const sql = await runCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'sql', '--json']);
    assert.equal(sql.code, 0, sql.stderr);
    assert.equal(json<Made>(sql).backup.manifest.kind, 'sqlite-sql-dump');
    const vacuum = await runCli(['backup', source, '--backup-dir', folder, '--vacuum', '--json']);
    assert.equal(vacuum.code, 0, vacuum.stderr);
    assert.equal(json<Made>(vacuum).backup.manifest.options.vacuum, true);
    const refused = await runCli(['backup', source, '--backup-dir', folder, '--vacuum', '--sqlite-format', 'snapshot']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /VACUUM INTO/);
    const bad = await runCli(['backup', source, '--backup-dir', folder, '--sqlite-format', 'tar']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /copy, sql or snapshot/);
  });
});
