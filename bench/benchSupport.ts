// What the server benchmarks (bench/pgBackup.ts, bench/mariadbBackup.ts) share: building dist/ when
// it is stale, running a command and a failed command's report, the steps and their rounds, medians,
// the printed table and ratios. (The SQLite benchmarks are plain .mjs: bench/sqliteBenchSupport.mjs.)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

export const ROOT = path.resolve(__dirname, '..');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');
/** The benchmarks' servers, databases, run folders and last runs' samples (git ignores it). */
export const DATA = path.join(ROOT, 'bench', '.data');
/** Databases the restores make start with this; an earlier run's are dropped at the start. */
export const RESTORE_PREFIX = 'bench_restore_';

/** A command that exited with an error: what it printed, for the report. */
export class CommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly stdout: string, readonly stderr: string) {
    super(`${command} exited with ${code}:\n${stdout.slice(0, 2000)}\n${stderr.split('\n').slice(-15).join('\n')}`.trim());
  }
}

/** One line on why a step failed: Lifeboat's JSON error message, else the last line it printed. */
export function briefly(error: unknown): string {
  if (!(error instanceof CommandFailed)) return (error as Error).message.split('\n')[0].slice(0, 160);
  let message: string | undefined;
  try {
    message = (JSON.parse(error.stdout) as { error?: { message?: string } }).error?.message;
  } catch {
    // not JSON: fall back to the last line of its output
  }
  message ??= `${error.stderr}\n${error.stdout}`.trim().split('\n').filter(Boolean).pop() ?? '';
  return `exit ${error.code}: ${message}`.slice(0, 160);
}

/** Rebuilds dist/ (npm run build) when it is missing or older than the sources; says which. */
export function buildIfStale(): string {
  const newest = newestMtime([path.join(ROOT, 'src'), path.join(ROOT, 'scripts', 'build.mjs'), path.join(ROOT, 'package-lock.json')]);
  const built = fs.existsSync(DIST_CLI) ? fs.statSync(DIST_CLI).mtimeMs : 0;
  if (built >= newest) return 'up to date';
  console.log(built ? 'dist/ is older than src/: rebuilding (npm run build)…' : 'No dist/cli.js: building it (npm run build)…');
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status === 0) return 'rebuilt now';
  console.log(`The build failed:\n${build.stdout}${build.stderr}`);
  return built ? 'the build failed: an older bundle' : 'the build failed';
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const p of paths) {
    if (!fs.existsSync(p)) continue;
    const stat = fs.statSync(p);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(fs.readdirSync(p).map(name => path.join(p, name))));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

export function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const file = path.join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(file) : fs.statSync(file).size;
  }
  return total;
}

export function freeBytes(folder: string): number {
  const s = fs.statfsSync(folder);
  return s.bavail * s.bsize;
}

export function rotate<T>(items: T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]);
}

export function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text.slice(0, 110).padEnd(110)}\r`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min–max)". */
export function spread(values: number[], digits: number): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** Rows with a single cell after the label (a step that did not run) say why, across the columns. */
export function table(header: string[], rows: string[][]): void {
  const full = [header, ...rows.filter(r => r.length === header.length)];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map(r => (i === 0 || r.length === header.length ? r[i]?.length ?? 0 : 0))));
  const render = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(render(header));
  for (const row of rows) console.log(full.includes(row) ? render(row) : `${row[0].padEnd(widths[0])}  ${row[1]}`);
}

export function line(label: string, value: string, width = 82): void {
  console.log(`${label.padEnd(width)} ${value}`);
}

export function loadNote(start: number, end: number): string {
  const cores = os.availableParallelism();
  const busy = start > cores / 2 || end > 1 + cores / 2;
  return `Load average (1 min) ${start.toFixed(2)} at start, ${end.toFixed(2)} at end, on ${cores} cores${busy ? ': other work ran alongside; rerun on a quiet machine for figures to quote.' : '.'}`;
}

export const fmt = (n: number) => n.toLocaleString('en');
export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
export const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

/** One measured step of a benchmark: a backup or a restore, by the bare tools or by Lifeboat. */
export interface BenchStep<S> {
  key: string;
  label: string;
  run: (round: number) => Promise<S>;
  /** Runs only when this returns undefined; otherwise the reason it cannot. */
  blocked?: () => string | undefined;
  /** Lifeboat's steps: a failure is reported and the step skipped from then on; a bare tool's failure ends the run. */
  lifeboat?: boolean;
}

/** A step's samples, or why it did not run. */
export interface StepResult<S> {
  samples: S[];
  /** Why the step did not run ("not available yet: …", or "failed: …"), when it did not. */
  skipped?: string;
  /** The whole failure, for the run's last-run JSON file. */
  error?: string;
}

/**
 * Runs one step in one round (after `settle`), keeping its sample unless the round is a warm-up. A
 * Lifeboat step that fails, or is blocked, is skipped from then on with the reason; a bare tool's failure throws.
 */
export function stepRunner<S>(results: Map<string, StepResult<S>>, warmup: number, settle: () => Promise<void>): (step: BenchStep<S>, round: number) => Promise<void> {
  return async (step, round) => {
    const result = results.get(step.key)!;
    if (result.skipped) return;
    const reason = step.blocked?.();
    if (reason) {
      result.skipped = reason;
      return;
    }
    await settle();
    try {
      const sample = await step.run(round);
      if (round >= warmup) result.samples.push(sample);
    } catch (error) {
      if (!step.lifeboat) throw error;
      result.skipped = `failed: ${briefly(error)}`;
      result.error = (error as Error).message;
      console.log(`\n${step.label} failed; skipped from now on:\n${result.error}\n`);
    }
  };
}

/**
 * Every round (warm-up ones first): the backups, then the restores, each in an order that rotates
 * from round to round, with `afterRound` after each. Returns the lowest free space seen on `runDir`'s disk.
 */
export async function runRounds<S>(options: {
  warmup: number;
  rounds: number;
  backups: BenchStep<S>[];
  restores: BenchStep<S>[];
  runStep: (step: BenchStep<S>, round: number) => Promise<void>;
  runDir: string;
  freeAtStart: number;
  afterRound: () => Promise<void> | void;
}): Promise<number> {
  const { warmup, rounds, backups, restores, runStep, runDir } = options;
  let lowestFree = options.freeAtStart;
  for (let round = 0; round < warmup + rounds; round++) {
    const tag = `round ${round + 1}/${warmup + rounds}${round < warmup ? ' (warm-up)' : ''}`;
    for (const step of [...rotate(backups, round), ...rotate(restores, round)]) {
      progress(`${tag}: ${step.label}`);
      await runStep(step, round);
      lowestFree = Math.min(lowestFree, freeBytes(runDir));
    }
    await options.afterRound();
  }
  progress('');
  return lowestFree;
}

/** Removes everything in `folder` but the entries named in `keep`. */
export function emptyFolder(folder: string, keep: string[]): void {
  for (const entry of fs.readdirSync(folder)) {
    if (!keep.includes(entry)) fs.rmSync(path.join(folder, entry), { recursive: true, force: true });
  }
}

/** On Ctrl-C or SIGTERM: ends the commands still running, removes the run's folder, exits 130. */
export function cleanUpOnInterrupt(running: Set<ChildProcess>, runDir: string): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      fs.rmSync(runDir, { recursive: true, force: true });
      process.exit(130);
    });
  }
}

/** Reads every file in `folder` once, so the first round does not pay for a cold page cache. */
export function readFilesOnce(folder: string): void {
  const buffer = Buffer.allocUnsafe(1 << 20);
  for (const name of fs.readdirSync(folder)) {
    const fd = fs.openSync(path.join(folder, name), 'r');
    try {
      while (fs.readSync(fd, buffer, 0, buffer.length, null) > 0) { /* reading is the point */ }
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Starts a clock when called; `read()` gives what it measured since (at the least the wall time, ms). */
export type Clock<M extends { wall: number }> = () => { read(): M };

/** Wall time alone. */
export const wallClock: Clock<{ wall: number }> = () => {
  const started = performance.now();
  return { read: () => ({ wall: performance.now() - started }) };
};

/**
 * Spawns a command (no shell) in `cwd` and resolves with what `clock` measured and its stdout; rejects
 * with the end of its output (CommandFailed) if it fails. It is in `running` while it runs.
 */
export function timedCommand<M extends { wall: number }>(
  command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; running: Set<ChildProcess>; clock: Clock<M> },
): Promise<M & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const clock = options.clock();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    options.running.add(child);
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-16_000); });
    child.on('error', reject);
    child.on('close', code => {
      const measured = clock.read();
      options.running.delete(child);
      const out = Buffer.concat(stdout).toString('utf8');
      if (code !== 0) reject(new CommandFailed(`${path.basename(command)} ${args.join(' ')}`, code, out, stderr));
      else resolve({ ...measured, stdout: out });
    });
  });
}

/**
 * This process's environment without anything that would point a tool or Lifeboat elsewhere: every
 * variable whose name matches `drop` (a RegExp without the g flag) goes, and XDG's config and data folders point into the bench's own.
 */
export function cleanEnv(drop: RegExp, dataDir: string, runDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: path.join(dataDir, 'xdg-config'), XDG_DATA_HOME: path.join(runDir, 'xdg-data') };
  for (const name of Object.keys(env)) {
    if (drop.test(name)) delete env[name];
  }
  return env;
}

/** Lifeboat's --json output, parsed. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Lifeboat's --json output is not JSON: ${text.slice(0, 500)}`);
  }
}

/** The fields of `value` that are numbers (a manifest's timings). */
export function numericFields(value: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!value) return undefined;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number'));
}

/** Why a step has no figures: the reason it was skipped, else "no samples". */
export function notRun(result: StepResult<unknown>): string {
  return result.skipped ?? 'no samples';
}

/** The median of a byte count over the samples, in MiB, for the table ('' where none has it). */
export function mibCell<S>(result: StepResult<S>, field: { [K in keyof S]: S[K] extends number | undefined ? K : never }[keyof S]): string {
  const values = result.samples.map(s => s[field]).filter((v): v is S[typeof field] & number => typeof v === 'number');
  return values.length ? (median(values) / 1048576).toFixed(0) : '';
}

/** A duration in ms over the samples, in seconds for the table: median (min–max); '' where none has it. */
export function secondsCell<S>(result: StepResult<S>, field: { [K in keyof S]: S[K] extends number | undefined ? K : never }[keyof S]): string {
  const values = result.samples.map(s => s[field]).filter((v): v is S[typeof field] & number => typeof v === 'number');
  return values.length ? spread(values.map(v => v / 1000), 1) : '';
}

/** Under `heading`, per step that recorded timings (ms): the median of each, in seconds. */
export function printTimings<S extends { timings?: Record<string, number> }>(heading: string, steps: BenchStep<S>[], results: Map<string, StepResult<S>>): void {
  const withTimings = steps.map(s => [s, results.get(s.key)!] as const).filter(([, r]) => r.samples.some(x => x.timings));
  if (!withTimings.length) return;
  console.log('');
  console.log(heading);
  for (const [step, r] of withTimings) {
    const keys = [...new Set(r.samples.flatMap(s => Object.keys(s.timings ?? {})))];
    console.log(`  ${step.label}: ${keys.map(k => `${k} ${(median(r.samples.map(s => s.timings?.[k] ?? NaN).filter(Number.isFinite)) / 1000).toFixed(1)}`).join(', ')}`);
  }
}

/** [label, step a, step b, target (a ÷ b at most; none: no target), the sample field compared]. */
export type Ratio<F extends string> = [string, string, string, number | undefined, F];

/**
 * One line per ratio a ÷ b: of the medians, and [the median of each round's ratio], against its
 * target if it has one; a dash and why where either step has no figures.
 */
export function printRatios<F extends string, S extends { [K in F]?: number }>(ratios: Ratio<F>[], results: Map<string, StepResult<S>>): void {
  for (const [label, a, b, target, field] of ratios) {
    const ra = results.get(a), rb = results.get(b);
    const goal = target === undefined ? '' : `   target ≤ ${target.toFixed(2)}`;
    if (!ra || !rb) {
      line(label, `—${goal}${goal ? ':' : ''} not run in this run`);
      continue;
    }
    if (ra.skipped || rb.skipped || !ra.samples.length || !rb.samples.length) {
      line(label, `—${goal}${goal ? ':' : ''} ${ra.skipped ? notRun(ra) : notRun(rb)}`);
      continue;
    }
    const value = median(ra.samples.map(s => s[field] ?? NaN)) / median(rb.samples.map(s => s[field] ?? NaN));
    const paired = median(ra.samples.map((s, i) => (s[field] ?? NaN) / (rb.samples[i]?.[field] ?? NaN)).filter(Number.isFinite));
    line(label, `${value.toFixed(2)} [${paired.toFixed(2)}]${goal}${target === undefined ? '' : `: ${value <= target ? 'within target' : 'ABOVE target'}`}`);
  }
}

/**
 * A server benchmark from start to end: a fresh `runDir`, the server started and its database made
 * (or found cached), databases left by an earlier run's restores dropped, the bench, then (whatever
 * happened) the restored databases dropped, the server stopped and `runDir` removed. A failure is
 * printed and sets the exit code.
 */
export function runServerBench<Server extends { stop(): Promise<void> }, Db>(options: {
  runDir: string;
  /** The mode of `runDir` when made (default: the umask's). */
  mode?: number;
  start: () => Promise<Server>;
  database: (server: Server) => Promise<Db>;
  dropRestored: (server: Server) => Promise<void>;
  bench: (server: Server, db: Db, began: number, loadAtStart: number) => Promise<void>;
}): void {
  const main = async () => {
    const began = performance.now();
    const loadAtStart = os.loadavg()[0];
    fs.rmSync(options.runDir, { recursive: true, force: true });
    fs.mkdirSync(options.runDir, { recursive: true, ...(options.mode === undefined ? {} : { mode: options.mode }) });

    const server = await options.start();
    try {
      const db = await options.database(server);
      await options.dropRestored(server);
      await options.bench(server, db, began, loadAtStart);
    } finally {
      await options.dropRestored(server).catch(() => undefined);
      await server.stop();
      fs.rmSync(options.runDir, { recursive: true, force: true });
    }
  };
  main().catch((error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  });
}

/** The run's last lines: how long it took, the lowest free disk space, the load; `samples` written to `lastRun` (JSON). */
export function finishRun(began: number, loadAtStart: number, lowestFree: number, lastRun: string, samples: object): void {
  console.log('');
  console.log(`Finished in ${((performance.now() - began) / 1000 / 60).toFixed(1)} min; lowest free disk space during the run ${gib(lowestFree)}. ${loadNote(loadAtStart, os.loadavg()[0])}`);
  fs.writeFileSync(lastRun, `${JSON.stringify(samples, null, 1)}\n`);
  console.log(`Samples: ${path.relative(ROOT, lastRun)}`);
}

/**
 * The generators' cache markers: one JSON file, one marker per generated database (what generator
 * made it, when, its figures). A file that does not read, or whose shape `accept` refuses (an
 * older layout), reads as no markers: everything is rebuilt.
 */
export function generationMarkers<M>(file: string, accept: (markers: object) => boolean = () => true): {
  read(): Record<string, M>;
  /** Sets (or, with undefined, removes) the marker of `name`. */
  write(name: string, marker: M | undefined): void;
} {
  const read = (): Record<string, M> => {
    try {
      const markers = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, M>;
      return typeof markers === 'object' && markers !== null && accept(markers) ? markers : {};
    } catch {
      return {};
    }
  };
  return {
    read,
    write(name, marker) {
      const markers = read();
      if (marker) markers[name] = marker;
      else delete markers[name];
      fs.writeFileSync(file, `${JSON.stringify(markers, null, 1)}\n`);
    },
  };
}
