// What the SQLite benchmarks (sqliteBackup.mjs, sqliteSnapshot.mjs) share: where things are, a
// scratch folder that goes away on exit and on Ctrl-C, timed commands, and how figures print.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA = path.join(ROOT, 'bench', '.data');
export const CONFIG = path.join(DATA, 'empty-config.json');
export const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');
export const SQLITE3 = '/usr/bin/sqlite3';

/**
 * A benchmark's scratch folder `tmp`: `prepare` empties it and writes the empty CLI config;
 * `timed` runs a command in it; Ctrl-C or SIGTERM kills the running command and removes it.
 */
export function benchScratch(tmp) {
  let currentChild;
  const cleanUp = () => fs.rmSync(tmp, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      currentChild?.kill('SIGTERM');
      cleanUp();
      process.exit(130);
    });
  }
  return {
    cleanUp,
    prepare() {
      cleanUp();
      fs.mkdirSync(tmp, { recursive: true });
      fs.writeFileSync(CONFIG, '{}\n');
      if (!fs.existsSync(SQLITE3)) throw new Error(`${SQLITE3} is missing: the benchmark compares Lifeboat with it (apt-get install sqlite3).`);
    },
    /** Spawns a command (argument array, no shell) and returns its wall time; throws with its stderr if it fails. */
    timed(command, args, env = {}) {
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const child = spawn(command, args, { cwd: tmp, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        currentChild = child;
        const stdout = [], stderr = [];
        child.stdout.on('data', chunk => stdout.push(chunk));
        child.stderr.on('data', chunk => stderr.push(chunk));
        child.on('error', reject);
        child.on('close', code => {
          const wall = performance.now() - started;
          currentChild = undefined;
          const out = stdout.join('');
          if (code !== 0) reject(new Error(`${path.basename(command)} ${args.join(' ')} exited with ${code}:\n${out}${stderr.join('').split('\n').slice(-15).join('\n')}`));
          else resolve({ wall, stdout: out });
        });
      });
    },
  };
}

/** The environment without Lifeboat settings from the caller's shell, which would change what is measured. */
function cleanEnv() {
  const env = { ...process.env, XDG_CONFIG_HOME: path.join(DATA, 'xdg-config') };
  for (const name of ['LIFEBOAT_CONFIG', 'LIFEBOAT_BACKUP_DIR']) delete env[name];
  return env;
}

/** The median of `field` over samples (an array, or a result holding `samples`). */
export function median(result, field) {
  const samples = Array.isArray(result) ? result : result.samples;
  const sorted = samples.map(s => s[field]).sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "median (min–max)". */
export function stat(result, field) {
  const values = (Array.isArray(result) ? result : result.samples).map(s => s[field]);
  return `${Math.round(median(result, field))} (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})`;
}

export function table(header, rows) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map(r => String(r[i]).length)));
  const render = r => r.map((cell, i) => (i === 0 ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ').trimEnd();
  console.log(render(header));
  for (const row of rows) console.log(render(row));
}

export function line(label, value) {
  console.log(`${label.padEnd(84, ' ')} ${value}`);
}

/** Timings from a busy machine mislead; say so next to them. */
export function loadNote(start, end) {
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  // The benchmark itself keeps about one core busy, so the load at the end counts one more.
  const busy = start > cores / 2 || end > 1 + cores / 2;
  return `Load average (1 min) ${start.toFixed(2)} at start, ${end.toFixed(2)} at end, on ${cores} cores${busy ? ': other work ran alongside, so the spread (min–max) is wide; rerun on a quiet machine for figures to quote.' : '.'}`;
}

export const fmt = n => Math.round(n).toLocaleString('en');
export const mib = bytes => `${(bytes / 1048576).toFixed(1)} MiB`;
