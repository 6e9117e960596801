import * as os from 'node:os';
import { AlertDispatcher, type Webhook } from './alerts';
import { errorMessage, isCancelled } from './errors';
import type { Logger } from './logger';
import type { Schedule } from './policy';
import type { ConnectionStatus } from './protectionStatus';
import { appendRunLog, lastRuns, readRunLog, scheduleKey, type AlertRecord, type RegisteredRecord, type RunLogRecord, type RunRecord } from './runLog';
import { tryRunnerLock, type LockHolder } from './runnerLock';
import { dueState } from './schedule';

/**
 * Runs the scheduled work that is due, for every runner (the editor while it is open, `lifeboat
 * run --due` from cron or a systemd timer), under the runner lock so that two runners never run
 * the same slot, and records each run in the run log. A slot is due when it passed since the
 * schedule's last run; the slots before it that passed with no runner up are reported as missed
 * and run once, not once per slot. A schedule first seen now starts counting now.
 * What a run does (a backup, a verification) is the caller's `perform`: the same job runner as
 * its other commands, with its own way to reach the database.
 */
export interface ScheduledWork {
  connection: string;
  schedule: Schedule;
}

export interface DueItem extends ScheduledWork {
  slot: Date;
  missed: number;
}

export interface PerformedRun {
  backupId?: string;
  bytes?: number;
  restoreMs?: number;
  deleted?: number;
}

export interface RunDueOptions {
  /** Where the run log and the lock are (runLog.ts runStateFolder). */
  stateFolder: string;
  work: readonly ScheduledWork[];
  perform: (item: DueItem) => Promise<PerformedRun>;
  /** Who runs it, for the lock and the log: "lifeboat run --due", "VS Code". */
  by: string;
  logger: Logger;
  webhooks?: readonly Webhook[];
  signal?: AbortSignal;
  /** The clock that decides what is due (tests, `lifeboat run --due --at`); runs are timed by the real one. */
  now?: () => Date;
  /** Asked when a run is cancelled by `signal`: true records it as stopped (its slot is done, the
   *  next one runs as usual: a person pressed Stop); false leaves the slot due (the runner was
   *  shut down: SIGTERM, the editor closing). */
  recordCancelled?: () => boolean;
  /** Connections' status after the runs, to alert those over their RPO (once per newest backup). */
  status?: () => Promise<ConnectionStatus[]>;
}

export interface RunDueResult {
  /** Set when another runner holds the lock: nothing was run. */
  heldBy?: LockHolder;
  runs: RunRecord[];
  /** Schedules seen for the first time. */
  registered: string[];
  alerts: AlertRecord[];
}

const MAX_ERROR = 2000;

export async function runDueWork(options: RunDueOptions): Promise<RunDueResult> {
  const now = options.now ?? (() => new Date());
  const got = await tryRunnerLock(options.stateFolder, options.by);
  if ('heldBy' in got) return { heldBy: got.heldBy, runs: [], registered: [], alerts: [] };
  const by = `${options.by} on ${os.hostname()} (pid ${process.pid})`;
  const result: RunDueResult = { runs: [], registered: [], alerts: [] };
  // Alerts go out in the background and are waited for once the lock is released.
  const alerts = new AlertDispatcher(options.webhooks ?? [], options.logger);
  try {
    // Read under the lock: what another runner recorded a moment ago counts.
    const { records } = await readRunLog(options.stateFolder, options.logger);
    const { due, registered } = dueWork(options.work, records, now());
    await appendRunLog(options.stateFolder, registered);
    result.registered = registered.map((r: RegisteredRecord) => `${r.connection}/${r.schedule}`);
    const alertKey = (r: AlertRecord) => `${r.connection}\n${r.kind}\n${r.key}`;
    const alerted = new Set(records.filter((r): r is AlertRecord => r.type === 'alert').map(alertKey));
    const alert = async (record: AlertRecord, send: () => void) => {
      if (alerted.has(alertKey(record))) return;
      alerted.add(alertKey(record));
      send();
      await appendRunLog(options.stateFolder, [record]);
      result.alerts.push(record);
    };
    for (const item of due) {
      if (options.signal?.aborted) break;
      const { connection, schedule } = item;
      if (item.missed > 0) {
        const message = `${connection}: ${item.missed} run${item.missed > 1 ? 's' : ''} of "${schedule.name}" were missed (no runner was up); it runs once now.`;
        options.logger.warn(message);
        await alert({ type: 'alert', connection, kind: 'missed', key: `${schedule.name}@${item.slot.toISOString()}`, at: now().toISOString(), message },
          () => alerts.send({ event: 'missed', connection, schedule: schedule.name, message }));
      }
      alerts.send({ event: 'started', connection, schedule: schedule.name });
      const started = new Date();
      const clock = performance.now();
      let performed: PerformedRun = {};
      let failure: unknown;
      try {
        performed = await options.perform(item);
      } catch (error) {
        failure = error;
      }
      const cancelled = failure !== undefined && isCancelled(failure) && !!options.signal?.aborted;
      // A run cancelled by the runner's shutdown is not recorded: its slot is still due next time.
      if (cancelled && !options.recordCancelled?.()) break;
      const record: RunRecord = {
        type: 'run', connection, schedule: schedule.name, action: schedule.run, slot: item.slot.toISOString(), missed: item.missed,
        startedAt: started.toISOString(), endedAt: new Date().toISOString(), durationMs: Math.round(performance.now() - clock), ok: failure === undefined, by,
        ...performed, ...(cancelled ? { stopped: true } : {}), ...(failure !== undefined ? { error: cancelled ? 'Stopped by the user; the next slot runs as usual.' : errorMessage(failure).slice(0, MAX_ERROR) } : {}),
      };
      await appendRunLog(options.stateFolder, [record]);
      result.runs.push(record);
      if (cancelled) {
        options.logger.warn(`${connection}: "${schedule.name}" was stopped; the next slot runs as usual.`);
        break;
      }
      if (record.ok) {
        alerts.send({ event: 'succeeded', connection, schedule: schedule.name, run: record, message: `${connection}: "${schedule.name}" succeeded` });
      } else {
        const message = `${connection}: scheduled ${schedule.run} "${schedule.name}" failed: ${record.error}`;
        options.logger.error(message);
        alerts.send({ event: 'failed', connection, schedule: schedule.name, run: record, message });
      }
    }
    if (options.status && !options.signal?.aborted) {
      // The status lists every destination; one that cannot be listed costs the RPO alerts of
      // this call, never the runs already recorded.
      const statuses = await options.status().catch((error: unknown) => {
        options.logger.warn(`The connections' status could not be read for RPO alerts: ${errorMessage(error)}`);
        return [];
      });
      for (const s of statuses) {
        if (s.rpo !== 'bad') continue;
        const message = `${s.name}: ${s.problems[0]}`;
        await alert({ type: 'alert', connection: s.connection, kind: 'rpo', key: s.newestVerified?.id ?? 'none', at: now().toISOString(), message },
          () => alerts.send({ event: 'rpo', connection: s.connection, message }));
      }
    }
  } finally {
    await got.lock.release();
    await alerts.drain();
  }
  return result;
}

/** What is due at `now` given the log, and the registrations to record for schedules seen first. */
export function dueWork(work: readonly ScheduledWork[], records: readonly RunLogRecord[], now: Date): { due: DueItem[]; registered: RegisteredRecord[] } {
  const last = lastRuns(records);
  const since = new Map<string, string>();
  for (const r of records) if (r.type === 'registered' && !since.has(scheduleKey(r.connection, r.schedule))) since.set(scheduleKey(r.connection, r.schedule), r.at);
  const due: DueItem[] = [];
  const registered: RegisteredRecord[] = [];
  for (const w of work) {
    const key = scheduleKey(w.connection, w.schedule.name);
    const run = last.get(key);
    const first = since.get(key);
    if (!run && !first) {
      registered.push({ type: 'registered', connection: w.connection, schedule: w.schedule.name, at: now.toISOString() });
      continue;
    }
    const state = dueState(w.schedule, run ? new Date(run.slot) : undefined, now, new Date(first ?? run!.slot));
    if (state.due) due.push({ ...w, slot: state.due, missed: state.missed });
  }
  // Oldest slot first: work that has waited longest runs first.
  due.sort((a, b) => a.slot.getTime() - b.slot.getTime());
  return { due, registered };
}

