import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listBackups, type CatalogEntry } from '../../src/core/catalog';
import { restoreBackup, verifyBackup, type ServerTarget } from '../../src/engines';
import { loadSqliteDriver } from '../../src/engines/sqlite/loadDriver';
import { engineContext } from '../support/engineContext';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { ROOT } from '../support/cli';
import { tempFolder } from '../support/temp';

// Backups written by Lifeboat 0.1.0 (test/fixtures/backups-0.1.0/README.md) still list, verify and
// restore with every row: a change to the manifest, the catalog or an engine must not orphan the
// backups users already have.

stopServersAfterTests();

const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'backups-0.1.0');
const ITEMS = [[1, 'anchor', '12.50'], [2, 'rope', '3.25'], [3, 'Zürich ☃', null]];

describe('backups written by Lifeboat 0.1.0', () => {
  const tmp = tempFolder('lifeboat-older');
  const folder = tmp.file('backups');
  let entries: CatalogEntry[];
  let pg: PostgresServer;
  let maria: MariadbServer;
  const byKind = (connection: string, kind: RegExp) => entries.filter(e => e.manifest.connection.id === connection && kind.test(e.manifest.kind));

  before(async () => {
    fs.cpSync(FIXTURE, folder, { recursive: true });
    fs.rmSync(path.join(folder, 'README.md'));
    const listing = await listBackups(engineContext(folder).destination);
    assert.deepEqual(listing.problems, []);
    entries = listing.entries;
    [pg, maria] = await Promise.all([startPostgres(), startMariadb()]);
  });
  after(async () => {
    await Promise.all([pg?.stop(), maria?.stop()]);
    tmp.dispose();
  });

  it('lists every one, with its state as recorded', () => {
    assert.equal(entries.length, 13);
    assert.ok(entries.every(e => e.manifest.verifications.every(v => v.ok)));
    assert.equal(byKind('fixture-sqlite', /snapshot/).filter(e => e.manifest.parent !== null).length, 1);
  });

  it('verifies every one quickly, and records it', async () => {
    for (const entry of entries) {
      const { ctx } = engineContext(folder);
      const verification = await verifyBackup(entry, ctx, { quick: true });
      assert.equal(verification.ok, true, `${entry.manifest.id}: ${JSON.stringify(verification.checks)}`);
    }
    const again = await listBackups(engineContext(folder).destination);
    assert.deepEqual(again.problems, []);
  });

  it('restores every SQLite backup with its rows', async () => {
    const driver = loadSqliteDriver();
    for (const entry of byKind('fixture-sqlite', /./)) {
      const target = tmp.file(`${entry.manifest.id}.db`);
      const { ctx } = engineContext(folder);
      await restoreBackup(entry, { target }, ctx);
      const db = driver.open(target, { readonly: true });
      try {
        const rows = db.all('SELECT id, name, price FROM items ORDER BY id').map(r => [Number(r.id), r.name, r.price === null ? null : Number(r.price).toFixed(2)]);
        // The snapshot on the first one, and the zstd copy, were made after buoy was added.
        const withBuoy = entry.manifest.tables.find(t => t.name === 'items')?.rows === 4;
        const expected = withBuoy ? [...ITEMS, [4, 'buoy', '20.00']] : ITEMS;
        assert.deepEqual(rows, expected, entry.manifest.id);
      } finally {
        db.close();
      }
    }
  });

  it('restores every PostgreSQL backup with its rows, and drills one', async () => {
    const target: ServerTarget = { connection: pg.connectionFor('postgres'), access: { password: pg.password } };
    // The fixtures' objects belong to "postgres"; a plain SQL dump sets owners whatever --no-owner says.
    await pg.query('CREATE ROLE postgres');
    for (const [i, entry] of byKind('fixture-pg', /./).entries()) {
      const database = `restored_${i}`;
      const { ctx } = engineContext(folder);
      await restoreBackup(entry, { target: database, noOwner: true, noPrivileges: true }, ctx, target);
      const rows = await pg.query<{ id: number; name: string; price: string | null }>('SELECT id, name, price::text AS price FROM public.items ORDER BY id', database);
      assert.deepEqual(rows.map(r => [r.id, r.name, r.price]), ITEMS, entry.manifest.id);
      assert.deepEqual((await pg.query<{ x: number }>('SELECT x FROM "Odd.Schema"."T" ORDER BY x', database)).map(r => r.x), [7, 8]);
    }
    const custom = byKind('fixture-pg', /pg_dump-custom/)[0];
    const { ctx } = engineContext(folder);
    const drill = await verifyBackup(custom, ctx, { deep: true }, target);
    assert.equal(drill.ok, true, JSON.stringify(drill.checks));
  });

  it('restores every MariaDB backup with its rows', async () => {
    const target: ServerTarget = { connection: maria.connectionFor(), access: { password: maria.password } };
    for (const [i, entry] of byKind('fixture-maria', /./).entries()) {
      const database = `restored_${i}`;
      const { ctx } = engineContext(folder);
      await restoreBackup(entry, { target: database }, ctx, target);
      const rows = await maria.query<{ id: number; name: string; price: string | null }>('SELECT id, name, price FROM items ORDER BY id', database);
      assert.deepEqual(rows.map(r => [r.id, r.name, r.price]), ITEMS, entry.manifest.id);
    }
  });
});
