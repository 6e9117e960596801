import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest, type CatalogEntry } from '../../src/core/catalog';
import { CODEC_SUFFIX, defaultCodec, defaultLevel } from '../../src/core/codec';
import { defaultParallelJobs } from '../../src/core/parallelism';
import { SCRATCH_FOLDER } from '../../src/core/scratch';
import { findZstdCli } from '../../src/core/zstdCli';
import { backupDatabase, restoreBackup, verifyBackup, type BackupOptions, type ServerTarget } from '../../src/engines';
import { displayName } from '../../src/engines/postgres/tableNames';
import { configuredCli, json, runCli } from '../support/cli';
import { engineContext, monotonic } from '../support/engineContext';
import { sha256File } from '../support/hash';
import {
  SYSTEM_PG_BIN_DIR, assertSameDatabase, databaseExists, databaseImage, databasesLike, everything, expectLifeboatError,
  assertNoScratch, assertNoSecrets, assertVariableWithheld, environsWhile, flipByte, payloadFiles, storedContent, watching, type DatabaseImage,
} from '../support/pgBackupSupport';
import { CHINOOK_ROW_COUNTS, HOSTILE_SCHEMA, createHostileDatabase, loadChinook, quoteIdent, tableChecksums } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { stopServersAfterTests } from '../support/serverHarness';
import { listFiles, tempFolder } from '../support/temp';

// PostgreSQL through Lifeboat's engine API and CLI, against a throwaway PostgreSQL 15 server
// (password authentication): every dump format and compression path restores into a new database
// that equals the source (schema dump and every row), manifests say what was done and match the
// bytes on disk, verification (quick, and a restore drill) passes, partial and in-place restores
// do what they promise, and no password reaches a child process's argv or environment.

stopServersAfterTests();

const HOSTILE = 'hostile "db" ☃ = x';
const CHINOOK = 'chinook';
const TOOLS = ['pg_dump', 'pg_restore', 'psql'];
const CHINOOK_TOTAL_ROWS = Object.values(CHINOOK_ROW_COUNTS).reduce((a, b) => a + b, 0);

interface FormatCase {
  name: string;
  options: BackupOptions;
  /** Restores to run (parallel jobs; none: the default) and where pg_restore/psql must have read the archive from. */
  restores: { jobs?: number; readFrom: 'stored file' | 'stream' | 'scratch copy' }[];
  /** Stored payload names (directory: the folder's files match this). */
  payload: RegExp;
  /** Set while the backup runs (LIFEBOAT_ZSTD_CLI: the zstd CLI behind pg_dump). */
  env?: Record<string, string>;
}

const FORMATS: FormatCase[] = [
  { name: 'custom, gzip by Lifeboat (the default)', options: { codec: 'gzip' }, payload: /^database\.dump\.gz$/,
    restores: [{ jobs: 1, readFrom: 'stream' }, { jobs: 2, readFrom: 'scratch copy' }] },
  { name: 'custom, gzip by pg_dump', options: { codec: 'gzip', compressor: 'tool' }, payload: /^database\.dump$/,
    restores: [{ jobs: 1, readFrom: 'stored file' }, { jobs: 2, readFrom: 'stored file' }] },
  { name: 'directory, 2 dump jobs', options: { codec: 'gzip', format: 'directory', jobs: 2 }, payload: /^(toc\.dat|blobs\.toc|(\d+|blob_\d+)\.dat\.gz)$/,
    restores: [{ jobs: 1, readFrom: 'stored file' }, { jobs: 2, readFrom: 'stored file' }] },
  { name: 'plain SQL, gzip by Lifeboat', options: { codec: 'gzip', format: 'plain' }, payload: /^database\.sql\.gz$/,
    restores: [{ jobs: 1, readFrom: 'stream' }] },
];

/** Node's zlib compressing pg_dump's stream: what a backup to several destinations, or one without
 *  the zstd CLI, runs. */
const ZSTD: FormatCase = {
  name: 'custom, zstd by Node\'s zlib (LIFEBOAT_ZSTD_CLI=none)', options: { codec: 'zstd' }, payload: /^database\.dump\.zst$/,
  restores: [{ jobs: 1, readFrom: 'stream' }, { jobs: 2, readFrom: 'scratch copy' }], env: { LIFEBOAT_ZSTD_CLI: 'none' },
};

/** The default where zstd is installed: pg_dump | zstd CLI into scratch, by OS pipes, then
 *  hashed and renamed in (src/core/zstdCli.ts). */
const ZSTD_CLI: FormatCase = { ...ZSTD, name: 'custom, zstd by the zstd CLI into scratch (the default where zstd is installed)', env: {} };

/** The rest of the codec × format combinations, each restored once, on Chinook only: the
 *  hostile database's cases above already prove what depends on the data, not on the codec. */
const EVERY_CODEC: FormatCase[] = [
  { name: 'custom, no compression', options: { codec: 'none' }, payload: /^database\.dump$/, restores: [{ jobs: 2, readFrom: 'stored file' }] },
  { name: 'custom, no compression by pg_dump', options: { codec: 'none', compressor: 'tool' }, payload: /^database\.dump$/, restores: [{ jobs: 1, readFrom: 'stored file' }] },
  { name: 'directory, no compression, 2 dump jobs', options: { codec: 'none', format: 'directory', jobs: 2 }, payload: /^(toc\.dat|blobs\.toc|(\d+|blob_\d+)\.dat)$/,
    restores: [{ jobs: 2, readFrom: 'stored file' }] },
  { name: 'plain SQL, no compression', options: { codec: 'none', format: 'plain' }, payload: /^database\.sql$/, restores: [{ jobs: 1, readFrom: 'stream' }] },
  { name: 'plain SQL, zstd by Lifeboat', options: { codec: 'zstd', format: 'plain' }, payload: /^database\.sql\.zst$/, restores: [{ jobs: 1, readFrom: 'stream' }] },
  { name: 'custom, zstd level 19 by Lifeboat', options: { codec: 'zstd', level: 19 }, payload: /^database\.dump\.zst$/, restores: [{ jobs: 1, readFrom: 'stream' }] },
  { name: 'custom, gzip level 1 by Lifeboat', options: { codec: 'gzip', level: 1 }, payload: /^database\.dump\.gz$/, restores: [{ jobs: 1, readFrom: 'stream' }] },
  { name: 'the defaults (format chosen by Lifeboat, this Node\'s default codec)', options: { codec: defaultCodec() },
    payload: new RegExp(`^database\\.dump${CODEC_SUFFIX[defaultCodec()].replace('.', '\\.')}$`),
    // The default restore of a compressed stream: parallel, through a scratch copy (one job on one core).
    restores: [{ readFrom: defaultParallelJobs() > 1 ? 'scratch copy' : 'stream' }] },
];

/** Every file of a backup on disk, relative to its folder, as the manifest should name them. */
function storedNames(entry: CatalogEntry, folder: string): string[] {
  return payloadFiles(path.join(folder, entry.prefix));
}

/** The pg_dump of the machine, as `pg_dump --version` prints its number. */
function systemPgDumpVersion(): string {
  const out = spawnSync(path.join(SYSTEM_PG_BIN_DIR, 'pg_dump'), ['--version'], { encoding: 'utf8' }).stdout;
  return /(\d+\.\d+)/.exec(out)![1];
}

describe('PostgreSQL backup → restore → verify', () => {
  const tmp = tempFolder('lifeboat-pg');
  let server: PostgresServer;
  let target: ServerTarget;
  const images: Record<string, DatabaseImage> = {};
  let restoreCount = 0;
  /** A new database name for each restore. */
  const newName = (label: string) => `restored ${++restoreCount} ${label} ☃`;

  before(async () => {
    server = await startPostgres();
    target = { connection: server.connectionFor('postgres'), access: { password: server.password } };
    await createHostileDatabase(server, HOSTILE);
    await loadChinook(server, CHINOOK);
    images[HOSTILE] = await databaseImage(server, HOSTILE);
    images[CHINOOK] = await databaseImage(server, CHINOOK);
  });
  after(async () => {
    await server?.stop();
    tmp.dispose();
  });

  describe('fidelity: restored into a new database, schema and every row are identical', () => {
    for (const source of [HOSTILE, CHINOOK]) {
      for (const format of [...FORMATS, ZSTD, ZSTD_CLI, ...(source === CHINOOK ? EVERY_CODEC : [])]) {
        const restoresText = format.restores.map(r => r.jobs ? `jobs ${r.jobs}` : 'the default jobs').join(' and ');
        it(`${source === HOSTILE ? 'hostile' : 'Chinook'}: ${format.name}, restored with ${restoresText}`, async t => {
          const folder = tmp.file(`fidelity-${++restoreCount}`);
          const { ctx, progress } = engineContext(folder);
          const saved = { ...process.env };
          Object.assign(process.env, format.env);
          // The zstd CLI compresses a zstd stream that Lifeboat need not read (not plain), unless
          // LIFEBOAT_ZSTD_CLI=none (src/core/zstdCli.ts).
          const cli = format.options.codec === 'zstd' && format.options.format !== 'plain' && format.options.compressor !== 'tool'
            ? await findZstdCli() : undefined;
          if (format === ZSTD_CLI && !cli) {
            process.env = saved;
            return t.skip('no zstd CLI installed (apt-get install zstd)');
          }
          const entry = await backupDatabase(server.connectionFor(source), format.options, ctx, target.access).finally(() => { process.env = saved; });
          assert.equal(entry.manifest.options.compressedBy, cli ? `zstd ${cli.version}` : undefined, 'the zstd CLI compressed the stream where it serves, and only there');
          assert.ok(monotonic(progress) && progress.at(-1)!.fraction === 1, 'backup progress only grows and ends at 100 %');
          const names = storedNames(entry, folder);
          assert.ok(names.length > 0 && names.every(n => format.payload.test(n)), `stored files: ${names.join(', ')}`);
          assert.deepEqual(entry.manifest.files.map(f => f.name).sort(), names, 'the manifest lists exactly the stored files');
          assert.deepEqual(everything(folder).filter(p => p.startsWith('.')), [], 'no scratch folder or marker is left after the backup');
          const { options } = entry.manifest;
          assert.equal(options.codec, format.options.codec);
          assert.equal(options.level, format.options.codec === 'none' ? undefined : format.options.level ?? defaultLevel(format.options.codec), 'the manifest records the level that ran');
          const leftToLifeboat = !format.options.format && !format.options.compressor && !format.options.jobs;
          if (leftToLifeboat) assert.match(String(options.chosen), /^chosen by Lifeboat: one stream compressed by Lifeboat/, 'a small database is one stream');
          else assert.equal(options.chosen, undefined, 'what the user chose is not said to be chosen by Lifeboat');

          for (const restore of format.restores) {
            const database = newName(source);
            const restoreProgress: number[] = [];
            const { result, seen } = await watching(['pg_restore'], () =>
              restoreBackup(entry, { target: database, ...(restore.jobs ? { jobs: restore.jobs } : {}) }, { ...ctx, onProgress: u => restoreProgress.push(u.fraction) }, target));
            assert.ok(result.engine === 'postgres');
            assert.equal(result.database, database);
            assert.equal(result.createdDatabase, true);
            assert.equal(result.readFrom, restore.readFrom, `jobs ${restore.jobs}: where the archive was read from`);
            assert.equal(restoreProgress.at(-1), 1, 'restore progress ends at 100 %');
            await assertSameDatabase(server, database, images[source], `${format.name}, restore jobs ${restore.jobs}`);
            if (restore.readFrom === 'scratch copy') {
              // pg_restore -j read a decompressed copy in the backup folder's scratch space, which is gone now.
              const copies = seen.flatMap(s => s.argv.filter(a => a.includes(`${path.sep}${SCRATCH_FOLDER}${path.sep}`) && a.endsWith('archive.dump')));
              assert.ok(copies.length > 0, `pg_restore read a scratch copy (saw: ${seen.map(s => s.argv.join(' ')).join(' | ')})`);
              assert.ok(copies.every(c => c.startsWith(folder + path.sep)), 'the scratch copy was beside the backups');
              for (const copy of copies) assert.equal(fs.existsSync(copy), false, `${copy} is removed`);
            }
            assertNoScratch(folder, `restore jobs ${restore.jobs}`);
            await server.query(`DROP DATABASE ${quoteIdent(database)}`);
          }
        });
      }
    }
  });

  describe('manifest', () => {
    it('records server, tool, options, sizes, tables, the snapshot LSN, timings and files that match the bytes on disk', async () => {
      const folder = tmp.file('manifest');
      const { ctx } = engineContext(folder);
      const lsnBefore = (await server.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
      const entry = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip' }, ctx, target.access);
      const lsnAfter = (await server.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
      const m = entry.manifest;
      assert.deepEqual(await readManifest(ctx.destination, entry.prefix), m, 'the manifest on disk is the one returned');

      assert.equal(m.engine, 'postgres');
      assert.equal(m.kind, 'pg_dump-custom');
      assert.deepEqual(m.connection, { id: server.connectionFor().id, name: server.connectionFor().name, engine: 'postgres', source: `127.0.0.1:${server.port}/${CHINOOK}` });
      assert.deepEqual(m.server, { product: 'PostgreSQL', version: server.version.split(' ')[0] });
      assert.deepEqual(m.tool, { name: 'pg_dump', version: systemPgDumpVersion() });
      const { chosen, ...options } = m.options;
      assert.deepEqual(options, { format: 'custom', compressor: 'lifeboat', codec: 'gzip', level: 6, toolDir: SYSTEM_PG_BIN_DIR });
      assert.match(String(chosen), /^chosen by Lifeboat: one stream compressed by Lifeboat \(11 tables, the largest \d+ % of the data, \d+ cores\)/);

      const c = m.consistency;
      const [db] = await server.query<{ bytes: string; encoding: string; collate: string }>(
        `SELECT pg_database_size(oid)::text AS bytes, pg_encoding_to_char(encoding) AS encoding, datcollate AS collate FROM pg_database WHERE datname = $1`, 'postgres', [CHINOOK]);
      assert.equal(c.databaseBytes, Number(db.bytes), 'databaseBytes is pg_database_size');
      assert.deepEqual([c.encoding, c.collate, c.serverVersionNum, c.inRecovery], [db.encoding, db.collate, server.versionNum, false]);
      assert.equal(c.snapshotExported, true);
      const [{ tli }] = await server.query<{ tli: number }>('SELECT timeline_id AS tli FROM pg_control_checkpoint()');
      assert.equal(c.timeline, tli, 'the timeline of the snapshot LSN');
      assert.match(String(c.snapshotLsn), /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/, 'snapshotLsn is a pg_lsn');
      const [order] = await server.query<{ after_start: boolean; before_end: boolean }>(
        'SELECT $1::pg_lsn >= $2::pg_lsn AS after_start, $1::pg_lsn <= $3::pg_lsn AS before_end', 'postgres', [c.snapshotLsn, lsnBefore, lsnAfter]);
      assert.deepEqual(order, { after_start: true, before_end: true }, `the snapshot LSN ${String(c.snapshotLsn)} lies between ${lsnBefore} and ${lsnAfter}`);

      const tables = await server.query<{ schema: string; table: string; bytes: string; reltuples: number; oid: string; pkey: string | null }>(
        `SELECT n.nspname AS schema, c.relname AS table, pg_table_size(c.oid)::text AS bytes, c.reltuples::float8 AS reltuples, c.oid::int8::text AS oid,
                (SELECT oid::int8::text FROM pg_constraint WHERE conrelid = c.oid AND contype = 'p') AS pkey
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2`, CHINOOK);
      assert.deepEqual(m.tables.map(({ dependents: _, ...t }) => t),
        tables.map(t => ({ name: displayName(t.schema, t.table), schema: t.schema, table: t.table, rows: null, estimatedRows: Math.round(t.reltuples), bytes: Number(t.bytes), oid: Number(t.oid) })));
      for (const t of tables) {
        const dependents = m.tables.find(x => x.oid === Number(t.oid))?.dependents ?? [];
        if (t.pkey) assert.ok(dependents.includes(Number(t.pkey)), `${t.table}: its primary key is among the objects a partial restore brings along`);
      }
      for (const [name, rows] of Object.entries(CHINOOK_ROW_COUNTS)) {
        assert.equal(m.tables.find(t => t.name === name)?.estimatedRows, rows, `${name}: the estimate after ANALYZE is the row count`);
      }

      const t = m.timings;
      assert.deepEqual(Object.keys(t).sort(), ['checkMs', 'dumpMs', 'inspectMs', 'totalMs']);
      for (const [key, ms] of Object.entries(t)) assert.ok(Number.isInteger(ms) && ms >= 0, `timings.${key}`);
      assert.ok(t.totalMs >= t.dumpMs + t.checkMs, 'the total includes dump and check');
      assert.ok(Date.parse(m.startedAt) <= Date.parse(m.completedAt));

      assert.equal(m.files.length, 1);
      const [file] = m.files;
      const onDisk = path.join(folder, entry.prefix, file.name);
      assert.deepEqual(listFiles(path.join(folder, entry.prefix)), [file.name, 'manifest.json'].sort(), 'the backup folder holds the payload and the manifest, nothing else');
      assert.equal(file.codec, 'gzip');
      assert.equal(file.size, fs.statSync(onDisk).size);
      assert.equal(file.sha256, sha256File(onDisk));
      const content = storedContent(onDisk, 'gzip');
      assert.equal(file.contentSize, content.length);
      // A dump stream has no second SHA-256 of its content: the stored one and gzip's CRC prove it (manifest.ts).
      assert.equal(file.contentSha256, undefined);
      assert.equal(content.subarray(0, 5).toString('latin1'), 'PGDMP', 'the content is a pg_dump custom archive');

      assert.equal(m.verifications.length, 1);
      assert.equal(m.verifications[0].kind, 'at-backup');
      assert.equal(m.verifications[0].ok, true);
      assert.deepEqual(m.verifications[0].checks.map(x => x.name), ['pg_restore --list', 'sha256']);
      assert.equal(m.parent, null);
      assert.equal(m.encryption, null);
    });

    it('directory format: one manifest entry per file pg_dump wrote, each with its size and SHA-256', async () => {
      const folder = tmp.file('manifest-directory');
      const { ctx } = engineContext(folder);
      const entry = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip', format: 'directory', jobs: 2, level: 1 }, ctx, target.access);
      const m = entry.manifest;
      assert.equal(m.kind, 'pg_dump-directory');
      assert.deepEqual(m.options, { format: 'directory', compressor: 'tool', codec: 'gzip', level: 1, jobs: 2, toolDir: SYSTEM_PG_BIN_DIR });
      const names = storedNames(entry, folder);
      assert.deepEqual(m.files.map(f => f.name).sort(), names);
      assert.ok(names.includes('toc.dat'));
      assert.equal(names.filter(n => n.endsWith('.dat.gz')).length, Object.keys(CHINOOK_ROW_COUNTS).length, 'one data file per table');
      for (const f of m.files) {
        const onDisk = path.join(folder, entry.prefix, f.name);
        assert.deepEqual([f.size, f.sha256, f.codec, f.contentSize, f.contentSha256], [fs.statSync(onDisk).size, sha256File(onDisk), 'none', f.size, f.sha256], f.name);
      }
    });

    it('plain format: rows counted in the COPY data, per table', async () => {
      const folder = tmp.file('manifest-plain');
      const { ctx } = engineContext(folder);
      const entry = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip', format: 'plain' }, ctx, target.access);
      const rows = Object.fromEntries(entry.manifest.tables.map(t => [t.name, t.rows]));
      assert.deepEqual(rows, CHINOOK_ROW_COUNTS);
      const [file] = entry.manifest.files;
      const sql = storedContent(path.join(folder, entry.prefix, file.name), 'gzip').toString('utf8');
      assert.match(sql, /-- PostgreSQL database dump complete/);
      assert.equal(file.contentSize, Buffer.byteLength(sql, 'utf8'));
      assert.equal(file.contentSha256, undefined);
    });
  });

  describe('verify', () => {
    for (const format of [FORMATS[0], FORMATS[2]]) {
      it(`${format.name}: quick and deep (a restore drill) pass, are recorded, and leave no drill database`, async () => {
        const folder = tmp.file(`verify-${format.options.format ?? 'custom'}`);
        const { ctx } = engineContext(folder);
        const entry = await backupDatabase(server.connectionFor(CHINOOK), format.options, ctx, target.access);
        const before = listFiles(folder);

        // A quick verify needs no server: it reads the stored files.
        const quick = await verifyBackup(entry, ctx, {});
        assert.equal(quick.ok, true, JSON.stringify(quick.checks));
        assert.equal(quick.kind, 'quick');
        assert.deepEqual(quick.checks.map(c => [c.name, c.ok]), [['sha256', true], ['pg_restore --list', true]]);
        assert.equal(quick.restoreMs, undefined);

        const deep = await verifyBackup(entry, ctx, { deep: true, jobs: format.options.format === 'directory' ? 2 : 1 }, target);
        assert.equal(deep.ok, true, JSON.stringify(deep.checks));
        assert.equal(deep.kind, 'restore-drill');
        assert.ok(typeof deep.restoreMs === 'number' && deep.restoreMs > 0, 'the drill records how long the restore took');
        const counts = deep.checks.find(c => c.name === 'row counts');
        assert.equal(counts?.ok, true);
        assert.match(counts!.detail, new RegExp(`^${Object.keys(CHINOOK_ROW_COUNTS).length} tables, ${CHINOOK_TOTAL_ROWS} rows`));
        assert.deepEqual(await databasesLike(server, 'lifeboat\\_drill\\_%'), [], 'the drill database is dropped');

        const manifest = await readManifest(ctx.destination, entry.prefix);
        assert.deepEqual(manifest.verifications.map(v => [v.kind, v.ok]), [['at-backup', true], ['quick', true], ['restore-drill', true]]);
        assert.equal(manifest.verifications[2].restoreMs, deep.restoreMs);
        const records = listFiles(folder).filter(f => f.startsWith(`${entry.prefix}/verifications/`));
        assert.equal(records.length, 2, 'one record per verification, beside the manifest');
        assert.deepEqual(listFiles(folder).filter(f => !records.includes(f)), before, 'verification adds no other file');
        assertNoScratch(folder, 'verify');
      });
    }

    it('hostile: a restore drill counts "a.b".c and a."b.c" apart, and every table of the hostile database matches', async () => {
      const { ctx } = engineContext(tmp.file('verify-hostile'));
      const entry = await backupDatabase(server.connectionFor(HOSTILE), { codec: 'gzip' }, ctx, target.access);
      const deep = await verifyBackup(entry, ctx, { deep: true }, target);
      assert.equal(deep.ok, true, JSON.stringify(deep.checks));
      const tablesWithRows = await server.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`, HOSTILE);
      const counted = /^(\d+) tables/.exec(deep.checks.find(c => c.name === 'row counts')!.detail)?.[1];
      // Materialized views are refreshed on restore, not copied: they hold no rows in the archive.
      assert.equal(counted, tablesWithRows[0].n, 'one count per table, none merged by an ambiguous name');
    });

    it('a flipped byte: quick verify fails, and restore refuses with a verification error, leaving no database', async () => {
      const folder = tmp.file('verify-flipped');
      const { ctx } = engineContext(folder);
      const entry = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip' }, ctx, target.access);
      const stored = path.join(folder, entry.prefix, entry.manifest.files[0].name);
      const untouched = await verifyBackup(entry, ctx, {}, target);
      assert.equal(untouched.ok, true, 'intact before the flip');
      flipByte(stored, 0.5);

      const quick = await verifyBackup(entry, ctx, {}, target);
      assert.equal(quick.ok, false);
      const failed = quick.checks.filter(c => !c.ok);
      assert.equal(failed.length, 1);
      assert.match(failed[0].detail, /database\.dump\.gz (is damaged|does not decompress)/);
      assert.deepEqual((await readManifest(ctx.destination, entry.prefix)).verifications.map(v => v.ok), [true, true, false], 'the failure is recorded');

      const database = newName('from a damaged archive');
      const error = await expectLifeboatError(restoreBackup(entry, { target: database }, ctx, target), 'verification', /database\.dump\.gz (is damaged|does not decompress)/);
      assert.match(error.hint ?? '', /another copy/);
      assert.equal(await databaseExists(server, database), false, 'the half-restored database is dropped');
      assert.deepEqual(everything(folder).filter(p => p.split('/').includes(SCRATCH_FOLDER)), []);
    });
  });

  describe('restore choices', () => {
    let chinookBackup: { entry: CatalogEntry; ctx: ReturnType<typeof engineContext>['ctx'] };
    before(async () => {
      const { ctx } = engineContext(tmp.file('choices'));
      chinookBackup = { entry: await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip', compressor: 'tool' }, ctx, target.access), ctx };
    });

    /** Relations (tables, partitions, matviews) of a database, quoted as tableChecksums keys them. */
    const relationsOf = async (database: string) => (await server.query<{ name: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1`, database)).map(r => r.name);

    it('Chinook: only the chosen tables, with every row of the source', async () => {
      const database = newName('two tables');
      const result = await restoreBackup(chinookBackup.entry, { target: database, tables: ['public.album', 'public.artist'] }, chinookBackup.ctx, target);
      assert.ok(result.engine === 'postgres' && result.createdDatabase);
      assert.deepEqual(await relationsOf(database), ['public.album', 'public.artist']);
      const restored = await tableChecksums(server, database);
      for (const table of ['public.album', 'public.artist']) assert.equal(restored[table], images[CHINOOK].checksums[table], table);
      // What comparing the table with production needs: its key (and its indexes) came along,
      // but not the foreign key to a table that was not restored.
      const constraints = await server.query<{ conname: string; contype: string }>(
        "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'public.album'::regclass ORDER BY 1", database);
      assert.deepEqual(constraints.map(c => c.contype), ['p'], `album keeps its primary key and only that: ${JSON.stringify(constraints)}`);
    });

    it('refuses a table name with text after it (an injection-shaped name is not read as its first part), before creating anything', async () => {
      const database = newName('never');
      const { entry, ctx } = chinookBackup;
      await expectLifeboatError(restoreBackup(entry, { target: database, tables: ['public.album"; drop table public.artist; --'] }, ctx, target),
        'usage', /^"public\.album"; drop table public\.artist; --" is not one schema-qualified table name\.$/);
      assert.equal(await databaseExists(server, database), false);
    });

    it('refuses parallel jobs into an existing database (it must run as one transaction)', async () => {
      const { entry, ctx } = chinookBackup;
      await expectLifeboatError(restoreBackup(entry, { target: CHINOOK, overwrite: true, jobs: 2 }, ctx, target), 'usage', /one transaction/);
    });

    it('hostile: names are exact (public.UPPER is not public.upper) and an odd schema is created for its table', async () => {
      const { ctx } = engineContext(tmp.file('choices-hostile'));
      const entry = await backupDatabase(server.connectionFor(HOSTILE), { codec: 'gzip', compressor: 'tool' }, ctx, target.access);
      const database = newName('hostile tables');
      // A schema name with quotes and spaces is written quoted, as SQL would (tableNames.ts).
      const unlogged = displayName(HOSTILE_SCHEMA, 'unlogged ☃');
      await restoreBackup(entry, { target: database, tables: ['public.UPPER', unlogged] }, ctx, target);
      const keys = [`public.${quoteIdent('UPPER')}`, `${quoteIdent(HOSTILE_SCHEMA)}.${quoteIdent('unlogged ☃')}`];
      assert.deepEqual(await relationsOf(database), [...keys].sort());
      const restored = await tableChecksums(server, database);
      for (const key of keys) assert.equal(restored[key], images[HOSTILE].checksums[key], key);
    });

    it('refuses an existing database unless told to restore into it, and a missing one when told to', async () => {
      const { entry, ctx } = chinookBackup;
      await expectLifeboatError(restoreBackup(entry, { target: CHINOOK }, ctx, target), 'already-exists', /The database "chinook" already exists on 127\.0\.0\.1:\d+/);
      await expectLifeboatError(restoreBackup(entry, { target: 'no such database', overwrite: true }, ctx, target), 'not-found', /"no such database" does not exist/);
      assert.equal(await databaseExists(server, 'no such database'), false);
      assert.deepEqual(await tableChecksums(server, CHINOOK), images[CHINOOK].checksums, 'the existing database is untouched');
    });

    it('into an existing database: without clean a conflict changes nothing; with clean it holds the backup again', async () => {
      const { entry, ctx } = chinookBackup;
      const existing = newName('existing');
      await restoreBackup(entry, { target: existing }, ctx, target);
      await server.query(`DELETE FROM public.playlist_track WHERE playlist_id = 1;
        UPDATE public.track SET name = 'changed' WHERE track_id = 1;
        CREATE TABLE public.not_in_the_backup (id integer); INSERT INTO public.not_in_the_backup VALUES (1);`, existing);
      const changed = await tableChecksums(server, existing);
      assert.notDeepEqual(changed, images[CHINOOK].checksums);

      // Every object already exists: pg_restore fails, in one transaction, so nothing is changed and the database stays.
      await expectLifeboatError(restoreBackup(entry, { target: existing, overwrite: true }, ctx, target), 'io', /already exists/);
      assert.deepEqual(await tableChecksums(server, existing), changed, 'a failed restore into an existing database changes nothing');

      const result = await restoreBackup(entry, { target: existing, overwrite: true, clean: true }, ctx, target);
      assert.ok(result.engine === 'postgres');
      assert.equal(result.createdDatabase, false);
      const { 'public.not_in_the_backup': kept, ...restored } = await tableChecksums(server, existing);
      assert.deepEqual(restored, images[CHINOOK].checksums, 'the backup\'s tables hold exactly the backed-up rows again');
      assert.match(kept, /^table: 1 rows/, 'clean drops only the backup\'s objects');
    });
  });

  describe('secrets', () => {
    it('no pg_dump, pg_restore or psql gets the password in argv or its environment; PGPASSFILE is private and removed', async () => {
      const folder = tmp.file('secrets');
      const { ctx } = engineContext(folder);
      const { seen } = await watching(TOOLS, async () => {
        const custom = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip', compressor: 'tool' }, ctx, target.access);
        await restoreBackup(custom, { target: newName('secrets custom') }, ctx, target);
        const plain = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip', format: 'plain' }, ctx, target.access);
        await restoreBackup(plain, { target: newName('secrets plain') }, ctx, target);
        await verifyBackup(custom, ctx, { deep: true }, target);
      });
      assertNoSecrets(seen, server.password, ['pg_dump', 'pg_restore', 'psql']);
    });

    it('passwordEnv: no child gets the variable or the password, the tools\' --version probes included', async () => {
      const folder = tmp.file('password-env');
      const variable = 'LIFEBOAT_TEST_PG_PASSWORD';
      const { ok: cli } = configuredCli(path.join(folder, 'lifeboat.json'), {
        backupFolder: 'backups',
        connections: [{ id: 'chinook', name: 'Chinook', engine: 'postgres', host: '127.0.0.1', port: server.port, user: server.user, database: CHINOOK, passwordEnv: variable }],
      }, { [variable]: server.password });
      const { seen } = await watching(TOOLS, async () => {
        for (const format of ['custom', 'plain']) {
          const { id } = json<{ backup: { id: string } }>(await cli('backup', 'chinook', '--format', format)).backup;
          await cli('restore', id, '--database', `password-env ${format}`);
          if (format === 'custom') await cli('verify', id, '--deep');
        }
      });
      assertNoSecrets(seen, server.password, ['pg_dump', 'pg_restore', 'psql']);
      assertVariableWithheld(seen, variable, server.password);

      // The SQLite checker is a child too (a Node process of its own).
      const sqliteFile = path.join(folder, 'app.db');
      createSampleDatabase(sqliteFile);
      const { seen: checkers } = await environsWhile(/sqliteChecker\.js/, () => cli('backup', sqliteFile));
      assert.ok(checkers.length > 0, 'the SQLite checker was observed');
      for (const { pid, environ } of checkers) assert.ok(!environ.includes(variable) && !environ.includes(server.password), `the checker (pid ${pid}) has neither ${variable} nor the password`);
    });
  });

  describe('CLI', () => {
    it('backs up (directory, 2 jobs), lists, verifies deep and restores with 2 jobs, with the password in a 0600 file', async () => {
      const folder = tmp.file('cli');
      fs.mkdirSync(folder);
      const passwordFile = path.join(folder, 'chinook.password');
      fs.writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
      const config = path.join(folder, 'lifeboat.json');
      fs.writeFileSync(config, JSON.stringify({
        backupFolder: 'backups',
        connections: [{ id: 'chinook', name: 'Chinook', engine: 'postgres', host: '127.0.0.1', port: server.port, user: server.user, database: CHINOOK, passwordFile: 'chinook.password' }],
      }));
      const cli = async (...args: string[]) => {
        const result = await runCli(['--config', config, ...args, '--json']);
        assert.ok(!result.stdout.includes(server.password) && !result.stderr.includes(server.password), 'the password is never printed');
        return result;
      };

      // pg_dump compresses the directory format's files, and version 15 only with gzip (zstd, the default, from 16).
      const { result: backup, seen } = await watching(TOOLS, () => cli('backup', 'chinook', '--format', 'directory', '--jobs', '2', '--compression', 'gzip'));
      assert.equal(backup.code, 0, backup.stderr);
      assertNoSecrets(seen, server.password, ['pg_dump', 'pg_restore']);
      const made = json<{ ok: boolean; backup: { id: string; location: string; manifest: { options: Record<string, unknown>; files: unknown[] } } }>(backup).backup;
      assert.equal(made.location, path.join(folder, 'backups', 'chinook', made.id));
      assert.deepEqual([made.manifest.options.format, made.manifest.options.jobs], ['directory', 2]);
      assert.ok(fs.existsSync(path.join(made.location, 'manifest.json')));

      const list = await cli('list');
      assert.equal(list.code, 0, list.stderr);
      const listed = json<{ backups: { id: string; connection: string; engine: string; bytes: number }[] }>(list).backups;
      assert.deepEqual(listed.map(b => [b.id, b.connection, b.engine]), [[made.id, 'chinook', 'postgres']]);
      assert.ok(listed[0].bytes > 0);

      const verify = await cli('verify', made.id, '--deep');
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      const verification = json<{ ok: boolean; verification: { kind: string; ok: boolean; restoreMs?: number } }>(verify);
      assert.deepEqual([verification.ok, verification.verification.kind, verification.verification.ok], [true, 'restore-drill', true]);
      assert.ok((verification.verification.restoreMs ?? 0) > 0);
      assert.deepEqual(await databasesLike(server, 'lifeboat\\_drill\\_%'), []);

      const database = 'restored by the CLI';
      const restore = await cli('restore', made.id, '--database', database, '--jobs', '2');
      assert.equal(restore.code, 0, restore.stdout + restore.stderr);
      const restored = json<{ ok: boolean; restore: { database: string; readFrom: string; createdDatabase: boolean } }>(restore);
      assert.deepEqual([restored.ok, restored.restore.database, restored.restore.readFrom, restored.restore.createdDatabase], [true, database, 'stored file', true]);
      await assertSameDatabase(server, database, images[CHINOOK], 'restored by the CLI');

      // Into an existing database only with its name typed again.
      const unconfirmed = await runCli(['--config', config, 'restore', made.id, '--database', database, '--into-existing']);
      assert.equal(unconfirmed.code, 2, unconfirmed.stderr);
      assert.match(unconfirmed.stderr, /Restoring into the existing database "restored by the CLI" changes it; confirm with --confirm "restored by the CLI"/);
      const wrongName = await runCli(['--config', config, 'restore', made.id, '--database', database, '--into-existing', '--confirm', CHINOOK]);
      assert.equal(wrongName.code, 2, 'a different name does not confirm');
      const existing = await runCli(['--config', config, 'restore', made.id, '--database', database, '--json']);
      assert.equal(existing.code, 2, 'without --into-existing an existing database is refused');
      assert.equal(json<{ error: { code: string } }>(existing).error.code, 'already-exists');
      assertNoScratch(path.join(folder, 'backups'), 'CLI');
    });
  });
});
