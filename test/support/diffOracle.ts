import assert from 'node:assert/strict';
import type { DiffKind, DiffRow, TableComparison } from '../../src/diff';
import type { ColumnDef, DiffDb, Rng, TableDef, TableLoc } from './diffDatabases';

/**
 * Generated table pairs for the diff engine (a base table, its copy, then random INSERTs, DELETEs
 * and UPDATEs at random positions on both sides) and the oracle: what differs, computed by the
 * database itself with anti-joins and NULL-safe comparisons (PostgreSQL IS DISTINCT FROM and
 * EXCEPT ALL, MariaDB <=> and EXCEPT ALL, SQLite IS and grouped counts). Tests compare the engine's
 * answer with the oracle's; nothing expected is written down by hand.
 */

export interface Pair {
  def: TableDef;
  backup: TableLoc;
  production: TableLoc;
  /** Key columns (empty for keyless tables). */
  key: ColumnDef[];
  /** The compared non-key columns. */
  values: ColumnDef[];
}

export interface Mutations {
  deleteProduction: number;
  insertProduction: number;
  updateProduction: number;
  deleteBackup: number;
  insertBackup: number;
  updateBackup: number;
}

export const FEW_MUTATIONS: Mutations = {
  deleteProduction: 40, insertProduction: 30, updateProduction: 60, deleteBackup: 15, insertBackup: 15, updateBackup: 20,
};

/**
 * Creates `backup` with `rows` generated rows keyed by `keyColumns`, copies it to `production`,
 * then mutates both sides at random positions. Returns what the oracle needs.
 */
export async function createGeneratedPair(db: DiffDb, rng: Rng, options: {
  backup: TableLoc; production: TableLoc; def: TableDef; keyColumns: string[]; rows: number; mutations: Mutations;
}): Promise<Pair> {
  const { def, backup, production } = options;
  const key = options.keyColumns.map(name => def.columns.find(c => c.name === name)!);
  const values = def.columns.filter(c => !options.keyColumns.includes(c.name));
  const names = def.columns.map(c => c.name);
  const universe = rng.shuffle(Array.from({ length: options.rows * 3 }, (_, i) => i));
  const base = universe.slice(0, options.rows);
  const fresh = universe.slice(options.rows);
  const makeRow = (i: number) => def.columns.map(c => (options.keyColumns.includes(c.name) ? c.keyValue!(i, rng) : c.value(rng)));
  const rows = new Map<number, unknown[]>();
  for (const i of base) rows.set(i, makeRow(i));

  await db.createTable(backup, def);
  await db.insert(backup, names, [...rows.values()]);
  await db.copyTable(backup, production, def);

  const mutate = async (loc: TableLoc, deletes: number, inserts: number, updates: number) => {
    const live = new Map(rows);
    const keyOf = (row: unknown[]) => key.map(k => row[def.columns.indexOf(k)]);
    const where = (startAt: number) => key.map((k, n) => `${db.quote(k.name)} = ${db.param(startAt + n)}`).join(' AND ');
    for (const i of rng.shuffle([...live.keys()]).slice(0, deletes)) {
      await db.exec(`DELETE FROM ${db.table(loc)} WHERE ${where(1)}`, keyOf(live.get(i)!));
      live.delete(i);
    }
    const added: unknown[][] = [];
    for (let n = 0; n < inserts && fresh.length; n++) {
      const i = fresh.pop()!;
      const row = makeRow(i);
      added.push(row);
    }
    await db.insert(loc, names, added);
    for (const i of rng.shuffle([...live.keys()]).slice(0, updates)) {
      const row = live.get(i)!;
      const chosen = rng.shuffle([...values]).slice(0, 1 + rng.int(Math.min(3, values.length)));
      const newValues = chosen.map(c => {
        const old = row[def.columns.indexOf(c)];
        if (c.respell && old !== null && rng.chance(0.35)) return c.respell(old, rng);
        if (old !== null && rng.chance(0.1)) return null;
        return c.value(rng);
      });
      const sets = chosen.map((c, n) => `${db.quote(c.name)} = ${db.param(n + 1)}`).join(', ');
      await db.exec(`UPDATE ${db.table(loc)} SET ${sets} WHERE ${where(chosen.length + 1)}`, [...newValues, ...keyOf(row)]);
    }
  };
  const m = options.mutations;
  await mutate(production, m.deleteProduction, m.insertProduction, m.updateProduction);
  await mutate(backup, m.deleteBackup, m.insertBackup, m.updateBackup);
  return { def, backup, production, key, values };
}

// ---------------------------------------------------------------------------------------------
// The oracle, keyed

export interface KeyedTruth {
  onlyInBackup: string[];
  onlyInProduction: string[];
  /** Key → the names of the columns that differ (sorted). */
  changed: Map<string, string[]>;
  /** Keys on both sides whose rows are equal. */
  same: number;
}

const isTrue = (v: unknown) => v === true || v === 1 || v === '1' || v === 1n || v === 't';

/** `b.k = p.k` (uses the key's index) and exactly equal (bytes for text keys). */
function keyMatch(db: DiffDb, key: ColumnDef[], b: string, p: string): string {
  return key.map(k => {
    const bk = `${b}.${db.quote(k.name)}`;
    const pk = `${p}.${db.quote(k.name)}`;
    return `${bk} = ${pk} AND NOT (${db.differs(bk, pk, k)})`;
  }).join(' AND ');
}

function keyTexts(db: DiffDb, key: ColumnDef[], alias: string): string {
  return key.map((k, n) => `${db.keyText(`${alias}.${db.quote(k.name)}`)} AS k${n}`).join(', ');
}

function keyString(row: Record<string, unknown>, width: number): string {
  return JSON.stringify(Array.from({ length: width }, (_, n) => (row[`k${n}`] === null ? null : String(row[`k${n}`]))));
}

export async function keyedOracle(db: DiffDb, pair: Pair): Promise<KeyedTruth> {
  const { key, values } = pair;
  const B = db.table(pair.backup);
  const P = db.table(pair.production);
  const only = async (from: string, other: string) => {
    const rows = await db.rows<Record<string, unknown>>(
      `SELECT ${keyTexts(db, key, 'x')} FROM ${from} x WHERE NOT EXISTS (SELECT 1 FROM ${other} y WHERE ${keyMatch(db, key, 'x', 'y')})`);
    return rows.map(r => keyString(r, key.length)).sort();
  };
  const flags = values.map((c, n) => `(${db.differs(`b.${db.quote(c.name)}`, `p.${db.quote(c.name)}`, c)}) AS d${n}`).join(', ');
  const anyDiffers = values.map(c => `(${db.differs(`b.${db.quote(c.name)}`, `p.${db.quote(c.name)}`, c)})`).join(' OR ');
  const changedRows = await db.rows<Record<string, unknown>>(
    `SELECT ${keyTexts(db, key, 'b')}, ${flags} FROM ${B} b JOIN ${P} p ON ${keyMatch(db, key, 'b', 'p')} WHERE ${anyDiffers}`);
  const changed = new Map<string, string[]>();
  for (const row of changedRows) changed.set(keyString(row, key.length), values.filter((_, n) => isTrue(row[`d${n}`])).map(c => c.name).sort());
  const [{ n: matched }] = await db.rows<{ n: unknown }>(`SELECT count(*) AS n FROM ${B} b JOIN ${P} p ON ${keyMatch(db, key, 'b', 'p')}`);
  return {
    onlyInBackup: await only(B, P),
    onlyInProduction: await only(P, B),
    changed,
    same: Number(matched) - changed.size,
  };
}

// ---------------------------------------------------------------------------------------------
// The oracle, keyless (multisets of whole rows)

export interface Copies {
  /** How many more copies this side has. */
  surplus: number;
  backupCopies: number;
  productionCopies: number;
}

export interface KeylessTruth {
  onlyInBackup: Map<string, Copies>;
  onlyInProduction: Map<string, Copies>;
}

export async function keylessOracle(db: DiffDb, pair: Pair): Promise<KeylessTruth> {
  const columns = pair.values;
  const list = (alias: string) => columns.map(c => `${alias}.${db.quote(c.name)}`).join(', ');
  const texts = (alias: string) => columns.map((c, n) => `${db.keyText(`${alias}.${db.quote(c.name)}`)} AS k${n}`).join(', ');
  const B = db.table(pair.backup);
  const P = db.table(pair.production);
  const groups = async (table: string) => {
    const rows = await db.rows<Record<string, unknown>>(`SELECT ${texts('t')}, count(*) AS n FROM ${table} t GROUP BY ${list('t')}`);
    return new Map(rows.map(r => [keyString(r, columns.length), Number(r.n)]));
  };
  const surplus = async (from: string, other: string) => {
    let rows: Record<string, unknown>[];
    if (db.dialect === 'sqlite') {
      // SQLite has no EXCEPT ALL: grouped counts joined NULL-safely with IS.
      const match = columns.map(c => `x.${db.quote(c.name)} IS y.${db.quote(c.name)}`).join(' AND ');
      rows = await db.rows(
        `WITH x AS (SELECT ${list('t')}, count(*) AS n FROM ${from} t GROUP BY ${list('t')}),
              y AS (SELECT ${list('t')}, count(*) AS n FROM ${other} t GROUP BY ${list('t')})
         SELECT ${texts('x')}, x.n - coalesce((SELECT y.n FROM y WHERE ${match}), 0) AS n FROM x
         WHERE x.n > coalesce((SELECT y.n FROM y WHERE ${match}), 0)`);
    } else {
      rows = await db.rows(
        `SELECT ${texts('d')}, count(*) AS n FROM (SELECT ${list('f')} FROM ${from} f EXCEPT ALL SELECT ${list('o')} FROM ${other} o) d GROUP BY ${list('d')}`);
    }
    return new Map(rows.map(r => [keyString(r, columns.length), Number(r.n)]));
  };
  const inBackup = await groups(B);
  const inProduction = await groups(P);
  const describe = (map: Map<string, number>): Map<string, Copies> => new Map([...map].map(([k, n]) => [k, {
    surplus: n, backupCopies: inBackup.get(k) ?? 0, productionCopies: inProduction.get(k) ?? 0,
  }]));
  const truth = { onlyInBackup: describe(await surplus(B, P)), onlyInProduction: describe(await surplus(P, B)) };
  // The two halves of the oracle agree with each other (else the oracle itself is wrong).
  for (const [kind, map] of Object.entries(truth)) {
    for (const [k, c] of map) {
      const expected = kind === 'onlyInBackup' ? c.backupCopies - c.productionCopies : c.productionCopies - c.backupCopies;
      assert.equal(c.surplus, expected, `oracle self-check: ${kind} ${k}`);
    }
  }
  return truth;
}

/** Keyless rows from a pool of few values, so that rows repeat on each side. */
export async function createKeylessPair(db: DiffDb, rng: Rng, options: { backup: TableLoc; production: TableLoc; columns: ColumnDef[]; rows: number }): Promise<Pair> {
  const def: TableDef = { columns: options.columns };
  const names = options.columns.map(c => c.name);
  const pool = Array.from({ length: 24 }, () => options.columns.map(c => c.value(rng)));
  const draw = (n: number) => Array.from({ length: n }, () => rng.pick(pool));
  await db.createTable(options.backup, def);
  await db.insert(options.backup, names, draw(options.rows));
  await db.copyTable(options.backup, options.production, def);
  // More copies of some rows on each side, and some copies gone (the oracle decides which rows then differ).
  await db.insert(options.production, names, draw(Math.ceil(options.rows / 10)));
  await db.insert(options.backup, names, draw(Math.ceil(options.rows / 12)));
  const deleted = new Set<unknown[]>();
  for (const [loc, n] of [[options.production, 6], [options.backup, 4]] as const) {
    for (const row of draw(n)) {
      deleted.add(row);
      const match = options.columns.map((c, i) => row[i] === null ? `${db.quote(c.name)} IS NULL` : `${db.quote(c.name)} = ${db.param(1 + row.slice(0, i).filter(v => v !== null).length)}`).join(' AND ');
      const params = row.filter(v => v !== null);
      // Remove every copy of one row value: whole groups disappear too.
      await db.exec(`DELETE FROM ${db.table(loc)} WHERE ${match}`, params);
    }
  }
  // Whatever the draws, one row is on both sides in different numbers, with several surplus
  // copies in the backup: more than production's extra copies of any row could make up.
  const kept = pool.find(row => !deleted.has(row));
  if (kept) await db.insert(options.backup, names, Array.from({ length: Math.ceil(options.rows / 10) + 3 }, () => kept));
  return { def, backup: options.backup, production: options.production, key: [], values: options.columns };
}

// ---------------------------------------------------------------------------------------------
// The engine's answer

/** Every difference of one kind, read page by page (pages of an odd size, to cross page edges). */
export function allRows(comparison: TableComparison, filter: DiffKind | 'all'): DiffRow[] {
  const total = comparison.count(filter);
  const rows: DiffRow[] = [];
  for (let offset = 0; offset < total; offset += 333) rows.push(...comparison.rows(filter, offset, 333));
  return rows;
}

export const keyOf = (row: DiffRow) => JSON.stringify(row.key);

/** Set difference, for messages: what one list has that the other lacks (the first few). */
function setDiff(actual: string[], expected: string[]): string {
  const a = new Set(actual);
  const e = new Set(expected);
  const extra = actual.filter(k => !e.has(k)).slice(0, 8);
  const missing = expected.filter(k => !a.has(k)).slice(0, 8);
  return `engine has ${actual.length}, oracle ${expected.length}; engine only: ${extra.join(' ')}; oracle only: ${missing.join(' ')}`;
}

/**
 * The engine's comparison equals the oracle's: the counts, the keys of each kind, and the changed
 * columns of every changed row. Also checks that the rows are internally consistent (cells that
 * are marked changed differ, the others are equal; key cells are the row's key columns).
 */
export function assertAgreesKeyed(comparison: TableComparison, truth: KeyedTruth, label: string): void {
  const { summary } = comparison;
  const names = summary.columns.map(c => c.name);
  const onlyB = allRows(comparison, 'onlyInBackup');
  const onlyP = allRows(comparison, 'onlyInProduction');
  const changed = allRows(comparison, 'changed');
  assert.deepEqual(onlyB.map(keyOf).sort(), truth.onlyInBackup, `${label}: rows only in the backup — ${setDiff(onlyB.map(keyOf).sort(), truth.onlyInBackup)}`);
  assert.deepEqual(onlyP.map(keyOf).sort(), truth.onlyInProduction, `${label}: rows only in production — ${setDiff(onlyP.map(keyOf).sort(), truth.onlyInProduction)}`);
  assert.deepEqual(changed.map(keyOf).sort(), [...truth.changed.keys()].sort(), `${label}: changed rows — ${setDiff(changed.map(keyOf).sort(), [...truth.changed.keys()].sort())}`);
  const wrongColumns: string[] = [];
  for (const row of changed) {
    const got = row.changed.map(i => names[i]).sort();
    const expected = truth.changed.get(keyOf(row))!;
    if (JSON.stringify(got) !== JSON.stringify(expected)) {
      wrongColumns.push(`${keyOf(row)}: engine [${got}] oracle [${expected}] (backup ${JSON.stringify(row.backup)} production ${JSON.stringify(row.production)})`);
    }
  }
  assert.deepEqual(wrongColumns, [], `${label}: changed columns of changed rows`);
  const counts = { onlyInBackup: onlyB.length, onlyInProduction: onlyP.length, changed: changed.length };
  assert.deepEqual(summary.counts, counts, `${label}: summary counts`);
  for (const kind of Object.keys(counts) as DiffKind[]) assert.equal(comparison.count(kind), counts[kind], `${label}: count(${kind})`);
  assert.equal(comparison.count('all'), onlyB.length + onlyP.length + changed.length, `${label}: count('all')`);
  if (summary.mode === 'stream') assert.equal(summary.same, truth.same, `${label}: rows equal on both sides`);
  assertRowsConsistent(comparison, [...onlyB, ...onlyP, ...changed], label);
}

export function assertRowsConsistent(comparison: TableComparison, rows: DiffRow[], label: string): void {
  const { summary } = comparison;
  const keyIndexes = (summary.keyColumns ?? []).map(k => summary.columns.findIndex(c => c.name === k));
  const ids = new Set<number>();
  for (const row of rows) {
    assert.ok(!ids.has(row.id), `${label}: row id ${row.id} is unique`);
    ids.add(row.id);
    const where = `${label}: ${row.kind} ${keyOf(row)}`;
    if (summary.keyColumns) {
      assert.equal(row.backup === null, row.kind === 'onlyInProduction', `${where}: backup cells present unless only in production`);
      assert.equal(row.production === null, row.kind === 'onlyInBackup', `${where}: production cells present unless only in the backup`);
    } else {
      // A keyless row shows each side's cells when that side has copies of it.
      assert.equal(row.backup !== null, (row.backupCopies ?? 0) > 0, `${where}: backup cells present when the backup has copies`);
      assert.equal(row.production !== null, (row.productionCopies ?? 0) > 0, `${where}: production cells present when production has copies`);
    }
    for (const cells of [row.backup, row.production]) {
      if (!cells) continue;
      assert.equal(cells.length, summary.columns.length, `${where}: one cell per column`);
      if (summary.keyColumns) assert.deepEqual(keyIndexes.map(i => cells[i]), row.key, `${where}: key cells are the key columns' cells`);
      else assert.deepEqual(cells, row.key, `${where}: a keyless row's key is the whole row`);
    }
    if (row.kind === 'changed') {
      const differing = summary.columns.map((_, i) => i).filter(i => row.backup![i] !== row.production![i]);
      assert.deepEqual([...row.changed].sort((a, b) => a - b), differing, `${where}: the changed cells are the cells that differ (${JSON.stringify(row.backup)} vs ${JSON.stringify(row.production)})`);
    } else {
      assert.deepEqual(row.changed, [], `${where}: no changed cells`);
    }
  }
}

export function assertAgreesKeyless(comparison: TableComparison, truth: KeylessTruth, label: string): void {
  for (const kind of ['onlyInBackup', 'onlyInProduction'] as const) {
    const rows = allRows(comparison, kind);
    const got = new Map(rows.map(r => [keyOf(r), { surplus: r.count, backupCopies: r.backupCopies, productionCopies: r.productionCopies }]));
    assert.equal(got.size, rows.length, `${label}: ${kind}: each distinct row is listed once`);
    assert.deepEqual([...got.keys()].sort(), [...truth[kind].keys()].sort(), `${label}: ${kind} rows — ${setDiff([...got.keys()].sort(), [...truth[kind].keys()].sort())}`);
    const wrong = [...truth[kind]].filter(([k, c]) => JSON.stringify(got.get(k)) !== JSON.stringify(c))
      .map(([k, c]) => `${k}: engine ${JSON.stringify(got.get(k))} oracle ${JSON.stringify(c)}`);
    assert.deepEqual(wrong, [], `${label}: ${kind} copies (surplus, backup, production)`);
    assert.equal(comparison.summary.counts[kind], comparison.count(kind), `${label}: summary.counts.${kind} = count()`);
    assert.equal(comparison.count(kind), rows.length, `${label}: count(${kind}) = rows listed`);
  }
  assert.equal(comparison.summary.counts.changed, 0, `${label}: keyless rows are never "changed"`);
  assertRowsConsistent(comparison, allRows(comparison, 'all'), label);
}

/** The oracle says the two tables hold the same rows. */
export function assertOracleEqual(truth: KeyedTruth, label: string): void {
  assert.deepEqual({ onlyInBackup: truth.onlyInBackup, onlyInProduction: truth.onlyInProduction, changed: [...truth.changed] },
    { onlyInBackup: [], onlyInProduction: [], changed: [] }, `${label}: the oracle finds the tables equal`);
}
