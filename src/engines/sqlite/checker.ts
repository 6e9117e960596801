import { LifeboatError } from '../../core/errors';
import { loadSqliteDriver } from './loadDriver';
import { inspectDatabase, readFacts } from './inspect';
import { explainSqliteError } from './sqliteErrors';
import { writeSqlDump } from './sqlDump';
import { loadSqlDump } from './sqlLoad';
import type { CheckReply, CheckerRequest, VacuumResult } from './checkerProtocol';
import type { SqliteDatabase } from './driver';

/**
 * integrity_check and row counts, VACUUM INTO, and writing and loading SQL dumps run in a child
 * process of their own. Neither SQLite driver can interrupt a running statement, and a worker
 * thread cannot be stopped while it is inside one (measured: terminate() waited for a 7 s query
 * to end). A process can be killed at once, so Cancel is immediate, and a crash in native code on
 * a damaged file cannot take the editor's extension host down with it.
 */
function send(reply: CheckReply): Promise<void> {
  return new Promise(resolve => process.send!(reply, undefined, {}, () => resolve()));
}

const progress = (done: number, total: number) => void send({ type: 'progress', done, total });

/** Runs `use` on the database and closes it, whatever happens. */
function withDatabase<T>(db: SqliteDatabase, use: (db: SqliteDatabase) => T): T {
  try {
    return use(db);
  } finally {
    db.close();
  }
}

function perform(request: CheckerRequest): unknown {
  const driver = loadSqliteDriver();
  const info = { name: driver.name, version: driver.version, sqliteVersion: driver.sqliteVersion };
  switch (request.task) {
    case undefined:
    case 'check':
      // Read-only: the file's bytes cannot change while the same file is being stored.
      return withDatabase(driver.open(request.file, { readonly: true }), db => ({ ...inspectDatabase(db, progress), driver: info }));
    case 'vacuum-into': {
      const sourceJournalMode = withDatabase(driver.open(request.source, { readonly: true }), db => {
        db.exec('PRAGMA busy_timeout = 30000');
        const mode = readFacts(db).journalMode;
        // One statement that reads one consistent snapshot of the source, like the backup API
        // under a read transaction; the target is a new file in the job's scratch folder.
        db.run('VACUUM INTO ?', request.target);
        return mode;
      });
      return withDatabase(driver.open(request.target, { readonly: true }), copy => ({ copy: readFacts(copy), sourceJournalMode, driver: info }) satisfies VacuumResult);
    }
    case 'dump':
      return withDatabase(driver.open(request.file, { readonly: true }), db => writeSqlDump(db, request.target, progress));
    case 'load':
      return withDatabase(driver.open(request.target, { mustExist: false }), db => loadSqlDump(db, request.sql, progress));
  }
}

async function run(request: CheckerRequest): Promise<void> {
  const file = request.task === 'vacuum-into' ? request.source : request.task === 'load' ? request.target : request.file;
  try {
    await send({ type: 'result', result: perform(request) });
  } catch (error) {
    const e = error instanceof LifeboatError ? error : explainSqliteError(error, file, ACTIONS[request.task ?? 'check']);
    await send({ type: 'error', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  }
}

const ACTIONS: Record<NonNullable<CheckerRequest['task']>, string> = {
  check: 'check the copy', 'vacuum-into': 'make a compact copy (VACUUM INTO)', dump: 'write the SQL dump', load: 'run the SQL dump',
};

process.once('message', (request: CheckerRequest) => {
  void run(request).finally(() => process.disconnect());
});
