import * as fsp from 'node:fs/promises';
import type { BackupWriter } from '../core/backupWriter';
import { LifeboatError } from '../core/errors';
import type { JobContext } from '../core/job';
import { keptLogFile } from '../core/toolLog';
import { PhasedProgress } from '../core/progress';
import type { Scratch } from '../core/scratch';

/**
 * A dump tool's log is written in the job's scratch folder, so that it goes with the folder
 * when the backup succeeds, is cancelled or is killed. When the backup fails and its error
 * points to the log (the tool's own words, not explained further), the log is moved to the
 * kept-logs folder and the error points there; a failure explained in full keeps nothing.
 */
export async function keepLogNamedBy(error: unknown, log: string, ctx: JobContext, name: string): Promise<unknown> {
  if (!(error instanceof LifeboatError) || !error.hint?.includes(log)) return error;
  let hint: string;
  try {
    const kept = await keptLogFile(ctx, name);
    await fsp.rename(log, kept);
    hint = error.hint.split(log).join(kept);
  } catch {
    // Not kept (a full disk, say): the error must not point to a log that is about to go.
    hint = error.hint.split(/(?<=\.) /).filter(sentence => !sentence.includes(log)).join(' ');
  }
  return new LifeboatError(error.code, error.message, hint || undefined, { cause: error.cause });
}

/** What a server engine's dump starts with: its progress phases, the job's scratch folder, and
 *  the dump tool's log in it (kept only when a failure's error points to it, keepLogNamedBy). */
export async function startDump<P extends string>(writer: BackupWriter, ctx: JobContext, phases: Record<P, number>, logName: string): Promise<{ started: number; progress: PhasedProgress<P>; scratch: Scratch; logFile: string }> {
  const started = performance.now();
  const progress = new PhasedProgress(phases, ctx.onProgress);
  const scratch = await writer.scratch();
  return { started, progress, scratch, logFile: scratch.file(logName) };
}
