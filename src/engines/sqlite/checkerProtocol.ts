import type { InspectResult } from './inspect';
import type { ErrorCode } from '../../core/errors';

/** Messages between the engine and its SQLite checker process (checker.ts): the long single
 *  statements (integrity_check, counting rows), which no driver can interrupt. */
export interface CheckRequest {
  file: string;
}

export interface DriverInfo {
  name: string;
  version: string;
  sqliteVersion: string;
}

export type CheckResult = InspectResult & { driver: DriverInfo };

export type CheckReply =
  | { type: 'progress'; done: number; total: number }
  | { type: 'result'; result: CheckResult }
  | { type: 'error'; code: ErrorCode; message: string; hint?: string };
