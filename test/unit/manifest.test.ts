import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest, serializeManifest, verificationState, type Manifest } from '../../src/core/manifest';
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
    ];
    for (const [text, message] of cases) assert.throws(() => parseManifest(text, 'x/manifest.json'), message);
  });

  it('takes the verification state from the newest verification', () => {
    const m: Manifest = sampleManifest();
    assert.equal(verificationState({ ...m, verifications: [] }), 'unverified');
    assert.equal(verificationState(m), 'verified');
    const failed = { ...m.verifications[0], ok: false, kind: 'full' as const };
    assert.equal(verificationState({ ...m, verifications: [...m.verifications, failed] }), 'failed');
  });
});
