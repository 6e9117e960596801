import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { json, runCli } from '../support/cli';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

describe('verify finds damage', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  const source = tmp.file('app.db');
  createSampleDatabase(source, { rows: 4000 });

  for (const codec of ['gzip', 'none']) {
    it(`a flipped byte in a stored ${codec} payload: verify fails, names the file, and the failure is recorded`, async () => {
      const folder = tmp.file(`backups-${codec}`);
      const backup = await runCli(['backup', source, '--backup-dir', folder, '--compression', codec, '--json']);
      assert.equal(backup.code, 0, backup.stderr);
      const made = json<{ backup: { id: string; location: string; manifest: { files: { name: string; size: number }[] } } }>(backup).backup;
      const good = await runCli(['verify', made.id, '--backup-dir', folder, '--json']);
      assert.equal(good.code, 0, good.stderr);

      const payload = path.join(made.location, made.manifest.files[0].name);
      const bytes = fs.readFileSync(payload);
      bytes[Math.floor(bytes.length * 0.7)] ^= 0x10;
      fs.writeFileSync(payload, bytes);

      const bad = await runCli(['verify', made.id, '--backup-dir', folder]);
      assert.equal(bad.code, 3, `exit status 3 means damaged\n${bad.stdout}${bad.stderr}`);
      assert.match(bad.stdout, /DAMAGED/);
      assert.ok(bad.stdout.includes(made.manifest.files[0].name), `the message names the file:\n${bad.stdout}`);

      const list = json<{ backups: { id: string; state: string }[] }>(await runCli(['list', '--backup-dir', folder, '--json']));
      assert.equal(list.backups.find(b => b.id === made.id)?.state, 'failed', 'the catalog shows the backup as failed');
      const restore = await runCli(['restore', made.id, '--to', tmp.file(`r-${codec}.db`), '--backup-dir', folder]);
      assert.equal(restore.code, 3, 'a damaged backup is not restored');
      assert.equal(fs.existsSync(tmp.file(`r-${codec}.db`)), false);
      assert.deepEqual(fs.readdirSync(tmp.path).filter(n => n.includes('.partial-')), []);
    });
  }
});
