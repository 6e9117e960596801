// A steady writer in its own process: every transaction appends a batch of rows to `events` and
// moves the `ledger` on by the same amount, so any consistent snapshot satisfies
// ledger.total = count(events) and ledger.last_batch = max(events.batch).
// Usage: node sqliteWriter.cjs <db>. Prints "ready" once, then "commits N" when told to stop (SIGTERM).
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[2]);
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA busy_timeout = 10000');
db.exec(`CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, payload TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY CHECK (id = 1), total INTEGER NOT NULL, last_batch INTEGER NOT NULL);
         INSERT OR IGNORE INTO ledger VALUES (1, 0, 0);`);
const insert = db.prepare('INSERT INTO events (batch, payload) VALUES (?, ?)');
const move = db.prepare('UPDATE ledger SET total = total + ?, last_batch = ? WHERE id = 1');
let batch = db.prepare('SELECT last_batch FROM ledger').get().last_batch;
let commits = 0;
function write(size) {
  db.exec('BEGIN');
  try {
    batch++;
    for (let i = 0; i < size; i++) insert.run(batch, `batch ${batch} row ${i} ` + 'x'.repeat(200));
    move.run(size, batch);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw error;
  }
}
let running = true;
process.on('SIGTERM', () => { running = false; });
process.stdout.write('ready\n');
(function loop() {
  if (!running) {
    db.close();
    process.stdout.write(`commits ${commits}\n`);
    process.exit(0);
  }
  write(1 + (batch % 7));
  commits++;
  setImmediate(loop);
})();
