// `npm run bench -- --only snapshot`: an incremental SQLite snapshot after about 1 % of the pages
// changed, against a full copy made with SQLite's backup API (`sqlite3 DB ".backup OUT"`) and
// against Lifeboat's own full copy, in the same run on the same ~200 MB database
// (bench/generateDb.mjs). It prints medians, stored bytes and ratios, and asserts nothing.
//
//   npm run bench -- --only snapshot                    3 measured rounds, gzip
//   npm run bench -- --only snapshot --rounds 5 --compression zstd
//
// Each round changes rows spread over the database (about 1 % of its pages: the number that
// actually differ is counted page by page between this round's and the last round's backup-API
// copies), then runs, in an order that rotates every round and after a `sync` each: the snapshot
// (which stores only what changed since the last one), `sqlite3 .backup`, and
// `lifeboat backup` (a full copy). The work happens on a copy of the cached database in
// bench/.data/tmp, removed at the end.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { ensureBenchDatabase } from './generateDb.mjs';
import { CONFIG, DATA, DIST_CLI, ROOT, SQLITE3, benchScratch, fmt, line, loadNote, median, mib, stat, table } from './sqliteBenchSupport.mjs';

const TMP = path.join(DATA, 'tmp-snapshot');

const { values: flags } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, compression: { type: 'string', default: 'gzip' } },
});
const ROUNDS = Math.max(1, Number(flags.rounds) || 3);
const CODEC = flags.compression;
/** One event row in EVERY (and one customer in EVERY / 4) changes each round: about 1 % of the pages. */
const EVERY = 1150;

const { cleanUp, prepare, timed } = benchScratch(TMP);

async function main() {
  const began = performance.now();
  const loadAtStart = os.loadavg()[0];
  prepare();
  if (!fs.existsSync(DIST_CLI)) throw new Error('No dist/cli.js: run npm run build first.');
  const db = ensureBenchDatabase(DATA, message => console.log(message));
  const work = path.join(TMP, 'work.sqlite');
  await timed(SQLITE3, [db.file, `.backup ${work}`]);
  const folder = path.join(TMP, 'backups');

  console.log('');
  console.log('Lifeboat SQLite incremental snapshot benchmark');
  console.log(`Database   ${mib(db.bytes)} (${fmt(db.pageCount)} pages of ${db.pageSize} B), a copy of ${path.relative(ROOT, db.file)}; Node ${process.version}, dist/cli.js, --compression ${CODEC}`);
  const first = await lifeboat(work, folder, ['--sqlite-format', 'snapshot']);
  console.log(`First snapshot (every page): ${Math.round(first.wall)} ms, ${fmt(first.newBytes)} B stored (${pct(first.newBytes, db.bytes)} of the database)`);
  console.log(`Method     ${ROUNDS} rounds; each changes about 1 % of the pages, then runs the three commands in a rotating order, \`sync\` before each.`);

  let previousCopy = path.join(TMP, 'copy-0.sqlite');
  await timed(SQLITE3, [work, `.backup ${previousCopy}`]);
  const samples = { snapshot: [], sqlite3: [], copy: [], changed: [] };
  for (let round = 0; round < ROUNDS; round++) {
    changeScattered(work, round + 1);
    const copyFile = path.join(TMP, `copy-${round + 1}.sqlite`);
    const variants = [
      ['snapshot', () => lifeboat(work, folder, ['--sqlite-format', 'snapshot'])],
      ['sqlite3', async () => ({ ...(await timed(SQLITE3, [work, `.backup ${copyFile}`])), stored: fs.statSync(copyFile).size })],
      ['copy', () => lifeboat(work, path.join(TMP, `copies-${round}`), [])],
    ];
    for (let i = 0; i < variants.length; i++) {
      const [key, run] = variants[(i + round) % variants.length];
      spawnSync('sync');
      samples[key].push(await run());
    }
    samples.changed.push(differingPages(previousCopy, copyFile, db.pageSize));
    fs.rmSync(previousCopy);
    fs.rmSync(path.join(TMP, `copies-${round}`), { recursive: true, force: true });
    previousCopy = copyFile;
    if (process.stderr.isTTY) process.stderr.write(`\r  round ${round + 1}/${ROUNDS}   `);
  }
  if (process.stderr.isTTY) process.stderr.write('\r' + ' '.repeat(30) + '\r');

  const changed = samples.changed.map(c => 100 * c.differing / c.pages);
  console.log(`Changed    ${samples.changed.map(c => fmt(c.differing)).join(', ')} pages in the rounds: ${changed.map(c => c.toFixed(2)).join(', ')} % of the database`);
  console.log('');
  table(['after a 1 % change', 'wall ms', 'stored bytes', '% of database'], [
    ['sqlite3 DB ".backup OUT" (full backup-API copy)', stat(samples.sqlite3, 'wall'), fmt(median(samples.sqlite3, 'stored')), pct(median(samples.sqlite3, 'stored'), db.bytes)],
    [`lifeboat backup (full copy, ${CODEC})`, stat(samples.copy, 'wall'), fmt(median(samples.copy, 'stored')), pct(median(samples.copy, 'stored'), db.bytes)],
    ['lifeboat backup --sqlite-format snapshot (incremental)', stat(samples.snapshot, 'wall'), fmt(median(samples.snapshot, 'newBytes')), pct(median(samples.snapshot, 'newBytes'), db.bytes)],
  ]);
  const s = samples.snapshot;
  console.log(`           snapshot phases (median ms): copy ${Math.round(median(s, 'copyMs'))}, integrity_check ${Math.round(median(s, 'checkMs'))}, store ${Math.round(median(s, 'storeMs'))} (beside the check), total ${Math.round(median(s, 'totalMs'))}`);
  console.log('');
  console.log('Ratios (medians of this run)');
  line('Incremental snapshot stored bytes / full backup-API copy bytes', ratio(median(s, 'newBytes'), median(samples.sqlite3, 'stored')));
  line(`Incremental snapshot stored bytes / Lifeboat full copy (${CODEC}) stored bytes`, ratio(median(s, 'newBytes'), median(samples.copy, 'stored')));
  line('Incremental snapshot wall / sqlite3 .backup wall', ratio(median(s, 'wall'), median(samples.sqlite3, 'wall')));
  line(`Incremental snapshot wall / Lifeboat full copy (${CODEC}) wall`, ratio(median(s, 'wall'), median(samples.copy, 'wall')));
  console.log('');
  console.log(`Finished in ${((performance.now() - began) / 1000).toFixed(0)} s. ${loadNote(loadAtStart, os.loadavg()[0])}`);
}

/** Rewrites rows spread over the whole file, without changing any row's size (no page splits):
 *  events (the largest table) and customers, a different set each round. */
function changeScattered(file, round) {
  const db = new DatabaseSync(file);
  try {
    db.exec('BEGIN');
    db.prepare("UPDATE events SET payload = substr(payload, 2) || substr(payload, 1, 1) WHERE id % ? = ?").run(EVERY, round);
    db.prepare('UPDATE customers SET balance = balance + 1 WHERE id % ? = ?').run(EVERY / 4, round);
    db.exec('COMMIT');
  } finally {
    db.close();
  }
}

async function lifeboat(database, folder, extra) {
  const { wall, stdout } = await timed(process.execPath, [DIST_CLI, '--config', CONFIG, 'backup', database, '--backup-dir', folder, '--compression', CODEC, '--json', ...extra]);
  const { manifest } = JSON.parse(stdout).backup;
  const stored = manifest.files.reduce((n, f) => n + f.size, 0);
  return { wall, ...manifest.timings, stored, newBytes: Number(manifest.consistency.newBytes ?? stored) };
}

function differingPages(a, b, pageSize) {
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  const pages = Math.ceil(Math.max(x.length, y.length) / pageSize);
  let differing = 0;
  for (let p = 0; p < pages; p++) if (!x.subarray(p * pageSize, (p + 1) * pageSize).equals(y.subarray(p * pageSize, (p + 1) * pageSize))) differing++;
  return { differing, pages };
}

const ratio = (a, b) => (a / b).toFixed(3);
const pct = (a, b) => `${(100 * a / b).toFixed(2)} %`;

main().catch(error => {
  console.error(`bench failed: ${error.stack ?? error}`);
  process.exitCode = 1;
}).finally(() => cleanUp());
