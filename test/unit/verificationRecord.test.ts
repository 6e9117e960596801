import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { appendVerification, removeBackupFiles, listBackups, readManifest, writeManifest } from '../../src/core/catalog';
import { LifeboatError } from '../../src/core/errors';
import { verificationState, type Manifest, type Verification } from '../../src/core/manifest';
import { MAX_DETAIL, parseVerification } from '../../src/core/verificationRecord';
import { VERIFICATIONS_FOLDER } from '../../src/core/verificationLog';
import { LocalFolderDestination } from '../../src/storage/local';
import { sampleManifest } from '../support/manifests';
import { makeRng } from '../support/diffDatabases';
import { listFiles, tempFolder } from '../support/temp';

const GOOD: Verification = {
  at: '2026-03-04T05:06:07.089Z', kind: 'quick', ok: true, durationMs: 12,
  checks: [{ name: 'sha256', ok: true, detail: '1 file(s) match\nthe manifest' }], by: 'lifeboat 0.1.0',
};

/** parseVerification must throw a LifeboatError 'verification' naming the record, nothing else. */
function rejects(value: unknown, why: RegExp): void {
  let caught: unknown;
  try {
    parseVerification(value, 'app/b/verifications/x.json');
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof LifeboatError, `${JSON.stringify(value)?.slice(0, 200)}: a LifeboatError, not ${String(caught)}`);
  assert.equal(caught.code, 'verification');
  assert.match(caught.message, /^The verification record app\/b\/verifications\/x\.json /);
  assert.match(caught.message, why);
}

/** Writes a manifest into the folder `prefix` names, as a backup would: its id is that folder's. */
function writeIn(destination: LocalFolderDestination, prefix: string, manifest: Manifest): Promise<void> {
  return writeManifest(destination, prefix, { ...manifest, id: prefix.split('/')[1] });
}

describe('verification records', () => {
  const tmp = tempFolder();
  after(() => tmp.dispose());

  it('parseVerification keeps a good record as it is, drops unknown fields, and keeps restoreMs only when there', () => {
    assert.deepEqual(parseVerification(GOOD, 'x'), GOOD);
    assert.deepEqual(parseVerification({ ...GOOD, extra: { huge: 'x'.repeat(10) } }, 'x'), GOOD);
    assert.deepEqual(parseVerification({ ...GOOD, kind: 'restore-drill', restoreMs: 0 }, 'x'), { ...GOOD, kind: 'restore-drill', restoreMs: 0 });
    const windows = { ...GOOD, checks: [{ name: 'restore', ok: false, detail: 'pg_restore: error: x\r\n\tdetail' }] };
    assert.deepEqual(parseVerification(windows, 'x'), windows, 'a tool\'s lines may end in CR LF');
    assert.equal('restoreMs' in parseVerification(GOOD, 'x'), false);
  });

  it('parseVerification refuses hostile records with a reason: wrong types, huge strings, control characters', () => {
    const check = GOOD.checks[0];
    rejects(null, /is not an object/);
    rejects([GOOD], /is not an object/);
    rejects('verified', /is not an object/);
    rejects({ ...GOOD, at: 12 }, /valid time/);
    rejects({ ...GOOD, at: '2026-13-45T99:99:99Z' }, /valid time/);
    rejects({ ...GOOD, at: '2026-03-04T05:06:07.089Z\u001b[2K' }, /valid time/);
    rejects({ ...GOOD, kind: 'deep' }, /unknown kind/);
    rejects({ ...GOOD, kind: { toString: null } }, /unknown kind/);
    rejects({ ...GOOD, ok: 'true' }, /whether it passed/);
    rejects({ ...GOOD, durationMs: -1 }, /duration/);
    rejects({ ...GOOD, durationMs: Number.MAX_VALUE }, /duration/);
    rejects({ ...GOOD, durationMs: '5' }, /duration/);
    rejects({ ...GOOD, restoreMs: null }, /restore time/);
    rejects({ ...GOOD, by: 'lifeboat\r\u001b[32mverified' }, /who ran it/);
    rejects({ ...GOOD, by: 'x'.repeat(1000) }, /who ran it/);
    rejects({ ...GOOD, checks: {} }, /list of checks/);
    rejects({ ...GOOD, checks: Array.from({ length: 1000 }, () => check) }, /list of checks/);
    rejects({ ...GOOD, checks: [null] }, /check 1 that is not an object/);
    rejects({ ...GOOD, checks: [{ ...check, name: '../../etc' }] }, /check 1 without a valid name/);
    rejects({ ...GOOD, checks: [{ ...check, name: 'sha256\u001b]0;pwned\u0007' }] }, /check 1 without a valid name/);
    rejects({ ...GOOD, checks: [{ ...check, ok: 1 }] }, /does not say whether it passed/);
    rejects({ ...GOOD, checks: [{ ...check, detail: 'x'.repeat(MAX_DETAIL + 1) }] }, /detail/);
    rejects({ ...GOOD, checks: [{ ...check, detail: 'ok\r\u001b[1Averified' }] }, /detail/);
    rejects({ ...GOOD, checks: [{ ...check, detail: ['ok'] }] }, /detail/);
  });

  it('parseVerification never throws anything but its own error on generated junk', () => {
    const rng = makeRng(14);
    const leaves = [null, true, 0, -1, 1e308, NaN, '', '\u0000\u001b', '../x', 'x'.repeat(MAX_DETAIL + 1), GOOD.at, 'quick', GOOD.checks];
    const keys = ['at', 'kind', 'ok', 'durationMs', 'checks', 'restoreMs', 'by', 'name', 'detail', '__proto__'];
    const junk = (depth: number): unknown => {
      const shape = rng.int(9);
      if (depth > 3 || shape === 0) return rng.pick(leaves);
      if (shape < 4) return Array.from({ length: rng.int(4) }, () => junk(depth + 1));
      return Object.fromEntries(keys.filter(() => rng.chance(0.6)).map(k => [k, rng.chance(0.3) ? (GOOD as unknown as Record<string, unknown>)[k] ?? junk(depth + 1) : junk(depth + 1)]));
    };
    for (let i = 0; i < 2000; i++) {
      const value = junk(0);
      try {
        parseVerification(value, 'junk');
      } catch (error) {
        assert.ok(error instanceof LifeboatError && error.code === 'verification', `${JSON.stringify(value)}: ${String(error)}`);
      }
    }
  });

  it('a verification is an object of its own beside the manifest, merged by time; the manifest is not rewritten', async () => {
    const destination = new LocalFolderDestination(tmp.file('records'));
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-00b1', sampleManifest());
    const manifestBefore = fs.readFileSync(destination.localPath('app/2026-01-02T03-04-05-006Z-00b1/manifest.json'), 'utf8');
    const later = { ...GOOD, at: '2026-03-05T00:00:00.000Z', ok: false };
    await appendVerification(destination, 'app/2026-01-02T03-04-05-006Z-00b1', later);
    await appendVerification(destination, 'app/2026-01-02T03-04-05-006Z-00b1', GOOD);
    assert.equal(fs.readFileSync(destination.localPath('app/2026-01-02T03-04-05-006Z-00b1/manifest.json'), 'utf8'), manifestBefore, 'the manifest is written once, by the backup');
    const records = listFiles(destination.localPath('app/2026-01-02T03-04-05-006Z-00b1')).filter(f => f.startsWith(`${VERIFICATIONS_FOLDER}/`));
    assert.equal(records.length, 2);
    for (const record of records) assert.match(path.basename(record), /^2026-03-0\dT\d\d-\d\d-\d\d-\d{3}Z-[A-Za-z0-9_]+-\d+-[0-9a-f]{8}\.json$/);
    const read = await readManifest(destination, 'app/2026-01-02T03-04-05-006Z-00b1');
    assert.deepEqual(read.verifications.map(v => [v.kind, v.at, v.ok]), [['at-backup', '2026-01-02T03:04:06.000Z', true], ['quick', GOOD.at, true], ['quick', later.at, false]]);
    assert.equal(verificationState(read), 'failed', 'the newest decides');
    const listed = await listBackups(destination);
    assert.deepEqual(listed.entries.map(e => e.manifest.verifications.length), [3], 'the catalog listing merges the same records');
    assert.deepEqual(listed.problems, []);
  });

  it('what Lifeboat writes it can read back: a tool\'s message with control characters, or of any length, is cleaned on the way', async () => {
    const destination = new LocalFolderDestination(tmp.file('own'));
    const noisy = { ...GOOD, checks: [{ name: 'restore', ok: false, detail: `pg_restore: \u001b[31merror\r\u0000 table "x\u0007"\n${'y'.repeat(MAX_DETAIL)}` }] };
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-00b1', sampleManifest({ verifications: [noisy] }));
    await appendVerification(destination, 'app/2026-01-02T03-04-05-006Z-00b1', noisy);
    const read = await readManifest(destination, 'app/2026-01-02T03-04-05-006Z-00b1');
    assert.equal(read.verifications.length, 2);
    for (const v of read.verifications) {
      assert.ok(v.checks[0].detail.startsWith('pg_restore:  [31merror   table "x "\ny'), v.checks[0].detail.slice(0, 60));
      assert.equal(v.checks[0].detail.length, MAX_DETAIL);
    }
  });

  it('an older manifest with its verifications inline reads the same', async () => {
    const destination = new LocalFolderDestination(tmp.file('inline'));
    const inline = sampleManifest({ id: '2026-01-02T03-04-05-006Z-0001', verifications: [sampleManifest().verifications[0], GOOD, { ...GOOD, at: '2026-03-06T00:00:00.000Z', kind: 'full' }] });
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-0001', inline);
    assert.deepEqual(await readManifest(destination, 'app/2026-01-02T03-04-05-006Z-0001'), inline);
  });

  it('a bad record, inline or beside, makes the backup unreadable with the reason; other files in the folder are not records', async () => {
    const destination = new LocalFolderDestination(tmp.file('hostile'));
    fs.mkdirSync(destination.localPath('app/2026-01-02T03-04-05-006Z-0002'), { recursive: true });
    fs.writeFileSync(destination.localPath('app/2026-01-02T03-04-05-006Z-0002/manifest.json'), JSON.stringify(sampleManifest({ id: '2026-01-02T03-04-05-006Z-0002', verifications: [{ ...GOOD, checks: 'all fine' } as unknown as Verification] })));
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-0003', sampleManifest());
    const folder = destination.localPath(`app/2026-01-02T03-04-05-006Z-0003/${VERIFICATIONS_FOLDER}`);
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, '2026-03-04T05-06-07-089Z-evil-1-0123abcd.json'), JSON.stringify({ ...GOOD, ok: 'yes' }));
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-0004', sampleManifest());
    fs.mkdirSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0004/${VERIFICATIONS_FOLDER}`));
    fs.writeFileSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0004/${VERIFICATIONS_FOLDER}/2026-03-04T05-06-07-089Z-evil-1-0123abcd.json`), `"${'x'.repeat(300 * 1024)}"`);
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-0005', sampleManifest());
    fs.mkdirSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0005/${VERIFICATIONS_FOLDER}`));
    fs.writeFileSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0005/${VERIFICATIONS_FOLDER}/2026-03-04T05-06-07-089Z-evil-1-0123abcd.json`), '{"at": ');
    // Not a record's name: not read, not a problem.
    fs.writeFileSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0005/${VERIFICATIONS_FOLDER}/notes.txt`), 'hello');
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-0006', sampleManifest());
    fs.mkdirSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0006/${VERIFICATIONS_FOLDER}`));
    fs.writeFileSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-0006/${VERIFICATIONS_FOLDER}/README`), 'not a record');

    const listing = await listBackups(destination);
    assert.deepEqual(listing.entries.map(e => e.prefix), ['app/2026-01-02T03-04-05-006Z-0006']);
    const problems = Object.fromEntries(listing.problems.map(p => [p.prefix, p.message]));
    assert.match(problems['app/2026-01-02T03-04-05-006Z-0002'], /^The verification record 1 in app\/2026-01-02T03-04-05-006Z-0002\/manifest\.json has no valid list of checks/);
    assert.match(problems['app/2026-01-02T03-04-05-006Z-0003'], /^The verification record app\/2026-01-02T03-04-05-006Z-0003\/verifications\/2026-03-04T05-06-07-089Z-evil-1-0123abcd\.json does not say whether it passed/);
    assert.match(problems['app/2026-01-02T03-04-05-006Z-0004'], /is larger than 256 KiB/);
    assert.match(problems['app/2026-01-02T03-04-05-006Z-0005'], /is not valid JSON/);
    await assert.rejects(readManifest(destination, 'app/2026-01-02T03-04-05-006Z-0003'), (e: unknown) => e instanceof LifeboatError && e.code === 'verification');
  });

  it('records of a backup deleted meanwhile are not kept; deleting a backup removes its records', async () => {
    const destination = new LocalFolderDestination(tmp.file('deleted'));
    await assert.rejects(appendVerification(destination, 'app/2026-01-02T03-04-05-006Z-0007', GOOD), (e: unknown) => e instanceof LifeboatError && e.code === 'not-found');
    assert.deepEqual(listFiles(destination.location), [], 'the record written for a missing backup is removed again');
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-00b1', sampleManifest());
    await appendVerification(destination, 'app/2026-01-02T03-04-05-006Z-00b1', GOOD);
    await removeBackupFiles(destination, 'app/2026-01-02T03-04-05-006Z-00b1');
    assert.deepEqual(listFiles(destination.location), []);
  });

  it('the local sweep leaves records alone, also those written by a process that has exited', async () => {
    const destination = new LocalFolderDestination(tmp.file('sweep'));
    await writeIn(destination, 'app/2026-01-02T03-04-05-006Z-00b1', sampleManifest());
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const host = os.hostname().replace(/[^A-Za-z0-9]/g, '_');
    const name = `2026-03-04T05-06-07-089Z-${host}-${dead}-0123abcd.json`;
    fs.mkdirSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-00b1/${VERIFICATIONS_FOLDER}`));
    fs.writeFileSync(destination.localPath(`app/2026-01-02T03-04-05-006Z-00b1/${VERIFICATIONS_FOLDER}/${name}`), JSON.stringify(GOOD));
    assert.deepEqual(await destination.sweepStale(), []);
    assert.deepEqual((await readManifest(destination, 'app/2026-01-02T03-04-05-006Z-00b1')).verifications.map(v => v.at), ['2026-01-02T03:04:06.000Z', GOOD.at]);
  });
});
