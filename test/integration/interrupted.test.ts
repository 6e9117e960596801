import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { json, runCli, startCli, waitForFile, waitForProgress } from '../support/cli';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { everything } from '../support/pgBackupSupport';
import { listFiles, tempFolder } from '../support/temp';

/**
 * A backup killed outright (SIGKILL: no chance to clean up) leaves files that are recognisably
 * partial, is never listed as a backup, and the next run removes what it left: the next backup
 * (of another database) as well as the next listing. A backup stopped with Ctrl-C (SIGINT)
 * cleans up itself and exits 130.
 */
describe('interrupted backups', () => {
  const tmp = tempFolder();
  const source = tmp.file('large.db');
  const small = tmp.file('small.db');
  // Large enough that copying and compressing each take a noticeable time.
  before(() => {
    createSampleDatabase(source, { rows: 120_000, blobBytes: 3000 });
    createSampleDatabase(small, { rows: 100 });
  });
  after(() => tmp.dispose());

  // Three moments: while copying (the scratch copy exists; one page per step keeps the copy going
  // for a while), while compressing, and in the gap after the payload has its final name and
  // before the manifest is written (integrity_check still running beside the store).
  for (const phase of [
    { name: 'copying', file: /^\.lifeboat-scratch\/job\.work-[^/]+\/database\.sqlite$/, pages: '1', codec: 'gzip' },
    { name: 'compressing', message: /^Compressing/, fraction: 0.5, pages: '2048', codec: 'gzip' },
    { name: 'checking after storing', file: /^[^./][^/]*\/[^/]+\/database\.sqlite$/, pages: '2048', codec: 'none' },
  ]) {
    /** Starts a backup of the large database into `folder`, kills it at the phase's moment, and
     *  checks that what it left is recognisably partial. */
    async function killedBackup(folder: string): Promise<void> {
      const child = startCli(['backup', source, '--backup-dir', folder, '--json', '--compression', phase.codec, '--level', '9', '--pages-per-step', phase.pages]);
      if (phase.message) await waitForProgress(child, phase.message, phase.fraction ?? 0);
      else await waitForFile(child, folder, phase.file!);
      child.kill('SIGKILL');
      const [, signal] = await once(child, 'exit');
      assert.equal(signal, 'SIGKILL');
      const left = listFiles(folder);
      if (phase.file) assert.ok(left.some(f => phase.file!.test(f)), `${phase.file} was there when the process was killed: ${left.join(', ')}`);
      assert.ok(left.length > 0, 'the killed process left files behind (it had no chance to clean up)');
      assert.ok(left.every(f => /\.(partial|work|writing)-[A-Za-z0-9_]+-\d+-[0-9a-f]{8}(\/|$)/.test(f) || f.endsWith('/database.sqlite')),
        `everything left is partial, or a payload beside the marker of its unfinished backup: ${left.join(', ')}`);
      assert.ok(!left.some(f => f.endsWith('manifest.json')), 'no manifest: so it is not a backup');
    }

    it(`SIGKILL while ${phase.name}: nothing listed, and no partial files remain after the next listing`, async () => {
      const folder = tmp.file(`kill-then-list-${phase.name}`);
      await killedBackup(folder);
      const list = await runCli(['list', '--backup-dir', folder, '--json']);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(json<{ backups: unknown[] }>(list).backups, []);
      assert.deepEqual(listFiles(folder), [], 'the next run removed what the killed one left');
    });

    it(`SIGKILL while ${phase.name}: the next backup (of another database) removes what it left`, async () => {
      const folder = tmp.file(`kill-then-backup-${phase.name}`);
      await killedBackup(folder);
      const next = await runCli(['backup', small, '--backup-dir', folder, '--json', '--compression', 'gzip']);
      assert.equal(next.code, 0, next.stderr);
      const made = json<{ backup: { id: string; connection: string } }>(next).backup;
      assert.deepEqual(listFiles(folder), [`${made.connection}/${made.id}/database.sqlite.gz`, `${made.connection}/${made.id}/manifest.json`],
        'only the new backup is left');
      assert.deepEqual(everything(folder).filter(f => f.startsWith('.')), [], 'no scratch folder is left');
      const list = await runCli(['list', '--backup-dir', folder, '--json']);
      assert.deepEqual(json<{ backups: { id: string }[] }>(list).backups.map(b => b.id), [made.id]);
    });
  }

  it('Ctrl-C (SIGINT) stops the backup, exits 130 and leaves nothing at all', async () => {
    const folder = tmp.file('interrupt');
    const child = startCli(['backup', source, '--backup-dir', folder, '--json', '--level', '9']);
    let stdout = '';
    child.stdout!.on('data', d => { stdout += d; });
    await waitForProgress(child, /^Compressing/, 0.4);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 130);
    assert.equal(JSON.parse(stdout).error.code, 'cancelled');
    assert.deepEqual(listFiles(folder), []);
  });
});
