import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listBackups } from '../../src/core/catalog';
import { LifeboatError } from '../../src/core/errors';
import {
  compareTables, MergeConflictError, undoMerge, type CompareRequest, type DiffKind, type DiffRow, type MergeOptions, type MergeSelection,
  type TableComparison, type TableSideSpec,
} from '../../src/diff';
import { columnsFor, type EngineColumns } from './diffColumns';
import { makeRng, type ColumnDef, type DiffDb, type TableDef, type TableLoc } from './diffDatabases';
import {
  allRows, assertAgreesKeyed, assertAgreesKeyless, assertOracleEqual, createGeneratedPair, createKeylessPair, FEW_MUTATIONS, keyedOracle,
  keylessOracle, keyOf, type KeyedTruth, type Pair,
} from './diffOracle';
import { engineContext } from './engineContext';
import { expectLifeboatError } from './pgBackupSupport';
import { listFiles, tempFolder } from './temp';

/**
 * The diff engine's tests that every database engine must pass, registered inside an engine's
 * test file (diffPostgres/diffMariadb/diffSqlite.test.ts), which starts the server and hands over
 * a DiffDb. Every expectation comes from the oracle (diffOracle.ts) run in the database, or from
 * what the test itself did to the tables.
 */

export interface SuiteOptions {
  db(): DiffDb;
  seed: number;
  /** The two spaces the tests' tables live in (created by the suite). */
  spaces: { backup: string; production: string };
  /** Checksum bisection is offered (PostgreSQL, MariaDB). */
  bisect: boolean;
  /** Rows of the big table (bisection's rows-read check, cancel). */
  bigRows: number;
  /**
   * Where the big table's backup side is read from, when not from the backup space: PostgreSQL
   * copies it into a second database, as a restored copy would be.
   */
  bigBackupSide?(pair: Pair): Promise<TableSideSpec>;
}

const ALL_KINDS: DiffKind[] = ['onlyInBackup', 'onlyInProduction', 'changed'];
const EVERYTHING: MergeSelection = { mode: 'all', kinds: ALL_KINDS, except: [] };
const WITH_DELETE: MergeOptions = { allowDelete: true };

export function diffSuite(options: SuiteOptions): void {
  const db = () => options.db();
  const label = (what: string) => `${db().label} ${what} (seed ${options.seed})`;
  let columns: EngineColumns;
  let tableCount = 0;
  const tmp = tempFolder('lifeboat-diff-jobs');
  const loc = (side: 'backup' | 'production', name: string): TableLoc => ({ space: options.spaces[side], name });
  const pairLocs = (name: string) => ({ backup: loc('backup', name), production: loc('production', name) });
  /** A fresh local backup folder for one apply/undo (the merge's undo backups land there). */
  const job = () => engineContext(tmp.file(`job-${++tableCount}`));
  const rngFor = (salt: number) => makeRng((options.seed ^ Math.imul(salt, 0x9e3779b1)) >>> 0);

  const compare = (pair: Pair, extra: Partial<CompareRequest> = {}) => compareTables({
    backup: db().side(pair.backup), production: db().side(pair.production), ...extra,
  });

  before(async () => {
    columns = columnsFor(db().dialect);
    await db().createSpace(options.spaces.backup);
    await db().createSpace(options.spaces.production);
  });
  after(() => tmp.dispose());

  const keyedDef = (key: ColumnDef[], values: ColumnDef[], primaryKey = key.map(c => c.name)): TableDef =>
    ({ columns: [...key, ...values], primaryKey });

  async function withComparison<T>(pair: Pair, extra: Partial<CompareRequest>, work: (c: TableComparison) => Promise<T> | T): Promise<T> {
    const comparison = await compare(pair, extra);
    try {
      return await work(comparison);
    } finally {
      await comparison.close();
    }
  }

  /** Merges every difference (deletes too), then the engine and the oracle both find the tables equal. */
  async function mergeEverything(pair: Pair, truth: KeyedTruth, what: string, modes: ('stream' | 'bisect')[]): Promise<void> {
    const { ctx } = job();
    await withComparison(pair, { mode: 'stream' }, async comparison => {
      const counts = comparison.summary.counts;
      const preview = comparison.preview(EVERYTHING, WITH_DELETE);
      assert.deepEqual({ inserts: preview.inserts, updates: preview.updates, deletes: preview.deletes, skipped: preview.skipped },
        { inserts: truth.onlyInBackup.length, updates: truth.changed.size, deletes: truth.onlyInProduction.length, skipped: 0 }, label(`${what}: preview counts`));
      const outcome = await comparison.apply(EVERYTHING, WITH_DELETE, ctx);
      assert.deepEqual({ inserted: outcome.inserted, updated: outcome.updated, deleted: outcome.deleted },
        { inserted: counts.onlyInBackup, updated: counts.changed, deleted: counts.onlyInProduction }, label(`${what}: rows written`));
    });
    assertOracleEqual(await keyedOracle(db(), pair), label(`${what} after merging everything`));
    for (const mode of modes) {
      await withComparison(pair, { mode }, comparison => {
        assert.deepEqual(comparison.summary.counts, { onlyInBackup: 0, onlyInProduction: 0, changed: 0 }, label(`${what}: ${mode} comparison after the merge`));
      });
    }
  }

  const modes = (): ('stream' | 'bisect')[] => (options.bisect ? ['stream', 'bisect'] : ['stream']);

  describe('generated table: inserts, deletes and updates at random positions', () => {
    let pair: Pair;
    let truth: KeyedTruth;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(1), {
        ...pairLocs('generated'), def: keyedDef([columns.id], columns.generated(0.1)), keyColumns: ['id'], rows: 3000, mutations: FEW_MUTATIONS,
      });
      truth = await keyedOracle(db(), pair);
      assert.ok(truth.onlyInBackup.length > 0 && truth.onlyInProduction.length > 0 && truth.changed.size > 0, 'the oracle sees every kind of difference');
    });

    it('stream: counts, keys of every kind and changed columns equal the oracle\'s', async () => {
      const rows = { backup: await db().rowCount(pair.backup), production: await db().rowCount(pair.production) };
      await withComparison(pair, { mode: 'stream' }, comparison => {
        const { summary } = comparison;
        assert.equal(summary.mode, 'stream');
        assert.deepEqual({ backup: summary.backup.rows, production: summary.production.rows }, rows, 'a streamed comparison counts every row');
        assert.deepEqual(summary.keyColumns, ['id']);
        assert.equal(summary.keySource, 'primary-key');
        assert.deepEqual(summary.columns.map(c => c.name), pair.def.columns.map(c => c.name), 'every column is compared, in table order');
        assertAgreesKeyed(comparison, truth, label('generated, stream'));
      });
    });

    it('bisect asked for with many differences: the oracle\'s answer (bisection may give way to streaming)', { skip: !options.bisect && 'no checksum bisection for this engine' }, async () => {
      await withComparison(pair, { mode: 'bisect' }, comparison => {
        assertAgreesKeyed(comparison, truth, label(`generated, bisect asked, ${comparison.summary.mode} done`));
      });
    });

    it('bisect with few differences: bisection runs, reads few rows, and agrees with the oracle', { skip: !options.bisect && 'no checksum bisection for this engine' }, async () => {
      const few = await createGeneratedPair(db(), rngFor(12), {
        ...pairLocs('generated few'), def: keyedDef([columns.id], columns.generated(0.1)), keyColumns: ['id'], rows: 3000,
        mutations: { deleteProduction: 3, insertProduction: 3, updateProduction: 6, deleteBackup: 1, insertBackup: 1, updateBackup: 2 },
      });
      await db().analyze(few.backup);
      await db().analyze(few.production);
      const fewTruth = await keyedOracle(db(), few);
      await withComparison(few, { mode: 'bisect' }, comparison => {
        assert.equal(comparison.summary.mode, 'bisect', 'bisection ran (it did not give way to streaming)');
        assertAgreesKeyed(comparison, fewTruth, label('generated, few differences, bisect'));
        for (const side of ['backup', 'production'] as const) {
          assert.ok(comparison.summary[side].rowsRead < 3000 / 2, `${side}: read ${comparison.summary[side].rowsRead} of 3000 rows`);
        }
      });
    });

    it('merging everything (all kinds, deletes allowed) leaves no difference, and the oracle agrees', async () => {
      await mergeEverything(pair, truth, 'generated', modes());
    });
  });

  describe('NULLs everywhere: NULL = NULL, NULL ≠ any value', () => {
    let pair: Pair;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(2), {
        ...pairLocs('nulls'), def: keyedDef([columns.id], columns.generated(0.7)), keyColumns: ['id'], rows: 400,
        mutations: { deleteProduction: 5, insertProduction: 5, updateProduction: 80, deleteBackup: 3, insertBackup: 3, updateBackup: 30 },
      });
    });
    it('agrees with the oracle in every mode, and merges to equal', async () => {
      const truth = await keyedOracle(db(), pair);
      for (const mode of modes()) await withComparison(pair, { mode }, c => assertAgreesKeyed(c, truth, label(`nulls, ${mode}`)));
      await mergeEverything(pair, truth, 'nulls', modes());
    });
  });

  describe('composite primary key (an integer, a text in a collation whose order is not byte order, a date)', () => {
    let pair: Pair;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(3), {
        ...pairLocs('composite'), def: keyedDef(columns.compositeKey, columns.compositeValues), keyColumns: columns.compositeKey.map(c => c.name),
        rows: 1500, mutations: FEW_MUTATIONS,
      });
    });
    it('matches rows by the whole key and agrees with the oracle', async () => {
      const truth = await keyedOracle(db(), pair);
      for (const mode of modes()) {
        await withComparison(pair, { mode }, comparison => {
          assert.deepEqual(comparison.summary.keyColumns, columns.compositeKey.map(c => c.name), 'the primary key, in its order');
          assertAgreesKeyed(comparison, truth, label(`composite key, ${mode}`));
          // Rows come in key order, whatever the collation: the same order twice.
          const keys = allRows(comparison, 'all').map(keyOf);
          assert.deepEqual(allRows(comparison, 'all').map(keyOf), keys, 'paging is stable');
        });
      }
      await mergeEverything(pair, truth, 'composite key', modes());
    });
  });

  describe('a unique key chosen with `key` (no primary key)', () => {
    let pair: Pair;
    before(async () => {
      const values = columns.compositeValues;
      const def: TableDef = { columns: [columns.uniqueKey, ...values], unique: [columns.uniqueKey.name] };
      pair = await createGeneratedPair(db(), rngFor(4), { ...pairLocs('chosen key'), def, keyColumns: [columns.uniqueKey.name], rows: 800, mutations: FEW_MUTATIONS });
    });
    it('matches by the chosen key, agrees with the oracle, and merges to equal', async () => {
      const truth = await keyedOracle(db(), pair);
      for (const mode of modes()) {
        await withComparison(pair, { mode, key: [columns.uniqueKey.name] }, comparison => {
          assert.deepEqual(comparison.summary.keyColumns, [columns.uniqueKey.name]);
          assert.equal(comparison.summary.keySource, 'chosen');
          assertAgreesKeyed(comparison, truth, label(`chosen key, ${mode}`));
        });
      }
      const { ctx } = job();
      await withComparison(pair, { key: [columns.uniqueKey.name] }, async comparison => {
        await comparison.apply(EVERYTHING, WITH_DELETE, ctx);
      });
      assertOracleEqual(await keyedOracle(db(), pair), label('chosen key after merging everything'));
    });
    it('without `key`, a table with no primary key is compared as a multiset of whole rows', async () => {
      await withComparison(pair, { mode: 'stream' }, comparison => {
        assert.equal(comparison.summary.keySource, 'none');
        assert.equal(comparison.summary.keyColumns, null);
      });
    });
  });

  describe('keyless table with duplicate rows', () => {
    let pair: Pair;
    before(async () => {
      pair = await createKeylessPair(db(), rngFor(5), { ...pairLocs('keyless'), columns: columns.keyless, rows: 1200 });
    });
    it('reports each differing row once, with the oracle\'s copy counts', async () => {
      const truth = await keylessOracle(db(), pair);
      assert.ok(truth.onlyInBackup.size > 0 && truth.onlyInProduction.size > 0, 'the oracle sees surplus copies on both sides');
      assert.ok([...truth.onlyInBackup.values(), ...truth.onlyInProduction.values()].some(c => c.surplus > 1), 'some row has more than one surplus copy');
      assert.ok([...truth.onlyInBackup.values()].some(c => c.productionCopies > 0), 'some row is on both sides in different numbers');
      await withComparison(pair, { mode: 'stream' }, comparison => {
        assert.equal(comparison.summary.keySource, 'none');
        assertAgreesKeyless(comparison, truth, label('keyless'));
      });
    });
    it('merging everything inserts and deletes exactly the surplus copies; undo puts them back', async () => {
      const truth = await keylessOracle(db(), pair);
      const copies = (kind: 'onlyInBackup' | 'onlyInProduction') => [...truth[kind].values()].reduce((sum, c) => sum + c.surplus, 0);
      const original = await db().fingerprint(pair.production);
      const folder = tmp.file(`keyless-${++tableCount}`);
      const { ctx, destination } = engineContext(folder);
      const outcome = await withComparison(pair, { mode: 'stream' }, async comparison => {
        const written = await comparison.apply(EVERYTHING, WITH_DELETE, ctx);
        assert.deepEqual({ inserted: written.inserted, deleted: written.deleted, updated: written.updated },
          { inserted: copies('onlyInBackup'), deleted: copies('onlyInProduction'), updated: 0 }, label('keyless: rows written are the surplus copies'));
        return written;
      });
      const after = await keylessOracle(db(), pair);
      assert.deepEqual({ b: [...after.onlyInBackup], p: [...after.onlyInProduction] }, { b: [], p: [] }, label('keyless: the oracle finds the same multiset on both sides'));
      assert.equal(await db().fingerprint(pair.production), await db().fingerprint(pair.backup), 'the same rows, copy for copy');
      const entry = (await listBackups(destination)).entries.find(e => e.manifest.id === outcome.undoBackupId);
      assert.ok(entry, 'the undo backup is listed');
      const production = db().side(pair.production);
      await undoMerge(entry, { connection: production.connection, password: production.password }, engineContext(folder).ctx);
      assert.equal(await db().fingerprint(pair.production), original, 'undo restores every copy: production is as it was');
    });
  });

  describe('hostile identifiers (quotes, backticks, spaces, semicolons, keywords, unicode)', () => {
    let pair: Pair;
    before(async () => {
      for (const space of columns.hostileSpaces) await db().createSpace(space);
      const [key, ...values] = columns.hostileColumns;
      pair = await createGeneratedPair(db(), rngFor(6), {
        backup: { space: columns.hostileSpaces[0], name: columns.hostileTable },
        production: { space: columns.hostileSpaces[1], name: columns.hostileTable },
        def: keyedDef([key], values), keyColumns: [key.name], rows: 300,
        mutations: { deleteProduction: 8, insertProduction: 6, updateProduction: 12, deleteBackup: 3, insertBackup: 3, updateBackup: 5 },
      });
    });
    it('compares (agreeing with the oracle), previews quoted SQL, and merges to equal', async () => {
      const truth = await keyedOracle(db(), pair);
      for (const mode of modes()) {
        await withComparison(pair, { mode }, comparison => {
          assert.deepEqual(comparison.summary.columns.map(c => c.name), pair.def.columns.map(c => c.name));
          assertAgreesKeyed(comparison, truth, label(`hostile names, ${mode}`));
          const sql = comparison.preview(EVERYTHING, WITH_DELETE, 10_000).sql;
          assert.ok(sql.includes(db().quote(columns.hostileTable)), `the preview quotes the table name as ${db().quote(columns.hostileTable)}:\n${sql.slice(0, 800)}`);
          for (const column of pair.values) assert.ok(sql.includes(db().quote(column.name)), `the preview quotes column ${column.name} as ${db().quote(column.name)}`);
        });
      }
      await mergeEverything(pair, truth, 'hostile names', modes());
    });
  });

  describe('partial merge', () => {
    let pair: Pair;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(7), {
        ...pairLocs('partial'), def: keyedDef([columns.id], columns.generated(0.1)), keyColumns: ['id'], rows: 600,
        mutations: { deleteProduction: 12, insertProduction: 10, updateProduction: 40, deleteBackup: 4, insertBackup: 4, updateBackup: 10 },
      });
    });

    it('chosen ids, and one of a changed row\'s changed columns: exactly those change', async () => {
      const rng = rngFor(70);
      const before = await keyedOracle(db(), pair);
      const { ctx } = job();
      let chosen!: { inserts: DiffRow[]; deletes: DiffRow[]; updates: DiffRow[]; partial: DiffRow; column: string };
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const names = comparison.summary.columns.map(c => c.name);
        const changed = allRows(comparison, 'changed');
        const partial = changed.find(r => r.changed.length >= 2);
        assert.ok(partial, 'some changed row has two changed columns or more');
        chosen = {
          inserts: rng.shuffle(allRows(comparison, 'onlyInBackup')).slice(0, 3),
          deletes: rng.shuffle(allRows(comparison, 'onlyInProduction')).slice(0, 2),
          updates: rng.shuffle(changed.filter(r => r !== partial)).slice(0, 2),
          partial,
          column: names[rng.pick(partial.changed)],
        };
        const ids = [...chosen.inserts, ...chosen.deletes, ...chosen.updates, partial].map(r => r.id);
        const selection: MergeSelection = { mode: 'ids', ids, columns: { [partial.id]: [chosen.column] } };

        const preview = comparison.preview(selection, WITH_DELETE);
        assert.deepEqual({ inserts: preview.inserts, updates: preview.updates, deletes: preview.deletes, skipped: preview.skipped, truncated: preview.truncated },
          { inserts: 3, updates: 3, deletes: 2, skipped: 0, truncated: false }, 'preview counts');
        assert.equal(preview.target.table.includes(pair.production.name), true, 'the preview names the target table');
        assert.deepEqual(statementCounts(preview.sql), { insert: 3, update: 3, delete: 2 }, `the preview's statements:\n${preview.sql}`);
        assert.ok(preview.sql.includes(db().quote(pair.production.name)), 'the preview quotes the table name');
        const withoutDelete = comparison.preview(selection, { allowDelete: false });
        assert.deepEqual({ deletes: withoutDelete.deletes, skipped: withoutDelete.skipped }, { deletes: 0, skipped: 2 }, 'without allowDelete, rows only in production are skipped');
        const short = comparison.preview(selection, WITH_DELETE, 2);
        assert.equal(short.truncated, true, 'a preview capped at 2 statements says it is truncated');
        assert.ok(statementTotal(short.sql) <= 2, 'and shows at most 2 statements');

        const outcome = await comparison.apply(selection, WITH_DELETE, ctx);
        assert.deepEqual({ inserted: outcome.inserted, updated: outcome.updated, deleted: outcome.deleted }, { inserted: 3, updated: 3, deleted: 2 });
      });

      const after = await keyedOracle(db(), pair);
      const without = (keys: string[], rows: DiffRow[]) => keys.filter(k => !rows.some(r => keyOf(r) === k));
      const expectedChanged = new Map(before.changed);
      for (const row of chosen.updates) expectedChanged.delete(keyOf(row));
      const rest = before.changed.get(keyOf(chosen.partial))!.filter(c => c !== chosen.column);
      expectedChanged.set(keyOf(chosen.partial), rest);
      assert.deepEqual(after.onlyInBackup, without(before.onlyInBackup, chosen.inserts), label('partial: rows only in the backup, less the inserted'));
      assert.deepEqual(after.onlyInProduction, without(before.onlyInProduction, chosen.deletes), label('partial: rows only in production, less the deleted'));
      assert.deepEqual([...after.changed].sort(), [...expectedChanged].sort(), label('partial: changed rows, less the updated, the partial row less its chosen column'));
    });

    it('mode all, one kind, except one id, also one changed row: that kind but that row, plus that changed row', async () => {
      const before = await keyedOracle(db(), pair);
      const { ctx } = job();
      let kept!: string;
      let alsoMerged!: string;
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const candidates = allRows(comparison, 'onlyInBackup');
        assert.ok(candidates.length >= 2);
        kept = keyOf(candidates[1]);
        const also = allRows(comparison, 'changed')[0];
        alsoMerged = keyOf(also);
        const selection: MergeSelection = { mode: 'all', kinds: ['onlyInBackup'], except: [candidates[1].id], also: [also.id] };
        const preview = comparison.preview(selection, { allowDelete: false });
        assert.deepEqual({ inserts: preview.inserts, updates: preview.updates, deletes: preview.deletes }, { inserts: candidates.length - 1, updates: 1, deletes: 0 }, 'preview counts');
        const outcome = await comparison.apply(selection, { allowDelete: false }, ctx);
        assert.deepEqual({ inserted: outcome.inserted, updated: outcome.updated, deleted: outcome.deleted }, { inserted: candidates.length - 1, updated: 1, deleted: 0 });
      });
      const after = await keyedOracle(db(), pair);
      assert.deepEqual(after.onlyInBackup, [kept], 'only the excepted row is still missing from production');
      assert.deepEqual(after.onlyInProduction, before.onlyInProduction, 'rows only in production are untouched');
      const expectedChanged = new Map(before.changed);
      expectedChanged.delete(alsoMerged);
      assert.deepEqual([...after.changed].sort(), [...expectedChanged].sort(), 'changed rows are untouched but the one added with also');
    });
  });

  describe('concurrent change between the comparison and Apply', () => {
    let pair: Pair;
    const touch = (loc: TableLoc, id: string) => db().exec(
      `UPDATE ${db().table(loc)} SET ${db().quote('qty')} = COALESCE(${db().quote('qty')}, 0) + 1000003 WHERE ${db().quote('id')} = ${db().param(1)}`, [Number(id)]);
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(8), {
        ...pairLocs('concurrent'), def: keyedDef([columns.id], columns.compositeValues), keyColumns: ['id'], rows: 500,
        mutations: { deleteProduction: 10, insertProduction: 10, updateProduction: 20, deleteBackup: 2, insertBackup: 2, updateBackup: 4 },
      });
    });

    async function expectConflict(comparison: TableComparison, selection: MergeSelection, expected: { key: string; action: string }[], what: string): Promise<MergeConflictError> {
      const before = await db().fingerprint(pair.production);
      const { ctx, destination } = job();
      let caught: unknown;
      await assert.rejects(comparison.apply(selection, WITH_DELETE, ctx), (error: unknown) => { caught = error; return true; });
      assert.ok(caught instanceof MergeConflictError, `${what}: a MergeConflictError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
      assert.equal(caught.code, 'conflict');
      assert.equal(caught.total, expected.length, `${what}: conflicting rows (${JSON.stringify(caught.conflicts)})`);
      assert.deepEqual(caught.conflicts.map(c => ({ key: JSON.stringify(c.key), action: c.action })).sort((a, b) => a.key.localeCompare(b.key)),
        [...expected].sort((a, b) => a.key.localeCompare(b.key)), `${what}: the conflicts name the rows and what the merge would have done`);
      assert.equal(await db().fingerprint(pair.production), before, `${what}: production is exactly as it was: nothing written`);
      assert.deepEqual((await listBackups(destination)).entries, [], `${what}: no undo backup is kept for a merge that wrote nothing`);
      return caught;
    }

    it('a changed row updated and a row to delete updated in production: conflict naming both, 0 rows written', async () => {
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const changed = allRows(comparison, 'changed')[0];
        const doomed = allRows(comparison, 'onlyInProduction')[0];
        await touch(pair.production, changed.key[0]!);
        await touch(pair.production, doomed.key[0]!);
        const conflict = await expectConflict(comparison, EVERYTHING, [{ key: keyOf(changed), action: 'update' }, { key: keyOf(doomed), action: 'delete' }], 'two rows changed');
        const found = conflict.conflicts.find(c => JSON.stringify(c.key) === keyOf(changed))!;
        assert.deepEqual(found.expected, changed.production, 'the conflict shows the row as the comparison saw it');
        assert.notDeepEqual(found.found, changed.production, 'and as production holds it now');
      });
    });

    it('a row inserted in production with a key the merge would insert: conflict, 0 rows written', async () => {
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const missing = allRows(comparison, 'onlyInBackup')[0];
        await db().exec(`INSERT INTO ${db().table(pair.production)} (${db().quote('id')}, ${db().quote('qty')}) VALUES (${db().param(1)}, ${db().param(2)})`,
          [Number(missing.key[0]), 7]);
        await expectConflict(comparison, EVERYTHING, [{ key: keyOf(missing), action: 'insert' }], 'key taken');
      });
    });

    it('a changed row deleted in production: conflict, 0 rows written', async () => {
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const changed = allRows(comparison, 'changed')[1];
        await db().exec(`DELETE FROM ${db().table(pair.production)} WHERE ${db().quote('id')} = ${db().param(1)}`, [Number(changed.key[0])]);
        await expectConflict(comparison, { mode: 'ids', ids: [changed.id] }, [{ key: keyOf(changed), action: 'update' }], 'row gone');
      });
    });

    it('a change to a row the merge does not touch is no conflict', async () => {
      const before = await keyedOracle(db(), pair);
      await withComparison(pair, { mode: 'stream' }, async comparison => {
        const [merged, other] = allRows(comparison, 'changed');
        await touch(pair.production, other.key[0]!);
        const outcome = await comparison.apply({ mode: 'ids', ids: [merged.id] }, WITH_DELETE, job().ctx);
        assert.equal(outcome.updated, 1);
        const after = await keyedOracle(db(), pair);
        assert.equal(after.changed.has(keyOf(merged)), false, 'the chosen row was merged');
        assert.equal(after.changed.size, before.changed.size - 1);
      });
    });
  });

  describe('undo', () => {
    let pair: Pair;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(9), {
        ...pairLocs('undo'), def: keyedDef([columns.id], columns.generated(0.2)), keyColumns: ['id'], rows: 500,
        mutations: { deleteProduction: 10, insertProduction: 10, updateProduction: 25, deleteBackup: 3, insertBackup: 3, updateBackup: 5 },
      });
    });
    it('the merge\'s undo backup is listed, and undoMerge puts production back exactly', async () => {
      const original = await db().fingerprint(pair.production);
      const folder = tmp.file(`undo-${++tableCount}`);
      const { ctx, destination } = engineContext(folder);
      const outcome = await withComparison(pair, { mode: 'stream' }, c => c.apply(EVERYTHING, WITH_DELETE, ctx));
      assert.ok(outcome.inserted > 0 && outcome.updated > 0 && outcome.deleted > 0, 'the merge inserted, updated and deleted');
      assertOracleEqual(await keyedOracle(db(), pair), label('undo: merged'));
      assert.notEqual(await db().fingerprint(pair.production), original);
      const { entries } = await listBackups(destination);
      const entry = entries.find(e => e.manifest.id === outcome.undoBackupId || e.prefix.endsWith(`/${outcome.undoBackupId}`));
      assert.ok(entry, `the catalog lists the undo backup ${outcome.undoBackupId} (listed: ${entries.map(e => e.prefix).join(', ')})`);
      assert.equal(entry.manifest.engine, db().side(pair.production).connection.engine);
      const production = db().side(pair.production);
      const undone = await undoMerge(entry, { connection: production.connection, password: production.password }, engineContext(folder).ctx);
      assert.deepEqual(undone, { restored: outcome.updated + outcome.deleted, removed: outcome.inserted }, 'undo restores the updated and deleted rows and removes the inserted');
      assert.equal(await db().fingerprint(pair.production), original, 'production is byte for byte what it was before the merge');
    });
  });

  describe(`big table (${options.bigRows} rows, 50 differences)`, () => {
    let pair: Pair;
    let truth: KeyedTruth;
    let backupSide: TableSideSpec;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(10), {
        ...pairLocs('big'), def: keyedDef([columns.id], columns.compositeValues), keyColumns: ['id'], rows: options.bigRows,
        mutations: { deleteProduction: 12, insertProduction: 10, updateProduction: 16, deleteBackup: 4, insertBackup: 4, updateBackup: 4 },
      });
      await db().analyze(pair.backup);
      await db().analyze(pair.production);
      truth = await keyedOracle(db(), pair);
      backupSide = options.bigBackupSide ? await options.bigBackupSide(pair) : db().side(pair.backup);
    });
    const compareBig = (extra: Partial<CompareRequest>) => compareTables({ backup: backupSide, production: db().side(pair.production), ...extra });

    it('bisection reads a small part of each side and agrees with the oracle', { skip: !options.bisect && 'no checksum bisection for this engine' }, async () => {
      const comparison = await compareBig({ mode: 'bisect' });
      try {
        assertAgreesKeyed(comparison, truth, label('big, bisect'));
        const { summary } = comparison;
        assert.equal(summary.mode, 'bisect');
        assert.ok(summary.bisection && summary.bisection.queries > 0, 'bisection figures are reported');
        for (const side of ['backup', 'production'] as const) {
          assert.ok(summary[side].rowsRead < options.bigRows * 0.2, `${side}: read ${summary[side].rowsRead} of ${options.bigRows} rows (< 20 %)`);
        }
      } finally {
        await comparison.close();
      }
    });

    it('streamed, agrees with the oracle and leaves no scratch file after close()', async () => {
      await withScratchWatch(async scratch => {
        const progress: (number | null)[] = [];
        const comparison = await compareBig({ mode: 'stream', onProgress: p => progress.push(p.fraction) });
        try {
          assertAgreesKeyed(comparison, truth, label('big, stream'));
          assert.ok(progress.length > 0, 'progress is reported');
          const known = progress.filter((f): f is number => f !== null);
          assert.ok(known.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= known[i - 1])), 'progress fractions grow within 0..1');
        } finally {
          await comparison.close();
        }
        assert.deepEqual(listFiles(scratch), [], 'no scratch file left in the temporary folder after close()');
      });
    });

    it('cancel mid-compare: a cancelled error, and no scratch file left', async () => {
      await withScratchWatch(async scratch => {
        const controller = new AbortController();
        let progressSeen = 0;
        const timer = setTimeout(() => controller.abort(), 2000);
        try {
          await expectLifeboatError(compareBig({
            mode: 'stream', signal: controller.signal,
            onProgress: () => { if (++progressSeen === 1) controller.abort(); },
          }), 'cancelled', /./);
        } finally {
          clearTimeout(timer);
        }
        assert.deepEqual(listFiles(scratch), [], 'no scratch file left');
      });
    });
  });

  describe('errors a person can act on', () => {
    let pair: Pair;
    before(async () => {
      pair = await createGeneratedPair(db(), rngFor(11), {
        // No primary key; "grp" repeats (ten values over 200 rows).
        ...pairLocs('errors'), def: { columns: [columns.id, { ...columns.compositeValues[0], name: 'grp', value: rng => rng.int(10) }, ...columns.compositeValues.slice(1)] },
        keyColumns: ['id'], rows: 200, mutations: { deleteProduction: 1, insertProduction: 1, updateProduction: 1, deleteBackup: 0, insertBackup: 0, updateBackup: 0 },
      });
    });
    it('a table that does not exist: not-found, naming it', async () => {
      const missing = { ...pair.production, name: 'no such table ☃' };
      await expectLifeboatError(compareTables({ backup: db().side(pair.backup), production: db().side(missing) }), 'not-found', /no such table ☃/);
      await expectLifeboatError(compareTables({ backup: db().side(missing), production: db().side(pair.production) }), 'not-found', /no such table ☃/);
    });
    it('a chosen key that is not unique: a clear error naming it', async () => {
      const error = await compare(pair, { key: ['grp'] }).then(c => c.close().then(() => null), (e: unknown) => e);
      assert.ok(error instanceof LifeboatError, `a LifeboatError, got ${String(error)}`);
      assert.match(error.fullMessage, /grp/, 'names the key column');
      assert.match(error.fullMessage, /unique|duplicate/i, 'says it is not unique');
    });
    it('a chosen key column that does not exist: a clear error naming it', async () => {
      const error = await compare(pair, { key: ['nope ☃'] }).then(c => c.close().then(() => null), (e: unknown) => e);
      assert.ok(error instanceof LifeboatError, `a LifeboatError, got ${String(error)}`);
      assert.match(error.message, /nope ☃/);
    });
    it('a wrong password: a connection error', async t => {
      const side = db().side(pair.production);
      if (side.connection.engine === 'sqlite') return t.skip('SQLite has no password');
      await expectLifeboatError(compareTables({ backup: db().side(pair.backup), production: { ...side, password: 'wrong password' } }), 'connection', /./);
    });
  });
}

/** INSERT/UPDATE/DELETE statements in preview SQL. */
function statementCounts(sql: string): { insert: number; update: number; delete: number } {
  return {
    insert: (sql.match(/\bINSERT\s+INTO\b/gi) ?? []).length,
    update: (sql.match(/\bUPDATE\s/gi) ?? []).length,
    delete: (sql.match(/\bDELETE\s+FROM\b/gi) ?? []).length,
  };
}

function statementTotal(sql: string): number {
  const c = statementCounts(sql);
  return c.insert + c.update + c.delete;
}

/**
 * Runs `work` with TMPDIR pointing at an empty folder of its own, so that scratch files the
 * engine leaves in the temporary folder can be seen.
 */
async function withScratchWatch(work: (folder: string) => Promise<void>): Promise<void> {
  const folder = tempFolder('lifeboat-diff-scratch');
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = folder.path;
  try {
    await work(folder.path);
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    folder.dispose();
  }
}
