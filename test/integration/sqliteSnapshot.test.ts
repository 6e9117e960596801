import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SqliteConnection } from '../../src/core/connection';
import { beginBackup, finishBackup, listBackups, type CatalogEntry } from '../../src/core/catalog';
import type { LifeboatError } from '../../src/core/errors';
import { ownedName } from '../../src/core/orphans';
import { collectUnusedShared, deleteBackup } from '../../src/core/backupDeletion';
import { backupDatabase, restoreBackup, verifyBackup } from '../../src/engines';
import { engineContext } from '../support/engineContext';
import { sha256File } from '../support/hash';
import { openDatabase, pragmaValue } from '../support/sqlite';
import { backupApiCopy, changeScattered, createLargeDatabase, differingPages, packFiles } from '../support/sqliteSnapshots';
import { startWriter, stopWriter, ledger } from '../support/writerProcess';
import { listFiles, tempFolder } from '../support/temp';

const connection = (file: string, id = 'big'): SqliteConnection => ({ engine: 'sqlite', id, name: id, path: file });

function integrityOk(file: string): boolean {
  const db = openDatabase(file, { readOnly: true });
  try {
    return pragmaValue(db, 'integrity_check') === 'ok';
  } finally {
    db.close();
  }
}

/** The packs a set of snapshots lists (names), which are exactly the packs that must remain. */
function referencedPacks(entries: CatalogEntry[]): string[] {
  return [...new Set(entries.flatMap(e => (e.manifest.shared ?? []).map(f => f.name)))].sort();
}

describe('SQLite incremental snapshots', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('after 1 % of the pages changed, scattered, the next snapshot stores at most 3 % of the database', async () => {
    const source = tmp.file('large.db');
    createLargeDatabase(source, 540_000);
    const databaseBytes = fs.statSync(source).size;
    assert.ok(databaseBytes > 190e6, `a database of about 200 MB (${databaseBytes} bytes)`);
    const { ctx, destination } = engineContext(tmp.file('backups-large'));
    const first = await backupDatabase(connection(source), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    assert.equal(first.manifest.kind, 'sqlite-snapshot');
    assert.equal(first.manifest.parent, null);

    await backupApiCopy(source, tmp.file('large-before.db'));
    // One row in 1100 is one row in about 110 pages: about 1 % of the pages, all over the file.
    changeScattered(source, 1100);
    await backupApiCopy(source, tmp.file('large-after.db'));
    const { differing, pages } = differingPages(tmp.file('large-before.db'), tmp.file('large-after.db'));
    const changed = differing / pages;
    assert.ok(changed >= 0.008 && changed <= 0.015, `about 1 % of the pages differ (${differing} of ${pages}, ${(100 * changed).toFixed(2)} %)`);

    const second = await backupDatabase(connection(source), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    const m = second.manifest;
    assert.equal(m.parent, first.manifest.id, 'the second snapshot names the first as its parent');
    const newBytes = Number(m.consistency.newBytes);
    // What the destination actually gained: the new pack and its index, and the snapshot's folder.
    const gained = listFiles(destination.location).filter(f => f.includes(m.id)).reduce((n, f) => n + fs.statSync(`${destination.location}/${f}`).size, 0);
    assert.ok(gained >= newBytes, `the manifest's new bytes (${newBytes}) are all that was written, the manifest aside (${gained})`);
    const share = newBytes / databaseBytes;
    console.log(`database ${databaseBytes} bytes, ${pages} pages; ${differing} pages changed (${(100 * changed).toFixed(2)} %); ` +
      `incremental snapshot stored ${newBytes} bytes (${(100 * share).toFixed(2)} %), ${gained} with its manifest; ${m.consistency.newBlocks} new blocks`);
    assert.ok(share <= 0.03, `the incremental snapshot stored ${(100 * share).toFixed(2)} % of the database`);
    assert.ok(Number(m.consistency.newBlocks) >= differing - 1 && Number(m.consistency.newBlocks) <= differing + 1, 'one new block per changed page');

    const restored = tmp.file('large-restored.db');
    await restoreBackup(second, { target: restored }, ctx);
    assert.equal(sha256File(restored), m.consistency.databaseSha256);
    assert.equal(sha256File(restored), sha256File(tmp.file('large-after.db')), 'bit-identical to the backup-API copy of the same moment');
    for (const f of ['large.db', 'large-before.db', 'large-after.db', 'large-restored.db']) fs.rmSync(tmp.file(f));
  });

  describe('a chain of ten', () => {
    const source = tmp.file('chain.db');
    const folder = tmp.file('backups-chain');
    const snapshots: CatalogEntry[] = [];
    const copies: string[] = [];
    before(async () => {
      createLargeDatabase(source, 40_000);
      const { ctx } = engineContext(folder);
      for (let i = 0; i < 10; i++) {
        // Rounds come in pairs that change the same rows: the second of a pair rewrites every
        // page the first stored new, so the first's pack ends up used by it alone.
        if (i > 0) changeScattered(source, 50, Math.ceil(i / 2));
        snapshots.push(await backupDatabase(connection(source, 'chain'), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx));
        copies.push(tmp.file(`chain-copy-${i}.db`));
        await backupApiCopy(source, copies[i]);
      }
    });

    it('links each snapshot to the one before, and each restores bit-identical to the backup-API copy of its moment', async () => {
      const { ctx } = engineContext(folder);
      for (let i = 0; i < 10; i++) {
        assert.equal(snapshots[i].manifest.parent, i === 0 ? null : snapshots[i - 1].manifest.id);
        const target = tmp.file(`chain-restored-${i}.db`);
        await restoreBackup(snapshots[i], { target }, ctx);
        assert.equal(sha256File(target), sha256File(copies[i]), `snapshot ${i + 1} restores bit-identical`);
        assert.equal(sha256File(target), snapshots[i].manifest.consistency.databaseSha256);
        fs.rmSync(target);
      }
    });

    it('verifies quick and full', async () => {
      const { ctx } = engineContext(folder);
      for (const quick of [true, false]) {
        const verification = await verifyBackup(snapshots[9], ctx, { quick });
        assert.equal(verification.ok, true, JSON.stringify(verification.checks));
        assert.equal(verification.kind, quick ? 'quick' : 'full');
        assert.ok(verification.checks.some(c => c.name === (quick ? 'blocks' : 'integrity_check') && c.ok));
      }
    });

    it('deleting old snapshots (the first among them) keeps every block the newer ones need, and removes packs nobody uses', async () => {
      const { ctx, destination, log } = engineContext(folder);
      // 2 (index 1) and 4 (index 3) stored blocks that 3 and 5 replaced: their packs become unused.
      for (const i of [0, 1, 3]) await deleteBackup(destination, snapshots[i].prefix, ctx.logger);
      const { entries, problems } = await listBackups(destination, { connectionId: 'chain' });
      assert.deepEqual(problems, []);
      assert.deepEqual(entries.map(e => e.manifest.id).sort(), [2, 4, 5, 6, 7, 8, 9].map(i => snapshots[i].manifest.id).sort());
      assert.deepEqual(packFiles(folder).sort(), referencedPacks(entries), 'the packs left are exactly those a remaining snapshot lists');
      const packOf = (i: number) => `${snapshots[i].manifest.id}.pack`;
      assert.ok(packFiles(folder).includes(packOf(0)), "the first snapshot's pack stays: the others take most pages from it");
      assert.ok(!packFiles(folder).includes(packOf(1)) && !packFiles(folder).includes(packOf(3)), `the packs of snapshots 2 and 4 are gone (${log.join(' | ')})`);
      for (const i of [2, 4, 5, 6, 7, 8, 9]) {
        const target = tmp.file(`chain-after-delete-${i}.db`);
        await restoreBackup(snapshots[i], { target }, ctx);
        assert.equal(sha256File(target), sha256File(copies[i]), `snapshot ${i + 1} still restores bit-identical`);
        fs.rmSync(target);
      }
    });

    it('collects nothing while a backup of the connection is in progress', async () => {
      const { ctx, destination } = engineContext(folder);
      const marker = await beginBackup(destination, 'chain/2099-01-01T00-00-00-000Z-beef');
      const before = packFiles(folder);
      const result = await deleteBackup(destination, snapshots[2].prefix, ctx.logger);
      assert.match(result.skipped ?? '', /in progress/);
      assert.deepEqual(packFiles(folder), before, 'no pack removed while the marker exists');
      await finishBackup(destination, marker);
      const { entries } = await listBackups(destination, { connectionId: 'chain' });
      const collected = await collectUnusedShared(destination, 'chain', ctx.logger);
      assert.equal(collected.skipped, undefined);
      assert.deepEqual(packFiles(folder).sort(), referencedPacks(entries));
    });
  });

  it('the listing removes the pack of a snapshot whose process died after storing it and before its manifest', async () => {
    const folder = tmp.file('backups-dead');
    const { ctx, destination } = engineContext(folder);
    const source = tmp.file('dead.db');
    createLargeDatabase(source, 5_000);
    const kept = await backupDatabase(connection(source, 'dead'), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    // What a SIGKILL leaves at the worst moment: the marker of a process that no longer exists,
    // and the snapshot's pack and pack index under their final names, listed by no manifest.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    const id = '2099-01-01T00-00-00-000Z-dead';
    const marker = ownedName('backup', 'writing').replace(/-\d+-([0-9a-f]{8})$/, `-${deadPid}-$1`);
    for (const key of [`dead/${id}/${marker}`, `dead/${id}/page-index.bin.gz`, `dead/blocks/${id}.pack`, `dead/blocks/${id}.pack-index`]) {
      fs.mkdirSync(path.dirname(path.join(folder, key)), { recursive: true });
      fs.writeFileSync(path.join(folder, key), 'left behind');
    }
    const { entries } = await listBackups(destination, { connectionId: 'dead', logger: ctx.logger });
    assert.deepEqual(entries.map(e => e.manifest.id), [kept.manifest.id]);
    assert.deepEqual(packFiles(folder).sort(), referencedPacks(entries), 'the dead snapshot\'s pack and index are gone, the kept one\'s remain');
    assert.ok(!listFiles(folder).some(f => f.includes(id)), 'nothing of the dead snapshot remains');
  });

  it('a flipped byte in a shared pack is found by quick and full verification, and a restore refuses it', async () => {
    const folder = tmp.file('backups-damaged');
    const { ctx } = engineContext(folder);
    const source = tmp.file('damaged.db');
    createLargeDatabase(source, 5_000);
    await backupDatabase(connection(source, 'damaged'), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    changeScattered(source, 100);
    const second = await backupDatabase(connection(source, 'damaged'), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    // The first snapshot's pack: the second takes most of its pages from it.
    const pack = path.join(folder, 'damaged', 'blocks', `${second.manifest.parent}.pack`);
    const bytes = fs.readFileSync(pack);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    fs.writeFileSync(pack, bytes);
    for (const quick of [true, false]) {
      const verification = await verifyBackup(second, ctx, { quick });
      assert.equal(verification.ok, false, `${quick ? 'quick' : 'full'} verification finds the damage`);
      assert.match(verification.checks.find(c => !c.ok)!.detail, new RegExp(`${second.manifest.parent}\\.pack`));
    }
    await assert.rejects(restoreBackup(second, { target: tmp.file('damaged-restored.db') }, ctx), (e: LifeboatError) => e.code === 'verification');
    assert.ok(!fs.existsSync(tmp.file('damaged-restored.db')), 'nothing restored');
  });

  it('a snapshot taken while another process writes restores to a consistent database', async () => {
    const source = tmp.file('busy.db');
    createLargeDatabase(source, 20_000);
    const { ctx } = engineContext(tmp.file('backups-busy'));
    const writer = await startWriter(source);
    try {
      const first = await backupDatabase(connection(source, 'busy'), { codec: 'gzip', sqliteFormat: 'snapshot', pagesPerStep: 16 }, ctx);
      const second = await backupDatabase(connection(source, 'busy'), { codec: 'gzip', sqliteFormat: 'snapshot', pagesPerStep: 16 }, ctx);
      assert.ok(await stopWriter(writer) > 0, 'the writer committed meanwhile');
      assert.equal(second.manifest.parent, first.manifest.id);
      for (const entry of [first, second]) {
        const target = tmp.file(`busy-restored-${entry.manifest.id}.db`);
        await restoreBackup(entry, { target }, ctx);
        assert.ok(integrityOk(target), 'integrity_check ok');
        const l = ledger(target);
        assert.equal(l.total, l.count, 'the ledger matches the rows: one consistent moment');
      }
    } finally {
      if (writer.exitCode === null) await stopWriter(writer);
    }
  });

  it('Cancel half-way leaves no manifest and no pack, and the chain before it intact', async () => {
    const source = tmp.file('cancel.db');
    createLargeDatabase(source, 60_000);
    const folder = tmp.file('backups-cancel');
    const { ctx } = engineContext(folder);
    const first = await backupDatabase(connection(source, 'cancel'), { codec: 'gzip', sqliteFormat: 'snapshot' }, ctx);
    const filesBefore = listFiles(folder);
    changeScattered(source, 7);
    const controller = new AbortController();
    const cancelling = engineContext(folder, { signal: controller.signal });
    let sawStoring = false;
    const progress = cancelling.ctx.onProgress!;
    cancelling.ctx.onProgress = update => {
      progress(update);
      if (/^Storing new blocks: page [\d,]+ of/.test(update.message) && !controller.signal.aborted) {
        const [done, total] = update.message.match(/[\d,]+/g)!.map(n => Number(n.replace(/,/g, '')));
        if (done > total / 3) {
          sawStoring = true;
          controller.abort();
        }
      }
    };
    await assert.rejects(backupDatabase(connection(source, 'cancel'), { codec: 'gzip', sqliteFormat: 'snapshot' }, cancelling.ctx), (e: LifeboatError) => e.code === 'cancelled');
    assert.ok(sawStoring, 'cancelled while storing blocks');
    assert.deepEqual(listFiles(folder), filesBefore, 'nothing of the cancelled snapshot remains: no manifest, no pack, no scratch');
    const target = tmp.file('cancel-restored.db');
    await restoreBackup(first, { target }, ctx);
    assert.equal(sha256File(target), first.manifest.consistency.databaseSha256);
  });
});
