import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readManifest, writeManifest, type CatalogEntry } from '../../src/core/catalog';
import type { Codec } from '../../src/core/manifest';
import { backupDatabase, restoreBackup, verifyBackup, type BackupOptions, type ServerTarget } from '../../src/engines';
import { findMysqlTools } from '../../src/engines/mysql/tools';
import { configuredCli, json, runCli } from '../support/cli';
import { engineContext, monotonic } from '../support/engineContext';
import { sha256File } from '../support/hash';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import {
  CHINOOK_MYSQL_ROWS, HOSTILE_TABLE, NO_KEY_TABLE, createHostileMysqlDatabase, loadChinookMysql, objectDefinitions, tableChecksums,
} from '../support/mysqlFidelity';
import {
  assertNoScratch, assertNothingKept, assertVariableWithheld, expectLifeboatError, flipByte, runningTools, sha256Bytes, watching, type SeenTool,
} from '../support/pgBackupSupport';
import { stopServersAfterTests } from '../support/serverHarness';
import { listFiles, tempFolder } from '../support/temp';

// MariaDB through Lifeboat's engine API and CLI, against a throwaway MariaDB 10.11 server with the
// binary log on and a password full of option-file pitfalls: a backup restored into a new
// database equals the source (SHOW CREATE of every object, every row of every table), the manifest
// holds the binary-log position and the rows per table, verification (quick and a restore drill)
// passes and catches damage, chosen-table and existing-database restores do what they promise,
// failures say what to do and leave nothing behind, and no password reaches a child's argv.

stopServersAfterTests();

const HOSTILE = 'hostile `db` ☃';
const CHINOOK = 'chinook';
const TOOLS = ['mariadb-dump', 'mariadb'];
// Characters an option file treats specially: quotes, '#' (a comment), backslash, spaces, '='.
const PASSWORD = 'p"a#s\\w o\'rd = ☃';

describe('MariaDB backup → restore → verify', () => {
  let server: MariadbServer;
  let target: ServerTarget;
  const tmp = tempFolder('lifeboat-mysql-');
  const images: Record<string, { definitions: Record<string, unknown>; rows: Awaited<ReturnType<typeof tableChecksums>> }> = {};
  const backups = new Map<string, CatalogEntry>();
  let folder: string;

  before(async () => {
    server = await startMariadb({ password: PASSWORD, settings: { log_bin: 'binlog', server_id: 1, binlog_format: 'ROW' } });
    await createHostileMysqlDatabase(server, HOSTILE);
    await loadChinookMysql(server, CHINOOK);
    for (const db of [HOSTILE, CHINOOK]) images[db] = { definitions: await objectDefinitions(server, db), rows: await tableChecksums(server, db) };
    target = { connection: server.connectionFor(), access: { password: PASSWORD } };
    folder = tmp.file('backups');
  });
  after(async () => {
    await server?.stop();
    tmp.dispose();
  });

  async function backupOf(database: string, options: BackupOptions): Promise<CatalogEntry> {
    const { ctx, progress } = engineContext(folder);
    const entry = await backupDatabase(server.connectionFor(database), options, ctx, target.access);
    assert.ok(monotonic(progress), 'progress never goes back');
    assert.equal(progress.at(-1)?.fraction, 1);
    return entry;
  }

  async function assertSame(database: string, source: string, label: string): Promise<void> {
    assert.deepEqual(await objectDefinitions(server, database), images[source].definitions, `${label}: SHOW CREATE of every object`);
    assert.deepEqual(await tableChecksums(server, database), images[source].rows, `${label}: every row of every table`);
  }

  const CASES: { source: string; codec: Codec }[] = [
    { source: HOSTILE, codec: 'gzip' }, { source: CHINOOK, codec: 'none' }, { source: HOSTILE, codec: 'zstd' },
  ];
  describe('fidelity: restored into a new database, every object and row is identical', () => {
    for (const { source, codec } of CASES) {
      it(`${source === HOSTILE ? 'hostile' : 'Chinook'}: ${codec}`, async () => {
        const entry = await backupOf(source, { codec });
        backups.set(`${source}/${codec}`, entry);
        const m = entry.manifest;
        assert.equal(m.kind, 'mysql-dump-sql');
        assert.deepEqual(m.server.product, 'MariaDB');
        assert.equal(m.files.length, 1);
        assert.equal(m.files[0].codec, codec);
        const stored = path.join(folder, entry.prefix, m.files[0].name);
        assert.equal(await sha256File(stored), m.files[0].sha256, 'the stored file is what the manifest says');
        const expectedRows = Object.fromEntries(Object.entries(images[source].rows).map(([t, r]) => [t, r.rows]));
        assert.deepEqual(Object.fromEntries(m.tables.map(t => [t.name, t.rows])), expectedRows, 'rows per table, counted in the dump');
        const database = `restored ${source} ${codec}`;
        const { ctx } = engineContext(folder);
        const result = await restoreBackup(entry, { target: database }, ctx, target);
        assert.equal(result.engine, 'mysql');
        await assertSame(database, source, `${source} ${codec}`);
        assertNoScratch(folder, 'after restore');
      });
    }
    it('Chinook holds what its script loads', () => {
      assert.deepEqual(Object.fromEntries(Object.entries(images[CHINOOK].rows).map(([t, r]) => [t, r.rows])), CHINOOK_MYSQL_ROWS);
    });
  });

  describe('manifest', () => {
    it('records the binary-log position and GTID inside the snapshot, the tool, its options and the source charset', async () => {
      const m = (backups.get(`${HOSTILE}/gzip`) ?? await backupOf(HOSTILE, { codec: 'gzip' })).manifest;
      const [status] = await server.queryAsRoot<{ File: string; Position: number }>('SHOW MASTER STATUS');
      assert.equal(m.consistency.binlogEnabled, true);
      assert.match(String(m.consistency.binlogFile), /^binlog\.\d{6}$/);
      assert.equal(m.consistency.binlogFile, status.File);
      assert.ok(Number(m.consistency.binlogPosition) > 0 && Number(m.consistency.binlogPosition) <= Number(status.Position));
      assert.match(String(m.consistency.gtid), /^\d+-\d+-\d+/);
      assert.equal(m.tool.name, 'mariadb-dump');
      assert.ok((m.options.toolArgs as string[]).includes('--single-transaction') && (m.options.toolArgs as string[]).includes('--master-data=2'));
      assert.ok(!(m.options.toolArgs as string[]).some(a => a.includes(PASSWORD)));
      assert.equal(m.consistency.charset, 'latin1');
      assert.equal(m.consistency.views, 2);
    });

    it('schema only: no rows, every definition', async () => {
      const entry = await backupOf(HOSTILE, { codec: 'gzip', schemaOnly: true });
      assert.ok(entry.manifest.tables.every(t => t.rows === 0));
      const database = 'schema only';
      await restoreBackup(entry, { target: database }, engineContext(folder).ctx, target);
      assert.deepEqual(await objectDefinitions(server, database), images[HOSTILE].definitions);
    });
  });

  describe('verify', () => {
    it('quick and deep (a restore drill) pass, are recorded with the restore time, and leave no drill database', async () => {
      const entry = backups.get(`${CHINOOK}/none`) ?? await backupOf(CHINOOK, { codec: 'none' });
      const quick = await verifyBackup(entry, engineContext(folder).ctx, {});
      assert.equal(quick.ok, true, JSON.stringify(quick.checks));
      const deep = await verifyBackup(entry, engineContext(folder).ctx, { deep: true }, target);
      assert.equal(deep.ok, true, JSON.stringify(deep.checks));
      assert.ok((deep.restoreMs ?? 0) > 0);
      assert.match(deep.checks.find(c => c.name === 'row counts')!.detail, /11 tables, 15607 rows/);
      const kept = await readManifest(engineContext(folder).destination, entry.prefix);
      assert.deepEqual(kept.verifications.map(v => v.kind), ['at-backup', 'quick', 'restore-drill']);
      assert.deepEqual(await server.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'lifeboat\\_drill%'"), []);
    });

    it('a flipped byte: quick verify fails, and restore refuses, leaving no database', async () => {
      const entry = await backupOf(CHINOOK, { codec: 'gzip' });
      flipByte(path.join(folder, entry.prefix, entry.manifest.files[0].name), 0.5);
      const quick = await verifyBackup(entry, engineContext(folder).ctx, {});
      assert.equal(quick.ok, false);
      await expectLifeboatError(restoreBackup(entry, { target: 'from damaged' }, engineContext(folder).ctx, target), 'verification', /damaged|does not decompress/);
      assert.deepEqual(await server.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'from damaged'"), []);
    });
  });

  describe('restore choices', () => {
    it('only the chosen table, with its triggers and every row', async () => {
      const entry = backups.get(`${HOSTILE}/gzip`) ?? await backupOf(HOSTILE, { codec: 'gzip' });
      const database = 'one table';
      await restoreBackup(entry, { target: database, tables: [HOSTILE_TABLE] }, engineContext(folder).ctx, target);
      const definitions = await objectDefinitions(server, database);
      assert.deepEqual(Object.keys(definitions).sort(), ['database', `table ${HOSTILE_TABLE}`, 'trigger before `insert` ☃'].sort());
      assert.equal(definitions[`table ${HOSTILE_TABLE}`], images[HOSTILE].definitions[`table ${HOSTILE_TABLE}`]);
      assert.deepEqual((await tableChecksums(server, database))[HOSTILE_TABLE], images[HOSTILE].rows[HOSTILE_TABLE]);
      await expectLifeboatError(restoreBackup(entry, { target: 'nope', tables: ['missing'] }, engineContext(folder).ctx, target), 'not-found', /holds no table "missing"/);
    });

    it('refuses an existing database unless told; told, replaces its tables with the backup\'s', async () => {
      const entry = backups.get(`${HOSTILE}/gzip`) ?? await backupOf(HOSTILE, { codec: 'gzip' });
      const database = 'existing one';
      await server.createDatabase(database);
      await server.query(`CREATE TABLE \`${NO_KEY_TABLE}\` (a INT)`, database);
      await server.query(`INSERT INTO \`${NO_KEY_TABLE}\` VALUES (42)`, database);
      await expectLifeboatError(restoreBackup(entry, { target: database }, engineContext(folder).ctx, target), 'already-exists', /already exists/);
      await expectLifeboatError(restoreBackup(entry, { target: 'not there', overwrite: true }, engineContext(folder).ctx, target), 'not-found', /does not exist/);
      await restoreBackup(entry, { target: database, overwrite: true }, engineContext(folder).ctx, target);
      assert.deepEqual((await tableChecksums(server, database))[NO_KEY_TABLE], images[HOSTILE].rows[NO_KEY_TABLE]);
    });

    it('a statement the server rejects: the error names the line of the dump, and the new database is dropped', async () => {
      const entry = await backupOf(CHINOOK, { codec: 'none' });
      const file = path.join(folder, entry.prefix, entry.manifest.files[0].name);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      // Between two statements, so the client's line number is this line's.
      const at = lines.findIndex(line => line.startsWith('DROP TABLE IF EXISTS'));
      lines.splice(at, 0, 'THIS IS NOT SQL;');
      const bad = Buffer.from(lines.join('\n'));
      fs.writeFileSync(file, bad);
      const hash = sha256Bytes(bad);
      entry.manifest.files[0] = { ...entry.manifest.files[0], size: bad.length, sha256: hash, contentSize: bad.length, contentSha256: hash };
      await writeManifest(engineContext(folder).destination, entry.prefix, entry.manifest);
      const error = await expectLifeboatError(restoreBackup(entry, { target: 'bad line' }, engineContext(folder).ctx, target), 'io', new RegExp(`stopped at line ${at + 1} of the dump: .*error 1064`));
      assert.match(error.hint ?? '', /full output is kept/);
      assert.deepEqual(await server.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'bad line'"), []);
    });
  });

  describe('failures', () => {
    it('a wrong password says so and keeps nothing', async () => {
      const empty = tmp.file('wrong-password');
      const { ctx } = engineContext(empty);
      await expectLifeboatError(backupDatabase(server.connectionFor(CHINOOK), { codec: 'gzip' }, ctx, { password: 'wrong' }), 'connection', /refused user "lifeboat_test" with this password/);
      assertNothingKept(empty, 'wrong password');
    });

    it('the dump tool fails (a view over a dropped table): the error quotes it and names the kept log, which holds its words; a backup that succeeds keeps no log', async () => {
      const broken = 'broken view';
      await server.createDatabase(broken);
      for (const sql of ['CREATE TABLE t (id INT PRIMARY KEY)', 'CREATE TABLE gone (id INT)', 'CREATE VIEW v AS SELECT id FROM gone', 'DROP TABLE gone']) await server.query(sql, broken);
      const failed = tmp.file('failed-dump');
      const error = await expectLifeboatError(backupDatabase(server.connectionFor(broken), { codec: 'gzip' }, engineContext(failed).ctx, target.access), 'io',
        /Couldn't execute 'SHOW FIELDS FROM `v`'/);
      const log = /The tool's full output is in (.+)\.$/.exec(error.hint ?? '')?.[1];
      assert.ok(log && fs.existsSync(log), `the log the hint names exists: ${error.hint}`);
      assert.match(fs.readFileSync(log, 'utf8'), /^mariadb-dump: Couldn't execute 'SHOW FIELDS FROM `v`'/m);
      assert.deepEqual(listFiles(failed), [path.relative(failed, log)], 'only the log is kept: no payload, marker or scratch');
      assert.match(error.message, /^The dump failed: Couldn't execute 'SHOW FIELDS FROM `v`': View 'broken view\.v' references invalid table.*\(1356\)\.$/, 'the message quotes the tool\'s error line alone');

      await server.query('DROP VIEW v', broken);
      const fine = tmp.file('fine-dump');
      await backupDatabase(server.connectionFor(broken), { codec: 'gzip' }, engineContext(fine).ctx, target.access);
      assert.deepEqual(listFiles(fine).filter(f => f.startsWith('.')), [], 'a backup that succeeds keeps no log');
    });

    it('no client tools: says what to install and where to point Lifeboat', async () => {
      const emptyDir = tmp.file('no-tools');
      fs.mkdirSync(emptyDir, { recursive: true });
      const saved = process.env.PATH;
      process.env.PATH = emptyDir;
      try {
        await expectLifeboatError(findMysqlTools('MariaDB', '10.11.19', { binDir: emptyDir, places: [] }), 'not-found',
          /found no mariadb-dump or mysqldump.*needs MariaDB's mariadb-dump/);
        const error = await expectLifeboatError(findMysqlTools('MySQL', '8.4.3', { places: ['/usr/bin'] }), 'not-found', /MySQL 8\.4\.3, and Lifeboat found mariadb-dump 10\.11\.\d+ \(MariaDB\)/);
        assert.match(error.hint ?? '', /lifeboat\.mysql\.binDir/);
      } finally {
        process.env.PATH = saved;
      }
    });

    it('Cancel halfway: the dump is killed and nothing is kept; a cancelled restore drops its database', async () => {
      const big = 'big';
      await server.createDatabase(big);
      await server.query('CREATE TABLE big (id INT PRIMARY KEY, payload TEXT)', big);
      await server.query("INSERT INTO big SELECT seq, REPEAT(MD5(seq), 6) FROM seq_1_to_300000", big);
      const cancelled = tmp.file('cancelled');
      const controller = new AbortController();
      const { ctx } = engineContext(cancelled, { signal: controller.signal });
      ctx.onProgress = u => { if (u.message.startsWith('Dumping big')) setTimeout(() => controller.abort(), 200); };
      await expectLifeboatError(backupDatabase(server.connectionFor(big), { codec: 'gzip' }, ctx, target.access), 'cancelled', /cancelled/i);
      assert.deepEqual(runningTools(TOOLS), [], 'no dump tool is left running');
      assertNothingKept(cancelled, 'cancelled backup');

      const entry = await backupOf(big, { codec: 'none' });
      const stop = new AbortController();
      const restoring = engineContext(folder, { signal: stop.signal });
      restoring.ctx.onProgress = u => { if (u.fraction > 0.3) stop.abort(); };
      await expectLifeboatError(restoreBackup(entry, { target: 'cancelled restore' }, restoring.ctx, target), 'cancelled', /cancelled/i);
      assert.deepEqual(runningTools(TOOLS), [], 'no client is left running');
      assert.deepEqual(await server.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'cancelled restore'"), []);
    });
  });

  describe('secrets', () => {
    it('no mariadb-dump or mariadb gets the password in argv or its environment; the option file is first, 0600, and removed', async () => {
      const { seen } = await watching(TOOLS, async () => {
        const entry = await backupOf(CHINOOK, { codec: 'gzip' });
        await verifyBackup(entry, engineContext(folder).ctx, { deep: true }, target);
        await restoreBackup(entry, { target: 'secrets' }, engineContext(folder).ctx, target);
      });
      assertNoMysqlSecrets(seen, PASSWORD);
    });

    it('passwordEnv: no child gets the variable or the password, the tools\' --version probes included', async () => {
      const variable = 'LIFEBOAT_TEST_MARIADB_PASSWORD';
      const { ok: cli } = configuredCli(path.join(tmp.file('password-env'), 'lifeboat.json'), {
        backupFolder: 'backups', compression: 'gzip',
        connections: [{ id: 'chinook', name: 'Chinook', engine: 'mysql', host: '127.0.0.1', port: server.port, user: server.user, database: CHINOOK, passwordEnv: variable }],
      }, { [variable]: PASSWORD });
      const { seen } = await watching(TOOLS, async () => {
        const { id } = json<{ backup: { id: string } }>(await cli('backup', 'chinook')).backup;
        await cli('verify', id, '--deep');
        await cli('restore', id, '--database', 'password env');
      });
      assertNoMysqlSecrets(seen, PASSWORD);
      assertVariableWithheld(seen, variable, PASSWORD);
    });
  });

  describe('CLI', () => {
    it('backs up, verifies deep and restores with the password in a 0600 file, and prints no password', async () => {
      const cliFolder = tmp.file('cli');
      fs.mkdirSync(cliFolder);
      fs.writeFileSync(path.join(cliFolder, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
      const config = path.join(cliFolder, 'lifeboat.json');
      fs.writeFileSync(config, JSON.stringify({
        backupFolder: 'backups', compression: 'gzip',
        connections: [{ id: 'chinook', name: 'Chinook', engine: 'mysql', host: '127.0.0.1', port: server.port, user: server.user, database: CHINOOK, passwordFile: 'pw' }],
      }));
      const cli = async (...args: string[]) => {
        const result = await runCli(['--config', config, ...args, '--json']);
        assert.ok(!result.stdout.includes(PASSWORD) && !result.stderr.includes(PASSWORD), 'the password is never printed');
        assert.equal(result.code, 0, result.stdout + result.stderr);
        return result;
      };
      const { result: backup, seen } = await watching(TOOLS, () => cli('backup', 'chinook'));
      assertNoMysqlSecrets(seen, PASSWORD, ['mariadb-dump']);
      const made = json<{ backup: { id: string; manifest: { engine: string; files: { codec: string }[] } } }>(backup).backup;
      assert.deepEqual([made.manifest.engine, made.manifest.files[0].codec], ['mysql', 'gzip']);
      const verify = json<{ verification: { kind: string; ok: boolean; restoreMs?: number } }>(await cli('verify', made.id, '--deep')).verification;
      assert.deepEqual([verify.kind, verify.ok], ['restore-drill', true]);
      const database = 'restored by the CLI';
      const restored = json<{ restore: { database: string; createdDatabase: boolean } }>(await cli('restore', made.id, '--database', database)).restore;
      assert.deepEqual([restored.database, restored.createdDatabase], [database, true]);
      assert.deepEqual(await tableChecksums(server, database), images[CHINOOK].rows);
    });
  });
});

/** Every dump tool and client seen got its credentials only from a 0600 option file given as its
 *  first argument, which is gone now; neither argv nor the environment held the password. */
function assertNoMysqlSecrets(seen: SeenTool[], password: string, expected = ['mariadb-dump', 'mariadb']): void {
  const connecting = seen.filter(s => s.complete && !s.argv.includes('--version'));
  for (const tool of expected) assert.ok(connecting.some(s => s.comm === tool), `a ${tool} run was observed (saw: ${seen.map(s => s.comm).join(', ')})`);
  for (const s of seen) {
    const what = `${s.comm} (pid ${s.pid}: ${s.argv.join(' ')})`;
    assert.ok(!s.argv.some(a => a.includes(password) || /^--password|^-p./.test(a)), `${what}: no password in argv`);
    assert.ok(!s.environ.includes(password), `${what}: the password is not in the environment`);
    assert.equal(s.env.MYSQL_PWD, undefined, `${what}: no MYSQL_PWD`);
  }
  for (const s of connecting) {
    const what = `${s.comm} (pid ${s.pid}: ${s.argv.join(' ')})`;
    assert.match(s.argv[1] ?? '', /^--defaults-extra-file=/, `${what}: the option file is the first argument`);
    assert.equal(s.passfileMode, 0o600, `${what}: the option file is 0600 while the tool runs`);
    assert.equal(fs.existsSync(s.passfile!), false, `${what}: ${s.passfile} is removed after the job`);
  }
}

