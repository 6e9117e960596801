import { Cron } from 'croner';
import { LifeboatError } from './errors';

/**
 * When scheduled work is due, for every runner (the editor while it is open, `lifeboat run --due`
 * from cron or a systemd timer): standard five-field cron expressions in an IANA time zone, parsed
 * by croner (no dependencies; previous and next runs from any moment; its documented DST rule: a
 * time skipped by a spring-forward change runs at the first moment after it, a time repeated by a
 * fall-back change runs once; Vixie-cron OR semantics when both day-of-month and day-of-week are
 * restricted).
 * Work is due when a slot has passed since it last ran. Slots that passed while no runner was up
 * are reported as missed and run once, not once per slot.
 */
export interface CronSchedule {
  cron: string;
  /** IANA zone the expression is read in; default UTC. */
  timeZone?: string;
}

export interface DueState {
  /** The slot to run now (the latest one passed), or undefined when nothing is due. */
  due?: Date;
  /** Slots before `due` that passed with no run: reported, not run. */
  missed: number;
  /** The next slot after `now`. */
  next: Date | null;
}

/** Slots counted at most, however long no runner was up. */
const MAX_COUNTED = 10_000;

export function parseSchedule(schedule: CronSchedule): Cron {
  const fields = schedule.cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new LifeboatError('usage', `"${schedule.cron}" is not a five-field cron expression (minute hour day-of-month month day-of-week).`, 'For example "15 2 * * *" (02:15 every day) or "0 */6 * * 1-5".');
  }
  if (schedule.timeZone) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: schedule.timeZone });
    } catch {
      throw new LifeboatError('usage', `"${schedule.timeZone}" is not a time zone this runtime knows.`, 'Give an IANA zone such as Europe/Berlin or UTC.');
    }
  }
  try {
    return new Cron(fields.join(' '), { timezone: schedule.timeZone ?? 'UTC', paused: true, domAndDow: false });
  } catch (error) {
    throw new LifeboatError('usage', `"${schedule.cron}" is not a cron expression croner reads: ${(error as Error).message}.`, 'For example "15 2 * * *" (02:15 every day) or "0 */6 * * 1-5".');
  }
}

/**
 * What is due at `now` for a schedule that last ran at `lastRun` (undefined: never, counted from
 * `since`, when the schedule was set up, so a new schedule does not run for the slots before it).
 */
export function dueState(schedule: CronSchedule, lastRun: Date | undefined, now: Date, since: Date): DueState {
  const cron = parseSchedule(schedule);
  const from = lastRun ?? since;
  let count = 0;
  let latest: Date | undefined;
  for (let slot = cron.nextRun(from); slot && slot.getTime() <= now.getTime() && count < MAX_COUNTED; slot = cron.nextRun(slot)) {
    latest = slot;
    count++;
  }
  return { ...(latest ? { due: latest } : {}), missed: Math.max(0, count - 1), next: cron.nextRun(now) };
}
