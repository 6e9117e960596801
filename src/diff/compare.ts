import type { Connection } from '../core/connection';
import type { JobContext } from '../core/job';
import type { Logger } from '../core/logger';
import { LifeboatError } from '../core/errors';
import type { DiffFilter, DiffProgress, DiffRow, DiffSummary, MergeOptions, MergeOutcome, MergePreview, MergeSelection, TableRef } from './types';

/** One side of a comparison: a table in a database Lifeboat can reach. */
export interface TableSideSpec {
  connection: Connection;
  password?: string;
  table: TableRef;
}

export interface CompareRequest {
  /** The restored copy: what a merge copies from. */
  backup: TableSideSpec;
  /** The live table: what a merge writes to. */
  production: TableSideSpec;
  /** Columns of a unique key to match rows by, when the table has no primary key (or another is wanted). */
  key?: string[];
  /** auto: checksum bisection for large tables on two servers of the same engine, else a streamed merge of both sides. */
  mode?: 'auto' | 'stream' | 'bisect';
  signal?: AbortSignal;
  onProgress?: (progress: DiffProgress) => void;
  logger?: Logger;
}

/** A finished comparison: counts at once, rows on demand, and the merge of chosen rows. */
export interface TableComparison {
  readonly summary: DiffSummary;
  /** Differences of one kind (or all), in key order, `limit` from `offset`. */
  rows(filter: DiffFilter, offset: number, limit: number): DiffRow[];
  count(filter: DiffFilter): number;
  /** The statements Apply would run; `maxStatements` caps what the preview text shows. */
  preview(selection: MergeSelection, options: MergeOptions, maxStatements?: number): MergePreview;
  /**
   * Applies the selection to production in one transaction: locks and re-checks every target row,
   * saves the rows it will change as a backup (its id in the outcome), writes, commits. If any
   * target row changed since the comparison it throws MergeConflictError and writes nothing.
   */
  apply(selection: MergeSelection, options: MergeOptions, job: JobContext): Promise<MergeOutcome>;
  /** Removes the comparison's scratch files. */
  close(): Promise<void>;
}

export async function compareTables(_request: CompareRequest): Promise<TableComparison> {
  throw new LifeboatError('unsupported', 'Table comparison is being built.');
}
