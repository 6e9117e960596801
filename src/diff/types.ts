/**
 * What a table comparison is and what it produces. Plain data only: these types cross the
 * webview boundary (protocol.ts) and the CLI's JSON output, so nothing here holds a connection.
 *
 * The two sides are always named for the partial-restore drill they serve: "backup" is the
 * restored copy (the source of a merge), "production" is the live table (the target of a merge).
 */
import type { EngineName } from '../core/connection';

/** One value in canonical form (values.ts): equal values compare equal across drivers; null is SQL NULL. */
export type Cell = string | null;

/**
 * How a column's values are normalised and ordered. A pair of columns with different kinds on the
 * two sides is compared under the kind both can be read as (values.ts pairKind).
 */
export type ValueKind =
  | 'integer'      // exact integer, canonical decimal digits
  | 'decimal'      // exact decimal: no trailing fractional zeros, no leading zeros, "-0" → "0"
  | 'float'        // IEEE-754 double: equal when the text parses to the same double; shortest round-trip text
  | 'boolean'      // "true" / "false"
  | 'text'         // as stored; ordered by UTF-8 bytes
  | 'bytes'        // "\x" + lowercase hex
  | 'json'         // parsed and re-serialised with sorted object keys
  | 'uuid'         // lowercase
  | 'date'         // YYYY-MM-DD
  | 'time'         // HH:MM:SS[.fraction], fraction without trailing zeros
  | 'timestamp'    // YYYY-MM-DD HH:MM:SS[.fraction] (no time zone)
  | 'timestamptz'  // the same instant in UTC: YYYY-MM-DD HH:MM:SS[.fraction]+00
  | 'other';       // the database's own text form

export interface ColumnInfo {
  name: string;
  /** The database's type name, as its catalog says it ("numeric(12,2)", "varchar(40)", "BLOB"). */
  type: string;
  kind: ValueKind;
  nullable: boolean;
  /** A generated column: compared, never written by a merge (the database computes it). */
  generated?: boolean;
  /** PostgreSQL GENERATED ALWAYS AS IDENTITY: a merge's INSERT must say OVERRIDING SYSTEM VALUE to keep the backup's value. */
  identityAlways?: boolean;
}

/** A table on one side: which connection, which table. `schema` is PostgreSQL's; MySQL and SQLite leave it out. */
export interface TableRef {
  schema?: string;
  name: string;
}

export type DiffKind = 'onlyInBackup' | 'onlyInProduction' | 'changed';

export const DIFF_KINDS: readonly DiffKind[] = ['onlyInBackup', 'onlyInProduction', 'changed'];

/** One difference. Cells are in the order of DiffSummary.columns; key cells in the order of keyColumns. */
export interface DiffRow {
  /** Stable within one comparison: what a selection names. */
  id: number;
  kind: DiffKind;
  /** Key values (keyed tables); for a keyless table, every column's value. */
  key: Cell[];
  /** The row as the backup holds it (null when only in production). */
  backup: Cell[] | null;
  /** The row as production holds it (null when only in the backup). */
  production: Cell[] | null;
  /** Indexes into columns of the cells that differ (changed rows only). */
  changed: number[];
  /**
   * Keyless tables compare as multisets: how many more copies of this row one side has than the
   * other (1 for keyed tables). `backupCopies`/`productionCopies` give both counts for keyless rows.
   */
  count: number;
  backupCopies?: number;
  productionCopies?: number;
}

export type DiffFilter = 'all' | DiffKind;

export interface SideSummary {
  engine: EngineName;
  connection: string;
  table: string;
  /** Rows this comparison read from the side (bisection reads few). */
  rowsRead: number;
  /** Rows in the table (exact when the comparison read them all, else the count the checksums saw). */
  rows: number | null;
  /** Columns this side has that the other does not: not compared, not merged. */
  unmatchedColumns: string[];
}

export interface DiffSummary {
  /** Matched columns (by name), in the order cells are given. */
  columns: ColumnInfo[];
  /** The key rows were matched by; null = no key, rows compared as multisets of whole rows. */
  keyColumns: string[] | null;
  /** Where the key came from: the primary key, a unique key the user chose, or none. */
  keySource: 'primary-key' | 'chosen' | 'none';
  mode: 'stream' | 'bisect';
  backup: SideSummary;
  production: SideSummary;
  counts: Record<DiffKind, number>;
  /** Rows present and equal on both sides (keyed), or copies in common (keyless); null in bisection mode where equal ranges are never read. */
  same: number | null;
  elapsedMs: number;
  /** Bisection only: how many checksum queries ran on each side, and how deep they went. */
  bisection?: { queries: number; levels: number; leafBuckets: number };
}

export interface DiffProgress {
  /** 0..1 when the total is known. */
  fraction: number | null;
  message: string;
}

/**
 * Which differences to merge into production. `columns` restricts the UPDATE of a changed row to
 * those columns (default: every changed column). In `all` mode, `also` names rows of the kinds not
 * in `kinds` that were ticked one by one (every missing row plus three changed ones).
 */
export type MergeSelection =
  | { mode: 'ids'; ids: number[]; columns?: Record<number, string[]> }
  | { mode: 'all'; kinds: DiffKind[]; except: number[]; also?: number[] };

export interface MergeOptions {
  /** Rows only in production are deleted only when this is set (and they are selected). */
  allowDelete: boolean;
}

export interface PlannedStatement {
  rowId: number;
  action: 'insert' | 'update' | 'delete';
  sql: string;
  params: unknown[];
}

/** What a merge will run, before it runs: shown as the SQL preview, then applied as it is. */
export interface MergePreview {
  target: { engine: EngineName; connection: string; table: string };
  inserts: number;
  updates: number;
  deletes: number;
  /** Rows selected that the merge leaves alone (rows only in production without allowDelete). */
  skipped: number;
  /** The statements as a person reads them: values written as literals (they are bound when applied). */
  sql: string;
  /** True when `sql` shows only the first statements of a long merge. */
  truncated: boolean;
}

/** A row that changed in production between the comparison and Apply. */
export interface MergeConflict {
  rowId: number;
  key: Cell[];
  action: 'insert' | 'update' | 'delete';
  expected: Cell[] | null;
  found: Cell[] | null;
}

export interface MergeOutcome {
  target: { engine: EngineName; connection: string; table: string };
  inserted: number;
  updated: number;
  deleted: number;
  /** The backup of the rows the merge changed, taken before it wrote (undo with `lifeboat undo-merge <id> --yes` or Undo Merge… in the tree). */
  undoBackupId: string;
  elapsedMs: number;
}
