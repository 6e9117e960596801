import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import type { Destination } from '../../src/core/destination';
import { CancelledError, LifeboatError, causedBy, type ErrorCode } from '../../src/core/errors';
import { deadPid, ownedNameOf } from '../support/orphans';
import { distinctBytes, fedSource, generatedSource, readAll, sha256, slowSource } from './sources';

/**
 * What a backend gives the contract suite: a fresh, empty destination, and the few things only
 * the backend knows. Everything else the suite finds out through the Destination interface.
 */
export interface ContractBackend {
  destination: Destination;
  /** Everything the backend holds, finished or not, by name, a finished object by its key (a
   *  folder: every file below it, scratch space included; S3: every key and every unfinished
   *  upload). A write that failed must leave nothing here. */
  everything(): Promise<string[]>;
  /** The things a writer of this backend leaves behind when it is killed mid-write, by what they
   *  are. Each plants one, as the writer with process id `pid` on this host would have left it
   *  while writing `key` (a backend may not need the key). */
  leftovers: Record<string, (key: string, pid: number) => Promise<Leftover>>;
  dispose(): Promise<void>;
}

export interface Leftover {
  /** How sweepStale names it when it removes it. */
  reported: string;
  exists(): Promise<boolean>;
}

const MiB = 1024 * 1024;
const TIMEOUT = { timeout: 20_000 };

const INVALID_KEYS = [
  '', '/', '/etc/passwd', '/abs/key', '..', '../x', 'a/../../x', 'a/..', '.', './a', 'a/./b', 'a//b', 'a/', '/a',
  'a/b\0c', '\0', '.lifeboat-scratch/x', 'a/.hidden/b',
];

/**
 * Every promise of the Destination interface (src/core/destination.ts), as tests, for the
 * backend `makeBackend` makes: each test gets a fresh one and disposes of it.
 */
export function destinationContract(name: string, makeBackend: () => Promise<ContractBackend>): void {
  const contract = (title: string, test: (backend: ContractBackend, d: Destination, t: TestContext) => Promise<void>) =>
    it(title, TIMEOUT, async t => {
      const backend = await makeBackend();
      try {
        await test(backend, backend.destination, t);
      } finally {
        await backend.dispose();
      }
    });

  describe(`destination contract: ${name}`, () => {
    describe('write and read', () => {
      contract('a write then a read gives back the same bytes, and the write resolves with their size', async (_b, d) => {
        const data = distinctBytes(300 * 1024);
        assert.deepEqual(await put(d, 'app/b1/database.sqlite.gz', data), { size: data.length });
        assert.equal(sha256(await readBytes(d, 'app/b1/database.sqlite.gz')), sha256(data));
      });

      contract('an empty object is stored, listed with size 0 and read back empty', async (_b, d) => {
        assert.deepEqual(await put(d, 'app/b1/empty', Buffer.alloc(0)), { size: 0 });
        assert.deepEqual(await listing(d, ''), [['app/b1/empty', 0]]);
        assert.equal((await readBytes(d, 'app/b1/empty')).length, 0);
      });

      contract('a finished write is listed with its size and the time it was written', async (_b, d) => {
        const before = Date.now();
        await put(d, 'app/b1/manifest.json', Buffer.from('{"a": 1}\n'));
        const after = Date.now();
        const objects = await list(d, '');
        assert.equal(objects.length, 1);
        assert.equal(objects[0].key, 'app/b1/manifest.json');
        assert.equal(objects[0].size, 9);
        assert.ok(objects[0].modified instanceof Date);
        // Stores keep times to the second (S3) or to the file system's granularity.
        assert.ok(objects[0].modified.getTime() >= before - 2000 && objects[0].modified.getTime() <= after + 2000, `modified ${objects[0].modified.toISOString()}`);
      });

      contract('a write replaces the object under its key', async (b, d) => {
        await put(d, 'app/b1/x', distinctBytes(1000));
        const second = distinctBytes(500);
        assert.deepEqual(await put(d, 'app/b1/x', second), { size: 500 });
        assert.equal(sha256(await readBytes(d, 'app/b1/x')), sha256(second));
        assert.deepEqual(await listing(d, ''), [['app/b1/x', 500]]);
        assert.deepEqual(await b.everything(), ['app/b1/x'], 'nothing of the old object or of the write is left');
      });

      contract('a reader that opened the old object reads it whole while a write replaces it', async (_b, d) => {
        const old = distinctBytes(4 * MiB);
        await put(d, 'app/b1/x', old);
        const reader = await startReading(d, 'app/b1/x');
        const replacement = distinctBytes(1 * MiB);
        await put(d, 'app/b1/x', replacement);
        assert.equal(sha256(await reader.finish()), sha256(old), 'the open reader got the old bytes, whole');
        assert.equal(sha256(await readBytes(d, 'app/b1/x')), sha256(replacement), 'a new reader gets the new ones');
      });

      contract('while a new object is being written its key is neither listed nor readable', async (b, d) => {
        await put(d, 'app/b1/manifest.json', Buffer.from('{}'));
        const source = fedSource();
        const data = distinctBytes(1 * MiB);
        const writing = d.write('app/b1/database.sqlite.gz', source.stream);
        await source.feedInChunks(data);
        assert.deepEqual(await keys(d, ''), ['app/b1/manifest.json']);
        assert.deepEqual(await keys(d, 'app/b1/database'), []);
        await expectError(d.read('app/b1/database.sqlite.gz'), 'not-found');
        source.end();
        assert.deepEqual(await writing, { size: data.length });
        assert.deepEqual(await listing(d, ''), [['app/b1/database.sqlite.gz', data.length], ['app/b1/manifest.json', 2]]);
        assert.deepEqual(await b.everything(), ['app/b1/database.sqlite.gz', 'app/b1/manifest.json']);
      });

      contract('while an object is being replaced, list and readers see the old one, whole, and only it', async (_b, d) => {
        const old = distinctBytes(700 * 1024);
        await put(d, 'app/b1/x', old);
        const source = fedSource();
        const replacement = distinctBytes(1 * MiB);
        const writing = d.write('app/b1/x', source.stream);
        await source.feedInChunks(replacement.subarray(0, 900 * 1024));
        assert.deepEqual(await listing(d, ''), [['app/b1/x', old.length]]);
        const readers = await Promise.all([1, 2, 3].map(() => readBytes(d, 'app/b1/x')));
        for (const seen of readers) assert.equal(sha256(seen), sha256(old));
        await source.feedInChunks(replacement.subarray(900 * 1024));
        source.end();
        assert.deepEqual(await writing, { size: replacement.length });
        assert.deepEqual(await listing(d, ''), [['app/b1/x', replacement.length]]);
        assert.equal(sha256(await readBytes(d, 'app/b1/x')), sha256(replacement));
      });

      contract('a large object, streamed in chunks, round-trips with its size', async (_b, d) => {
        const source = generatedSource(20 * MiB);
        assert.deepEqual(await d.write('app/b1/big', source.stream), { size: 20 * MiB });
        assert.deepEqual(await listing(d, ''), [['app/b1/big', 20 * MiB]]);
        assert.equal(sha256(await readBytes(d, 'app/b1/big')), source.sha256());
      });

      contract('a write from a slow source completes', async (_b, d) => {
        const chunks = Array.from({ length: 8 }, () => distinctBytes(4096));
        assert.deepEqual(await d.write('app/b1/slow', slowSource(chunks, 40)), { size: 8 * 4096 });
        assert.equal(sha256(await readBytes(d, 'app/b1/slow')), sha256(Buffer.concat(chunks)));
      });

      contract('reading a missing key rejects with not-found', async (_b, d) => {
        await expectError(d.read('app/b1/missing'), 'not-found');
        await put(d, 'app/b1/there', Buffer.from('x'));
        await expectError(d.read('app/b1/missing'), 'not-found');
        await expectError(d.read('app/b1'), 'not-found', 'a prefix of objects is not an object');
        await expectError(d.read('nowhere/at/all'), 'not-found');
      });
    });

    describe('failed writes leave nothing', () => {
      contract('an aborted write rejects with CancelledError and leaves nothing', async (b, d) => {
        assert.ok(await abortedMidWrite(d, 'app/b1/database.sqlite.gz') instanceof CancelledError);
        await assertNothingAt(b, 'app/b1/database.sqlite.gz');
      });

      contract('Cancel at any moment, even once the source has ended: the write stores the object whole and resolves, or rejects with CancelledError and leaves nothing', async (b, d) => {
        // A store's last request may already be on the wire when Cancel comes: what it stored must go.
        for (const delayMs of [0, 1, 2, 5, 10, 20, 40]) {
          const key = `app/b${delayMs}/database.sqlite.gz`;
          const data = distinctBytes(256 * 1024 + delayMs);
          const controller = new AbortController();
          const writing = d.write(key, Readable.from([data]), controller.signal);
          setTimeout(() => controller.abort(), delayMs);
          const outcome = await writing.then(() => undefined, (error: unknown) => error);
          if (outcome === undefined) assert.equal(sha256(await readBytes(d, key)), sha256(data), `${delayMs} ms: resolved, so stored whole`);
          else {
            assert.ok(outcome instanceof CancelledError, `${delayMs} ms: ${String(outcome)}`);
            await assertNothingAt(b, key);
          }
        }
      });

      contract('an aborted replacement leaves the old object as it was', async (b, d) => {
        const old = distinctBytes(200 * 1024);
        await put(d, 'app/b1/x', old);
        assert.ok(await abortedMidWrite(d, 'app/b1/x') instanceof CancelledError);
        assert.deepEqual(await listing(d, ''), [['app/b1/x', old.length]]);
        assert.equal(sha256(await readBytes(d, 'app/b1/x')), sha256(old));
        assert.deepEqual(await b.everything(), ['app/b1/x']);
      });

      contract('a write whose signal is already aborted rejects with CancelledError and stores nothing', async (b, d) => {
        const writing = d.write('app/b1/x', Readable.from([distinctBytes(1000)]), AbortSignal.abort());
        assert.ok(await rejection(writing) instanceof CancelledError);
        await assertNothingAt(b, 'app/b1/x');
      });

      contract('a source that fails mid-stream makes the write reject with its error, and leaves nothing', async (b, d) => {
        const old = distinctBytes(1000);
        await put(d, 'app/b2/x', old);
        for (const [key, failure] of [['app/b1/x', new Error('the dump tool died')], ['app/b2/x', new LifeboatError('integrity', 'the copy is damaged')]] as const) {
          const source = fedSource();
          const writing = d.write(key, source.stream);
          await source.feedInChunks(distinctBytes(512 * 1024));
          source.fail(failure);
          const error = await rejection(writing);
          assert.ok(error instanceof LifeboatError, `a LifeboatError, not ${String(error)}`);
          assert.ok(causedBy(error, e => e === failure), `the source's error explains it: ${error.message}`);
        }
        await expectError(d.read('app/b1/x'), 'not-found');
        assert.deepEqual(await listing(d, ''), [['app/b2/x', old.length]], 'the failed replacement left the old object');
        assert.equal(sha256(await readBytes(d, 'app/b2/x')), sha256(old));
        assert.deepEqual(await b.everything(), ['app/b2/x']);
      });
    });

    describe('delete', () => {
      contract('deleting a missing key resolves', async (_b, d) => {
        await d.delete('app/b1/never');
        await put(d, 'app/b1/x', Buffer.from('x'));
        await d.delete('app/b1/never');
        await d.delete('app/b1/x');
        await d.delete('app/b1/x');
        await d.delete('nowhere/at/all');
      });

      contract('delete removes the object and only it', async (b, d) => {
        await put(d, 'app/b1/a', Buffer.from('a'));
        await put(d, 'app/b1/b', Buffer.from('bb'));
        await d.delete('app/b1/a');
        await expectError(d.read('app/b1/a'), 'not-found');
        assert.deepEqual(await listing(d, ''), [['app/b1/b', 2]]);
        assert.equal((await readBytes(d, 'app/b1/b')).toString(), 'bb');
        await d.delete('app/b1/b');
        assert.deepEqual(await keys(d, ''), []);
        assert.deepEqual(await b.everything(), []);
      });
    });

    describe('list', () => {
      const objects = ['app/2026-1/manifest.json', 'app/2026-1/database.sqlite.gz', 'app/2026-2/manifest.json', 'apple/1/manifest.json', 'crm/1/manifest.json', 'top'];

      contract('list returns exactly the keys that start with the prefix, with their sizes; "" lists all', async (_b, d) => {
        for (const [i, key] of objects.entries()) await put(d, key, distinctBytes(10 + i));
        const expect = (prefix: string) => objects.map((key, i) => [key, 10 + i] as const).filter(([key]) => key.startsWith(prefix)).sort(byKey);
        for (const prefix of ['', 'app/', 'app', 'ap', 'app/2026-1/', 'app/2026-1/manifest.json', 'app/2026-1/manifest', 'crm/', 'top', 'nothing/', 'app/2026-3/']) {
          assert.deepEqual(await listing(d, prefix), expect(prefix), JSON.stringify(prefix));
        }
        assert.deepEqual(await keys(d, 'app'), ['app/2026-1/database.sqlite.gz', 'app/2026-1/manifest.json', 'app/2026-2/manifest.json', 'apple/1/manifest.json'],
          'a prefix is a string prefix, not a folder: callers that mean a folder end it with "/"');
      });

      contract('keys with odd but valid names are stored, listed and read as they are', async (_b, d) => {
        const odd = ['a', 'with space/and ümlaut ✓', 'a..b/c...d', 'x/.keep', 'x/...', 'deep/er/and/deeper/still/file.json', 'app/b', 'app/b1/x', 'name.partial'];
        for (const key of odd) await put(d, key, Buffer.from(key));
        assert.deepEqual(await keys(d, ''), [...odd].sort());
        for (const key of odd) assert.equal((await readBytes(d, key)).toString(), key);
      });
    });

    describe('keys', () => {
      contract('keys that are not plain relative paths are refused with usage, and nothing is touched', async (b, d) => {
        await put(d, 'app/b1/x', Buffer.from('x'));
        const source = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-adopt-')), 'file');
        fs.writeFileSync(source, 'adopt me');
        try {
          for (const key of INVALID_KEYS) {
            const what = JSON.stringify(key);
            await expectError(d.write(key, Readable.from([Buffer.from('evil')])), 'usage', `write ${what}`);
            await expectError(d.read(key), 'usage', `read ${what}`);
            await expectError(d.delete(key), 'usage', `delete ${what}`);
            if (d.adopt) await expectError(d.adopt(key, source), 'usage', `adopt ${what}`);
            if (d.localPath) assert.throws(() => d.localPath!(key), (e: unknown) => e instanceof LifeboatError && e.code === 'usage', `localPath ${what}`);
          }
          assert.ok(fs.existsSync(source), 'a refused adopt leaves its file where it was');
        } finally {
          fs.rmSync(path.dirname(source), { recursive: true, force: true });
        }
        assert.deepEqual(await b.everything(), ['app/b1/x']);
      });
    });

    describe('adopt (when the backend has it)', () => {
      contract('adopt moves a finished file in, from this or another file system: stored whole, listed with its size, the file gone', async (b, d, t) => {
        if (!d.adopt) return t.skip('this backend has no adopt');
        await put(d, 'app/b0/x', Buffer.from('x'));
        const folders = sourceFolders(d, 'app/b0/x');
        try {
          for (const [i, folder] of folders.entries()) {
            const file = path.join(folder, 'dump.archive');
            const data = distinctBytes(2 * MiB + i);
            fs.writeFileSync(file, data);
            assert.deepEqual(await d.adopt(`app/b${i + 1}/dump.archive`, file), { size: data.length }, folder);
            assert.equal(fs.existsSync(file), false, `the adopted file is gone from ${folder}`);
            assert.equal(sha256(await readBytes(d, `app/b${i + 1}/dump.archive`)), sha256(data));
          }
          const expected = [['app/b0/x', 1], ...folders.map((_f, i) => [`app/b${i + 1}/dump.archive`, 2 * MiB + i] as const)];
          assert.deepEqual(await listing(d, ''), expected);
          assert.deepEqual(await b.everything(), expected.map(([key]) => key));
        } finally {
          for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
        }
        if (folders.length < 2) t.diagnostic('no second file system here: adopt by copying was not tried');
      });

      contract('adopt replaces atomically: a reader of the old object reads it whole', async (_b, d, t) => {
        if (!d.adopt) return t.skip('this backend has no adopt');
        const old = distinctBytes(4 * MiB);
        await put(d, 'app/b1/x', old);
        const reader = await startReading(d, 'app/b1/x');
        const folders = sourceFolders(d, 'app/b1/x');
        try {
          for (const folder of folders) {
            const replacement = distinctBytes(100 * 1024);
            fs.writeFileSync(path.join(folder, 'new'), replacement);
            await d.adopt('app/b1/x', path.join(folder, 'new'));
            assert.equal(sha256(await readBytes(d, 'app/b1/x')), sha256(replacement));
          }
        } finally {
          for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
        }
        assert.equal(sha256(await reader.finish()), sha256(old));
      });

      contract('adopting a file that does not exist rejects and stores nothing', async (b, d, t) => {
        if (!d.adopt) return t.skip('this backend has no adopt');
        const error = await rejection(d.adopt('app/b1/x', path.join(os.tmpdir(), `lifeboat-no-such-file-${process.pid}`)));
        assert.ok(error instanceof LifeboatError, String(error));
        await assertNothingAt(b, 'app/b1/x');
      });
    });

    describe('sweepStale', () => {
      contract('removes what dead writers left, of every kind, says what it removed, and keeps every complete object', async (b, d) => {
        const complete = ['app/b1/database.sqlite.gz', 'app/b1/manifest.json', `app/b2/${ownedNameOf('backup', 'writing', deadPid())}`];
        for (const key of complete) await put(d, key, Buffer.from(key));
        const dead = deadPid();
        const planted = await Promise.all(Object.values(b.leftovers).flatMap(plant => [plant('app/b1/database.sqlite.gz', dead), plant('app/b3/database.sqlite.gz', dead)]));
        assert.ok(planted.length >= 2, 'the backend names what its writers leave behind');
        for (const leftover of planted) assert.ok(await leftover.exists(), `${leftover.reported} was planted`);
        assert.deepEqual(await keys(d, ''), [...complete].sort(), 'what writers leave behind is never listed');

        const removed = await d.sweepStale();
        assert.deepEqual([...removed].sort(), planted.map(p => p.reported).sort());
        for (const leftover of planted) assert.equal(await leftover.exists(), false, `${leftover.reported} was removed`);
        assert.deepEqual(await keys(d, ''), [...complete].sort(), 'complete objects stay, whatever their names (a backup marker is the catalog\'s to judge)');
        for (const key of complete) assert.equal((await readBytes(d, key)).toString(), key);
        assert.deepEqual(await d.sweepStale(), [], 'a second sweep has nothing to do');
      });

      contract('keeps what live writers are writing: this process\'s and another running one\'s', async (b, d) => {
        await put(d, 'app/b1/manifest.json', Buffer.from('{}'));
        const planted = await Promise.all(Object.values(b.leftovers).flatMap(plant => [plant('app/b1/database.sqlite.gz', process.pid), plant('app/b2/database.sqlite.gz', process.ppid)]));
        assert.deepEqual(await d.sweepStale(), []);
        for (const leftover of planted) assert.ok(await leftover.exists(), `${leftover.reported} is a live writer's`);
        assert.deepEqual(await keys(d, ''), ['app/b1/manifest.json']);
      });

      contract('a write under way in this process survives a sweep and completes', async (_b, d) => {
        const old = distinctBytes(1000);
        await put(d, 'app/b2/x', old);
        const data = distinctBytes(1 * MiB);
        const writes = ['app/b1/database.sqlite.gz', 'app/b2/x'].map(key => {
          const source = fedSource();
          return { key, source, writing: d.write(key, source.stream) };
        });
        for (const { source } of writes) await source.feedInChunks(data.subarray(0, 512 * 1024));
        assert.deepEqual(await d.sweepStale(), []);
        assert.equal(sha256(await readBytes(d, 'app/b2/x')), sha256(old));
        for (const { source } of writes) {
          await source.feedInChunks(data.subarray(512 * 1024));
          source.end();
        }
        for (const { key, writing } of writes) {
          assert.deepEqual(await writing, { size: data.length });
          assert.equal(sha256(await readBytes(d, key)), sha256(data));
        }
      });
    });

    describe('concurrency', () => {
      contract('concurrent writes of different keys all land', async (b, d) => {
        const objects = Array.from({ length: 24 }, (_x, i) => ({ key: `c${i % 3}/b${i % 5}/file-${i}`, data: distinctBytes(20_000 + i * 1000) }));
        const results = await Promise.all(objects.map(o => d.write(o.key, slowSource(chunksOf(o.data, 4096), 1))));
        assert.deepEqual(results, objects.map(o => ({ size: o.data.length })));
        assert.deepEqual(await listing(d, ''), objects.map(o => [o.key, o.data.length] as const).sort(byKey));
        for (const o of objects) assert.equal(sha256(await readBytes(d, o.key)), sha256(o.data), o.key);
        assert.deepEqual(await b.everything(), objects.map(o => o.key).sort());
      });

      contract('concurrent writes of one key leave one of them, whole, and nothing else', async (b, d) => {
        const versions = Array.from({ length: 6 }, (_x, i) => distinctBytes(100_000 + i));
        await Promise.all(versions.map(data => d.write('app/b1/x', slowSource(chunksOf(data, 8192), 1))));
        const stored = sha256(await readBytes(d, 'app/b1/x'));
        const winner = versions.findIndex(v => sha256(v) === stored);
        assert.ok(winner >= 0, 'the stored object is one of the writes, not a mix');
        assert.deepEqual(await listing(d, ''), [['app/b1/x', versions[winner].length]]);
        assert.deepEqual(await b.everything(), ['app/b1/x']);
      });

      contract('a write or adopt lands while the last other object of its folder is deleted', async (b, d) => {
        const expected: string[] = [];
        const source = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-adopt-'));
        try {
          // The second step starts a few turns of the event loop after the delete, so that, over
          // the rounds, it lands in each step of the delete (a folder store removes the emptied
          // folder last).
          for (let round = 0; round < 25; round++) {
            for (const turns of [2, 3, 4, 5]) {
              const folder = `app/b${round}-${turns}`;
              await put(d, `${folder}/old`, Buffer.from('old'));
              const deleting = d.delete(`${folder}/old`);
              for (let i = 0; i < turns; i++) await setImmediate();
              const adopting = d.adopt && round % 2 === 1;
              if (adopting) fs.writeFileSync(path.join(source, 'new'), 'new');
              await Promise.all([deleting, adopting ? d.adopt!(`${folder}/new`, path.join(source, 'new')) : put(d, `${folder}/new`, Buffer.from('new'))]);
              expected.push(`${folder}/new`);
            }
          }
        } finally {
          fs.rmSync(source, { recursive: true, force: true });
        }
        assert.deepEqual(await keys(d, ''), expected.sort());
        assert.deepEqual(await b.everything(), expected);
      });
    });
  });
}

function put(d: Destination, key: string, data: Buffer): Promise<{ size: number }> {
  return d.write(key, Readable.from([data]));
}

async function readBytes(d: Destination, key: string): Promise<Buffer> {
  return readAll(await d.read(key));
}

/** Opens `key` and reads its first chunk; `finish` reads the rest and gives all it read. */
async function startReading(d: Destination, key: string): Promise<{ finish(): Promise<Buffer> }> {
  const reader = (await d.read(key))[Symbol.asyncIterator]();
  const first = await reader.next();
  assert.equal(first.done, false, `${key} has bytes`);
  return {
    finish: async () => {
      const chunks = [first.value as Buffer];
      for (let next = await reader.next(); !next.done; next = await reader.next()) chunks.push(next.value as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

async function list(d: Destination, prefix: string) {
  const objects = [];
  for await (const object of d.list(prefix)) objects.push(object);
  return objects.sort((a, b) => a.key.localeCompare(b.key, 'en'));
}

async function keys(d: Destination, prefix: string): Promise<string[]> {
  return (await list(d, prefix)).map(o => o.key).sort();
}

async function listing(d: Destination, prefix: string): Promise<(readonly [string, number])[]> {
  return (await list(d, prefix)).map(o => [o.key, o.size] as const).sort(byKey);
}

function byKey(a: readonly [string, number], b: readonly [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function chunksOf(data: Buffer, size: number): Buffer[] {
  const chunks = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
  return chunks;
}

/** Writes 1 MiB to `key`, aborts the write while it waits for more, and gives its rejection. */
async function abortedMidWrite(d: Destination, key: string): Promise<unknown> {
  const controller = new AbortController();
  const source = fedSource();
  const writing = d.write(key, source.stream, controller.signal);
  await source.feedInChunks(distinctBytes(1 * MiB));
  controller.abort();
  return rejection(writing);
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

async function expectError(work: Promise<unknown>, code: ErrorCode, what?: string): Promise<void> {
  const error = await rejection(work);
  assert.ok(error instanceof LifeboatError, `${what ?? 'expected'} a LifeboatError, got ${error instanceof Error ? error.stack : String(error)}`);
  assert.equal(error.code, code, `${what ?? 'error code'}: ${error.message}`);
}

/** Neither listed, nor readable, nor anywhere in the backend. */
async function assertNothingAt(b: ContractBackend, key: string): Promise<void> {
  assert.deepEqual(await keys(b.destination, ''), []);
  await expectError(b.destination.read(key), 'not-found');
  assert.deepEqual(await b.everything(), []);
}

/**
 * Folders to adopt files from: one in the temp folder, and one on another file system than the
 * object `key` when there is one (/dev/shm is often tmpfs), where a rename cannot work.
 */
function sourceFolders(d: Destination, key: string): string[] {
  const stored = d.localPath ? fs.statSync(d.localPath(key)).dev : undefined;
  const folders = [fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-adopt-'))];
  const other = ['/dev/shm', os.tmpdir()].find(root => fs.existsSync(root) && fs.statSync(root).dev !== (stored ?? fs.statSync(folders[0]).dev));
  if (other) folders.push(fs.mkdtempSync(path.join(other, 'lifeboat-adopt-')));
  return folders;
}
