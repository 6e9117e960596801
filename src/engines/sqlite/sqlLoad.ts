import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { SqliteDatabase } from './driver';
import type { LoadResult } from './checkerProtocol';
import { StatementSplitter } from './sqlStatements';

/**
 * Runs a SQL dump (sqlDump.ts) into an empty database, a few MB of complete statements at a
 * time. The dump's own BEGIN … COMMIT makes it one transaction: if any statement fails, the
 * transaction is rolled back and the caller removes the file.
 */
export function loadSqlDump(db: SqliteDatabase, sqlFile: string, onBytes?: (done: number, total: number) => void): LoadResult {
  const total = fs.statSync(sqlFile).size;
  const fd = fs.openSync(sqlFile, 'r');
  const splitter = new StatementSplitter();
  const decoder = new StringDecoder('utf8');
  const buffer = Buffer.alloc(1024 * 1024);
  let done = 0;
  let batches = 0;
  const run = (batch: string | undefined) => {
    if (!batch) return;
    db.exec(batch);
    batches++;
    onBytes?.(done, total);
  };
  try {
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      done += read;
      run(splitter.push(decoder.write(buffer.subarray(0, read))));
    }
    const rest = decoder.end();
    if (rest) run(splitter.push(rest));
    run(splitter.end());
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // No transaction was open.
    }
    throw error;
  } finally {
    fs.closeSync(fd);
  }
  return { batches };
}
