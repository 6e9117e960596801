import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Destination } from './destination';
import { explainIoError } from './errors';
import type { Logger } from './logger';
import { SCHEDULED_ACTIONS, type ScheduledAction } from './policy';

/**
 * The history of scheduled work, one JSON object per line, appended by every runner (the editor,
 * `lifeboat run --due`), so the editor and the CLI show the same history:
 *   run         a scheduled run: its slot, when it started and ended, ok or the error, bytes;
 *   registered  when a schedule was first seen: a new schedule does not run for slots before it;
 *   alert       an alert sent (a missed run, a connection over its RPO), so it is not repeated.
 * It lives in the backup folder's `.lifeboat-runs` (a dot-folder: listings skip it), or for a
 * bucket in this user's state folder, keyed by the bucket's location. Lines are written under the
 * runner lock (runnerLock.ts), so they never interleave. The file is input from outside like the
 * rest of the folder: a line that is not a record Lifeboat writes is skipped and counted.
 */
export const RUNS_FOLDER = '.lifeboat-runs';
export const RUN_LOG_FILE = 'runs.jsonl';
/** Past this size the log is compacted to the latest records of each schedule and alert. */
const COMPACT_BYTES = 4 * 1024 * 1024;
const MAX_TEXT = 4096;

export interface RunRecord {
  type: 'run';
  connection: string;
  schedule: string;
  action: ScheduledAction;
  /** The schedule's slot this run served (ISO). */
  slot: string;
  /** Slots before it that passed without a run. */
  missed: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  ok: boolean;
  /** The backup written or checked. */
  backupId?: string;
  /** Bytes stored (a backup) or read (a verification). */
  bytes?: number;
  /** A drill's measured restore time. */
  restoreMs?: number;
  /** A prune's deleted backups. */
  deleted?: number;
  /** Stopped by a person (not ok, not a failure to alert about). */
  stopped?: boolean;
  error?: string;
  /** Who ran it: "lifeboat run --due on host (pid 123)", "VS Code on host". */
  by: string;
}

export interface RegisteredRecord {
  type: 'registered';
  connection: string;
  schedule: string;
  at: string;
}

export interface AlertRecord {
  type: 'alert';
  connection: string;
  kind: 'missed' | 'rpo' | 'failed';
  /** What the alert was about (a backup id, a slot), so the same one is not sent twice. */
  key: string;
  at: string;
  message: string;
}

export type RunLogRecord = RunRecord | RegisteredRecord | AlertRecord;

export interface RunLog {
  records: RunLogRecord[];
  /** Lines that were not records (damaged, or not written by Lifeboat). */
  skipped: number;
}

/** Where a destination's run log and runner lock are kept. */
export function runStateFolder(destination: Destination): string {
  if (destination.localPath) return path.join(destination.location, RUNS_FOLDER);
  const stateHome = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  const tag = destination.location.replace(/^[a-z0-9]+:\/\//i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return path.join(stateHome, 'lifeboat', 'runs', `${tag}-${createHash('sha256').update(destination.location).digest('hex').slice(0, 8)}`);
}

export async function readRunLog(folder: string, logger?: Logger): Promise<RunLog> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(folder, RUN_LOG_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: 0 };
    throw explainIoError(error, `read the run log in ${folder}`);
  }
  const records: RunLogRecord[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const record = parseRecord(line);
    if (record) records.push(record);
    else skipped++;
  }
  if (skipped) logger?.warn(`${skipped} line(s) of the run log in ${folder} are not records Lifeboat writes; they are skipped.`);
  return { records, skipped };
}

/** Appends records (call it holding the runner lock); compacts the log when it has grown large. */
export async function appendRunLog(folder: string, records: readonly RunLogRecord[]): Promise<void> {
  if (records.length === 0) return;
  const file = path.join(folder, RUN_LOG_FILE);
  try {
    await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
    const handle = await fsp.open(file, 'a', 0o600);
    try {
      await handle.appendFile(records.map(r => JSON.stringify(r) + '\n').join(''));
      await handle.sync();
    } finally {
      await handle.close();
    }
    if ((await fsp.stat(file)).size > COMPACT_BYTES) await compact(folder);
  } catch (error) {
    throw explainIoError(error, `write the run log in ${folder}`);
  }
}

/** Keeps what the runners need: each schedule's registration and last 100 runs, and the last 100
 *  alerts per connection; written beside and renamed over, so a crash leaves the old log whole. */
async function compact(folder: string): Promise<void> {
  const { records } = await readRunLog(folder);
  const kept: RunLogRecord[] = [];
  const counts = new Map<string, number>();
  for (const record of [...records].reverse()) {
    const key = `${record.type}\n${record.connection}\n${record.type === 'alert' ? '' : record.schedule}`;
    const n = counts.get(key) ?? 0;
    if (n >= (record.type === 'registered' ? 1 : 100)) continue;
    counts.set(key, n + 1);
    kept.push(record);
  }
  const file = path.join(folder, RUN_LOG_FILE);
  const next = `${file}.compacting-${process.pid}`;
  await fsp.writeFile(next, kept.reverse().map(r => JSON.stringify(r) + '\n').join(''), { mode: 0o600 });
  await fsp.rename(next, file);
}

/** The latest run of each schedule, by "<connection>\n<schedule>". */
export function lastRuns(records: readonly RunLogRecord[]): Map<string, RunRecord> {
  const last = new Map<string, RunRecord>();
  for (const r of records) if (r.type === 'run') last.set(scheduleKey(r.connection, r.schedule), r);
  return last;
}

export function scheduleKey(connection: string, schedule: string): string {
  return `${connection}\n${schedule}`;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const ID = /^[A-Za-z0-9][A-Za-z0-9 ._*/,:-]{0,127}$/;

function parseRecord(line: string): RunLogRecord | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const id = (x: unknown) => typeof x === 'string' && ID.test(x);
  const time = (x: unknown) => typeof x === 'string' && ISO.test(x) && !Number.isNaN(Date.parse(x));
  const count = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1e15;
  const text = (x: unknown) => typeof x === 'string' && x.length <= MAX_TEXT;
  if (!id(v.connection)) return undefined;
  switch (v.type) {
    case 'registered':
      return id(v.schedule) && time(v.at) ? { type: 'registered', connection: v.connection as string, schedule: v.schedule as string, at: v.at as string } : undefined;
    case 'alert':
      return (v.kind === 'missed' || v.kind === 'rpo' || v.kind === 'failed') && text(v.key) && time(v.at) && text(v.message)
        ? { type: 'alert', connection: v.connection as string, kind: v.kind, key: v.key as string, at: v.at as string, message: v.message as string } : undefined;
    case 'run': {
      const ok = id(v.schedule) && (SCHEDULED_ACTIONS as readonly unknown[]).includes(v.action) && time(v.slot) && count(v.missed) && time(v.startedAt) && time(v.endedAt)
        && count(v.durationMs) && typeof v.ok === 'boolean' && text(v.by)
        && (v.backupId === undefined || id(v.backupId)) && (v.bytes === undefined || count(v.bytes)) && (v.restoreMs === undefined || count(v.restoreMs))
        && (v.deleted === undefined || count(v.deleted)) && (v.stopped === undefined || v.stopped === true)
        && (v.error === undefined || text(v.error));
      if (!ok) return undefined;
      const { type, connection, schedule, action, slot, missed, startedAt, endedAt, durationMs, by, backupId, bytes, restoreMs, deleted, error } = v;
      return {
        type: type as 'run', connection: connection as string, schedule: schedule as string, action: action as ScheduledAction, slot: slot as string, missed: missed as number,
        startedAt: startedAt as string, endedAt: endedAt as string, durationMs: durationMs as number, ok: v.ok as boolean, by: by as string,
        ...(backupId !== undefined ? { backupId: backupId as string } : {}), ...(bytes !== undefined ? { bytes: bytes as number } : {}),
        ...(restoreMs !== undefined ? { restoreMs: restoreMs as number } : {}), ...(deleted !== undefined ? { deleted: deleted as number } : {}),
        ...(v.stopped === true ? { stopped: true } : {}),
        ...(error !== undefined ? { error: error as string } : {}),
      };
    }
    default:
      return undefined;
  }
}
