import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTool } from '../../src/core/processes';
import { eventually } from '../support/pgBackupSupport';
import { runningInGroup } from '../support/serverHarness';

// runTool with real processes: a leader that forks workers, as pg_dump -j does. What is asserted
// is the state at the moment the job's promise settles, not "eventually".

const posix = process.platform !== 'win32';

/** Runs `script` under sh as a tool; `settled` is what of its group still ran when `done` settled. */
function runScript(script: string, signal?: AbortSignal) {
  const run = runTool({ label: 'sh', command: 'sh', args: ['-c', script], env: { PATH: process.env.PATH }, signal });
  const pgid = run.child.pid!;
  const settled = run.done.then(
    () => ({ ok: true, running: runningInGroup(pgid) }),
    (error: unknown) => ({ ok: false, error, running: runningInGroup(pgid) }));
  return { pgid, settled };
}

describe('runTool and the process group', { skip: !posix && 'process groups are POSIX' }, () => {
  // Workers that do not hold the tool's stderr, so the leader's "close" does not wait for them.
  const WORKERS = 'for i in 1 2 3; do (trap "" TERM; exec sleep 30) </dev/null >/dev/null 2>&1 & done';

  it('Cancel: settles only after every worker has exited, even those that ignore SIGTERM', async () => {
    for (let round = 0; round < 5; round++) {
      const controller = new AbortController();
      const { pgid, settled } = runScript(`${WORKERS}; exec sleep 30`, controller.signal);
      await eventually(() => runningInGroup(pgid).length === 4, 'the leader and its three workers run');
      controller.abort();
      const outcome = await settled;
      assert.equal(outcome.ok, false);
      assert.match(String((outcome as { error: Error }).error.message), /cancelled/);
      assert.deepEqual(outcome.running, [], `round ${round}: no process of the group runs when the job settles`);
    }
  });

  it('a failing leader: its workers are killed and gone before the failure is reported', async () => {
    for (let round = 0; round < 5; round++) {
      const { settled } = runScript(`${WORKERS}; echo "error: it broke" >&2; exit 3`);
      const outcome = await settled;
      assert.equal(outcome.ok, false);
      assert.match(String((outcome as { error: Error }).error.message), /exited with status 3: error: it broke/);
      assert.deepEqual(outcome.running, [], `round ${round}: no process of the group runs when the failure is reported`);
    }
  });

  it('a leader that succeeds: its last worker is waited for', async () => {
    const { settled } = runScript('(exec sleep 0.5) </dev/null >/dev/null 2>&1 & exit 0');
    const outcome = await settled;
    assert.equal(outcome.ok, true);
    assert.deepEqual(outcome.running, [], 'the worker had finished when the job settled');
  });
});
