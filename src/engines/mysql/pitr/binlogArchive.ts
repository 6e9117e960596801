import type { Destination } from '../../../core/destination';
import { LifeboatError } from '../../../core/errors';
import { fetchLog, listArchivedLogs, pushLog, type ArchivedLog, type LogArchiveKind, type PushResult } from '../../../core/logArchive';

/**
 * MariaDB's binary logs in Lifeboat's log archive (core/logArchive.ts): "<connection>/binlog/…",
 * each file compressed, named with its SHA-256, pushed once it is complete (the server has moved
 * on to the next file). A file name is the server's log_basename and a sequence number:
 * "binlog.000042", "mariadb-bin.000003".
 */
const BINLOG_NAME = /^([A-Za-z0-9][A-Za-z0-9_-]{0,100})\.(\d{6,10})$/;

export const BINLOG_ARCHIVE: LogArchiveKind = { folder: 'binlog', what: 'binary log', validName: name => BINLOG_NAME.test(name) };

export interface BinlogName {
  base: string;
  sequence: number;
}

export function parseBinlogName(name: string): BinlogName | undefined {
  const match = BINLOG_NAME.exec(name);
  return match ? { base: match[1], sequence: Number(match[2]) } : undefined;
}

/** The binary-log names among `names`, in the server's order (by sequence number, not by text). */
export function inSequence(names: Iterable<string>): string[] {
  return [...names].filter(n => parseBinlogName(n)).sort((a, b) => parseBinlogName(a)!.sequence - parseBinlogName(b)!.sequence);
}

/** The file after `name` ("binlog.000009" → "binlog.000010"), its number as wide as the server writes it. */
export function nextBinlogName(name: string): string {
  const parsed = parseBinlogName(name);
  if (!parsed) throw new LifeboatError('usage', `${JSON.stringify(name)} is not a binary log name.`);
  const digits = name.length - parsed.base.length - 1;
  return `${parsed.base}.${String(parsed.sequence + 1).padStart(digits, '0')}`;
}

export function pushBinlog(connectionId: string, name: string, file: string, destinations: Destination[], signal?: AbortSignal): Promise<PushResult> {
  return pushLog({ destinations, connectionId, kind: BINLOG_ARCHIVE, name, file, signal });
}

export function fetchBinlog(connectionId: string, name: string, target: string, destinations: Destination[], signal?: AbortSignal) {
  return fetchLog({ destinations, connectionId, kind: BINLOG_ARCHIVE, name, target, signal });
}

export function listBinlogs(destination: Destination, connectionId: string): Promise<Map<string, ArchivedLog[]>> {
  return listArchivedLogs(destination, connectionId, BINLOG_ARCHIVE);
}
