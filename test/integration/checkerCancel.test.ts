import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { runCheck } from '../../src/engines/sqlite/checkerClient';
import type { LifeboatError } from '../../src/core/errors';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

/** Our child processes that run the SQLite checker, from /proc. */
function checkerChildren(): number[] {
  return fs.readdirSync('/proc').filter(name => /^\d+$/.test(name)).map(Number).filter(pid => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      return parent === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('checker');
    } catch {
      return false;
    }
  });
}

describe('the SQLite checker process', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const file = tmp.file('big.db');
  createSampleDatabase(file, { rows: 60_000, blobBytes: 2000 });

  it('reports integrity and row counts', async () => {
    const result = await runCheck({ file });
    assert.deepEqual(result.integrity, ['ok']);
    assert.equal(result.tables.find(t => t.name === 'customers')?.rows, 60_000);
    assert.deepEqual(checkerChildren(), []);
  });

  it('is killed by Cancel in the middle of integrity_check: nothing keeps running', async () => {
    const controller = new AbortController();
    const running = runCheck({ file }, { signal: controller.signal });
    // Abort once the checker process exists and is working.
    while (checkerChildren().length === 0) await new Promise(resolve => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(running, (e: LifeboatError) => e.code === 'cancelled');
    assert.deepEqual(checkerChildren(), [], 'the checker process is gone when the promise settles');
  });

  it('says what happened when the file is not a database', async () => {
    fs.writeFileSync(tmp.file('text.db'), 'plain text, not SQLite '.repeat(300));
    await assert.rejects(runCheck({ file: tmp.file('text.db') }), (e: LifeboatError) => e.code === 'integrity' && /is not a SQLite database/.test(e.message));
  });
});
