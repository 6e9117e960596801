import BetterSqlite3 from 'better-sqlite3';
import type { Cell, ColumnInfo, DiffFilter, DiffKind, DiffRow, DiffSummary, MergeOptions, MergePreview, MergeSelection } from '../../src/diff/types';
import type { ComparisonSource } from './diffWebview';

/**
 * A comparison of two SQLite tables computed in memory, in the engine's shapes: what the webview
 * test serves while compareTables (src/diff) is not yet implemented. Reads both tables whole; fine
 * for the test's 100,000 rows, not a substitute for the engine.
 */
export interface StandInComparison extends ComparisonSource {
  summary: DiffSummary;
}

export function standInComparison(backupFile: string, productionFile: string, table: string): StandInComparison {
  const started = performance.now();
  const read = (file: string) => {
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      const info = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string; notnull: number; pk: number }[];
      const key = info.filter(c => c.pk > 0).sort((a, b) => a.pk - b.pk).map(c => c.name);
      const rows = (db.prepare(`SELECT * FROM "${table}" ORDER BY ${(key.length ? key : info.map(c => c.name)).map(c => `"${c}"`).join(', ')}`).raw().all() as unknown[][])
        .map(row => row.map(cell => (cell === null ? null : String(cell))));
      return { info, key, rows };
    } finally {
      db.close();
    }
  };
  const backup = read(backupFile);
  const production = read(productionFile);
  const columns: ColumnInfo[] = backup.info.map(c => ({ name: c.name, type: c.type, kind: /INT/i.test(c.type) ? 'integer' : /NUM/i.test(c.type) ? 'decimal' : 'text', nullable: c.notnull === 0 }));
  const keyIndexes = backup.key.map(name => backup.info.findIndex(c => c.name === name));
  const byKind: Record<DiffKind, DiffRow[]> = { onlyInBackup: [], onlyInProduction: [], changed: [] };
  const all: DiffRow[] = [];
  let nextId = 1;
  let same = 0;
  const add = (row: Omit<DiffRow, 'id'>) => {
    const full = { id: nextId++, ...row };
    byKind[full.kind].push(full);
    all.push(full);
  };

  if (keyIndexes.length) {
    const keyOf = (row: Cell[]) => keyIndexes.map(i => row[i]);
    const compareKeys = (a: Cell[], b: Cell[]) => {
      for (let i = 0; i < a.length; i++) {
        const x = a[i]!, y = b[i]!;
        const numeric = /^-?\d+$/.test(x) && /^-?\d+$/.test(y);
        const order = numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
        if (order !== 0) return order;
      }
      return 0;
    };
    let i = 0, j = 0;
    while (i < backup.rows.length || j < production.rows.length) {
      const b = backup.rows[i], p = production.rows[j];
      const order = !b ? 1 : !p ? -1 : compareKeys(keyOf(b), keyOf(p));
      if (order < 0) {
        add({ kind: 'onlyInBackup', key: keyOf(b!), backup: b!, production: null, changed: [], count: 1 });
        i++;
      } else if (order > 0) {
        add({ kind: 'onlyInProduction', key: keyOf(p!), backup: null, production: p!, changed: [], count: 1 });
        j++;
      } else {
        const changed = b!.flatMap((cell, c) => (cell === p![c] ? [] : [c]));
        if (changed.length) add({ kind: 'changed', key: keyOf(b!), backup: b!, production: p!, changed, count: 1 });
        else same++;
        i++;
        j++;
      }
    }
  } else {
    const copies = (rows: Cell[][]) => {
      const counted = new Map<string, { row: Cell[]; n: number }>();
      for (const row of rows) {
        const text = JSON.stringify(row);
        counted.set(text, { row, n: (counted.get(text)?.n ?? 0) + 1 });
      }
      return counted;
    };
    const b = copies(backup.rows), p = copies(production.rows);
    for (const text of [...new Set([...b.keys(), ...p.keys()])].sort()) {
      const nb = b.get(text)?.n ?? 0, np = p.get(text)?.n ?? 0;
      const row = (b.get(text) ?? p.get(text))!.row;
      same += Math.min(nb, np);
      if (nb > np) add({ kind: 'onlyInBackup', key: row, backup: row, production: null, changed: [], count: nb - np, backupCopies: nb, productionCopies: np });
      if (np > nb) add({ kind: 'onlyInProduction', key: row, backup: null, production: row, changed: [], count: np - nb, backupCopies: nb, productionCopies: np });
    }
  }

  const side = (name: string, rows: number) => ({ engine: 'sqlite' as const, connection: name, table, rowsRead: rows, rows, unmatchedColumns: [] });
  const summary: DiffSummary = {
    columns,
    keyColumns: keyIndexes.length ? backup.key : null,
    keySource: keyIndexes.length ? 'primary-key' : 'none',
    mode: 'stream',
    backup: side('restored', backup.rows.length),
    production: side('production', production.rows.length),
    counts: { onlyInBackup: byKind.onlyInBackup.length, onlyInProduction: byKind.onlyInProduction.length, changed: byKind.changed.length },
    same,
    elapsedMs: Math.round(performance.now() - started),
  };
  const list = (filter: DiffFilter) => (filter === 'all' ? all : byKind[filter]);
  const selected = (selection: MergeSelection) => all.filter(row => selection.mode === 'ids'
    ? selection.ids.includes(row.id)
    : selection.kinds.includes(row.kind) ? !selection.except.includes(row.id) : (selection.also ?? []).includes(row.id));
  const literal = (cell: Cell) => (cell === null ? 'NULL' : `'${cell.replace(/'/g, "''")}'`);
  const names = columns.map(c => `"${c.name}"`).join(', ');
  const where = (row: DiffRow) => (keyIndexes.length ? backup.key.map((k, i) => `"${k}" = ${literal(row.key[i])}`).join(' AND ') : columns.map((c, i) => `"${c.name}" IS ${literal(row.key[i])}`).join(' AND '));

  return {
    summary,
    count: filter => list(filter).length,
    rows: (filter, offset, limit) => list(filter).slice(offset, offset + limit),
    preview(selection: MergeSelection, options: MergeOptions, maxStatements = 100): MergePreview {
      const statements: string[] = [];
      const counts = { inserts: 0, updates: 0, deletes: 0, skipped: 0 };
      for (const row of selected(selection)) {
        if (row.kind === 'onlyInBackup') {
          counts.inserts++;
          statements.push(`INSERT INTO "${table}" (${names}) VALUES (${row.backup!.map(literal).join(', ')});`);
        } else if (row.kind === 'changed') {
          counts.updates++;
          statements.push(`UPDATE "${table}" SET ${row.changed.map(c => `"${columns[c].name}" = ${literal(row.backup![c])}`).join(', ')} WHERE ${where(row)};`);
        } else if (options.allowDelete) {
          counts.deletes++;
          statements.push(`DELETE FROM "${table}" WHERE ${where(row)};`);
        } else counts.skipped++;
      }
      return {
        target: { engine: 'sqlite', connection: 'production', table },
        ...counts,
        sql: statements.slice(0, maxStatements).join('\n'),
        truncated: statements.length > maxStatements,
      };
    },
  };
}
