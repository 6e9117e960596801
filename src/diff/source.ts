/**
 * What the comparison needs from one side's database, and what a merge needs from the target's.
 * One implementation per dialect (dialects/postgres.ts, mysql.ts, sqlite.ts); the comparison and
 * the merge above them never write SQL of a particular dialect.
 */
import type { EngineName } from '../core/connection';
import type { Cell, ColumnInfo, TableRef, ValueKind } from './types';
import type { RawValue } from './values';

/** One row as read: its key in canonical form, its values as the driver gave them. */
export interface SourceRow {
  readonly key: readonly Cell[];
  /** The row's values in the plan's column order, as the driver gave them. */
  values(): RawValue[];
  /** True when `other` (same dialect, same plan) is byte for byte the same row: a fast path; false when unsure. */
  identical(other: SourceRow): boolean;
}

/** Which rows to read and how: the columns both sides have (this side's names), in one order. */
export interface ReadPlan {
  columns: string[];
  /** The kind each column is compared as (values.ts pairKind of the two sides' kinds). */
  kinds: ValueKind[];
  /** Indexes into `columns` of the columns rows are ordered and matched by: the key, or for a
   *  keyless table every column that can be ordered. */
  orderBy: number[];
  /** Bisection's last step: only rows whose key hash falls in these buckets (hash & (2^bits - 1)). */
  buckets?: BucketFilter;
}

export interface BucketFilter {
  bits: number;
  buckets: bigint[];
}

/** Rows and the sum of their row hashes in one bucket of the key hash. */
export interface BucketChecksum {
  rows: number;
  sum: string;
}

export interface TableSource {
  readonly engine: EngineName;
  /** "shop · public.orders": for messages and the summary. */
  readonly label: string;
  readonly tableName: string;
  readonly columns: ColumnInfo[];
  /** The primary key's columns in key order, or null. */
  readonly primaryKey: string[] | null;
  /** Columns of each unique index/constraint whose columns are all NOT NULL: keys a person may choose. */
  readonly uniqueKeys: string[][];
  /** The server's estimate of the row count (or the exact count when cheap); null when unknown. */
  estimateRows(): Promise<number | null>;
  /** Rows ordered by plan.orderBy as values.ts compareKeys orders their canonical keys, in batches. */
  rows(plan: ReadPlan, signal?: AbortSignal): AsyncIterable<SourceRow[]>;
  /**
   * Bisection: per bucket of the key hash (hash & (2^bits - 1)), the row count and the sum of the
   * rows' hashes, computed in the database so rows do not cross the wire. `within` restricts it to
   * rows whose hash falls in the given coarser buckets. Absent where the dialect does not offer it
   * (SQLite: in-process, nothing crosses a wire).
   */
  checksums?(plan: ReadPlan, keyIndexes: number[], bits: number, within?: BucketFilter): Promise<Map<string, BucketChecksum>>;
  close(): Promise<void>;
}

/** SQL of one dialect, for the merge's statements. */
export interface SqlDialect {
  readonly engine: EngineName;
  quote(identifier: string): string;
  table(ref: TableRef): string;
  /** The n-th bound parameter (1-based). */
  placeholder(n: number): string;
  /** INSERT of value tuples; `overridingIdentity` when a GENERATED ALWAYS identity column gets the backup's value. */
  insert(table: string, columns: string[], tuples: string[], overridingIdentity: boolean): string;
  /** `column = value` that is true when both are NULL too. */
  nullSafeEquals(column: string, placeholder: string, kind: ValueKind): string;
  /** What a locking read appends (" FOR UPDATE"), or '' where the transaction already holds the lock. */
  readonly forUpdate: string;
  /** Deletes at most `limit` rows matching `where` (keyless tables, where copies are indistinguishable). */
  deleteLimited(table: string, where: string, limit: number): string;
  /**
   * The value to bind for a cell: the driver's own value when it was read from the same dialect
   * (exact, nothing reinterpreted), else the canonical text converted to what this dialect takes.
   */
  bind(kind: ValueKind, cell: Cell, raw: RawValue | undefined): unknown;
  /** A bound value written as a literal, for the SQL a person reads (the preview): the same value the run binds. */
  literal(value: unknown): string;
}

/** A connection to the merge target holding one transaction. */
export interface TargetSession {
  readonly dialect: SqlDialect;
  /** Starts the transaction; `exclusive` also locks the table against writers (keyless merges). */
  begin(table: TableRef, exclusive: boolean): Promise<void>;
  /** Runs one statement; rows as raw values in select-list order; `affected` for writes. */
  query(sql: string, params: unknown[]): Promise<{ rows: RawValue[][]; affected: number }>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}
