import type { InspectResult } from './inspect';
import type { ErrorCode } from '../../core/errors';

/** Messages between the engine and its SQLite worker thread (worker.ts): the long single
 *  statements (integrity_check, counting rows) that would block the editor and could not be
 *  cancelled between steps. */
export type WorkerRequest = { op: 'inspect'; file: string };

export interface WorkerResults {
  inspect: InspectResult & { driver: DriverInfo };
}

export interface DriverInfo {
  name: string;
  version: string;
  sqliteVersion: string;
}

export type WorkerReply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: WorkerResults[keyof WorkerResults] }
  | { type: 'error'; code: ErrorCode; message: string; hint?: string };
