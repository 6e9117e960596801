// `npm run bench`: Lifeboat's SQLite backup against the field's standard, `sqlite3 DB ".backup OUT"`,
// measured in the same run on the same ~200 MB database (bench/generateDb.mjs). It prints medians
// and ratios and asserts nothing: timings depend on the machine, so they belong here, not in tests.
//
//   npm run bench                       the default run (about 2 minutes on 2 cores)
//   npm run bench -- --rounds 9         more measured rounds (one warm-up round always comes first)
//   npm run bench -- --sweep            also: the copy phase for several pages-per-step values
//
// bench/run.sh runs it, and so the CLI, on the Node 24 under .tools/ (Lifeboat's SQLite driver is
// that Node's node:sqlite; until 0.1.0 a third section set it beside better-sqlite3: CHANGELOG).
//
// What is timed: the wall time of each whole command (process start to exit), and for Lifeboat the
// phases its manifest records (timings: copyMs, checkMs, storeMs, totalMs). The commands run in an
// order that rotates every round, after a `sync`, so no command always inherits another's dirty
// pages; all outputs go to bench/.data/tmp and are removed after each command.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { ensureBenchDatabase, GENERATOR_VERSION } from './generateDb.mjs';
import { CONFIG, DATA, DIST_CLI, ROOT, SQLITE3, benchScratch, fmt, line, loadNote, median, mib, stat, table } from './sqliteBenchSupport.mjs';

const TMP = path.join(DATA, 'tmp');
const DIST_CHECKER = path.join(ROOT, 'dist', 'sqliteChecker.js');

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    sweep: { type: 'boolean', default: false },
  },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 7);
const WARMUP = 1;

const { cleanUp, prepare, timed } = benchScratch(TMP);

async function main() {
  const began = performance.now();
  const loadAtStart = os.loadavg()[0];
  prepare();

  const db = ensureBenchDatabase(DATA, message => console.log(message));
  const lifeboat = ensureBundle();
  const sqliteVersion = spawnSync(SQLITE3, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const rowCount = Object.values(db.tables).reduce((a, b) => a + b, 0);

  console.log('');
  console.log('Lifeboat SQLite backup benchmark');
  console.log(`Database   ${path.relative(ROOT, db.file)}: ${mib(db.bytes)} (${fmt(db.bytes)} bytes), ${fmt(db.pageCount)} pages of ${db.pageSize} B, journal_mode=${db.journalMode},`);
  console.log(`           ${Object.keys(db.tables).length} tables, ${fmt(rowCount)} rows, ${db.indexes} indexes (generator v${GENERATOR_VERSION}, fixed seed; ${db.generatedMs === null ? 'cached' : `generated in ${(db.generatedMs / 1000).toFixed(1)} s`})`);
  console.log(`Runtimes   Node ${process.version} running ${lifeboat.label}`);
  console.log(`           sqlite3 CLI ${sqliteVersion.split(' ').slice(0, 2).join(' ')} (${SQLITE3})`);
  console.log(`Method     ${WARMUP} warm-up round (not counted) + ${ROUNDS} measured rounds; command order rotates each round; \`sync\` before`);
  console.log(`           each command; medians in ms (min–max); outputs in ${path.relative(ROOT, TMP)} removed after each command.`);

  // 1. The bare tool and Lifeboat, both codecs.
  const base = await runRounds([
    { key: 'sqlite3', run: () => sqlite3Backup(db.file) },
    { key: 'none', run: () => lifeboatBackup(lifeboat, db.file, 'none') },
    { key: 'gzip', run: () => lifeboatBackup(lifeboat, db.file, 'gzip') },
  ]);
  const none = base.none, gzip = base.gzip;
  const first = none.samples[0];
  console.log(`           Lifeboat's manifest: server ${first.server.product} ${first.server.version}, tool ${first.tool.name} ${first.tool.version}, pagesPerStep ${first.options.pagesPerStep}`);
  console.log('');
  table(['', 'wall', 'copy', 'check', 'store', 'totalMs', 'wall − total'], [
    ['sqlite3 DB ".backup OUT"', stat(base.sqlite3, 'wall'), '', '', '', '', ''],
    ['lifeboat backup --compression none', stat(none, 'wall'), stat(none, 'copyMs'), stat(none, 'checkMs'), stat(none, 'storeMs'), stat(none, 'totalMs'), stat(none, 'overhead')],
    ['lifeboat backup --compression gzip', stat(gzip, 'wall'), stat(gzip, 'copyMs'), stat(gzip, 'checkMs'), stat(gzip, 'storeMs'), stat(gzip, 'totalMs'), stat(gzip, 'overhead')],
  ]);

  const bare = median(base.sqlite3, 'wall');
  const copy = median([...none.samples, ...gzip.samples], 'copyMs');
  console.log('');
  console.log('Ratios (medians of this run)');
  const verdict = copy / bare <= 1.10 ? 'within target' : 'ABOVE target';
  line('Copy step, like with like: Lifeboat copyMs (none+gzip runs) / sqlite3 .backup wall', `${ratio(copy, bare)}   target ≤ 1.10: ${verdict}`);
  line('Whole backup, none: lifeboat wall / sqlite3 .backup wall', ratio(median(none, 'wall'), bare));
  line('Whole backup, gzip: lifeboat wall / sqlite3 .backup wall', ratio(median(gzip, 'wall'), bare));
  console.log('What each later step adds (median ms; × the sqlite3 .backup wall time). Checking and storing run side by side,');
  console.log('so the wall time after the copy is the longer of the two, not their sum:');
  line('  integrity_check + row counts on the copy (checker process)', adds(median([...none.samples, ...gzip.samples], 'checkMs'), bare));
  line('  store, none: read + SHA-256 + write + fsync + rename', adds(median(none, 'storeMs'), bare));
  line('  store, gzip: read + SHA-256 + gzip -6 + SHA-256 + write + fsync', adds(median(gzip, 'storeMs'), bare));
  line('  gzip alone: store gzip − store none', adds(median(gzip, 'storeMs') - median(none, 'storeMs'), bare));
  line('  everything after the copy, none (totalMs − copyMs)', adds(median(none.samples.map(x => ({ v: x.totalMs - x.copyMs })), 'v'), bare));
  line('  everything after the copy, gzip (totalMs − copyMs)', adds(median(gzip.samples.map(x => ({ v: x.totalMs - x.copyMs })), 'v'), bare));
  line('  process start, CLI load, manifest (wall − totalMs), none', adds(median(none, 'overhead'), bare));
  const stored = gzip.samples[0].size;
  line('Stored size, none / sqlite3 .backup output', `${fmt(none.samples[0].size)} B / ${fmt(base.sqlite3.samples[0].size)} B`);
  line('Stored size, gzip', `${fmt(stored)} B (${mib(stored)}) = ${(100 * stored / db.bytes).toFixed(1)} % of the database, ${(db.bytes / stored).toFixed(2)}:1`);

  // 2. --sweep: the copy phase for other step sizes, through the real command.
  if (flags.sweep) {
    const sizes = ['auto', '100', '2048', '16384'];
    const variants = [{ key: 'sqlite3', run: () => sqlite3Backup(db.file) },
      ...sizes.map(pages => ({ key: pages, run: () => lifeboatBackup(lifeboat, db.file, 'none', {}, ['--pages-per-step', pages].filter(() => pages !== 'auto')) }))];
    const sweep = await runRounds(variants);
    const bareHere = median(sweep.sqlite3, 'wall');
    console.log('');
    console.log('Copy phase by pages per step (lifeboat backup --compression none --pages-per-step N)');
    table(['pages per step', 'copy', 'copy / sqlite3'], [
      ['sqlite3 .backup wall (100 per step)', stat(sweep.sqlite3, 'wall'), ''],
      ...sizes.map(pages => [pages === 'auto' ? 'auto (Lifeboat default: about 20 ms per step)' : pages, stat(sweep[pages], 'copyMs'), ratio(median(sweep[pages], 'copyMs'), bareHere)]),
    ]);
  }

  console.log('');
  console.log(`Finished in ${((performance.now() - began) / 1000).toFixed(0)} s. ${loadNote(loadAtStart, os.loadavg()[0])}`);
  fs.writeFileSync(path.join(DATA, 'last-run.json'), JSON.stringify({ at: new Date().toISOString(), node: process.version, sqlite3: sqliteVersion, database: db, base }, null, 1));
}

/** Runs every variant once per round, in an order that rotates each round; the first WARMUP rounds are dropped. */
async function runRounds(variants) {
  const results = Object.fromEntries(variants.map(v => [v.key, { samples: [] }]));
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length]);
    for (const variant of order) {
      spawnSync('sync');
      const sample = await variant.run();
      if (round >= WARMUP) results[variant.key].samples.push(sample);
    }
    if (process.stderr.isTTY) process.stderr.write(`\r  round ${round + 1}/${WARMUP + ROUNDS}${round < WARMUP ? ' (warm-up)' : ''}   `);
  }
  if (process.stderr.isTTY) process.stderr.write('\r' + ' '.repeat(40) + '\r');
  return results;
}

async function sqlite3Backup(database) {
  const out = freshOutput('sqlite3');
  const target = path.join(out, 'backup.sqlite');
  const { wall } = await timed(SQLITE3, [database, `.backup ${target}`]);
  const size = fs.statSync(target).size;
  fs.rmSync(out, { recursive: true, force: true });
  return { wall, size };
}

async function lifeboatBackup(lifeboat, database, codec, env = {}, extra = []) {
  const out = freshOutput(`lifeboat-${codec}`);
  const { wall, stdout } = await timed(lifeboat.node, [...lifeboat.args, '--config', CONFIG, 'backup', database, '--backup-dir', out, '--compression', codec, '--json', ...extra], env);
  const { manifest } = JSON.parse(stdout).backup;
  fs.rmSync(out, { recursive: true, force: true });
  const t = manifest.timings;
  return { wall, ...t, overhead: wall - t.totalMs, size: manifest.files[0].size, contentSize: manifest.files[0].contentSize, server: manifest.server, tool: manifest.tool, options: manifest.options };
}

let outputs = 0;
function freshOutput(label) {
  const folder = path.join(TMP, `${label}-${++outputs}`);
  fs.mkdirSync(folder, { recursive: true });
  return folder;
}

/** The bundled CLI, built first when missing or older than its sources; the sources via tsx if the build fails. */
function ensureBundle() {
  const newestSource = newestMtime([path.join(ROOT, 'src'), path.join(ROOT, 'scripts', 'build.mjs'), path.join(ROOT, 'package-lock.json')]);
  const built = [DIST_CLI, DIST_CHECKER].every(f => fs.existsSync(f)) ? Math.min(...[DIST_CLI, DIST_CHECKER].map(f => fs.statSync(f).mtimeMs)) : 0;
  let note = 'up to date';
  if (built < newestSource) {
    console.log(built ? 'dist/ is older than src/: rebuilding (npm run build)…' : 'No dist/cli.js: building it (npm run build)…');
    const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (build.status === 0) note = 'rebuilt now';
    else {
      console.log(`The build failed:\n${build.stdout}${build.stderr}`);
      if (!built) {
        console.log('Falling back to the sources through tsx.');
        return { node: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts')], bundled: false, label: 'src/cli/main.ts through tsx (the build failed)' };
      }
      note = 'STALE: the rebuild failed, measuring the older bundle';
    }
  }
  return { node: process.execPath, args: [DIST_CLI], bundled: true, label: `dist/cli.js (${note})` };
}

function newestMtime(entries) {
  let newest = 0;
  for (const entry of entries) {
    if (!fs.existsSync(entry)) continue;
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(fs.readdirSync(entry).map(name => path.join(entry, name))));
    else newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

const ratio = (a, b) => (a / b).toFixed(2);
const adds = (ms, bare) => `${String(Math.round(ms)).padStart(6)} ms  (${(ms / bare).toFixed(2)}×)`;

main().catch(error => {
  console.error(`bench failed: ${error.stack ?? error}`);
  cleanUp();
  process.exitCode = 1;
}).finally(() => cleanUp());
