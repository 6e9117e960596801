import * as readline from 'node:readline';
import { childEnv } from '../../../core/childEnv';
import { LifeboatError } from '../../../core/errors';
import { runTool } from '../../../core/processes';
import { parseLsn } from './walNames';

/**
 * What Lifeboat needs to know from inside archived WAL, read with pg_waldump (of the WAL's major
 * version): the commits (their time and transaction), restore points (by name), and the last
 * record. The recoverable window ends at the last commit, since a time target is only checked
 * at commit records; a name or transaction target is looked up to choose the base backup.
 */
export interface WalRecord {
  lsn: bigint;
  kind: 'commit' | 'abort' | 'restore-point' | 'other';
  /** Commits and aborts: when (pg_waldump prints microseconds; a Date keeps milliseconds, the text all of them). */
  time?: Date;
  timeText?: string;
  xid?: number;
  /** Restore points: the name given to pg_create_restore_point. */
  name?: string;
}

export interface WalScan {
  records: WalRecord[];
  lastLsn?: bigint;
  lastCommit?: WalRecord;
}

const LINE = /^rmgr: (\S+)\s+len \(rec\/tot\):\s*\d+\/\s*\d+, tx:\s*(\d+), lsn: ([0-9A-F]+\/[0-9A-F]+), prev \S+, desc: (.*)$/;
const COMMIT = /^(COMMIT|ABORT)(?:_PREPARED \d+:)? (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) UTC/;

/** One pg_waldump line as a record, or undefined for any other line. */
export function parseWaldumpLine(line: string): WalRecord | undefined {
  const match = LINE.exec(line);
  if (!match) return undefined;
  const [, rmgr, tx, lsnText, desc] = match;
  const lsn = parseLsn(lsnText)!;
  if (rmgr === 'Transaction') {
    const commit = COMMIT.exec(desc);
    if (commit) {
      const timeText = `${commit[2]}+00`;
      return { lsn, kind: commit[1] === 'COMMIT' ? 'commit' : 'abort', time: new Date(`${commit[2].replace(' ', 'T')}Z`), timeText, xid: Number(tx) };
    }
  }
  if (rmgr === 'XLOG' && desc.startsWith('RESTORE_POINT ')) return { lsn, kind: 'restore-point', name: desc.slice('RESTORE_POINT '.length).trimEnd() };
  return { lsn, kind: 'other' };
}

/**
 * pg_waldump over the segments `first` to `last` (names) in `folder`. At the end of what was
 * written (the last segment of a running server's archive) pg_waldump stops with an error about
 * an invalid record; that is the end, not a failure, once records were read.
 */
export async function scanWal(pgWaldump: string, folder: string, first: string, last: string, signal?: AbortSignal): Promise<WalScan> {
  const env = childEnv();
  // pg_waldump prints commit times in its own time zone; in UTC they parse without a guess.
  env.TZ = 'UTC';
  env.LC_MESSAGES = 'C';
  const tool = runTool({ label: `pg_waldump of ${first}…${last}`, command: pgWaldump, args: ['--path', folder, first, last], env, stdout: 'pipe', signal });
  const records: WalRecord[] = [];
  let lastLsn: bigint | undefined;
  let lastCommit: WalRecord | undefined;
  for await (const line of readline.createInterface({ input: tool.child.stdout! })) {
    const record = parseWaldumpLine(line);
    if (!record) continue;
    lastLsn = record.lsn;
    if (record.kind === 'commit') lastCommit = record;
    if (record.kind !== 'other') records.push(record);
  }
  try {
    await tool.done;
  } catch (error) {
    if (signal?.aborted) throw error;
    const said = tool.stderrTail().join(' ');
    if (lastLsn === undefined || !/invalid record length|invalid magic number|could not find a valid record|error in WAL record|contrecord is requested|invalid resource manager|record with incorrect prev-link|out-of-sequence timeline|could not (read|locate|find)/i.test(said)) {
      throw new LifeboatError('verification', `pg_waldump cannot read the archived WAL ${first} to ${last}: ${said || (error as Error).message}`, 'The archived WAL may be damaged: check it with lifeboat pitr window, and keep the server\'s own pg_wal until it is fixed.', { cause: error });
    }
  }
  return { records, ...(lastLsn !== undefined ? { lastLsn } : {}), ...(lastCommit ? { lastCommit } : {}) };
}
