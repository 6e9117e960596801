import type { DatabaseFacts, InspectResult } from './inspect';
import type { ErrorCode } from '../../core/errors';

/** Messages between the engine and its SQLite checker process (checker.ts): the long single
 *  statements and long reads that no driver can interrupt (integrity_check, counting rows,
 *  VACUUM INTO, writing and loading a SQL dump), so that Cancel can kill them at once. */
export interface CheckRequest {
  task?: 'check';
  file: string;
}

/** VACUUM INTO `target`, a new file: a compact copy, consistent as of one read transaction. */
export interface VacuumRequest {
  task: 'vacuum-into';
  source: string;
  target: string;
}

/** A SQL dump of `file` (a consistent scratch copy) written to `target`. */
export interface DumpRequest {
  task: 'dump';
  file: string;
  target: string;
}

/** Runs the SQL dump `sql` into the new database `target`, in one transaction. */
export interface LoadRequest {
  task: 'load';
  sql: string;
  target: string;
}

export type CheckerRequest = CheckRequest | VacuumRequest | DumpRequest | LoadRequest;

export interface DriverInfo {
  name: string;
  version: string;
  sqliteVersion: string;
}

export type CheckResult = InspectResult & { driver: DriverInfo };
export type VacuumResult = { copy: DatabaseFacts; sourceJournalMode: string; driver: DriverInfo };
export interface DumpResult { statements: number; bytes: number }
export interface LoadResult { batches: number }

export type CheckReply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: unknown }
  | { type: 'error'; code: ErrorCode; message: string; hint?: string };
