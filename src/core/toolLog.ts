import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { LifeboatError } from './errors';
import type { JobContext } from './job';
import { childPath } from './safePath';

// A restore tool's full output: removed on success or Cancel, kept (and named in the error) when
// the tool's own words explain a failure.

const LOGS_FOLDER = '.lifeboat-logs';

/** Where a tool's log is kept if it fails (removed when it succeeds): beside the backups. `label`
 *  may carry names from a manifest; only its plain characters make the file's name. */
export async function keptLogFile(ctx: JobContext, label: string): Promise<string> {
  const folder = path.join(ctx.scratchParent, LOGS_FOLDER);
  await fsp.mkdir(folder, { recursive: true, mode: 0o700 });
  const name = label.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '').slice(0, 100) || 'tool';
  return childPath(folder, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
}

/** Removes a tool's log that is not needed (success, cancel), and the logs folder once empty:
 *  never a folder that is not a logs folder. */
export async function discardLog(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
  const folder = path.dirname(file);
  if (path.basename(folder) === LOGS_FOLDER) await fsp.rmdir(folder).catch(() => undefined);
}

/** A failure whose cause is in the tool's log says where the log is; others do not keep it. */
export async function withLog(error: unknown, file: string): Promise<unknown> {
  const size = await fsp.stat(file).then(s => s.size, () => 0);
  const toolSpoke = error instanceof LifeboatError && error.code !== 'verification' && size > 0;
  if (!toolSpoke) {
    await discardLog(file);
    return error;
  }
  if (error.hint?.includes(file)) return error;
  return new LifeboatError(error.code, error.message, `${error.hint ? `${error.hint} ` : ''}The tool's full output is kept in ${file}.`, { cause: error.cause });
}

