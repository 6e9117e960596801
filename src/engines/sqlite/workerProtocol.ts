import type { OnlineCopyResult } from './onlineCopy';
import type { InspectResult } from './inspect';
import type { ErrorCode } from '../../core/errors';

/** Messages between the engine and its SQLite worker thread (worker.ts). */
export type WorkerRequest =
  | { op: 'copy'; source: string; target: string; pagesPerStep: number }
  | { op: 'inspect'; file: string };

export interface WorkerResults {
  copy: OnlineCopyResult & { driver: DriverInfo };
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
