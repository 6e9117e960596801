import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeStored, parseManifest, serializeManifest, verificationState, type Manifest } from '../../src/core/manifest';
import { LifeboatError } from '../../src/core/errors';
import { sampleManifest } from '../support/manifests';

describe('manifest', () => {
  it('round-trips through JSON', () => {
    const m = sampleManifest();
    assert.deepEqual(parseManifest(serializeManifest(m), 'test'), m);
    const encrypted = { ...m, files: [{ ...m.files[0], encryption: { format: 'age' as const, to: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p', 'passphrase'] } }] };
    assert.deepEqual(parseManifest(serializeManifest(encrypted), 'test'), encrypted);
  });

  it('rejects what is not a trustworthy manifest, saying why', () => {
    const file = sampleManifest().files[0];
    const cases: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['null', /not a Lifeboat manifest/],
      ['[1]', /not a Lifeboat manifest/],
      [JSON.stringify({ format: 'other' }), /not a Lifeboat manifest/],
      [JSON.stringify({ ...sampleManifest(), version: 99 }), /version 99.*update Lifeboat/],
      [JSON.stringify({ ...sampleManifest(), files: [] }), /lists no files/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...file, name: '../../etc/passwd' }] }), /files\[0\]\.name is "\.\.\/\.\.\/etc\/passwd", not a plain file name/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...file, sha256: 'abc' }] }), /files\[0\]\.sha256 is "abc", not a SHA-256/],
      [JSON.stringify({ ...sampleManifest(), shared: { name: 'x.pack' } }), /shared is \{"name":"x\.pack"\}, not a list/],
      [JSON.stringify({ ...sampleManifest(), shared: [{ ...file, name: '../other/x.pack' }] }), /shared\[0\]\.name is "\.\.\/other\/x\.pack", not a plain file name/],
      [JSON.stringify({ ...sampleManifest(), shared: [{ ...file, name: 'x.pack', sha256: '' }] }), /shared\[0\]\.sha256 is "", not a SHA-256/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...file, encryption: { format: 'gpg', to: ['passphrase'] } }] }), /files\[0\]\.encryption\.format is "gpg", not "age"/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...file, encryption: { format: 'age', to: [] } }] }), /files\[0\]\.encryption\.to is \[\], not 1 to 64 recipients/],
      [JSON.stringify({ ...sampleManifest(), files: [{ ...file, encryption: { format: 'age', to: ['AGE-SECRET-KEY-1QQQQ'] } }] }), /files\[0\]\.encryption\.to\[0\] is "AGE-SECRET-KEY-1QQQQ", not an age recipient/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseManifest(text, 'x/manifest.json'), message);
  });

  it('holds every field that becomes a path, a name or an argument to its grammar, and names the field', () => {
    const m = sampleManifest();
    const file = m.files[0];
    const table = { name: 'public.t', schema: 'public', table: 't', rows: 3 };
    const cases: [string, unknown, RegExp][] = [
      ['id', `${m.id}/../../../emptydir/evil`, /id is ".*", not a backup id/],
      ['id', 'backup\u001b[32m verified', /id is "backup\\u001b\[32m verified", not a backup id/],
      ['id', `${m.id}\r\n`, /id is ".*\\r\\n", not a backup id/],
      ['id', 7, /id is 7, not a backup id/],
      ['connection', { ...m.connection, id: 'app/../other' }, /connection\.id is "app\/\.\.\/other", not a connection id/],
      ['connection', { ...m.connection, id: '..' }, /connection\.id is "\.\.", not a connection id/],
      ['connection', { ...m.connection, name: 42 }, /connection\.name is 42, not text/],
      ['connection', { ...m.connection, engine: 'oracle' }, /connection\.engine is "oracle", not an engine/],
      ['connection', { ...m.connection, engine: 'postgres' }, /is of engine sqlite and names a postgres connection/],
      ['connection', 'app', /connection is "app", not an object/],
      ['engine', '__proto__', /engine is "__proto__", not an engine/],
      ['kind', 'sqlite-online-copy; rm -rf /', /kind is ".*", not a kind of backup/],
      ['completedAt', 'yesterday', /completedAt is "yesterday", not a UTC time/],
      ['startedAt', '2026-13-45T99:99:99.000Z', /startedAt is .*, not a UTC time/],
      ['tool', { name: '--exec=sh', version: '1' }, /tool\.name is "--exec=sh", not a tool name/],
      ['tool', { name: 'pg_dump', version: '15;drop' }, /tool\.version is "15;drop", not a version/],
      ['options', { format: { nested: true } }, /options\.format is \{"nested":true\}, not text, a number/],
      ['options', { tables: ['a', 3] }, /options\.tables\[1\] is 3, not text/],
      ['consistency', { databaseBytes: -1 }, /consistency\.databaseBytes is -1, not a size/],
      ['consistency', { lsn: [1] }, /consistency\.lsn is \[1\], not text, a number/],
      ['tables', [{ ...table, schema: 5 }], /tables\[0\]\.schema is 5, not text/],
      ['tables', [{ ...table, name: 'a\u0000b' }], /tables\[0\]\.name is "a\\u0000b", not text/],
      ['tables', [{ ...table, rows: -3 }], /tables\[0\]\.rows is -3, not a whole number/],
      ['tables', { name: 't' }, /tables is .*, not a list/],
      ['files', [{ ...file, codec: 'rot13' }], /files\[0\]\.codec is "rot13", not a known compression \(zstd, gzip, none\)/],
      ['files', [{ ...file, name: '' }], /files\[0\]\.name is "", not a plain file name/],
      ['files', [{ ...file, name: '/etc/passwd' }], /files\[0\]\.name is "\/etc\/passwd", not a plain file name/],
      ['files', [{ ...file, name: '..' }], /files\[0\]\.name is "\.\.", not a plain file name/],
      ['files', [{ ...file, name: '-x' }], /files\[0\]\.name is "-x", not a plain file name/],
      ['files', [{ ...file, size: -1 }], /files\[0\]\.size is -1, not a whole number/],
      ['files', [{ ...file, contentSize: 1.5 }], /files\[0\]\.contentSize is 1\.5, not a whole number/],
      ['files', [{ ...file, size: '10' }], /files\[0\]\.size is "10", not a whole number/],
      ['files', [null], /files\[0\] is null, not an object/],
      ['files', 'database.sqlite.gz', /files is "database\.sqlite\.gz", not a list/],
      ['timings', { totalMs: 'fast' }, /timings\.totalMs is "fast", not a finite number/],
      ['verifications', {}, /verifications is \{\}, not a list/],
      ['parent', '../x', /parent is "\.\.\/x", not a backup id/],
      ['encryption', { key: 'x' }, /encryption\.format is .*, not "age"/],
      ['server', null, /server is null, not an object/],
    ];
    for (const [field, value, message] of cases) {
      assert.throws(() => parseManifest(JSON.stringify({ ...m, [field]: value }), 'app/x/manifest.json'),
        (error: unknown) => error instanceof LifeboatError && error.code === 'verification' && message.test(error.message) && error.message.startsWith('The manifest app/x/manifest.json '),
        `${field}: ${JSON.stringify(value)}`);
    }
    // 1e999 is valid JSON and parses as Infinity.
    assert.throws(() => parseManifest(serializeManifest(m).replace('"size": 10', '"size": 1e999'), 'x'), /files\[0\]\.size is Infinity, not a whole number/);
  });

  it('accepts what Lifeboat writes: every engine\'s kinds, tools and figures', () => {
    const m = sampleManifest();
    const variants: Partial<Manifest>[] = [
      { tool: { name: 'node:sqlite', version: 'v24.1.0' } },
      { tool: { name: 'lifeboat merge', version: '0.1.0' }, server: { product: 'postgres', version: '' }, kind: 'merge-undo' },
      { engine: 'postgres', connection: { ...m.connection, engine: 'postgres', source: '127.0.0.1:5432/app' }, kind: 'pg_dump-directory', tool: { name: 'pg_dump', version: '15.14' },
        options: { format: 'directory', jobs: 4, tables: ['public.a'], noOwner: true }, consistency: { snapshotLsn: '0/1A2B', inRecovery: false, timeline: 1, encoding: 'UTF8' },
        tables: [{ name: 'public."we\nird"', schema: 'public', table: 'we\nird', oid: 16384, dependents: [16390], rows: null, estimatedRows: -1, bytes: 8192 }] },
      { consistency: { userVersion: -7, gtid: null }, tables: [{ name: '', rows: 0 }], timings: { totalMs: -3 } },
      { shared: [{ ...m.files[0], name: `${m.id}.pack-index` }], parent: '2026-01-01T00-00-00-000Z-ffff' },
    ];
    for (const variant of variants) {
      const manifest = sampleManifest(variant);
      assert.deepEqual(parseManifest(serializeManifest(manifest), 'test'), manifest);
    }
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
