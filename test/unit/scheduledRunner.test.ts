import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../../src/core/errors';
import type { Logger } from '../../src/core/logger';
import { parsePolicy } from '../../src/core/policy';
import { readRunLog } from '../../src/core/runLog';
import { runDueWork, type DueItem } from '../../src/core/scheduledRunner';
import { tempFolder } from '../support/temp';

// The runner on an injected clock with a real state folder (lock and run log on disk): work
// stopped by a person is recorded and its slot is done; work cut short by a shutdown is not
// recorded and its slot stays due; a failure is recorded with its message.

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const schedule = parsePolicy({ schedules: [{ name: 'hourly', cron: '0 * * * *' }] }, 'x').schedules[0];
const work = [{ connection: 'app', schedule }];
const at = (iso: string) => () => new Date(iso);

/** Work that runs until its signal aborts, then stops as the engine does. */
function untilAborted(signal: AbortSignal, started: () => void) {
  return async (_item: DueItem) => {
    const stopped = new Promise<void>(resolve => signal.addEventListener('abort', () => resolve(), { once: true }));
    started();
    await stopped;
    throw new CancelledError('Backup');
  };
}

describe('scheduled runner', () => {
  it('a stop by a person is recorded and the slot is done; a shutdown leaves the slot due', async () => {
    const tmp = tempFolder('lifeboat-runner');
    try {
      const folder = tmp.file('state');
      await runDueWork({ stateFolder: folder, work, by: 'test', logger: quiet, now: at('2026-12-03T00:30:00Z'), perform: async () => ({}) });
      for (const [recordCancelled, expected] of [[false, 0], [true, 1]] as const) {
        const controller = new AbortController();
        const result = await runDueWork({
          stateFolder: folder, work, by: 'test', logger: quiet, now: at('2026-12-03T01:00:30Z'), signal: controller.signal,
          recordCancelled: () => recordCancelled, perform: untilAborted(controller.signal, () => controller.abort()),
        });
        assert.equal(result.runs.length, expected);
        const runs = (await readRunLog(folder)).records.filter(r => r.type === 'run');
        assert.equal(runs.length, expected, recordCancelled ? 'a stop is recorded' : 'a shutdown is not');
      }
      const [stopped] = (await readRunLog(folder)).records.filter(r => r.type === 'run');
      assert.ok(stopped.type === 'run' && stopped.stopped && !stopped.ok && /Stopped by the user/.test(stopped.error ?? ''));
      const again = await runDueWork({ stateFolder: folder, work, by: 'test', logger: quiet, now: at('2026-12-03T01:10:00Z'), perform: async () => ({}) });
      assert.equal(again.runs.length, 0, 'the stopped slot is not run again');
      const failing = await runDueWork({ stateFolder: folder, work, by: 'test', logger: quiet, now: at('2026-12-03T02:00:30Z'), perform: async () => { throw new Error('disk full'); } });
      assert.deepEqual(failing.runs.map(r => [r.ok, r.error]), [[false, 'disk full']]);
    } finally {
      tmp.dispose();
    }
  });
});
