import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeStored, parseManifest, serializeManifest, verificationState, type Manifest } from '../../src/core/manifest';
import { sampleManifest } from '../support/manifests';

describe('manifest', () => {
  it('round-trips through JSON', () => {
    const m = sampleManifest();
    assert.deepEqual(parseManifest(serializeManifest(m), 'test'), m);
  });

  it('rejects what is not a trustworthy manifest, saying why', () => {
    const cases: [string, RegExp][] = [
      ['{', /not valid JSON/],
      [JSON.stringify({ format: 'other' }), /not a Lifeboat manifest/],
      [JSON.stringify({ ...sampleManifest(), version: 99 }), /version 99.*update Lifeboat/],
      [JSON.stringify({ ...sampleManifest(), files: [] }), /lists no files/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...sampleManifest().files[0], name: '../../etc/passwd' }] }), /unsafe file name/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...sampleManifest().files[0], sha256: 'abc' }] }), /no SHA-256/],
      [JSON.stringify({ ...sampleManifest(), shared: { name: 'x.pack' } }), /malformed list of shared files/],
      [JSON.stringify({ ...sampleManifest(), shared: [{ ...sampleManifest().files[0], name: '../other/x.pack' }] }), /unsafe shared file name/],
      [JSON.stringify({ ...sampleManifest(), shared: [{ ...sampleManifest().files[0], name: 'x.pack', sha256: '' }] }), /no SHA-256 for the shared file x\.pack/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseManifest(text, 'x/manifest.json'), message);
  });

  it('describes an incremental snapshot by what it added, of what database, on which parent', () => {
    const file = sampleManifest().files[0];
    const snapshot = sampleManifest({
      kind: 'sqlite-snapshot', parent: '2026-01-01T00-00-00-000Z-aaaa', shared: [{ ...file, name: 'x.pack' }],
      consistency: { newBytes: 1.5 * 1024 * 1024, databaseBytes: 200 * 1024 * 1024 },
    });
    assert.equal(describeStored(snapshot), 'incremental · +1.5 MB new of 200 MB, parent 2026-01-01T00-00-00');
    assert.equal(describeStored({ ...snapshot, parent: null }), 'incremental · +1.5 MB new of 200 MB, first of its chain');
    assert.equal(describeStored(sampleManifest()), '10 B');
  });

  it('takes the verification state from the newest verification', () => {
    const m: Manifest = sampleManifest();
    assert.equal(verificationState({ ...m, verifications: [] }), 'unverified');
    assert.equal(verificationState(m), 'verified');
    const failed = { ...m.verifications[0], ok: false, kind: 'full' as const };
    assert.equal(verificationState({ ...m, verifications: [...m.verifications, failed] }), 'failed');
  });
});
