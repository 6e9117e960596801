// How big a PostgreSQL backup is, by codec, on databases of several kinds: pg_dump -Fc (gzip level
// 6, pg_dump's and pgAdmin's default) beside pg_dump -Fc -Z0 piped to the zstd CLI at level 2
// (what Lifeboat's default backup stores) and at level 3. Prints sizes, the tools' CPU seconds and
// the ratios zstd / pg_dump -Fc; asserts nothing.
//
//   node --import tsx bench/pgSizes.ts                          every dataset
//   node --import tsx bench/pgSizes.ts --dataset chinook        one of them (repeatable): skewed, pagila, chinook, uniform
//
// The datasets: "bench", the 1.2 GB application database of bench/pgGenerate.ts, whose values have
// real data's skew; a pagila-like rental shop (bench/pgGenerate.ts); the Chinook sample
// (test/fixtures/chinook, loaded as the tests load it); and "bench_uniform", v2's uniformly random
// values, the compressors' worst case. Every archive is written once: the databases are
// deterministic, and so are the codecs, so the sizes do not vary from run to run (the CPU seconds do).
// zstd reads pg_dump's output from an OS pipe, as in Lifeboat's default backup, so it does not know
// the size in advance (a file argument would let it tune itself to a small input).
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { loadChinook } from '../test/support/pgFidelity';
import type { PostgresServer } from '../test/support/postgresServer';
import {
  cleanEnv, cleanUpOnInterrupt, DATA, finishRun, fmt, freeBytes, gib, printRatios, progress, ROOT, runServerBench, table, type Ratio, type StepResult,
} from './benchSupport';
import { cpuClock, findExecutable, timedPipeline, type Command, type Measured } from './processMeter';
import {
  databaseFacts, describeDataset, ensureBenchDatabase, PG_BIN, startBenchCluster, type BenchCluster, type BenchDataset,
} from './pgGenerate';

const RUN = path.join(DATA, 'pg-sizes-run');
const LAST_RUN = path.join(DATA, 'pg-sizes-last-run.json');
const PG_DUMP = path.join(PG_BIN, 'pg_dump');
const ZSTD = findExecutable(['zstd']);
const CHINOOK_DATABASE = 'bench_chinook';

type DatasetKey = BenchDataset | 'chinook';
/** In the order printed: the real-world-like ones first, the worst case last. */
const DATASET_KEYS: DatasetKey[] = ['skewed', 'pagila', 'chinook', 'uniform'];

const { values: flags } = parseArgs({ options: { dataset: { type: 'string', multiple: true } } });
const chosen = (flags.dataset ?? DATASET_KEYS).flatMap(d => d.split(','));
for (const d of chosen) {
  if (!DATASET_KEYS.includes(d as DatasetKey)) {
    console.error(`bench/pgSizes.ts: --dataset takes ${DATASET_KEYS.join(', ')}, not "${d}"`);
    process.exit(2);
  }
}
const DATASETS = DATASET_KEYS.filter(d => chosen.includes(d));

interface Dataset {
  key: DatasetKey;
  name: string;
  label: string;
  about: string;
  bytes: number;
  rows: number;
}

interface Sample extends Measured {
  size: number;
}

interface Codec {
  key: string;
  label: string;
  commands: (dump: (args: string[]) => Command) => Command[];
  blocked?: string;
}

const noZstd = ZSTD ? undefined : 'not run: no zstd CLI (apt-get install -y zstd)';
const zstdLevel = (level: number): Codec => ({
  key: `zstd${level}`, label: `-Z0 | zstd -${level}`, blocked: noZstd,
  commands: dump => [dump(['-Fc', '-Z0']), { command: ZSTD ?? 'zstd', args: [`-${level}`, '-q', '-c'] }],
});
const CODECS: Codec[] = [
  { key: 'none', label: '-Fc -Z0 (none)', commands: dump => [dump(['-Fc', '-Z0'])] },
  { key: 'gzip6', label: '-Fc (gzip 6)', commands: dump => [dump(['-Fc'])] },
  zstdLevel(2),
  zstdLevel(3),
];

const running = new Set<ChildProcess>();
cleanUpOnInterrupt(running, RUN);

/** The generated databases (made now if missing or stale; cached afterwards). */
async function generated(cluster: BenchCluster): Promise<Dataset[]> {
  const out: Dataset[] = [];
  for (const key of DATASETS) {
    if (key === 'chinook') continue;
    const db = await ensureBenchDatabase(cluster, { dataset: key, log: message => console.log(message) });
    const label = { skewed: 'bench (real-world skew)', pagila: 'pagila-like', uniform: 'bench_uniform (worst case)' }[key];
    out.push({ key, name: db.name, label, about: `${describeDataset(key)}${db.generatedMs === null ? ', cached' : `, generated in ${(db.generatedMs / 1000).toFixed(1)} s`}`, bytes: db.bytes, rows: db.rows });
  }
  return out;
}

/** Chinook, loaded afresh (a second or two) after runServerBench has dropped an earlier run's copy; dropped again at the end. */
async function chinook(cluster: BenchCluster): Promise<Dataset> {
  await loadChinook(chinookServer(cluster), CHINOOK_DATABASE);
  const facts = await databaseFacts(cluster, CHINOOK_DATABASE);
  return { key: 'chinook', name: CHINOOK_DATABASE, label: 'Chinook', about: 'the Chinook sample (test/fixtures/chinook), loaded by the tests\' loadChinook', ...facts };
}

/**
 * What loadChinook uses of the tests' PostgresServer (host, port, user, password, binDir, query,
 * createDatabase), from the bench's cluster: the tests' loader, not a copy of it.
 */
function chinookServer(cluster: BenchCluster): PostgresServer {
  const server: Pick<PostgresServer, 'host' | 'port' | 'user' | 'password' | 'binDir' | 'query'> & { createDatabase(name: string): Promise<void> } = {
    host: cluster.host, port: cluster.port, user: cluster.user, password: cluster.password, binDir: cluster.binDir,
    query: (sql, database) => cluster.query(sql, database),
    // loadChinook awaits createDatabase but does not use the connection the tests' server returns.
    createDatabase: async name => { await cluster.query(`CREATE DATABASE "${name}"`); },
  };
  return server as unknown as PostgresServer;
}

async function dropChinook(cluster: BenchCluster): Promise<void> {
  await cluster.query(`DROP DATABASE IF EXISTS ${CHINOOK_DATABASE} WITH (FORCE)`);
}

async function bench(cluster: BenchCluster, made: Dataset[], began: number, loadAtStart: number): Promise<void> {
  const dbs = DATASETS.includes('chinook') ? [...made, await chinook(cluster)] : made;
  dbs.sort((a, b) => DATASET_KEYS.indexOf(a.key) - DATASET_KEYS.indexOf(b.key));
  const connArgs = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const env = { ...cleanEnv(/^(PG|LIFEBOAT_)/, DATA, RUN), PGPASSWORD: cluster.password };
  const freeAtStart = freeBytes(RUN);
  const largest = Math.max(...dbs.map(d => d.bytes));
  if (freeAtStart < 2 * largest + 1024 ** 3) throw new Error(`Only ${gib(freeAtStart)} free on ${RUN}'s disk; the largest archive needs about ${gib(largest)}.`);

  console.log('');
  console.log('Lifeboat PostgreSQL backup sizes: pg_dump -Fc (gzip 6) beside pg_dump -Fc -Z0 | zstd (the CLI, through an OS pipe)');
  console.log(`Server     PostgreSQL ${cluster.version} (127.0.0.1:${cluster.port}, data in ${path.relative(ROOT, cluster.dataDir)})`);
  console.log(`Tools      ${toolVersion(PG_DUMP, ['--version'])} (${PG_BIN}); ${ZSTD ? `${toolVersion(ZSTD, ['-V'])} (${ZSTD})` : 'no zstd CLI'}`);
  console.log(`Machine    ${os.availableParallelism()} cores, ${gib(os.totalmem())} RAM, ${gib(freeAtStart)} free on the disk of ${path.relative(ROOT, RUN)}`);
  console.log('Method     each archive written once (same rows, same tools: the same bytes every run); Lifeboat\'s default backup stores');
  console.log('           pg_dump -Fc -Z0 | zstd -2; pg_dump -Fc is gzip 6, pgAdmin\'s default. CPU s: user + system of pg_dump and zstd.');
  console.log('Datasets');
  for (const d of dbs) console.log(`  ${d.label.padEnd(28)} "${d.name}": ${fmt(d.rows)} rows, ${(d.bytes / 1048576).toFixed(1)} MiB by pg_database_size; ${d.about}`);

  const results = new Map<string, StepResult<Sample>>();
  const dump = (database: string) => (args: string[]): Command => ({ command: PG_DUMP, args: [...args, ...connArgs, database] });
  let lowestFree = freeAtStart;
  for (const d of dbs) {
    for (const codec of CODECS) {
      const key = `${d.key}:${codec.key}`;
      if (codec.blocked) {
        results.set(key, { samples: [], skipped: codec.blocked });
        continue;
      }
      progress(`${d.label}: pg_dump ${codec.label}`);
      const file = path.join(RUN, `${d.key}-${codec.key}.dump`);
      const measured = await timedPipeline(codec.commands(dump(d.name)), { cwd: RUN, env, running, clock: cpuClock(), outFile: file });
      lowestFree = Math.min(lowestFree, freeBytes(RUN));
      results.set(key, { samples: [{ ...measured, size: fs.statSync(file).size }] });
      fs.rmSync(file, { force: true });
    }
  }
  progress('');

  const cell = (d: Dataset, codec: Codec, value: (s: Sample) => string) => {
    const r = results.get(`${d.key}:${codec.key}`)!;
    return r.samples.length ? value(r.samples[0]) : '—';
  };
  console.log('');
  console.log('Archive bytes (pg_dump …)');
  table(['', ...CODECS.map(c => c.label)], dbs.map(d => [d.label, ...CODECS.map(c => cell(d, c, s => fmt(s.size)))]));
  console.log('');
  console.log('CPU s (pg_dump, and zstd beside it)');
  table(['', ...CODECS.map(c => c.label)], dbs.map(d => [d.label, ...CODECS.map(c => cell(d, c, s => (s.cpu === undefined ? '' : (s.cpu / 1000).toFixed(1))))]));
  if (CODECS.some(c => c.blocked)) console.log(`(${noZstd})`);

  console.log('');
  console.log('Ratios of archive sizes (one archive each; [the same, as the other benches print paired rounds])');
  const ratios: Ratio<'size'>[] = dbs.flatMap(d => [
    [`${d.label}: default backup (zstd -2) / pg_dump -Fc`, `${d.key}:zstd2`, `${d.key}:gzip6`, 1.00, 'size'],
    [`${d.label}: zstd -3 / pg_dump -Fc`, `${d.key}:zstd3`, `${d.key}:gzip6`, undefined, 'size'],
  ] as Ratio<'size'>[]);
  printRatios(ratios, results);

  finishRun(began, loadAtStart, lowestFree, LAST_RUN, {
    at: new Date().toISOString(), server: cluster.version, datasets: dbs, results: Object.fromEntries(results),
  });
}

function toolVersion(tool: string, args: string[]): string {
  return spawnSync(tool, args, { encoding: 'utf8' }).stdout.trim().replace(/ \(PostgreSQL\)/, '').replace(/^\*\*\* (.*?),? by .*$/, '$1');
}

runServerBench({
  runDir: RUN,
  // The server's account writes nothing here (pg_dump and zstd run as this process's user).
  start: () => startBenchCluster(message => console.log(message)),
  database: generated,
  dropRestored: dropChinook,
  bench,
});
