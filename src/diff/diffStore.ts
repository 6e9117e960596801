/**
 * Where a comparison's differences go as they are found: a scratch SQLite file, so a table with a
 * million differences costs disk, not memory, and the panel pages through them by kind. Each
 * difference keeps the driver's own values of both sides too, which a merge binds when it writes
 * to the same kind of database (nothing reinterpreted).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SqliteDatabase } from '../engines/sqlite/driver';
import { loadSqliteDriver } from '../engines/sqlite/loadDriver';
import type { DiffFilter, DiffKind, DiffRow } from './types';
import type { RawValue } from './values';

/** A difference with the driver values a merge binds. */
export interface StoredDiff extends DiffRow {
  backupRaw: RawValue[] | null;
  productionRaw: RawValue[] | null;
}

const COMMIT_EVERY = 5000;

export class DiffStore {
  private readonly folder: string;
  private readonly db: SqliteDatabase;
  private nextId = 1;
  private pending = 0;
  readonly counts: Record<DiffKind, number> = { onlyInBackup: 0, onlyInProduction: 0, changed: 0 };

  constructor() {
    this.folder = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-diff-'));
    this.db = loadSqliteDriver().open(path.join(this.folder, 'differences.sqlite'), { mustExist: false });
    this.db.exec(`PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
      CREATE TABLE diff (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, row TEXT NOT NULL);
      CREATE INDEX diff_kind ON diff (kind, id);`);
  }

  add(row: Omit<StoredDiff, 'id'>): number {
    const id = this.nextId++;
    if (this.pending === 0) this.db.exec('BEGIN');
    this.db.run('INSERT INTO diff (id, kind, row) VALUES (?, ?, ?)', id, row.kind, encode({ ...row, id }));
    this.counts[row.kind]++;
    if (++this.pending >= COMMIT_EVERY) this.flush();
    return id;
  }

  flush(): void {
    if (this.pending === 0) return;
    this.db.exec('COMMIT');
    this.pending = 0;
  }

  count(filter: DiffFilter): number {
    return filter === 'all' ? this.counts.onlyInBackup + this.counts.onlyInProduction + this.counts.changed : this.counts[filter];
  }

  /** Differences in the order they were found (key order), `limit` from `offset`. */
  page(filter: DiffFilter, offset: number, limit: number): DiffRow[] {
    this.flush();
    const rows = filter === 'all'
      ? this.db.all('SELECT row FROM diff ORDER BY id LIMIT ? OFFSET ?', limit, offset)
      : this.db.all('SELECT row FROM diff WHERE kind = ? ORDER BY id LIMIT ? OFFSET ?', filter, limit, offset);
    return rows.map(r => toPublic(decode(String(r.row))));
  }

  /** Every stored difference of the given kinds, in id order, without holding them all. */
  *all(kinds: readonly DiffKind[]): IterableIterator<StoredDiff> {
    this.flush();
    const wanted = new Set(kinds);
    for (const r of this.db.iterate('SELECT kind, row FROM diff ORDER BY id')) {
      if (wanted.has(r.kind as DiffKind)) yield decode(String(r.row));
    }
  }

  byIds(ids: readonly number[]): StoredDiff[] {
    this.flush();
    const out: StoredDiff[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      out.push(...this.db.all(`SELECT row FROM diff WHERE id IN (${chunk.map(() => '?').join(',')}) ORDER BY id`, ...chunk).map(r => decode(String(r.row))));
    }
    return out;
  }

  close(): void {
    try {
      this.db.close();
    } finally {
      fs.rmSync(this.folder, { recursive: true, force: true });
    }
  }
}

function toPublic(row: StoredDiff): DiffRow {
  return { id: row.id, kind: row.kind, key: row.key, backup: row.backup, production: row.production, changed: row.changed, count: row.count,
    ...(row.backupCopies !== undefined ? { backupCopies: row.backupCopies, productionCopies: row.productionCopies } : {}) };
}

/** JSON that keeps bytes, big integers and non-finite doubles: {"$b": base64}, {"$n": digits}, {"$f": "Infinity"}. */
export function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { $n: v.toString() };
    if (typeof v === 'number' && !Number.isFinite(v)) return { $f: String(v) };
    if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('base64') };
    if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) return { $b: Buffer.from((v as { data: number[] }).data).toString('base64') };
    return v;
  });
}

export function decode<T = StoredDiff>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { $n?: string; $b?: string; $f?: string };
      if (typeof o.$f === 'string' && Object.keys(o).length === 1) return Number(o.$f);
      if (typeof o.$n === 'string' && Object.keys(o).length === 1) return BigInt(o.$n);
      if (typeof o.$b === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b, 'base64');
    }
    return v;
  }) as T;
}
