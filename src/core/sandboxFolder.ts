import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LifeboatError, errorMessage } from './errors';
import type { JobContext } from './job';
import type { LocalAccount } from './localAccount';
import { processGone } from './orphans';
import { keptLogFile } from './toolLog';

/**
 * Where point-in-time recoveries make their sandbox servers, whatever the engine: one folder per
 * recovery under a root, named by the connection and the time, with a state file that says whose
 * it is. A recovery that is killed leaves its state "recovering" with a Lifeboat pid that is gone;
 * the next recovery stops that server and removes the folder before it makes its own.
 */
export const SANDBOX_FILE = 'sandbox.json';

export interface SandboxState {
  state: 'recovering' | 'ready';
  connection: string;
  /** The Lifeboat process making it (while recovering). */
  pid?: number;
  /** The server's pid file, relative to the sandbox folder: its first line is the server's pid. */
  serverPidFile?: string;
  /** How that server is stopped at once: SIGQUIT for PostgreSQL's postmaster, SIGKILL for mariadbd. */
  stopSignal?: NodeJS.Signals;
  [more: string]: unknown;
}

/** Sandboxes go beside the user's data unless set (a short path: the server's socket lives in the
 *  sandbox's folder, and socket paths are limited to about 100 bytes), or, for root, whose home
 *  the sandbox's own account cannot reach, under /var/lib. */
export function defaultSandboxFolder(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/lib/lifeboat/sandboxes';
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'lifeboat', 'sandboxes');
}

/** A new 0700 folder for one sandbox, owned by `account`: "<root>/crm-20261203-101502-123" (short, for the socket path). */
export async function makeSandboxFolder(root: string, connectionId: string, account: LocalAccount | undefined, settingHint: string, validate: (dir: string) => void = () => undefined): Promise<string> {
  await fs.promises.mkdir(root, { recursive: true, mode: 0o755 });
  if (account) refuseUnreachable(path.resolve(root), account, settingHint);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').replace('.', '-').slice(0, 19);
  const dir = path.join(path.resolve(root), `${connectionId.slice(0, 24)}-${stamp}`);
  validate(dir);
  await fs.promises.mkdir(dir, { mode: 0o700 });
  await own(dir, account);
  return dir;
}

/** The sandbox's account must pass through every folder above its own (it runs the server there). */
function refuseUnreachable(root: string, account: LocalAccount, settingHint: string): void {
  for (let folder = root; ; folder = path.dirname(folder)) {
    const stat = fs.statSync(folder);
    const passes = (stat.mode & 0o001) !== 0 || (stat.uid === account.uid && (stat.mode & 0o100) !== 0) || (stat.gid === account.gid && (stat.mode & 0o010) !== 0);
    if (!passes) {
      throw new LifeboatError('usage', `The sandbox server runs as "${account.user}", which cannot enter ${folder} (on the way to ${root}).`,
        `Choose a sandbox folder that account can reach (--sandbox-dir, ${settingHint}), such as /var/lib/lifeboat/sandboxes.`);
    }
    if (path.dirname(folder) === folder) return;
  }
}

export async function own(file: string, account?: LocalAccount): Promise<void> {
  if (account) await fs.promises.chown(file, account.uid, account.gid);
}

export async function writeSandboxState(dir: string, state: SandboxState): Promise<void> {
  await fs.promises.writeFile(path.join(dir, SANDBOX_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
}

/** A copy of a failed sandbox's server log among the job's kept logs (the sandbox itself is removed), or undefined when there is none. */
export async function keepSandboxLog(logFile: string, ctx: JobContext): Promise<string | undefined> {
  if (!fs.existsSync(logFile)) return undefined;
  try {
    const kept = await keptLogFile(ctx, 'pitr-sandbox');
    await fs.promises.copyFile(logFile, kept);
    return kept;
  } catch {
    return undefined;
  }
}

/** The live pid named by the first line of a server's pid file, or undefined. */
export function pidFromFile(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.split('\n')[0].trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processGone(pid) ? undefined : pid;
}

/**
 * Sandboxes whose recovery was killed (the Lifeboat that made them is gone before they were
 * ready): their server stopped, their folder removed, before a new one is made beside them.
 */
export async function sweepAbandonedSandboxes(root: string, ctx: JobContext): Promise<void> {
  let names: string[];
  try {
    names = await fs.promises.readdir(root);
  } catch {
    return;
  }
  for (const name of names) {
    const dir = path.join(root, name);
    let state: Partial<SandboxState>;
    try {
      state = JSON.parse(await fs.promises.readFile(path.join(dir, SANDBOX_FILE), 'utf8')) as typeof state;
    } catch {
      continue;
    }
    if (state.state !== 'recovering' || typeof state.pid !== 'number' || !processGone(state.pid)) continue;
    const pidFile = typeof state.serverPidFile === 'string' ? path.resolve(dir, state.serverPidFile) : undefined;
    // A pid file outside the sandbox is not the sandbox's: leave that folder alone.
    if (pidFile && !pidFile.startsWith(dir + path.sep)) continue;
    const serverPid = () => (pidFile ? pidFromFile(pidFile) : undefined);
    const pid = serverPid();
    if (pid !== undefined) {
      try {
        process.kill(pid, state.stopSignal === 'SIGKILL' ? 'SIGKILL' : 'SIGQUIT');
      } catch (error) {
        ctx.logger.warn(`Could not stop the abandoned sandbox server ${pid} in ${dir}: ${errorMessage(error)}`);
        continue;
      }
      for (let i = 0; i < 100 && serverPid() !== undefined; i++) await new Promise(resolve => setTimeout(resolve, 100));
    }
    await fs.promises.rm(dir, { recursive: true, force: true });
    ctx.logger.info(`Removed ${dir}: a recovery sandbox whose recovery was interrupted.`);
  }
}
