import { parentPort, workerData } from 'node:worker_threads';
import { LifeboatError } from '../../core/errors';
import { loadSqliteDriver } from './loadDriver';
import { inspectDatabase } from './inspect';
import { explainSqliteError } from './sqliteErrors';
import type { WorkerReply, WorkerRequest } from './workerProtocol';

/**
 * SQLite work that is one long statement (integrity_check, counting rows) runs here, on its own
 * thread: the editor stays responsive, and Cancel can stop it at once by terminating the thread,
 * even in the middle of the statement.
 */
const post = (reply: WorkerReply) => parentPort?.postMessage(reply);

function run(request: WorkerRequest): void {
  const driver = loadSqliteDriver();
  const driverInfo = { name: driver.name, version: driver.version, sqliteVersion: driver.sqliteVersion };
  try {
    // Read-only: the file's bytes cannot change while the same file is being stored.
    const db = driver.open(request.file, { readonly: true });
    try {
      post({ type: 'result', result: { ...inspectDatabase(db, (done, total) => post({ type: 'progress', done, total })), driver: driverInfo } });
    } finally {
      db.close();
    }
  } catch (error) {
    throw explainSqliteError(error, request.file, 'check the copy');
  }
}

try {
  run(workerData as WorkerRequest);
} catch (error) {
  const e = error instanceof LifeboatError ? error : new LifeboatError('io', (error as Error)?.message ?? String(error));
  post({ type: 'error', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
}
