import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError, LifeboatError } from '../../core/errors';
import type { WorkerReply, WorkerRequest, WorkerResults } from './workerProtocol';

/** In the bundle the worker is dist/sqliteWorker.js. Run from sources (tests), it is worker.ts,
 *  loaded through tsx's require hook, since loaders given with --import do not reach workers. */
function startWorker(request: WorkerRequest): Worker {
  const bundled = path.join(__dirname, 'sqliteWorker.js');
  if (fs.existsSync(bundled)) return new Worker(bundled, { workerData: request });
  const source = path.join(__dirname, 'worker.ts');
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData: request });
}

/** Runs one SQLite job on a worker thread. Aborting `signal` terminates the thread at once. */
export function runSqliteJob<Op extends WorkerRequest['op']>(
  request: Extract<WorkerRequest, { op: Op }>,
  options: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<WorkerResults[Op]> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise((resolve, reject) => {
    const worker = startWorker(request);
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      action();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'progress') options.onProgress?.(reply.done, reply.total);
      else if (reply.type === 'result') finish(() => resolve(reply.result as WorkerResults[Op]));
      else finish(() => reject(new LifeboatError(reply.code, reply.message, reply.hint)));
    });
    worker.on('error', error => finish(() => reject(new LifeboatError('io', `The SQLite worker failed: ${error.message}`, undefined, { cause: error }))));
    worker.on('exit', code => finish(() => reject(new LifeboatError('io', `The SQLite worker stopped unexpectedly (exit code ${code}).`))));
  });
}
