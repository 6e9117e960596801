import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareTables, type TableComparison, type ValueKind } from '../../src/diff';
import type { ColumnDef, DiffDb, TableDef, TableLoc } from './diffDatabases';
import { allRows, assertAgreesKeyed, assertOracleEqual, keyedOracle, type Pair } from './diffOracle';
import { engineContext } from './engineContext';
import { tempFolder } from './temp';

/**
 * Type fidelity of the diff engine, per database: pairs of values written into the same column of
 * the same row on the two sides — some equal in another spelling (1.5 and 1.50, JSON keys
 * reordered, one instant written from two session time zones), some different by the least
 * possible amount (the next double, one microsecond, 'a' and 'A', one byte). The database's own
 * NULL-safe equality (the oracle) says which pairs differ; the engine must say the same. Then the
 * cells of rows only in the backup are checked against their canonical text computed in SQL, and
 * a merge of everything must make the tables equal (values written back through their types).
 */

export interface TypeColumn {
  name: string;
  type: string;
  compareAs?: ColumnDef['compareAs'];
  /** SQL computing the canonical cell text of `x` (the column's value), for the kind the engine compares it as. */
  canonical(x: string, kind: ValueKind): string;
  /** How a cell is checked against the canonical text: exactly, as a double, as a float4, or as JSON. */
  cell?: 'exact' | 'float' | 'float4' | 'json';
}

/** A value to write, with an optional statement run just before (a session time zone). */
export interface Written {
  value: unknown;
  session?: string;
}

export interface TypeCase {
  column: string;
  backup: unknown | Written;
  production: unknown | Written;
}

export function inZone(session: string, value: unknown): Written {
  return { value, session };
}

const isWritten = (v: unknown): v is Written => typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && !Array.isArray(v) && 'value' in v;

/** Cell-check rows start here; case rows are numbered from 1. */
const CELL_ROWS = 100_000;
/** Equal rows (NULL but for the key) around the cases in the bisection table. */
const FILLER_FROM = 300_000;
const FILLER_ROWS = 20_000;

export function typeSuite(options: {
  db(): DiffDb;
  spaces: { backup: string; production: string };
  table: string;
  idType: string;
  columns: TypeColumn[];
  cases: TypeCase[];
  /** Restores the oracle session's settings after a `session` statement. */
  resetSession: string;
  bisect: boolean;
}): void {
  const db = () => options.db();
  const pair = (table = options.table): Pair => {
    const key: ColumnDef = { name: 'id', type: options.idType, value: () => 0 };
    const values: ColumnDef[] = options.columns.map(c => ({ name: c.name, type: c.type, compareAs: c.compareAs, value: () => null }));
    const def: TableDef = { columns: [key, ...values], primaryKey: ['id'] };
    return {
      def, key: [key], values,
      backup: { space: options.spaces.backup, name: table },
      production: { space: options.spaces.production, name: table },
    };
  };
  const tmp = tempFolder('lifeboat-diff-types');

  const write = async (loc: TableLoc, id: number, column: string, written: unknown | Written) => {
    const { value, session } = isWritten(written) ? written : { value: written, session: undefined };
    if (session) await db().exec(session);
    try {
      await db().exec(`INSERT INTO ${db().table(loc)} (${db().quote('id')}, ${db().quote(column)}) VALUES (${db().param(1)}, ${db().param(2)})`, [id, value]);
    } finally {
      if (session) await db().exec(options.resetSession);
    }
  };

  describe(`types: ${options.columns.map(c => c.type).join(', ')}`, () => {
    const p = pair();
    // For bisection: the same cases among many equal rows, so that few checksum buckets differ
    // and bisection really runs (with a small table it gives way to streaming).
    const bp = pair(`${options.table} among many`);
    before(async () => {
      for (const side of ['backup', 'production'] as const) {
        await db().createSpace(options.spaces[side]);
        await db().createTable(p[side], p.def);
        if (options.bisect) await db().createTable(bp[side], bp.def);
      }
      let id = 0;
      for (const c of options.cases) {
        id++;
        await write(p.backup, id, c.column, c.backup);
        await write(p.production, id, c.column, c.production);
        if (options.bisect) {
          await write(bp.backup, id, c.column, c.backup);
          await write(bp.production, id, c.column, c.production);
        }
      }
      if (options.bisect) {
        const filler = Array.from({ length: FILLER_ROWS }, (_, i) => [FILLER_FROM + i]);
        for (const side of ['backup', 'production'] as const) {
          await db().insert(bp[side], ['id'], filler);
          await db().analyze(bp[side]);
        }
      }
      // Rows only in the backup, one value each, for the cell checks.
      id = CELL_ROWS;
      for (const c of options.cases) {
        for (const written of [c.backup, c.production]) {
          if ((isWritten(written) ? written.value : written) !== null) await write(p.backup, ++id, c.column, written);
        }
      }
    });

    const compare = (mode: 'stream' | 'bisect', on = p) => compareTables({ backup: db().side(on.backup), production: db().side(on.production), mode });

    for (const mode of options.bisect ? ['stream', 'bisect'] as const : ['stream'] as const) {
      it(`${mode}: equal and different values as the database's own equality says, per column`, async () => {
        const on = mode === 'bisect' ? bp : p;
        const truth = await keyedOracle(db(), on);
        const cases = options.cases.length;
        assert.ok(truth.changed.size > 0 && truth.changed.size < cases, `the oracle finds some pairs equal and some different (${truth.changed.size} of ${cases} differ)`);
        if (process.env.LIFEBOAT_DIFF_DEBUG) {
          console.log(options.cases.map((c, i) => `${describeCase(c, i)} → the oracle says ${truth.changed.has(JSON.stringify([String(i + 1)])) ? 'different' : 'equal'}`).join('\n'));
        }
        const comparison = await compare(mode, on);
        try {
          assert.equal(comparison.summary.mode, mode);
          assertAgreesKeyed(comparison, truth, `${db().label} types, ${mode}`);
        } catch (error) {
          throw new Error(`${(error as Error).message}\n\nCases by id:\n${describeCases(options.cases)}`, { cause: error });
        } finally {
          await comparison.close();
        }
      });
    }

    it('cells of rows only in the backup are the canonical text of each value', async () => {
      const comparison = await compare('stream');
      try {
        await assertCanonicalCells(comparison, p);
      } finally {
        await comparison.close();
      }
    });

    it('merging everything writes values back through their types: the tables are then equal', async () => {
      const { ctx } = engineContext(tmp.file('merge'));
      const comparison = await compare('stream');
      try {
        await comparison.apply({ mode: 'all', kinds: ['onlyInBackup', 'onlyInProduction', 'changed'], except: [] }, { allowDelete: true }, ctx);
      } finally {
        await comparison.close();
      }
      assertOracleEqual(await keyedOracle(db(), p), `${db().label} types after merging everything`);
      const again = await compare('stream');
      try {
        assert.deepEqual(again.summary.counts, { onlyInBackup: 0, onlyInProduction: 0, changed: 0 });
      } finally {
        await again.close();
      }
    });
    after(() => tmp.dispose());
  });

  async function assertCanonicalCells(comparison: TableComparison, p: Pair): Promise<void> {
    const names = comparison.summary.columns.map(c => c.name);
    const byId = new Map(allRows(comparison, 'onlyInBackup').map(r => [r.key[0], r]));
    const problems: string[] = [];
    for (const column of options.columns) {
      const index = names.indexOf(column.name);
      const kind = comparison.summary.columns[index].kind;
      const expected = await db().rows<{ id: unknown; c: unknown }>(
        `SELECT ${db().keyText(db().quote('id'))} AS id, ${column.canonical(db().quote(column.name), kind)} AS c FROM ${db().table(p.backup)} WHERE ${db().quote('id')} > ${CELL_ROWS} AND ${db().quote(column.name)} IS NOT NULL`);
      assert.ok(expected.length > 0, `cell rows for ${column.name}`);
      for (const { id, c } of expected) {
        const row = byId.get(String(id));
        if (!row) { problems.push(`row ${id} is not listed as only in the backup`); continue; }
        const cell = row.backup![index];
        const want = c === null ? null : String(c);
        if (!cellMatches(cell, want, column.cell ?? 'exact')) problems.push(`${column.name} (${column.type}, kind ${kind}) row ${id}: engine ${JSON.stringify(cell)}, canonical ${JSON.stringify(want)}`);
      }
    }
    assert.deepEqual(problems, [], 'cells are canonical');
  }
}

function cellMatches(cell: string | null, want: string | null, how: 'exact' | 'float' | 'float4' | 'json'): boolean {
  if (cell === null || want === null) return cell === want;
  switch (how) {
    case 'exact': return cell === want;
    case 'float': {
      // The text parses back to the same double (its spelling, 1e+300 or 1e300, is the engine's).
      const a = Number(cell);
      const b = Number(want);
      return (Number.isNaN(a) && Number.isNaN(b)) || a === b;
    }
    case 'float4': return Math.fround(Number(cell)) === Math.fround(Number(want)) || (Number.isNaN(Number(cell)) && Number.isNaN(Number(want)));
    case 'json': {
      try {
        return JSON.stringify(sortKeys(JSON.parse(cell))) === JSON.stringify(sortKeys(JSON.parse(want))) && !/\n/.test(cell);
      } catch {
        return false;
      }
    }
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map(k => [k, sortKeys((value as Record<string, unknown>)[k])]));
  return value;
}

function describeCases(cases: TypeCase[]): string {
  return cases.map(describeCase).join('\n');
}

function describeCase(c: TypeCase, i: number): string {
  const show = (v: unknown) => {
    const { value, session } = isWritten(v) ? v : { value: v, session: undefined };
    const text = Buffer.isBuffer(value) ? `<${value.length} bytes ${value.subarray(0, 8).toString('hex')}…${value.subarray(-4).toString('hex')}>` : JSON.stringify(value, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));
    return session ? `${text} (after ${session})` : text;
  };
  return `  ${i + 1}: ${c.column}: ${show(c.backup)} | ${show(c.production)}`;
}
