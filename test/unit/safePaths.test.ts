import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { jobContext } from '../../src/core/job';
import { createScratch } from '../../src/core/scratch';
import { discardLog, keptLogFile } from '../../src/core/toolLog';
import { LocalFolderDestination } from '../../src/storage/local';
import { listFiles, tempFolder } from '../support/temp';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('paths built from backup data', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('a destination refuses object keys that would lead outside its folder', () => {
    const destination = new LocalFolderDestination(tmp.file('backups'));
    assert.equal(destination.localPath('app/2026/database.sqlite.gz'), path.join(destination.location, 'app', '2026', 'database.sqlite.gz'));
    for (const key of ['', '/etc/passwd', '../x', 'app/../../x', 'app/./x', 'app//x', 'app/x/..', 'app/x\0y', `app/..${path.sep}..${path.sep}x`]) {
      assert.throws(() => destination.localPath(key), /is not a valid object key/, JSON.stringify(key));
    }
  });

  it('a kept log is named after only the plain characters of its label, and stays in the logs folder', async () => {
    const root = tmp.file('logs-root');
    fs.mkdirSync(path.join(tmp.path, 'emptydir'), { recursive: true });
    const ctx = jobContext(new LocalFolderDestination(root), quiet);
    for (const label of ['restore-2026-01-02T03-04-05-006Z-abcd/../../../emptydir/evil', '/etc/passwd', '..', '', '\u001b[2K\r\n']) {
      const file = await keptLogFile(ctx, label);
      assert.equal(path.dirname(file), path.join(root, '.lifeboat-logs'), JSON.stringify(label));
      assert.match(path.basename(file), /^[A-Za-z0-9][A-Za-z0-9._-]*\.log$/);
      fs.writeFileSync(file, 'log');
      await discardLog(file);
    }
    assert.deepEqual(listFiles(root), []);
    assert.ok(fs.existsSync(path.join(tmp.path, 'emptydir')), 'the folder outside is still there');
  });

  it('discarding a log never removes a folder that is not the logs folder', async () => {
    const folder = tmp.file('not-logs');
    fs.mkdirSync(folder);
    await discardLog(path.join(folder, 'evil.log'));
    assert.ok(fs.existsSync(folder));
  });

  it('a scratch file is one plain name inside the scratch folder', async () => {
    const scratch = await createScratch(tmp.file('scratch-root'));
    try {
      assert.equal(path.dirname(scratch.file('database.sql')), scratch.path);
      for (const name of ['../x', '..', '', 'a/b', '/etc/passwd', 'x\0']) assert.throws(() => scratch.file(name), /is not a plain file name/, JSON.stringify(name));
    } finally {
      await scratch.dispose();
    }
  });
});
