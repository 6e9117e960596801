import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { compressor, decompressBlock } from '../../src/core/codec';
import { isDiskFull, LifeboatError } from '../../src/core/errors';
import { runTool } from '../../src/core/processes';
import { adoptFile, readStoredFile, storeStreamToAll } from '../../src/core/storePipeline';
import { compressDump, compressDumpInto, findZstdCli, type ZstdCli } from '../../src/core/zstdCli';
import { mountTmpfs } from '../support/pgBackupSupport';
import { LocalFolderDestination } from '../../src/storage/local';
import { tempFolder } from '../support/temp';

// The zstd CLI behind a dump tool (an OS pipe between them, only the compressed bytes in Node):
// what it stores decodes to exactly the tool's output, the frames carry zstd's content checksum,
// the content size is zstd's own count, and a failure names the tool that really failed.

let zstd: ZstdCli | undefined;
/** Skips the test where there is no zstd CLI (scripts/setup.sh installs it); true then. Node's own
 *  zstd, which reads what the CLI wrote, is there on every Node Lifeboat runs on (22.16+). */
function skipped(t: TestContext): boolean {
  const reason = !zstd ? 'no zstd CLI installed (apt-get install zstd)' : undefined;
  if (reason) t.skip(reason);
  return reason !== undefined;
}

/** A stand-in for a dump tool: writes `bytes` of compressible text to stdout, then exits with `code`. */
function fakeDump(bytes: number, code = 0, signal?: AbortSignal) {
  const script = `const line = Buffer.from('INSERT INTO t VALUES (1, \\'lifeboat\\', 3.14);\\n');
    let left = ${bytes}; const out = Buffer.alloc(1 << 20);
    for (let i = 0; i < out.length; i++) out[i] = line[i % line.length] ^ (i % 997 === 0 ? 1 : 0);
    (function write() { while (left > 0) { const n = Math.min(left, out.length); left -= n; if (!process.stdout.write(out.subarray(0, n))) return process.stdout.once('drain', write); }
      process.stdout.end(() => process.exit(${code})); })();`;
  return runTool({ label: 'the fake dump', command: process.execPath, args: ['-e', script], env: {}, stdout: 'pipe', signal });
}

/** `content` through Lifeboat's zstd compressor (Node's zlib), as one buffer. */
async function zstdStream(content: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const c = compressor('zstd', 2);
  c.on('data', (d: Buffer) => chunks.push(d));
  const ended = new Promise(resolve => c.on('end', resolve));
  c.end(content);
  await ended;
  return Buffer.concat(chunks);
}

/** zstd's frame header: magic, then the frame header descriptor whose bit 2 is Content_Checksum_flag. */
function hasContentChecksum(frame: Buffer): boolean {
  return frame.readUInt32LE(0) === 0xfd2fb528 && (frame[4] & 0x04) !== 0;
}

describe('the zstd CLI behind a dump tool', () => {
  const tmp = tempFolder();
  const asked = process.env.LIFEBOAT_ZSTD_CLI;
  before(async () => {
    process.env.LIFEBOAT_ZSTD_CLI = 'auto';
    zstd = await findZstdCli();
  });
  after(() => {
    if (asked === undefined) delete process.env.LIFEBOAT_ZSTD_CLI;
    else process.env.LIFEBOAT_ZSTD_CLI = asked;
  });
  after(() => tmp.dispose());

  it('stores what decodes to exactly the tool\'s output, with zstd\'s content checksum and its byte count', async (t) => {
    if (skipped(t)) return;
    const destination = new LocalFolderDestination(tmp.file('ok'));
    const dump = fakeDump(9 * 1024 * 1024 + 7);
    const compressed = compressDump(dump, zstd!, 2, undefined, 'zstd of the fake dump');
    const { file, failures } = await storeStreamToAll({
      destinations: [destination], key: 'c/b/database.dump.zst', name: 'database.dump.zst', codec: 'zstd', source: compressed.stored,
      precompressed: { contentSize: compressed.contentSize },
    });
    await compressed.done;
    assert.deepEqual(failures, []);
    const stored = fs.readFileSync(destination.localPath('c/b/database.dump.zst'));
    const content = decompressBlock('zstd', stored);
    assert.equal(content.length, 9 * 1024 * 1024 + 7);
    assert.equal(file.contentSize, content.length, 'the content size is zstd\'s count of what it read');
    assert.equal(file.contentSha256, undefined);
    assert.equal(compressed.written(), stored.length);
    assert.equal(file.size, stored.length);
    assert.equal(file.sha256, createHash('sha256').update(stored).digest('hex'));
    assert.ok(hasContentChecksum(stored), 'every decompression checks the content');
    assert.ok(stored.length < content.length / 10);

    const restored = tmp.file('restored');
    await readStoredFile({ destination, key: 'c/b/database.dump.zst', file, target: restored });
    assert.ok(fs.readFileSync(restored).equals(content));
  });

  it('Node\'s zlib writes the content checksum too, so both paths are checked alike on restore', async (t) => {
    if (skipped(t)) return;
    assert.ok(hasContentChecksum(await zstdStream(Buffer.alloc(100_000, 'x'))));
  });

  it('a content byte changed under a valid frame is damage on restore, though the stored SHA-256 was made to match', async (t) => {
    if (skipped(t)) return;
    const destination = new LocalFolderDestination(tmp.file('checksum'));
    const content = Buffer.alloc(200_000, 'lifeboat ');
    const frame = await zstdStream(content);
    // The last 4 bytes are the checksum of the content: change them, as a compressor that was fed other bytes would differ.
    frame[frame.length - 1] ^= 0xff;
    fs.mkdirSync(destination.localPath('c/b'), { recursive: true });
    fs.writeFileSync(destination.localPath('c/b/x.zst'), frame);
    const file = { name: 'x.zst', size: frame.length, sha256: createHash('sha256').update(frame).digest('hex'), codec: 'zstd' as const, contentSize: content.length };
    await assert.rejects(readStoredFile({ destination, key: 'c/b/x.zst', file }), (e: LifeboatError) => e.code === 'verification' && /does not decompress/.test(e.message));
  });

  it('zstd killed halfway: its own failure is reported, not the dump tool\'s broken pipe', async (t) => {
    if (skipped(t)) return;
    const destination = new LocalFolderDestination(tmp.file('killed'));
    const dump = fakeDump(400 * 1024 * 1024);
    const compressed = compressDump(dump, zstd!, 2, undefined, 'zstd of the fake dump');
    let killed = false;
    const storing = storeStreamToAll({
      destinations: [destination], key: 'c/b/x.zst', name: 'x.zst', codec: 'zstd', source: compressed.stored, precompressed: { contentSize: compressed.contentSize },
      onBytes: () => {
        if (killed) return;
        killed = true;
        // zstd is the child whose stdout is the stored stream: find it among this process's children.
        for (const pid of fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)) {
          if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('zstd')) process.kill(pid, 'SIGKILL');
        }
      },
    });
    await Promise.allSettled([storing]);
    await assert.rejects(compressed.done, (e: LifeboatError) => /zstd of the fake dump was killed by SIGKILL/.test(e.message));
  });

  it('the dump tool fails: its failure is the one reported, zstd having ended well on its short input', async (t) => {
    if (skipped(t)) return;
    const destination = new LocalFolderDestination(tmp.file('dump-fails'));
    const dump = fakeDump(1000, 3);
    const compressed = compressDump(dump, zstd!, 2, undefined, 'zstd of the fake dump');
    await storeStreamToAll({ destinations: [destination], key: 'c/b/x.zst', name: 'x.zst', codec: 'zstd', source: compressed.stored, precompressed: { contentSize: compressed.contentSize } });
    await assert.rejects(compressed.done, (e: LifeboatError) => /the fake dump exited with status 3/.test(e.message));
  });

  it('zstd writes the stored file itself: adopted into the folder by a rename, its hash and zstd\'s content count in the entry', async (t) => {
    if (skipped(t)) return;
    const destination = new LocalFolderDestination(tmp.file('into'));
    const scratch = tmp.file('into-scratch');
    fs.mkdirSync(scratch);
    const output = `${scratch}/database.dump.zst`;
    const compressed = compressDumpInto(fakeDump(5 * 1024 * 1024 + 3), zstd!, 2, undefined, 'zstd of the fake dump', output);
    await compressed.done;
    const inode = fs.statSync(output).ino;
    const file = await adoptFile({ destination, key: 'c/b/database.dump.zst', name: 'database.dump.zst', source: output, stored: { codec: 'zstd', contentSize: await compressed.contentSize } });
    const storedPath = destination.localPath('c/b/database.dump.zst');
    assert.equal(fs.statSync(storedPath).ino, inode, 'renamed in, not copied');
    assert.equal(fs.existsSync(output), false);
    assert.equal(fs.statSync(storedPath).mode & 0o777, 0o600);
    const stored = fs.readFileSync(storedPath);
    assert.deepEqual(file, { name: 'database.dump.zst', size: stored.length, sha256: createHash('sha256').update(stored).digest('hex'), codec: 'zstd', contentSize: 5 * 1024 * 1024 + 3 });
    assert.equal(compressed.written(), stored.length);
    assert.equal(decompressBlock('zstd', stored).length, 5 * 1024 * 1024 + 3);
    assert.ok(hasContentChecksum(stored));
    await readStoredFile({ destination, key: 'c/b/database.dump.zst', file });
  });

  it('with no room for the file, zstd\'s failure is "the disk is full", never a damaged backup', async (t) => {
    if (skipped(t)) return;
    const disk = tmp.file('small');
    fs.mkdirSync(disk);
    const mounted = mountTmpfs(disk, '16k');
    if ('reason' in mounted) return t.skip(`no tmpfs here (${mounted.reason})`);
    try {
      const compressed = compressDumpInto(fakeDump(64 * 1024 * 1024), zstd!, 1, undefined, 'zstd of the fake dump', `${disk}/x.zst`);
      await assert.rejects(compressed.done, (e: LifeboatError) => isDiskFull(e) && e.code === 'io' && /the disk is full \(zstd: .*No space left on device/.test(e.message));
    } finally {
      mounted.unmount();
    }
  });

  it('is used by default for any stream where it is installed; LIFEBOAT_ZSTD_CLI=none: never; a path: that one', async (t) => {
    if (skipped(t)) return;
    const saved = process.env.LIFEBOAT_ZSTD_CLI;
    try {
      delete process.env.LIFEBOAT_ZSTD_CLI;
      assert.equal((await findZstdCli())?.path, zstd!.path);
      process.env.LIFEBOAT_ZSTD_CLI = 'none';
      assert.equal(await findZstdCli(), undefined);
      process.env.LIFEBOAT_ZSTD_CLI = 'auto';
      assert.equal((await findZstdCli())?.path, zstd!.path);
      process.env.LIFEBOAT_ZSTD_CLI = zstd!.path;
      assert.equal((await findZstdCli())?.path, zstd!.path);
      process.env.LIFEBOAT_ZSTD_CLI = '/nowhere/zstd';
      assert.equal(await findZstdCli(), undefined, 'a path with no zstd behind it is none, not another one found elsewhere');
    } finally {
      if (saved === undefined) delete process.env.LIFEBOAT_ZSTD_CLI;
      else process.env.LIFEBOAT_ZSTD_CLI = saved;
    }
  });
});
