// What the server benchmarks share: building dist/ when it is stale, a failed command's report,
// medians and the printed table. Taken from bench/pgBackup.ts (which still has its own copies;
// it can import these in a later change without altering its output).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');

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
