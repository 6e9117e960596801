import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

/**
 * A tool's process group: the tool and whatever it forked (pg_dump -j and pg_restore -j workers).
 * Its leader's exit says nothing about the others, so a job waits for the group to be empty
 * before it reports anything: "cancelled, nothing was kept" must not be said while a worker
 * still writes.
 */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  if (process.platform === 'win32') {
    if (child.exitCode === null) spawn('taskkill', ['/PID', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

const POLL_MS = 10;

/**
 * Resolves true once no process of the group runs any more, or false after `timeoutMs`.
 * Windows has no groups (taskkill /T has stopped the tree); there it resolves at once.
 */
export async function groupEnded(pgid: number | undefined, timeoutMs: number): Promise<boolean> {
  if (pgid === undefined || process.platform === 'win32') return true;
  const deadline = Date.now() + timeoutMs;
  while (groupRuns(pgid)) {
    if (Date.now() >= deadline) return false;
    await new Promise(resolve => setTimeout(resolve, POLL_MS));
  }
  return true;
}

/** Whether a process of the group is alive. A worker whose leader is gone is reparented, and its
 *  zombie can wait seconds for a busy init to reap it; it has exited all the same, and kill(0)
 *  still finds it, so on Linux the group's members are looked up in /proc. */
export function groupRuns(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
