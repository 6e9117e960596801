/**
 * The little Lifeboat needs from a SQLite library: one small interface, implemented on Node's
 * built-in node:sqlite (nodeSqliteDriver.ts; loadDriver.ts says why that one), so that the engine
 * depends on these calls only.
 */
export type Row = Record<string, unknown>;

export interface BackupStep {
  totalPages: number;
  remainingPages: number;
}

export interface SqliteDatabase {
  all(sql: string, ...params: unknown[]): Row[];
  get(sql: string, ...params: unknown[]): Row | undefined;
  exec(sql: string): void;
  /** One statement that returns no rows, with bound values (VACUUM INTO ?). */
  run(sql: string, ...params: unknown[]): void;
  /** Rows one at a time, for results too large to hold (a SQL dump of a big table). */
  iterate(sql: string, ...params: unknown[]): IterableIterator<Row>;
  /** Rows as arrays in select-list order with every integer as a bigint, so none above 2^53 is
   *  rounded (the table diff compares and merges values exactly). Give columns distinct aliases. */
  exactRows(sql: string, ...params: unknown[]): IterableIterator<unknown[]>;
  /**
   * Copies this database into a new file `target` with SQLite's online backup API, in steps of
   * `pagesPerStep` pages, calling `onStep` after each. `onStep` may return the size of the next
   * step (node:sqlite cannot change it and ignores that). Throwing from `onStep` stops the copy; the
   * promise then rejects with that error. The caller removes `target` on failure.
   */
  backupTo(target: string, options: { pagesPerStep: number; onStep: (step: BackupStep) => number | void }): Promise<void>;
  close(): void;
}

export interface SqliteDriver {
  /** "node:sqlite" (manifests that Lifeboat 0.1.0 wrote on Node 20 name "better-sqlite3"). */
  readonly name: string;
  /** The driver's version (package or Node version). */
  readonly version: string;
  /** The SQLite library version it links. */
  readonly sqliteVersion: string;
  /** Opens an existing database file; never creates one when `mustExist` (the default). */
  open(file: string, options?: { readonly?: boolean; mustExist?: boolean }): SqliteDatabase;
}
