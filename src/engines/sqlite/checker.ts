import { LifeboatError } from '../../core/errors';
import { loadSqliteDriver } from './loadDriver';
import { inspectDatabase } from './inspect';
import { explainSqliteError } from './sqliteErrors';
import type { CheckReply, CheckRequest } from './checkerProtocol';

/**
 * integrity_check and row counts run in a child process of their own. Neither SQLite driver can
 * interrupt a running statement, and a worker thread cannot be stopped while it is inside one
 * (measured: terminate() waited for a 7 s query to end). A process can be killed at once, so
 * Cancel is immediate, and a crash in native code on a damaged file cannot take the editor's
 * extension host down with it.
 */
function send(reply: CheckReply): Promise<void> {
  return new Promise(resolve => process.send!(reply, undefined, {}, () => resolve()));
}

async function check(request: CheckRequest): Promise<void> {
  try {
    const driver = loadSqliteDriver();
    // Read-only: the file's bytes cannot change while the same file is being stored.
    const db = driver.open(request.file, { readonly: true });
    try {
      const result = inspectDatabase(db, (done, total) => void send({ type: 'progress', done, total }));
      await send({ type: 'result', result: { ...result, driver: { name: driver.name, version: driver.version, sqliteVersion: driver.sqliteVersion } } });
    } finally {
      db.close();
    }
  } catch (error) {
    const e = error instanceof LifeboatError ? error : explainSqliteError(error, request.file, 'check the copy');
    await send({ type: 'error', code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
  }
}

process.once('message', (request: CheckRequest) => {
  void check(request).finally(() => process.disconnect());
});
