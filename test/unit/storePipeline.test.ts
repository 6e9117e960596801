import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { PassThrough, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CODECS } from '../../src/core/codec';
import { readStoredFile, storeFile } from '../../src/core/storePipeline';
import { LifeboatError, isDiskFull } from '../../src/core/errors';
import { LocalFolderDestination } from '../../src/storage/local';
import { listFiles, tempFolder } from '../support/temp';

describe('store pipeline', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());
  // Half random, half repetitive: compressible, and every byte value occurs.
  const content = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(3 * 1024 * 1024, 'lifeboat ')]);
  const source = tmp.file('source.bin');
  fs.writeFileSync(source, content);
  const sha = createHash('sha256').update(content).digest('hex');

  for (const codec of CODECS) {
    it(`stores and reads back with ${codec}, hashing content and stored bytes in one pass`, async () => {
      const destination = new LocalFolderDestination(tmp.file(`dest-${codec}`));
      const progress: number[] = [];
      const file = await storeFile({ source, destination, key: 'c/b/payload', name: 'payload', codec, onBytes: (read, total) => progress.push(read / total) });
      const stored = fs.readFileSync(destination.localPath('c/b/payload'));
      assert.equal(file.contentSha256, sha);
      assert.equal(file.contentSize, content.length);
      assert.equal(file.size, stored.length);
      assert.equal(file.sha256, createHash('sha256').update(stored).digest('hex'));
      if (codec !== 'none') assert.ok(file.size < content.length * 0.6, `${codec} should shrink the repetitive half (${file.size})`);
      assert.equal(progress.at(-1), 1);
      assert.deepEqual(listFiles(destination.location), ['c/b/payload'], 'no partial file remains');
      const restored = tmp.file(`restored-${codec}`);
      await readStoredFile({ destination, key: 'c/b/payload', file, target: restored });
      assert.ok(fs.readFileSync(restored).equals(content));
      assert.equal((fs.statSync(destination.localPath('c/b/payload')).mode & 0o777), 0o600, 'backups are private to their owner');
    });
  }

  it('names the damaged file when one byte flips, for every codec', async () => {
    for (const codec of CODECS) {
      const destination = new LocalFolderDestination(tmp.file(`flip-${codec}`));
      const file = await storeFile({ source, destination, key: 'c/b/database.bin', name: 'database.bin', codec });
      const path = destination.localPath('c/b/database.bin');
      const bytes = fs.readFileSync(path);
      bytes[Math.floor(bytes.length / 2)] ^= 0x01;
      fs.writeFileSync(path, bytes);
      await assert.rejects(readStoredFile({ destination, key: 'c/b/database.bin', file }),
        (e: LifeboatError) => e.code === 'verification' && e.message.includes('database.bin'));
    }
  });

  it('a sink that fails is not damage: a full disk is "disk full", a reader that stops early its own error, unless the stored bytes differ', async () => {
    const destination = new LocalFolderDestination(tmp.file('sink-fails'));
    const file = await storeFile({ source, destination, key: 'c/b/database.bin', name: 'database.bin', codec: 'gzip' });
    const failingSink = (code: string) => new Writable({ write(_chunk, _enc, done) { done(Object.assign(new Error(`write ${code}`), { code })); } });
    const read = (code: string) => readStoredFile({ destination, key: 'c/b/database.bin', file, sink: failingSink(code) });
    for (const code of ['ENOSPC', 'EDQUOT']) {
      await assert.rejects(read(code), (e: unknown) => e instanceof LifeboatError && e.code === 'io' && isDiskFull(e) && /the disk is full/.test(e.message), code);
    }
    await assert.rejects(read('EPIPE'), (e: unknown) => e instanceof LifeboatError && e.code === 'io' && /EPIPE/.test(e.message), 'intact: the reader\'s own failure');
    // Damage far from the start, which the decoder has not reached when the reader gives up.
    const stored = destination.localPath('c/b/database.bin');
    const bytes = fs.readFileSync(stored);
    bytes[Math.floor(bytes.length * 0.95)] ^= 0x01;
    fs.writeFileSync(stored, bytes);
    await assert.rejects(read('EPIPE'), (e: unknown) => e instanceof LifeboatError && e.code === 'verification' && /database\.bin is damaged: its SHA-256/.test(e.message));
    await assert.rejects(readStoredFile({ destination, key: 'c/b/database.bin', file, sink: failingSink('EPIPE'), hashesChecked: true }),
      (e: unknown) => e instanceof LifeboatError && e.code === 'io', 'told the hashes were checked, it does not read the file again');
  });

  it('a stored file that is missing is damage, and the sink it was to feed is ended (its reader does not wait for ever)', async () => {
    const destination = new LocalFolderDestination(tmp.file('dest-missing'));
    const file = await storeFile({ source, destination, key: 'c/b/payload', name: 'payload', codec: 'gzip' });
    fs.rmSync(destination.localPath('c/b/payload'));
    const sink = new PassThrough();
    const reader = pipeline(sink, new Writable({ write(_c, _e, done) { done(); } }));
    await assert.rejects(readStoredFile({ destination, key: 'c/b/payload', file, sink }),
      (e: LifeboatError) => e.code === 'verification' && /^payload is missing from the backup/.test(e.message));
    await assert.rejects(reader, 'the sink was destroyed, so its pipeline ends');
  });

  it('leaves nothing behind when cancelled midway', async () => {
    const destination = new LocalFolderDestination(tmp.file('cancel'));
    const controller = new AbortController();
    await assert.rejects(storeFile({
      source, destination, key: 'c/b/payload', name: 'payload', codec: 'gzip', signal: controller.signal,
      onBytes: (read, total) => { if (read > total / 3) controller.abort(); },
    }), (e: LifeboatError) => e.code === 'cancelled');
    assert.deepEqual(listFiles(destination.location), []);
  });
});
