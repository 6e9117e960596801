import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { BackupWriter, writeBackup, type BackupParts } from '../../src/core/backupWriter';
import { readManifest } from '../../src/core/catalog';
import type { Destination } from '../../src/core/destination';
import { LifeboatError } from '../../src/core/errors';
import { LocalFolderDestination } from '../../src/storage/local';
import { listFiles, tempFolder } from '../support/temp';

const SOURCE = { id: 'app', name: 'App', engine: 'sqlite' as const, source: '/srv/app.db' };
const PARTS: BackupParts = {
  kind: 'sqlite-online-copy', server: { product: 'SQLite', version: '3' }, tool: { name: 'test', version: '1' },
  options: {}, consistency: {}, tables: [], timings: {}, checks: [],
};
const logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('the backup writer', () => {
  const tmp = tempFolder('lifeboat-writer');
  after(() => tmp.dispose());
  const ctx = (scratch: string) => ({ scratchParent: scratch, logger });

  it('keeps every byte of a tool that exits while the writer is still opening', async () => {
    const local = new LocalFolderDestination(tmp.file('held'));
    let exited = false;
    // A destination slow to take the in-progress marker: the tool has exited by the time it has.
    const slow: Destination = Object.assign(Object.create(local) as Destination, {
      location: local.location,
      write: async (key: string, data: Readable, signal?: AbortSignal) => {
        if (key.includes('.writing-')) while (!exited) await new Promise(resolve => setTimeout(resolve, 10));
        return local.write(key, data, signal);
      },
    });
    const writer = new BackupWriter(SOURCE, [slow], ctx(tmp.file('held-scratch')));
    // Less than a pipe holds, so the tool can write it all and exit without anyone reading.
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("x".repeat(20000))'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.once('exit', () => { exited = true; });
    const file = await writer.storeStream('payload', child.stdout!, { codec: 'none' });
    assert.equal(exited, true);
    assert.equal(file.contentSize, 20000);
    await writer.commit(PARTS);
    await writer.disposeScratch();
  });

  it('writes each destination\'s copy with a manifest listing the copies; one that fails is emptied, named and left out', async () => {
    const good = new LocalFolderDestination(tmp.file('good'));
    const broken: Destination = Object.assign(Object.create(new LocalFolderDestination(tmp.file('broken'))) as Destination, {
      location: tmp.file('broken'),
      write: async (key: string, data: Readable) => {
        if (key.endsWith('/payload')) {
          data.destroy();
          throw new LifeboatError('io', 'Could not write: the disk is full.');
        }
        return LocalFolderDestination.prototype.write.call(new LocalFolderDestination(tmp.file('broken')), key, data);
      },
    });
    const written = await writeBackup(SOURCE, [good, broken], ctx(tmp.file('two-scratch')), async writer => {
      await writer.storeStream('payload', Readable.from([Buffer.alloc(100_000, 1)]), { codec: 'gzip' });
      return { parts: PARTS };
    });
    assert.deepEqual(written.copies.map(c => c.destination.location), [good.location]);
    assert.deepEqual(written.failures.map(f => [f.location, f.message]), [[tmp.file('broken'), 'Could not write: the disk is full.']]);
    assert.deepEqual(listFiles(tmp.file('broken')), [], 'nothing of the backup is left where it failed');
    const manifest = await readManifest(good, written.copies[0].entry.prefix);
    assert.deepEqual(manifest.copies, [{ location: good.location, kind: 'local' }]);
    assert.deepEqual(manifest.files.map(f => f.name), ['payload']);
    assert.deepEqual(fs.readdirSync(tmp.path).filter(n => n.includes('scratch') && fs.readdirSync(tmp.file(n)).length > 0), [], 'scratch is removed');
  });

  it('leaves nothing in any destination when the engine fails, and writes nothing before the first store', async () => {
    const [a, b] = [new LocalFolderDestination(tmp.file('fail-a')), new LocalFolderDestination(tmp.file('fail-b'))];
    await assert.rejects(writeBackup(SOURCE, [a, b], ctx(tmp.file('fail-scratch')), async () => {
      assert.equal(fs.existsSync(a.location), false, 'nothing is written before the payload');
      throw new LifeboatError('connection', 'refused');
    }), /refused/);
    await assert.rejects(writeBackup(SOURCE, [a, b], ctx(tmp.file('fail-scratch')), async writer => {
      await writer.storeStream('payload', Readable.from([Buffer.alloc(10)]), { codec: 'none' });
      throw new LifeboatError('verification', 'the dump is incomplete');
    }), /incomplete/);
    assert.deepEqual([listFiles(a.location), listFiles(b.location)], [[], []]);
  });
});
