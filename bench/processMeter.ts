// What a benchmark's commands cost outside the database server: CPU seconds of the processes this
// bench ran (and everything they waited for), the server's own CPU meanwhile, and a pipeline runner
// that joins commands by OS pipes the way a shell would. Linux /proc; figures are absent elsewhere.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CommandFailed, type Clock } from './benchSupport';

/** Wall ms, CPU ms of the command's process tree (user + system), CPU ms of the server meanwhile. */
export interface Measured {
  wall: number;
  cpu?: number;
  serverCpu?: number;
}

/** One process of a pipeline: no shell, arguments as an array. */
export interface Command {
  command: string;
  args: string[];
}

/** Clock ticks per second of /proc's times (getconf CLK_TCK; 100 on Linux almost everywhere). */
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** Fields of /proc/PID/stat after the command name: [0] is field 3 (state), so field n is at n - 3. */
function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * A clock of wall time and CPU time from /proc: this process's reaped children (cutime + cstime:
 * the command's processes and everything they waited for, since commands run one at a time) and,
 * with `serverCpu`, the server's. CPU is less disturbed than wall time by other work on a shared machine.
 */
export function cpuClock(serverCpu?: () => number): Clock<Measured> {
  return () => {
    const children = () => { const f = procStat('self'); return f ? (Number(f[13]) + Number(f[14])) * 1000 / TICKS : NaN; };
    const server = serverCpu ?? (() => NaN);
    const started = performance.now();
    const [c0, s0] = [children(), server()];
    return {
      read() {
        const wall = performance.now() - started;
        const cpu = children() - c0;
        const serverMs = server() - s0;
        return { wall, ...(Number.isFinite(cpu) ? { cpu } : {}), ...(Number.isFinite(serverMs) ? { serverCpu: serverMs } : {}) };
      },
    };
  };
}

/** CPU ms (user + system) that process `pid` has used itself. */
export function processCpu(pid: () => number): () => number {
  return () => {
    const f = procStat(pid());
    return f ? (Number(f[11]) + Number(f[12])) * 1000 / TICKS : NaN;
  };
}

/**
 * CPU ms of a server that forks a process per connection (PostgreSQL): the postmaster's own, its
 * reaped children's (backends that ended) and every live child's.
 */
export function serverTreeCpu(pid: () => number): () => number {
  return () => {
    const postmaster = pid();
    const own = procStat(postmaster);
    if (!own) return NaN;
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = procStat(Number(entry));
      if (fields && Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks * 1000 / TICKS;
  };
}

/**
 * Runs `commands` as a pipeline (each one's stdout into the next one's stdin, through OS pipes:
 * no shell, and no copy through this process), the last one's stdout into `outFile` (or
 * discarded); resolves with what `clock` measured once every process has exited. Rejects if any fails.
 */
export function timedPipeline(commands: Command[], options: { cwd: string; env: NodeJS.ProcessEnv; running: Set<ChildProcess>; clock: Clock<Measured>; outFile?: string }): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const out = options.outFile ? fs.openSync(options.outFile, 'w', 0o600) : 'ignore';
    const clock = options.clock();
    const children: { child: ChildProcess; shown: string; stderr: string }[] = [];
    let failure: Error | undefined;
    let open = commands.length;
    let previous: ChildProcess | undefined;
    commands.forEach(({ command, args }, i) => {
      const last = i === commands.length - 1;
      const stdio: StdioOptions = [previous?.stdout ?? 'ignore', last ? out : 'pipe', 'pipe'];
      const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio });
      // This process's copy of the pipe between the two: closed, so that if the reader dies the
      // writer gets EPIPE rather than blocking on a pipe nobody reads.
      previous?.stdout?.destroy();
      const entry = { child, shown: `${path.basename(command)} ${args.filter(a => !a.startsWith('--defaults-extra-file')).join(' ')}`, stderr: '' };
      children.push(entry);
      options.running.add(child);
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { entry.stderr = (entry.stderr + chunk).slice(-16_000); });
      child.on('error', error => { failure ??= error; });
      child.on('close', code => {
        options.running.delete(child);
        if (code !== 0 && !failure) {
          failure = new CommandFailed(entry.shown, code, '', entry.stderr);
          // The rest of the pipeline cannot succeed: end it rather than wait for it.
          for (const other of children) if (other.child !== child) other.child.kill('SIGTERM');
        }
        if (--open > 0) return;
        const measured = clock.read();
        if (typeof out === 'number') fs.closeSync(out);
        if (failure) reject(failure);
        else resolve(measured);
      });
      previous = child;
    });
  });
}

/** The first executable of `names` in the usual folders or on PATH. */
export function findExecutable(names: string[]): string | undefined {
  for (const folder of ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
    for (const name of names) {
      const file = path.join(folder, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** GNU time, which reports a command's peak RSS (the largest of it and what it waited for). */
const GNU_TIME = '/usr/bin/time';

/**
 * `command args` run under GNU time (where it is installed), so that its peak resident set can be
 * read afterwards: `argv` to spawn, and `read()` the peak in KiB (undefined without GNU time, or
 * before it has exited). The file GNU time writes goes in `folder` and is removed by read().
 */
export function underPeakRss(command: string, args: string[], folder: string): { command: string; args: string[]; read(): number | undefined } {
  if (!fs.existsSync(GNU_TIME)) return { command, args, read: () => undefined };
  const file = path.join(folder, `peak-rss-${process.pid}-${performance.now().toFixed(0)}.txt`);
  return {
    command: GNU_TIME,
    args: ['-f', '%M', '-o', file, command, ...args],
    read() {
      try {
        // GNU time writes "Command exited with non-zero status N" before the figure when the command fails.
        const kib = Number(fs.readFileSync(file, 'utf8').trim().split('\n').pop());
        return Number.isFinite(kib) ? kib : undefined;
      } catch {
        return undefined;
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  };
}
