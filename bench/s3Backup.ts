// A PostgreSQL backup streamed to an S3 bucket and a local folder at once, beside the dump alone
// and the upload of the same bytes alone, in the same run, on the ~1.2 GB bench database
// (bench/pgGenerate.ts); and the same with age encryption, beside it without. Prints medians and
// ratios; asserts nothing.
//
//   node --import tsx bench/s3Backup.ts              3 measured rounds
//   node --import tsx bench/s3Backup.ts --rounds 5   more rounds
//   node --import tsx bench/s3Backup.ts --node PATH  the Node that runs Lifeboat's CLI (default: this one)
//
// The S3 server is fauxqs (npm), in this process on a free port of 127.0.0.1, objects in memory:
// it stands for the network and the store, and its CPU is counted with the database server's.
// Each round runs every step in an order that rotates, the upload after the dump whose file it
// sends; `sync` and a CHECKPOINT before each; the bucket emptied after each.
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import {
  buildIfStale, cleanEnv, cleanUpOnInterrupt, DATA, DIST_CLI, emptyFolder, finishRun, folderBytes, freeBytes, gib, mib, mibCell, notRun,
  parseJson, printRatios, readFilesOnce, ROOT, runRounds, secondsCell, runServerBench, spread, stepRunner, table, timedCommand,
  type BenchStep, type Ratio, type StepResult,
} from './benchSupport';
import { cpuClock, findExecutable, serverTreeCpu, timedPipeline, underPeakRss, type Measured } from './processMeter';
import { BENCH_DATABASE, ensureBenchDatabase, PG_BIN, startBenchCluster, type BenchCluster, type BenchDatabase } from './pgGenerate';
import { startS3Server, TEST_CREDENTIALS, type S3TestServer } from '../test/support/s3Server';
import { DEFAULT_PART_SIZE, DEFAULT_QUEUE_SIZE, type S3DestinationOptions } from '../src/storage/s3';

const RUN = path.join(DATA, 's3-run');
const CONFIG = path.join(RUN, 'lifeboat.json');
const KEYS = path.join(RUN, 'offsite-keys.json');
const LAST_RUN = path.join(DATA, 's3-last-run.json');
const PASSWORD_ENV = 'LIFEBOAT_BENCH_PG_PASSWORD';
const PG_DUMP = path.join(PG_BIN, 'pg_dump');
const UPLOAD_SCRIPT = path.join(ROOT, 'bench', 's3Upload.mjs');

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
const ZSTD = findExecutable(['zstd']);
const AGE_KEYGEN = findExecutable(['age-keygen']);
const ZSTD_LEVEL = 2;

interface Sample {
  wall: number;
  cpu?: number;
  /** CPU ms of the PostgreSQL server's processes and the S3 server's (this process) meanwhile. */
  serverCpu?: number;
  peakRss?: number;
  /** Bytes stored: the local folder, or the file sent. */
  size?: number;
}
type Result = StepResult<Sample>;
type Step = BenchStep<Sample>;

const running = new Set<ChildProcess>();
cleanUpOnInterrupt(running, RUN);

interface Servers { cluster: BenchCluster; s3: S3TestServer; stop(): Promise<void> }

async function bench(servers: Servers, db: BenchDatabase, began: number, loadAtStart: number): Promise<void> {
  const { cluster, s3 } = servers;
  postmasterPid = Number(fs.readFileSync(path.join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const note = buildIfStale();
  const bucket = await s3.newBucket('lifeboat');
  const client = s3.client(bucket);
  fs.writeFileSync(KEYS, JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
  fs.writeFileSync(CONFIG, `${JSON.stringify({
    connections: [{ id: 'bench', name: 'Bench', engine: 'postgres', host: cluster.host, port: cluster.port, user: cluster.user, database: BENCH_DATABASE, passwordEnv: PASSWORD_ENV }],
    destinations: [{ name: 'offsite', location: `s3://${bucket.bucket}/lifeboat`, endpoint: s3.endpoint, credentialsFile: KEYS }],
  }, null, 1)}\n`);
  const recipient = AGE_KEYGEN ? ageRecipient() : undefined;
  const connArgs = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const pgEnv = { PGPASSWORD: cluster.password };
  const lifeboatEnv = { [PASSWORD_ENV]: cluster.password };
  const lifeboatGlobals = ['--config', CONFIG, '--pg-bin-dir', PG_BIN, '--json'];

  const freeAtStart = freeBytes(RUN);
  const needed = 3 * db.bytes;
  if (freeAtStart < needed) throw new Error(`Only ${gib(freeAtStart)} free on ${RUN}'s disk; a round needs about ${gib(needed)}.`);

  console.log('');
  console.log('Lifeboat PostgreSQL backup to S3 and a local folder at once');
  console.log(`Database   "${db.name}" on PostgreSQL ${cluster.version}: ${mib(db.bytes)} by pg_database_size, ${db.tables} tables`);
  console.log(`S3         fauxqs on ${s3.endpoint} (in this process, objects in memory); part size ${mib(DEFAULT_PART_SIZE)} × queue ${DEFAULT_QUEUE_SIZE}, as Lifeboat's default`);
  console.log(`Lifeboat   dist/cli.js (${note}), run by Node ${spawnSync(LIFEBOAT_NODE, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim()}`);
  console.log(`Machine    ${os.availableParallelism()} cores, ${gib(os.totalmem())} RAM, ${gib(freeAtStart)} free`);
  console.log(`Method     ${WARMUP ? `${WARMUP} warm-up round(s) + ` : ''}${ROUNDS} measured rounds; \`sync\` + CHECKPOINT before each command; medians (min–max).`);

  const [{ oid }] = await cluster.query<{ oid: number }>(`SELECT oid FROM pg_database WHERE datname = '${db.name}'`);
  readFilesOnce(path.join(cluster.dataDir, 'base', String(oid)));

  let outputs = 0;
  const fresh = (label: string) => path.join(RUN, `${label}-${++outputs}`);
  /** The bare dump's file, which the upload step sends. */
  let dumped: string | undefined;

  const lifeboatBackup = async (extra: string[]): Promise<Sample> => {
    const folder = fresh('lifeboat');
    const meter = underPeakRss(LIFEBOAT_NODE, [DIST_CLI, ...lifeboatGlobals, '--backup-dir', folder, 'backup', 'bench', ...extra], RUN);
    const { stdout, ...measured } = await timed(meter.command, meter.args, lifeboatEnv);
    const peakRss = (meter.read() ?? NaN) * 1024;
    const result = parseJson(stdout) as { backup?: { id?: string; manifest?: { copies?: unknown[] } } };
    const copies = result.backup?.manifest?.copies?.length ?? 1;
    if (!result.backup?.id || copies !== 1 + extra.filter(a => a === '--copy-to').length) throw new Error(`Lifeboat's result is not the backup asked for: ${stdout.slice(0, 500)}`);
    const size = folderBytes(folder);
    fs.rmSync(folder, { recursive: true, force: true });
    await emptyBucket(client, bucket);
    return { ...measured, ...(Number.isFinite(peakRss) ? { peakRss } : {}), size };
  };
  const toS3 = ['--copy-to', 'offsite'];
  const encrypted = recipient ? ['--encrypt-to', recipient] : [];
  const noAge = () => (recipient ? undefined : 'not run: no age-keygen (apt-get install -y age)');

  const dumpSteps: Step[] = [
    { key: 'dump', label: `pg_dump -Fc -Z0 | zstd -${ZSTD_LEVEL} > file (the dump alone)`,
      blocked: () => (ZSTD ? undefined : 'not run: no zstd CLI (apt-get install -y zstd)'),
      run: async () => {
        const file = fresh('pg_dump') + '.dump.zst';
        const measured = await timedPipeline([
          { command: PG_DUMP, args: ['-Fc', '-Z0', ...connArgs, db.name] },
          { command: ZSTD!, args: [`-${ZSTD_LEVEL}`, '-q', '-c'] },
        ], { cwd: RUN, env: { ...toolEnv(), ...pgEnv }, running, clock, outFile: file });
        dumped = file;
        return { ...measured, size: fs.statSync(file).size };
      } },
    { key: 'lbLocal', label: 'lifeboat backup (local folder only)', lifeboat: true, run: () => lifeboatBackup([]) },
    { key: 'lbBoth', label: 'lifeboat backup --copy-to offsite (local + S3 at once)', lifeboat: true, run: () => lifeboatBackup(toS3) },
    { key: 'lbLocalAge', label: 'lifeboat backup --encrypt-to age1… (local only)', lifeboat: true, blocked: noAge, run: () => lifeboatBackup(encrypted) },
    { key: 'lbBothAge', label: 'lifeboat backup --copy-to offsite --encrypt-to age1…', lifeboat: true, blocked: noAge, run: () => lifeboatBackup([...toS3, ...encrypted]) },
  ];
  const uploadSteps: Step[] = [
    { key: 'upload', label: 'lib-storage upload of the dump\'s file (the upload alone)',
      blocked: () => (ZSTD ? undefined : 'not run: the dump it sends did not run'),
      run: async () => {
        if (!dumped) throw new Error('the dump it sends did not run this round.');
        const { stdout, ...measured } = await timed(LIFEBOAT_NODE, [UPLOAD_SCRIPT, dumped, s3.endpoint, bucket.bucket, 'upload-alone', String(DEFAULT_PART_SIZE), String(DEFAULT_QUEUE_SIZE)],
          { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey });
        await emptyBucket(client, bucket);
        return { ...measured, size: Number(stdout.trim()) };
      } },
  ];
  const steps = [...dumpSteps, ...uploadSteps];
  const results = new Map<string, Result>(steps.map(step => [step.key, { samples: [] }]));
  const runStep = stepRunner(results, WARMUP, async () => {
    spawnSync('sync');
    await cluster.query('CHECKPOINT');
  });
  const lowestFree = await runRounds({
    warmup: WARMUP, rounds: ROUNDS, backups: dumpSteps, restores: uploadSteps, runStep, runDir: RUN, freeAtStart,
    afterRound: () => {
      emptyFolder(RUN, [path.basename(CONFIG), path.basename(KEYS)]);
      dumped = undefined;
    },
  });

  // max(dump, upload), round by round: what the two would cost one after the other's slower half.
  const slower = (field: 'wall' | 'cpu'): Sample[] => results.get('dump')!.samples.map((d, i) => {
    const u = results.get('upload')!.samples[i];
    return { wall: Math.max(d.wall, u?.wall ?? NaN), ...(field === 'cpu' ? { cpu: Math.max(d.cpu ?? NaN, u?.cpu ?? NaN) } : {}) };
  });
  results.set('slower', { samples: slower('cpu') });

  console.log('');
  table(['', 'wall s', 'CPU s', 'server CPU s', 'stored MiB', 'peak RSS MiB'], steps.map(step => {
    const r = results.get(step.key)!;
    if (r.skipped || !r.samples.length) return [step.label, notRun(r)];
    return [step.label, spread(r.samples.map(s => s.wall / 1000), 1), secondsCell(r, 'cpu'), secondsCell(r, 'serverCpu'), mibCell(r, 'size'), mibCell(r, 'peakRss')];
  }));
  console.log('CPU s: user + system of the command\'s processes; server CPU s: PostgreSQL\'s and the S3 server\'s. Peak RSS: Lifeboat\'s CLI under GNU time (target ≤ 300 MB with S3).');
  console.log('');
  console.log('Ratios: of the medians, and [the median of each round\'s ratio]');
  const ratios: Ratio<'wall' | 'cpu'>[] = [
    ['Local + S3 at once / max(the dump alone, the upload alone): wall', 'lbBoth', 'slower', 1.15, 'wall'],
    ['Local + S3 at once / Lifeboat to the local folder only: wall', 'lbBoth', 'lbLocal', undefined, 'wall'],
    ['Local + S3 at once / Lifeboat to the local folder only: CPU', 'lbBoth', 'lbLocal', undefined, 'cpu'],
    ['Encrypted / not, local + S3: wall', 'lbBothAge', 'lbBoth', 1.10, 'wall'],
    ['Encrypted / not, local only: wall', 'lbLocalAge', 'lbLocal', 1.10, 'wall'],
    ['Encrypted / not, local + S3: CPU', 'lbBothAge', 'lbBoth', undefined, 'cpu'],
  ];
  printRatios(ratios, results);
  finishRun(began, loadAtStart, lowestFree, LAST_RUN, { at: new Date().toISOString(), rounds: ROUNDS, warmup: WARMUP, database: db, results: Object.fromEntries(results) });
}

/** A fresh age key pair for the run; only the recipient (public key) is used: nothing is decrypted. */
function ageRecipient(): string {
  const made = spawnSync(AGE_KEYGEN!, [], { encoding: 'utf8' });
  const recipient = /age1[0-9a-z]+/.exec(`${made.stdout}\n${made.stderr}`)?.[0];
  if (!recipient) throw new Error(`age-keygen printed no recipient: ${made.stderr}`);
  return recipient;
}

async function emptyBucket(client: S3Client, bucket: S3DestinationOptions): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket.bucket }));
    const keys = (page.Contents ?? []).map(o => ({ Key: o.Key! }));
    if (!keys.length) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket.bucket, Delete: { Objects: keys } }));
  }
}

function timed(command: string, args: string[], env: Record<string, string>): Promise<Measured & { stdout: string }> {
  return timedCommand(command, args, { cwd: RUN, env: { ...toolEnv(), ...env }, running, clock });
}

function toolEnv(): NodeJS.ProcessEnv {
  return cleanEnv(/^(PG|LIFEBOAT_|AWS_)/, DATA, RUN);
}

let postmasterPid = 0;
const pgCpu = serverTreeCpu(() => postmasterPid);
/** The database server's CPU and this process's own (the S3 server runs here). */
const clock = cpuClock(() => {
  const own = process.cpuUsage();
  return pgCpu() + (own.user + own.system) / 1000;
});

runServerBench<Servers, BenchDatabase>({
  runDir: RUN,
  start: async () => {
    const cluster = await startBenchCluster(message => console.log(message));
    const s3 = await startS3Server();
    return { cluster, s3, stop: async () => { await s3.stop(); await cluster.stop(); } };
  },
  database: ({ cluster }) => ensureBenchDatabase(cluster, { log: message => console.log(message) }),
  dropRestored: async () => undefined,
  bench,
});
