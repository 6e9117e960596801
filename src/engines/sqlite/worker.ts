import { parentPort, workerData } from 'node:worker_threads';
import { LifeboatError } from '../../core/errors';
import { loadSqliteDriver } from './loadDriver';
import { onlineCopy } from './onlineCopy';
import { inspectDatabase } from './inspect';
import { explainSqliteError } from './sqliteErrors';
import type { WorkerReply, WorkerRequest } from './workerProtocol';

/**
 * SQLite work that blocks (the copy's steps, integrity_check, counting rows) runs here, on its
 * own thread: the editor stays responsive, and Cancel can stop it at once by terminating the
 * thread, even in the middle of one long SQL statement.
 */
const post = (reply: WorkerReply) => parentPort?.postMessage(reply);

async function run(request: WorkerRequest): Promise<void> {
  const driver = loadSqliteDriver();
  const driverInfo = { name: driver.name, version: driver.version, sqliteVersion: driver.sqliteVersion };
  const onProgress = (done: number, total: number) => post({ type: 'progress', done, total });
  switch (request.op) {
    case 'copy': {
      try {
        const result = await onlineCopy(driver, { ...request, onProgress });
        post({ type: 'result', result: { ...result, driver: driverInfo } });
      } catch (error) {
        throw explainSqliteError(error, request.source, 'copy the database');
      }
      return;
    }
    case 'inspect': {
      try {
        const db = driver.open(request.file);
        try {
          post({ type: 'result', result: { ...inspectDatabase(db, onProgress), driver: driverInfo } });
        } finally {
          db.close();
        }
      } catch (error) {
        throw explainSqliteError(error, request.file, 'check the copy');
      }
    }
  }
}

run(workerData as WorkerRequest).catch((error: unknown) => {
  const e = error instanceof LifeboatError ? error : new LifeboatError('io', (error as Error)?.message ?? String(error));
  post({ type: 'error', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
});
