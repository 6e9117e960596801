// Lifeboat's table comparison (`lifeboat diff`) beside the time to COPY both tables out once, measured
// in the same run on the same server: 1,000,000 rows × 10 columns with 1,000 scattered differences
// (bench/diffGenerate.ts). Issue 6, acceptance 3: a full (streamed) comparison takes at most 1.5 × the
// COPY time, bisection reads at most 5 % of the rows, and the CLI's peak memory stays within 256 MB.
// Also checks that both modes find exactly the injected differences, by count, by id and by column.
//
//   node --import tsx bench/diffCompare.ts                1 warm-up + 3 measured rounds (about 2 minutes on 2 cores)
//   node --import tsx bench/diffCompare.ts --rounds 5     more rounds
//   node --import tsx bench/diffCompare.ts --warmup 0     no warm-up round
//   node --import tsx bench/diffCompare.ts --node PATH    the Node that runs Lifeboat's CLI (default: this one)
//   node --import tsx bench/diffCompare.ts --profile      then one more streamed comparison under `node --cpu-prof`:
//                                                         its top costs by function and by source file
//
// Each round runs the three steps (COPY both tables, stream, bisect) in an order that rotates from
// round to round, with a CHECKPOINT before each. Times are the wall time of the whole command
// (process start to exit). The baseline is psql running `COPY public.accounts TO STDOUT` into
// /dev/null for diff_restored, then for diff_prod. Peak memory is the Lifeboat process's RSS high-water
// mark: GNU time's %M where /usr/bin/time exists, else VmHWM polled from /proc every 20 ms. The
// bare tool and Lifeboat reach the server the same way: TCP to 127.0.0.1, same user and password.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { SourceMap } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DiffKind, DiffRow, DiffSummary } from '../src/diff/types';
import {
  briefly, buildIfStale, cleanEnv, cleanUpOnInterrupt, CommandFailed, DATA, DIST_CLI, finishRun, fmt, freeBytes, gib, median, mib, notRun, parseJson,
  readFilesOnce, ROOT, runRounds, runServerBench, spread, stepRunner, table, type BenchStep, type StepResult,
} from './benchSupport';
import {
  DIFF_GENERATOR_VERSION, DIFF_SCHEMA, DIFF_TABLE, ensureDiffDatabases, PROD_DATABASE, RESTORED_DATABASE, type DiffData,
} from './diffGenerate';
import { serverTreeCpu } from './processMeter';
import { PG_BIN, startBenchCluster, type BenchCluster } from './pgGenerate';

const RUN = path.join(DATA, 'diff-run');
const CONFIG = path.join(RUN, 'lifeboat.json');
const LAST_RUN = path.join(DATA, 'diff-last-run.json');
const PROFILE_DIR = path.join(DATA, 'diff-profile');
const PASSWORD_ENV = 'LIFEBOAT_BENCH_PG_PASSWORD';
const PSQL = path.join(PG_BIN, 'psql');
const GNU_TIME = '/usr/bin/time';
const TABLE_NAME = `${DIFF_SCHEMA}.${DIFF_TABLE}`;

/** Issue 6, acceptance 3. */
const TARGET = { ratio: 1.5, bisectReadShare: 0.05, peakRssMiB: 256 };

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1' },
    node: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
const WARMUP = Math.max(0, Number.isFinite(Number(flags.warmup)) ? Number(flags.warmup) : 1);
const LIFEBOAT_NODE = path.resolve(flags.node ?? process.execPath);

type Mode = 'stream' | 'bisect';

interface Sample {
  /** Wall time of the command(s), ms. */
  wall: number;
  /** COPY: each table's wall time, ms. */
  restoredMs?: number;
  prodMs?: number;
  /** Lifeboat: the process's peak RSS (KiB) and CPU time (user + system, ms). */
  peakRssKiB?: number;
  cpuMs?: number;
  /** CPU time (user + system, ms) the PostgreSQL server's processes spent while the command ran. */
  serverCpuMs?: number;
  /** Lifeboat: the engine's own measure (summary.elapsedMs). */
  elapsedMs?: number;
  counts?: Record<DiffKind, number>;
  rowsRead?: { backup: number; production: number };
  rows?: { backup: number | null; production: number | null };
  bisection?: DiffSummary['bisection'];
  /** What the correctness check found wrong (empty: all correct). */
  problems?: string[];
  /** How far the check could go (rows listed and compared by id). */
  checked?: string;
}

type Result = StepResult<Sample>;
type Step = BenchStep<Sample>;

const running = new Set<ChildProcess>();
cleanUpOnInterrupt(running, RUN);

/** How a command is measured: GNU time where it exists (its %M is the peak RSS in KiB), else /proc polling. */
const memoryMeter = fs.existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' }).stderr.trim().match(/^\d+$/)
  ? 'GNU time (%M)' : '/proc VmHWM polled every 20 ms';

async function bench(cluster: BenchCluster, data: DiffData, began: number, loadAtStart: number): Promise<void> {
  const lifeboat = lifeboatCapabilities();
  const loadBefore = os.loadavg();
  const connection = (id: string, database: string) => ({
    id, name: id, engine: 'postgres', host: cluster.host, port: cluster.port, user: cluster.user, database, passwordEnv: PASSWORD_ENV,
  });
  fs.writeFileSync(CONFIG, `${JSON.stringify({
    backupFolder: path.join(RUN, 'backups'),
    connections: [connection('restored', RESTORED_DATABASE), connection('prod', PROD_DATABASE)],
  }, null, 1)}\n`);
  const env = { ...cleanEnv(/^(PG|LIFEBOAT_)/, DATA, RUN), [PASSWORD_ENV]: cluster.password, PGPASSWORD: cluster.password };
  // --limit: every difference listed, so the check can compare ids and columns (1,000 rows from the CLI's scratch store).
  const total = data.expected.onlyInBackup + data.expected.onlyInProduction + data.expected.changed;
  const diffArgs = (mode: Mode) => [DIST_CLI, '--config', CONFIG, '--json', '--quiet', 'diff', 'restored', 'prod', '--table', TABLE_NAME, '--mode', mode,
    ...(lifeboat.limit ? ['--limit', String(total)] : [])];

  console.log('');
  console.log('Lifeboat table diff benchmark (issue 6, acceptance 3)');
  console.log(`Tables     ${TABLE_NAME} on PostgreSQL ${cluster.version} (127.0.0.1:${cluster.port}): "${RESTORED_DATABASE}" (the backup) ${fmt(data.restored.rows)} rows, ` +
    `${mib(data.restored.bytes)}; "${PROD_DATABASE}" (production) ${fmt(data.prod.rows)} rows, ${mib(data.prod.bytes)} (with the primary key)`);
  console.log(`           ${data.columns.length} columns: ${data.columns.map(c => `${c.name} ${c.type}`).join(', ')}`);
  console.log(`Changes    in production: ${data.expected.changed} updates of 1–3 columns, ${data.expected.onlyInBackup} deletes, ${data.expected.onlyInProduction} inserts ` +
    `(seeded, scattered over the key range); generator v${DIFF_GENERATOR_VERSION}, ${data.generatedMs === null ? 'cached' : `generated in ${(data.generatedMs / 1000).toFixed(1)} s`}`);
  console.log(`Baseline   ${path.basename(PSQL)} -c "COPY ${TABLE_NAME} TO STDOUT" > /dev/null, on ${RESTORED_DATABASE} then ${PROD_DATABASE} (${toolVersion(PSQL)})`);
  console.log(`Lifeboat   node dist/cli.js --json diff restored prod --table ${TABLE_NAME} --mode stream|bisect${lifeboat.limit ? ` --limit ${total}` : ''}; ${lifeboat.note}`);
  console.log(`           CLI run by Node ${lifeboat.nodeVersion} (${LIFEBOAT_NODE}); peak RSS by ${memoryMeter}`);
  console.log(`Machine    ${os.availableParallelism()} cores, ${gib(os.totalmem())} RAM; load average before: ${loadBefore.map(l => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
  console.log(`Method     ${WARMUP ? `${WARMUP} warm-up round(s) (not counted) + ` : ''}${ROUNDS} measured round${ROUNDS === 1 ? '' : 's'}, the steps' order rotating each round; ` +
    'CHECKPOINT before each command;');
  console.log('           medians (min–max) of wall seconds; both databases\' files read once first (page cache warm).');

  for (const database of [RESTORED_DATABASE, PROD_DATABASE]) await warmPageCache(cluster, database);

  const psqlArgs = (database: string) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, '-d', database,
    '-c', `COPY ${TABLE_NAME} TO STDOUT`];
  const serverCpu = serverCpuMeter(cluster.dataDir);
  const copyBoth = async (): Promise<Sample> => {
    const cpuBefore = serverCpu();
    const restored = await measure(PSQL, psqlArgs(RESTORED_DATABASE), env, 'discard');
    const prod = await measure(PSQL, psqlArgs(PROD_DATABASE), env, 'discard');
    return { wall: restored.wall + prod.wall, restoredMs: restored.wall, prodMs: prod.wall, serverCpuMs: serverCpu() - cpuBefore };
  };
  const compare = async (mode: Mode): Promise<Sample> => {
    const cpuBefore = serverCpu();
    const run = await measure(LIFEBOAT_NODE, diffArgs(mode), env, 'capture');
    const serverCpuMs = serverCpu() - cpuBefore;
    const output = parseJson(run.stdout) as { ok?: boolean; summary?: DiffSummary; rows?: DiffRow[] };
    const summary = output.summary;
    if (!summary) throw new Error(`No summary in Lifeboat's JSON result: ${run.stdout.slice(0, 500)}`);
    const { problems, checked } = check(summary, output.rows, data, mode);
    return {
      wall: run.wall, peakRssKiB: run.peakRssKiB, cpuMs: run.cpuMs, serverCpuMs, elapsedMs: summary.elapsedMs, counts: summary.counts,
      rowsRead: { backup: summary.backup.rowsRead, production: summary.production.rowsRead },
      rows: { backup: summary.backup.rows, production: summary.production.rows },
      ...(summary.bisection ? { bisection: summary.bisection } : {}),
      problems, checked,
    };
  };

  const steps: Step[] = [
    { key: 'copy', label: 'COPY both tables out (psql, one after the other)', run: copyBoth },
    { key: 'stream', label: 'lifeboat diff --mode stream', lifeboat: true, blocked: () => lifeboat.missing, run: () => compare('stream') },
    { key: 'bisect', label: 'lifeboat diff --mode bisect', lifeboat: true, blocked: () => lifeboat.missing, run: () => compare('bisect') },
  ];
  const results = new Map<string, Result>(steps.map(s => [s.key, { samples: [] }]));
  const runStep = stepRunner(results, WARMUP, () => settle(cluster));
  const lowestFree = await runRounds({
    warmup: WARMUP, rounds: ROUNDS, backups: steps, restores: [], runStep, runDir: RUN, freeAtStart: freeBytes(RUN), afterRound: () => undefined,
  });

  const failed = report(results, data);
  if (flags.profile && !lifeboat.missing) await profile(diffArgs('stream'), env);
  console.log('');
  console.log(`Load average after: ${os.loadavg().map(l => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
  finishRun(began, loadAtStart, lowestFree, LAST_RUN, {
    at: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, server: cluster.version, data: { ...data, changes: undefined },
    lifeboatNode: { path: LIFEBOAT_NODE, version: lifeboat.nodeVersion }, memoryMeter, loadBefore, loadAfter: os.loadavg(),
    results: Object.fromEntries(results),
  });
  if (failed) process.exitCode = 1;
}

/** Prints the steps, the targets and the correctness checks; true when a comparison reported wrong differences. */
function report(results: Map<string, Result>, data: DiffData): boolean {
  const copy = results.get('copy')!;
  const stream = results.get('stream')!;
  const bisect = results.get('bisect')!;
  const s = (values: (number | undefined)[], digits = 2) => {
    const known = values.filter((v): v is number => typeof v === 'number');
    return known.length ? spread(known.map(v => v / 1000), digits) : '';
  };
  const peak = (r: Result) => {
    const known = r.samples.map(x => x.peakRssKiB).filter((v): v is number => typeof v === 'number');
    return known.length ? Math.max(...known) / 1024 : undefined;
  };
  const totalRows = data.restored.rows + data.prod.rows;
  const readShare = (x: Sample) => (x.rowsRead ? (x.rowsRead.backup + x.rowsRead.production) / totalRows : NaN);

  console.log('');
  const rows: string[][] = [];
  if (copy.samples.length) {
    rows.push([`COPY ${RESTORED_DATABASE} TO STDOUT`, s(copy.samples.map(x => x.restoredMs)), '', '', '', '', fmt(data.restored.rows)]);
    rows.push([`COPY ${PROD_DATABASE} TO STDOUT`, s(copy.samples.map(x => x.prodMs)), '', '', '', '', fmt(data.prod.rows)]);
    rows.push(['COPY both, one after the other', s(copy.samples.map(x => x.wall)), '', '', s(copy.samples.map(x => x.serverCpuMs), 1), '', fmt(totalRows)]);
  } else {
    rows.push(['COPY both, one after the other', notRun(copy)]);
  }
  for (const [label, r] of [['lifeboat diff --mode stream', stream], ['lifeboat diff --mode bisect', bisect]] as const) {
    if (r.skipped || !r.samples.length) {
      rows.push([label, notRun(r)]);
      continue;
    }
    const last = r.samples[r.samples.length - 1];
    rows.push([label, s(r.samples.map(x => x.wall)), s(r.samples.map(x => x.elapsedMs)), s(r.samples.map(x => x.cpuMs), 1), s(r.samples.map(x => x.serverCpuMs), 1),
      `${median(r.samples.map(x => (x.peakRssKiB ?? NaN) / 1024)).toFixed(0)} (max ${peak(r)?.toFixed(0)})`,
      last.rowsRead ? `${fmt(last.rowsRead.backup)} + ${fmt(last.rowsRead.production)}` : '']);
  }
  table(['', 'wall s', 'engine s', 'CLI CPU s', 'server CPU s', 'peak RSS MiB', 'rows read'], rows);
  console.log('  wall: the whole command; engine: the summary\'s elapsedMs (inside the CLI); CLI CPU: the Lifeboat process\'s user + system time;');
  console.log(`  server CPU: the PostgreSQL processes' (psql's own is not counted); rows read: backup + production. ${os.availableParallelism()} cores: CLI + server CPU above ${os.availableParallelism()} × wall cannot overlap.`);

  const bisection = bisect.samples[bisect.samples.length - 1]?.bisection;
  if (bisection) console.log(`  bisection: ${bisection.queries} checksum queries, ${bisection.levels} levels, ${bisection.leafBuckets} leaf buckets read`);

  console.log('');
  console.log('Targets (issue 6, acceptance 3)                                   value        target   result');
  const target = (label: string, value: string, goal: string, pass: boolean | undefined) =>
    console.log(`  ${label.padEnd(62)} ${value.padStart(10)}   ${goal.padEnd(7)}  ${pass === undefined ? '—' : pass ? 'PASS' : 'MISS'}`);
  const copyMedian = copy.samples.length ? median(copy.samples.map(x => x.wall)) : NaN;
  if (stream.samples.length && copy.samples.length) {
    const ratio = median(stream.samples.map(x => x.wall)) / copyMedian;
    const paired = median(stream.samples.map((x, i) => x.wall / (copy.samples[i]?.wall ?? NaN)).filter(Number.isFinite));
    target('stream compare ÷ COPY both [median of per-round ratios]', `${ratio.toFixed(2)} [${paired.toFixed(2)}]`, `≤ ${TARGET.ratio}`, ratio <= TARGET.ratio);
  } else {
    target('stream compare ÷ COPY both', '—', `≤ ${TARGET.ratio}`, undefined);
    if (stream.skipped) console.log(`    ${stream.skipped}`);
  }
  if (bisect.samples.length) {
    const share = median(bisect.samples.map(readShare));
    target(`bisect rows read ÷ rows in both tables (${fmt(totalRows)})`, `${(share * 100).toFixed(2)} %`, `≤ ${TARGET.bisectReadShare * 100} %`, share <= TARGET.bisectReadShare);
    const ratio = median(bisect.samples.map(x => x.wall)) / copyMedian;
    target('bisect compare ÷ COPY both (for information)', Number.isFinite(ratio) ? ratio.toFixed(2) : '—', '', undefined);
  } else {
    target('bisect rows read ÷ rows in both tables', '—', `≤ ${TARGET.bisectReadShare * 100} %`, undefined);
    if (bisect.skipped) console.log(`    ${bisect.skipped}`);
  }
  for (const [mode, r] of [['stream', stream], ['bisect', bisect]] as const) {
    const p = peak(r);
    target(`peak RSS of the CLI, ${mode} (MiB, highest of the rounds)`, p === undefined ? '—' : p.toFixed(0), `≤ ${TARGET.peakRssMiB}`, p === undefined ? undefined : p <= TARGET.peakRssMiB);
  }

  console.log('');
  console.log(`Correctness: expected onlyInBackup ${data.expected.onlyInBackup}, onlyInProduction ${data.expected.onlyInProduction}, changed ${data.expected.changed} ` +
    '(rows deleted from production are only in the backup)');
  let failed = false;
  for (const [mode, r] of [['stream', stream], ['bisect', bisect]] as const) {
    if (!r.samples.length) {
      console.log(`  ${mode}: — ${notRun(r)}`);
      continue;
    }
    const problems = [...new Set(r.samples.flatMap(x => x.problems ?? []))];
    const last = r.samples[r.samples.length - 1];
    const counts = last.counts ? `onlyInBackup ${last.counts.onlyInBackup}, onlyInProduction ${last.counts.onlyInProduction}, changed ${last.counts.changed}` : 'no counts';
    if (problems.length) {
      failed = true;
      console.log(`  ${mode}: FAIL  ${counts}`);
      for (const problem of problems.slice(0, 12)) console.log(`      ${problem}`);
    } else {
      console.log(`  ${mode}: PASS  ${counts}; ${last.checked} (all ${r.samples.length} measured rounds)`);
    }
  }
  return failed;
}

/** What is wrong with a comparison's result, against the changes the generator made. */
function check(summary: DiffSummary, rows: DiffRow[] | undefined, data: DiffData, mode: Mode): { problems: string[]; checked: string } {
  const problems: string[] = [];
  for (const kind of ['onlyInBackup', 'onlyInProduction', 'changed'] as const) {
    if (summary.counts?.[kind] !== data.expected[kind]) problems.push(`${kind}: ${summary.counts?.[kind]}, expected ${data.expected[kind]}`);
  }
  if (summary.mode !== mode) problems.push(`the summary says mode ${summary.mode}, asked for ${mode}`);
  for (const [side, truth] of [['backup', data.restored.rows], ['production', data.prod.rows]] as const) {
    const got = summary[side]?.rows;
    if (got !== null && got !== undefined && got !== truth) problems.push(`${side}.rows ${got}, the table has ${truth}`);
    if (mode === 'stream' && summary[side]?.rowsRead !== truth) problems.push(`stream mode read ${summary[side]?.rowsRead} rows of ${side}, which has ${truth}`);
  }
  const total = data.expected.onlyInBackup + data.expected.onlyInProduction + data.expected.changed;
  if (!Array.isArray(rows) || rows.length < total) {
    return { problems, checked: `rows listed: ${Array.isArray(rows) ? rows.length : 'none'} of ${total}, so ids not compared` };
  }
  const keyIndex = summary.keyColumns?.indexOf('id') ?? -1;
  if (keyIndex < 0) {
    problems.push(`matched by ${summary.keyColumns ? summary.keyColumns.join(', ') : 'no key'}, not the primary key id`);
    return { problems, checked: 'ids not compared' };
  }
  const idsOf = (kind: DiffKind) => rows.filter(r => r.kind === kind).map(r => Number(r.key[keyIndex]));
  const compareIds = (kind: DiffKind, expected: number[]) => {
    const got = new Set(idsOf(kind));
    const want = new Set(expected);
    const missing = expected.filter(id => !got.has(id));
    const extra = [...got].filter(id => !want.has(id));
    if (missing.length) problems.push(`${kind}: ${missing.length} injected ids not reported (${missing.slice(0, 5).join(', ')}…)`);
    if (extra.length) problems.push(`${kind}: ${extra.length} ids reported that were not changed (${extra.slice(0, 5).join(', ')}…)`);
  };
  compareIds('onlyInBackup', data.changes.deleted);
  compareIds('onlyInProduction', data.changes.inserted);
  compareIds('changed', data.changes.updated.map(u => u.id));
  const columnsOf = new Map(data.changes.updated.map(u => [u.id, [...u.columns].sort().join(',')]));
  let wrongColumns = 0;
  let example = '';
  for (const row of rows.filter(r => r.kind === 'changed')) {
    const id = Number(row.key[keyIndex]);
    const got = row.changed.map(i => summary.columns[i]?.name).sort().join(',');
    if (columnsOf.has(id) && got !== columnsOf.get(id)) {
      wrongColumns++;
      example ||= `id ${id}: reported ${got || 'none'}, changed ${columnsOf.get(id)}`;
    }
  }
  if (wrongColumns) problems.push(`${wrongColumns} changed rows with the wrong changed columns (${example})`);
  return { problems, checked: `the ${rows.length} rows listed are the injected ids, changed rows with the updated columns` };
}

interface Measured {
  wall: number;
  stdout: string;
  peakRssKiB?: number;
  cpuMs?: number;
}

/**
 * Spawns a command (no shell), its stdout captured or sent to /dev/null, and measures its wall time;
 * with `capture` (Lifeboat) also its peak RSS and CPU time. Rejects with the end of its output if it fails.
 */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv, stdout: 'capture' | 'discard'): Promise<Measured> {
  const gnuTime = stdout === 'capture' && memoryMeter.startsWith('GNU');
  const timeFile = path.join(RUN, `time-${process.pid}-${performance.now().toFixed(0)}.txt`);
  const [file, argv] = gnuTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const devNull = stdout === 'discard' ? fs.openSync('/dev/null', 'w') : undefined;
    const started = performance.now();
    const child = spawn(file, argv, { cwd: RUN, env, stdio: ['ignore', devNull ?? 'pipe', 'pipe'] });
    if (devNull !== undefined) fs.closeSync(devNull);
    running.add(child);
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err = (err + chunk).slice(-16_000); });
    const poller = stdout === 'capture' && !gnuTime && child.pid !== undefined ? pollPeakRss(child.pid) : undefined;
    child.on('error', reject);
    child.on('close', code => {
      const wall = performance.now() - started;
      running.delete(child);
      const polled = poller?.stop();
      const text = Buffer.concat(out).toString('utf8');
      let peakRssKiB = polled;
      let cpuMs: number | undefined;
      if (gnuTime) {
        // GNU time writes "Command exited with non-zero status N" before the format's line when the command fails.
        const figures = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number) : [];
        fs.rmSync(timeFile, { force: true });
        if (figures.length === 3 && figures.every(Number.isFinite)) {
          peakRssKiB = figures[0];
          cpuMs = (figures[1] + figures[2]) * 1000;
        }
      }
      if (code !== 0) reject(new CommandFailed(`${path.basename(command)} ${args.join(' ')}`, code, text, err));
      else resolve({ wall, stdout: text, peakRssKiB, cpuMs });
    });
  });
}

/**
 * A meter of the CPU time (ms, user + system) that the PostgreSQL server's processes have used: the
 * postmaster's own and its reaped children's (cutime, cstime: backends that ended), plus every live child's.
 */
function serverCpuMeter(dataDir: string): () => number {
  return serverTreeCpu(() => Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]));
}

/** Polls VmHWM of `pid` and its descendants every 20 ms; stop() gives the highest sum seen (KiB). */
function pollPeakRss(pid: number): { stop(): number | undefined } {
  let peak: number | undefined;
  const hwm = (p: number) => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const tree = (p: number): number[] => {
    let children: number[] = [];
    try {
      for (const task of fs.readdirSync(`/proc/${p}/task`)) {
        children = children.concat(fs.readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      // ended
    }
    return [p, ...children.flatMap(tree)];
  };
  const timer = setInterval(() => {
    const sum = tree(pid).reduce((total, p) => total + hwm(p), 0);
    if (sum) peak = Math.max(peak ?? 0, sum);
  }, 20);
  return { stop: () => { clearInterval(timer); return peak; } };
}

/**
 * One more streamed comparison under `node --cpu-prof`, not counted: its self time by function and by
 * source file (through dist/cli.js.map), the profile kept in bench/.data/diff-profile/.
 */
async function profile(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  fs.rmSync(PROFILE_DIR, { recursive: true, force: true });
  fs.mkdirSync(PROFILE_DIR, { recursive: true });
  console.log('');
  console.log('Profile: one more `lifeboat diff --mode stream` under node --cpu-prof (not counted)');
  let wall: number;
  try {
    ({ wall } = await measure(LIFEBOAT_NODE, ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, ...args], env, 'capture'));
  } catch (error) {
    console.log(`  failed: ${briefly(error)}`);
    return;
  }
  const file = fs.readdirSync(PROFILE_DIR).find(f => f.endsWith('.cpuprofile'));
  if (!file) {
    console.log('  no .cpuprofile was written');
    return;
  }
  interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }
  const prof = JSON.parse(fs.readFileSync(path.join(PROFILE_DIR, file), 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const mapFile = `${DIST_CLI}.map`;
  const sourceMap = fs.existsSync(mapFile) ? new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined;
  const where = (frame: ProfileNode['callFrame']): { fn: string; file: string } => {
    const name = frame.functionName || '(anonymous)';
    if (!frame.url) return { fn: name, file: name.startsWith('(') ? name : '(native)' };
    if (sourceMap && frame.url.endsWith('dist/cli.js')) {
      const entry = sourceMap.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number };
      if (entry.originalSource) {
        const source = path.relative(ROOT, path.resolve(path.dirname(DIST_CLI), entry.originalSource.replace(/^file:\/\//, '')));
        return { fn: `${name} ${source}:${(entry.originalLine ?? 0) + 1}`, file: source };
      }
    }
    const url = frame.url.replace(/^file:\/\//, '');
    return { fn: `${name} ${url.startsWith('/') ? path.relative(ROOT, url) : url}:${frame.lineNumber + 1}`, file: url.startsWith('/') ? path.relative(ROOT, url) : url };
  };
  const nodes = new Map(prof.nodes.map(n => [n.id, where(n.callFrame)]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    const at = nodes.get(id);
    if (!at) return;
    total += us;
    byFunction.set(at.fn, (byFunction.get(at.fn) ?? 0) + us);
    const group = at.file.replace(/^(.*\/)?node_modules\/((@[^/]+\/)?[^/]+)\/.*/, 'node_modules/$2');
    byFile.set(group, (byFile.get(group) ?? 0) + us);
  });
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
    .map(([name, us]) => [name, (us / 1e6).toFixed(2), `${((us / total) * 100).toFixed(1)} %`]);
  console.log(`  wall ${(wall / 1000).toFixed(2)} s (profiling slows it), ${(total / 1e6).toFixed(2)} s sampled on the main thread; profile: ${path.relative(ROOT, path.join(PROFILE_DIR, file))}`);
  console.log('');
  table(['  self time by source file', 's', 'share'], top(byFile, 12).map(([a, b, c]) => [`  ${a}`, b, c]));
  console.log('');
  table(['  self time by function', 's', 'share'], top(byFunction, 20).map(([a, b, c]) => [`  ${a}`.slice(0, 110), b, c]));
}

/** Whether dist/cli.js has `lifeboat diff` with the flags this bench passes; missing ones make its rows "not available yet". */
function lifeboatCapabilities(): { nodeVersion: string; note: string; missing?: string; limit?: boolean } {
  const version = spawnSync(LIFEBOAT_NODE, ['-p', 'process.version'], { encoding: 'utf8' });
  if (version.status !== 0) throw new Error(`--node ${LIFEBOAT_NODE} does not run: ${version.error?.message ?? version.stderr}`);
  const nodeVersion = version.stdout.trim();
  const note = `dist/cli.js (${buildIfStale()})`;
  if (!fs.existsSync(DIST_CLI)) return { nodeVersion, note, missing: 'not available yet (no dist/cli.js)' };
  const help = spawnSync(LIFEBOAT_NODE, [DIST_CLI, 'diff', '--help'], { encoding: 'utf8' });
  if (help.status !== 0 || !/Usage: lifeboat diff/.test(help.stdout)) return { nodeVersion, note, missing: 'not available yet (dist/cli.js has no `diff` command)' };
  const lacking = ['--table', '--mode'].filter(o => !help.stdout.includes(o));
  return { nodeVersion, note, limit: help.stdout.includes('--limit'), ...(lacking.length ? { missing: `not available yet (diff lacks ${lacking.join(', ')})` } : {}) };
}

/** A CHECKPOINT, so no command pays for another's dirty buffers. */
async function settle(cluster: BenchCluster): Promise<void> {
  await cluster.query('CHECKPOINT');
}

/** Reads the database's files once, so the first round does not pay for a cold page cache. */
async function warmPageCache(cluster: BenchCluster, database: string): Promise<void> {
  const [{ oid }] = await cluster.query<{ oid: number }>(`SELECT oid FROM pg_database WHERE datname = '${database}'`);
  readFilesOnce(path.join(cluster.dataDir, 'base', String(oid)));
}

function toolVersion(tool: string): string {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/ \(PostgreSQL\)/, '');
}

runServerBench({
  runDir: RUN,
  start: () => startBenchCluster(message => console.log(message)),
  database: cluster => ensureDiffDatabases(cluster, { log: message => console.log(message) }),
  dropRestored: async () => undefined,
  bench,
});
