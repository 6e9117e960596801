import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { howToReach, parseDestinationSettings, placeOf } from '../../src/storage/destinationSettings';

// A destination's settings as people write them (the CLI's config file, the editor's
// lifeboat.destinations): checked field by field, keys refused, and its place for the 3-2-1 rule.
describe('destination settings', () => {
  it('takes every field a bucket has, and gives its place', () => {
    const { settings, credentialsFile } = parseDestinationSettings({
      name: 'offsite-r2', location: 's3://backups/team', endpoint: 'https://acct.r2.cloudflarestorage.com', region: 'auto', pathStyle: false,
      storageClass: 'STANDARD_IA', serverSideEncryption: 'aws:kms', kmsKeyId: 'key-1', media: 'object-store', offsite: true, credentialsFile: '/etc/lifeboat/r2.json',
    }, '#1');
    assert.equal(credentialsFile, '/etc/lifeboat/r2.json');
    assert.deepEqual(settings, {
      name: 'offsite-r2', location: 's3://backups/team', endpoint: 'https://acct.r2.cloudflarestorage.com', region: 'auto', pathStyle: false,
      storageClass: 'STANDARD_IA', serverSideEncryption: 'aws:kms', kmsKeyId: 'key-1', media: 'object-store', offsite: true,
    });
    assert.deepEqual(Object.keys(howToReach(settings)).sort(), ['endpoint', 'kmsKeyId', 'pathStyle', 'region', 'serverSideEncryption', 'storageClass'], 'how to reach it: no name, location or place');
  });

  it('places a bucket in an object store off-site, a folder on a local disk on-site, unless told otherwise', () => {
    assert.deepEqual(placeOf({ location: 's3://b/p' }), { media: 'object-store', offsite: true });
    assert.deepEqual(placeOf({ location: '/mnt/backups' }), { media: 'local-disk', offsite: false });
    assert.deepEqual(placeOf({ location: '/mnt/nas', media: 'network-share', offsite: true }), { media: 'network-share', offsite: true });
    assert.deepEqual(placeOf({ location: 's3://minio-in-the-rack/p', offsite: false }), { media: 'object-store', offsite: false });
  });

  it('refuses keys, unknown fields, and values it cannot use, naming the entry', () => {
    const refused = (value: Record<string, unknown>, message: RegExp) => assert.throws(() => parseDestinationSettings({ name: 'x', location: 's3://b', ...value }, '#2 in lifeboat.destinations'), (e: Error) => {
      assert.match(e.message, /^The destination #2 in lifeboat\.destinations /);
      assert.match(e.message, message);
      return true;
    });
    refused({ secretAccessKey: 'k' }, /keys are never kept in settings/);
    refused({ accessKeyId: 'k' }, /keys are never kept in settings/);
    refused({ bucket: 'b' }, /unknown field "bucket"/);
    refused({ media: 'tape' }, /"media" other than "local-disk", "network-share", "object-store", "removable"/);
    refused({ offsite: 'yes' }, /"offsite" that is not true or false/);
    refused({ endpoint: 'https://user:pw@host' }, /without user or password/);
    refused({ kmsKeyId: 'k' }, /kmsKeyId without/);
    assert.throws(() => parseDestinationSettings({ name: '../up', location: 's3://b' }, '#3'), /invalid "name"/);
    assert.throws(() => parseDestinationSettings({ name: 'x' }, '#4'), /needs a "location"/);
  });
});
