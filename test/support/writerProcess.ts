import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as path from 'node:path';
import { openDatabase } from './sqlite';

/** Starts sqliteWriter.cjs on `db`: a process that commits batches continuously until stopped. */
export function startWriter(db: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(__dirname, 'sqliteWriter.cjs'), db], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', code => reject(new Error(`writer exited early (${code})`)));
  });
}

/** Stops the writer; resolves with the number of transactions it committed. */
export async function stopWriter(child: ChildProcess): Promise<number> {
  let output = '';
  child.stdout!.on('data', d => { output += d; });
  child.kill('SIGTERM');
  await once(child, 'exit');
  return Number(/commits (\d+)/.exec(output)?.[1] ?? 0);
}

/** The writer's ledger and what the rows say: in a consistent copy, total = count and
 *  last_batch = maxBatch. */
export function ledger(file: string) {
  const db = openDatabase(file, { readOnly: true });
  try {
    const l = db.prepare('SELECT total, last_batch FROM ledger').get() as { total: number; last_batch: number };
    const e = db.prepare('SELECT count(*) AS n, max(batch) AS b, max(id) AS maxId FROM events').get() as { n: number; b: number; maxId: number };
    return { ...l, count: e.n, maxBatch: e.b, maxId: e.maxId };
  } finally {
    db.close();
  }
}
