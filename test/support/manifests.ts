import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest } from '../../src/core/manifest';

/** A well-formed manifest for tests of code that reads manifests (not produced by a backup). */
export function sampleManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id: '2026-01-02T03-04-05-006Z-abcd',
    connection: { id: 'app', name: 'App', engine: 'sqlite', source: '/srv/app.db' },
    engine: 'sqlite',
    kind: 'sqlite-online-copy',
    startedAt: '2026-01-02T03:04:05.006Z',
    completedAt: '2026-01-02T03:04:06.000Z',
    server: { product: 'SQLite', version: '3.53.0' },
    tool: { name: 'better-sqlite3', version: '12.9.0' },
    options: { codec: 'gzip' },
    consistency: { pageCount: 10 },
    tables: [{ name: 't', rows: 3 }],
    files: [{ name: 'database.sqlite.gz', size: 10, sha256: 'a'.repeat(64), codec: 'gzip', contentSize: 40960, contentSha256: 'b'.repeat(64) }],
    timings: { totalMs: 5 },
    verifications: [{ at: '2026-01-02T03:04:06.000Z', kind: 'at-backup', ok: true, durationMs: 1, checks: [], by: 'test' }],
    parent: null,
    encryption: null,
    createdBy: 'test',
    ...overrides,
  };
}

/** A backup id of the form newBackupId writes, distinct for each `n`. */
export function sampleId(n: number): string {
  return `2026-01-02T03-04-05-006Z-${n.toString(16).padStart(4, '0')}`;
}

/** The folder "<connection>/<backup>" a manifest belongs in. */
export function samplePrefix(manifest: Manifest = sampleManifest()): string {
  return `${manifest.connection.id}/${manifest.id}`;
}
