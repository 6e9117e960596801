// Times Lifeboat's copy phase on its own, the way backupSqlite runs it: a worker thread running
// dist/sqliteWorker.js with an `op: 'copy'` request. Splits the phase into worker start-up (thread
// boot, bundle and driver load, open, BEGIN, reading the database facts, up to the first backup
// step) and copying the pages, and takes any pages-per-step value without changing src/.
// With --in-process it instead times better-sqlite3's backup on the main thread with no worker:
// the floor Lifeboat's copy could reach with this driver.
//
//   node bench/copyProbe.mjs --worker dist/sqliteWorker.js --source DB --target OUT --pages 2048
//   node bench/copyProbe.mjs --in-process --source DB --target OUT --pages 2048
// Prints one JSON object: { totalMs, startupMs, pagesMs, steps, driver }.
import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';

const { values } = parseArgs({
  options: {
    worker: { type: 'string' },
    source: { type: 'string' },
    target: { type: 'string' },
    pages: { type: 'string', default: '2048' },
    'in-process': { type: 'boolean', default: false },
  },
});
const pagesPerStep = Number(values.pages);

if (values['in-process']) {
  const started = performance.now();
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(values.source, { readonly: true, fileMustExist: true });
  db.exec('BEGIN');
  db.prepare('select count(*) from sqlite_schema').get();
  let steps = 0;
  let firstStep;
  await db.backup(values.target, { progress: () => { steps++; firstStep ??= performance.now(); return pagesPerStep; } });
  db.exec('COMMIT');
  db.close();
  const ended = performance.now();
  print({ totalMs: ended - started, startupMs: (firstStep ?? ended) - started, pagesMs: ended - (firstStep ?? ended), steps, driver: 'better-sqlite3 (main thread)' });
} else {
  const started = performance.now();
  let firstStep;
  const worker = new Worker(values.worker, { workerData: { op: 'copy', source: values.source, target: values.target, pagesPerStep } });
  worker.on('message', reply => {
    if (reply.type === 'progress') firstStep ??= performance.now();
    else if (reply.type === 'result') {
      const ended = performance.now();
      print({ totalMs: ended - started, startupMs: (firstStep ?? ended) - started, pagesMs: ended - (firstStep ?? ended), steps: reply.result.steps, driver: `${reply.result.driver.name} ${reply.result.driver.version}` });
      void worker.terminate();
    } else {
      process.stderr.write(`copy failed: ${reply.message}\n`);
      process.exitCode = 1;
      void worker.terminate();
    }
  });
  worker.on('error', error => { process.stderr.write(`worker failed: ${error.message}\n`); process.exitCode = 1; });
}

function print(result) {
  process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(result).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v]))) + '\n');
}
