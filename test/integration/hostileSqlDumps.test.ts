import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, runCli } from '../support/cli';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { SYSTEM_PG_BIN_DIR, databaseExists, sha256Bytes } from '../support/pgBackupSupport';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { tempFolder } from '../support/temp';

// A backup folder is input from outside. A SQL backup edited to run commands on the machine that
// restores it, with its manifest's sizes and SHA-256s recomputed so that verify calls it intact,
// must not run them: psql gets Lifeboat's own \restrict first and refuses every meta-command
// (the error names the line), the MariaDB client runs with --binary-mode (no client commands).
// Each case has a canary file outside the backup folder that nothing may create.

stopServersAfterTests();

const PASSWORD_VARIABLE = 'LIFEBOAT_TEST_HOSTILE_PASSWORD';

describe('SQL backups edited to run commands on restore', () => {
  const tmp = tempFolder('lifeboat-hostile-sql');
  let postgres: PostgresServer;
  let mariadb: MariadbServer;
  let config: string;
  let cases = 0;
  const backups: Record<'pg' | 'maria', { folder: string; id: string; payload: string }> = {} as never;

  const cli = (args: string[], password: string) => runCli(['--config', config, ...args, '--json'], { env: { [PASSWORD_VARIABLE]: password } });

  before(async () => {
    [postgres, mariadb] = await Promise.all([startPostgres(), startMariadb()]);
    await postgres.createDatabase('shop');
    await postgres.query("CREATE TABLE public.items (id integer PRIMARY KEY, name text); INSERT INTO public.items SELECT g, 'item ' || g FROM generate_series(1, 50) AS g;", 'shop');
    await mariadb.createDatabase('shop');
    await mariadb.query('CREATE TABLE items (id INT PRIMARY KEY, name TEXT)', 'shop');
    await mariadb.query("INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_50", 'shop');
    config = tmp.file('lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({
      connections: [
        { id: 'pg', name: 'PG', engine: 'postgres', host: '127.0.0.1', port: postgres.port, user: postgres.user, database: 'shop', passwordEnv: PASSWORD_VARIABLE },
        { id: 'maria', name: 'Maria', engine: 'mysql', host: '127.0.0.1', port: mariadb.port, user: mariadb.user, database: 'shop', passwordEnv: PASSWORD_VARIABLE },
      ],
    }));
    for (const [connection, password, extra] of [['pg', postgres.password, ['--format', 'plain']], ['maria', mariadb.password, []]] as const) {
      const folder = tmp.file(`${connection}-original`);
      const made = await cli(['--backup-dir', folder, 'backup', connection, '--compression', 'none', ...extra], password);
      assert.equal(made.code, 0, made.stdout + made.stderr);
      const backup = json<{ backup: { id: string; manifest: { files: { name: string }[] } } }>(made).backup;
      backups[connection] = { folder, id: backup.id, payload: backup.manifest.files[0].name };
    }
  });
  after(async () => {
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
    tmp.dispose();
  });

  /**
   * A copy of the connection's backup whose SQL `edit` changed, with the manifest's sizes and
   * SHA-256s recomputed, in a backup folder of its own; verify --quick must call it intact.
   */
  async function editedBackup(connection: 'pg' | 'maria', password: string, edit: (lines: string[]) => string[]): Promise<string> {
    const original = backups[connection];
    const folder = tmp.file(`${++cases}-${connection}`);
    const backup = path.join(folder, connection, original.id);
    fs.cpSync(path.join(original.folder, connection, original.id), backup, { recursive: true });
    const file = path.join(backup, original.payload);
    const edited = Buffer.from(edit(fs.readFileSync(file, 'utf8').split('\n')).join('\n'));
    fs.writeFileSync(file, edited);
    const manifestFile = path.join(backup, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const hash = sha256Bytes(edited);
    manifest.files[0] = { ...manifest.files[0], size: edited.length, sha256: hash, contentSize: edited.length, contentSha256: hash };
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const verified = await cli(['--backup-dir', folder, 'verify', original.id, '--quick'], password);
    assert.equal(verified.code, 0, `verify calls the edited backup intact: ${verified.stdout}${verified.stderr}`);
    return folder;
  }

  describe('PostgreSQL, plain format: psql refuses every meta-command', () => {
    /** The dump's own \restrict line and the line after its first SQL statement. */
    const restrictLine = (lines: string[]) => lines.findIndex(l => /^\\restrict [A-Za-z0-9]+$/.test(l));
    const afterFirstStatement = (lines: string[]) => lines.findIndex(l => l.startsWith('SET ')) + 1;

    const CASES: { name: string; command: (canary: string, folder: string) => string; where?: 'instead of its \\restrict'; unrestrict?: boolean }[] = [
      { name: '\\! (the reported case: its \\restrict line removed)', command: canary => `\\! touch ${canary}`, where: 'instead of its \\restrict' },
      { name: '\\!', command: canary => `\\! touch ${canary}` },
      { name: '\\copy … to program', command: canary => `\\copy (SELECT 1) TO PROGRAM 'touch ${canary}'` },
      { name: '\\o |…', command: canary => `\\o |touch ${canary}` },
      { name: '\\g |…', command: canary => `SELECT 1 \\g |touch ${canary}` },
      { name: '\\i', command: (_canary, folder) => `\\i ${path.join(folder, 'evil.sql')}` },
      { name: '\\setenv', command: canary => `\\setenv PAGER 'touch ${canary}'` },
      { name: '\\gexec', command: () => "SELECT 'CREATE TABLE public.gexec_ran ()' \\gexec" },
      { name: '\\unrestrict with the dump\'s own key, then \\!', command: canary => `\\! touch ${canary}`, unrestrict: true },
    ];

    for (const c of CASES) {
      it(`${c.name}: the restore stops at it, names it, runs nothing and drops the new database`, async () => {
        const canary = tmp.file(`canary-${cases + 1}`);
        const outside = tmp.file(`outside-${cases + 1}`);
        fs.mkdirSync(outside);
        fs.writeFileSync(path.join(outside, 'evil.sql'), `\\! touch ${canary}\n`);
        const command = c.command(canary, outside);
        let inserted: string[] = [];
        const folder = await editedBackup('pg', postgres.password, lines => {
          const key = lines[restrictLine(lines)].split(' ')[1];
          inserted = c.unrestrict ? [`\\unrestrict ${key}`, command] : [command];
          const at = c.where ? restrictLine(lines) : afterFirstStatement(lines);
          return [...lines.slice(0, at), ...inserted, ...lines.slice(c.where ? at + 1 : at)].filter(l => !(c.where && /^\\unrestrict /.test(l)));
        });
        const edited = fs.readFileSync(path.join(folder, 'pg', backups.pg.id, backups.pg.payload), 'utf8').split('\n');
        const line = edited.indexOf(inserted[0]) + 1;

        const database = `hostile ${cases}`;
        const restore = await cli(['--backup-dir', folder, 'restore', backups.pg.id, '--database', database], postgres.password);
        assert.equal(fs.existsSync(canary), false, 'the command did not run');
        assert.equal(restore.code, 3, `exit 3, the backup is not what pg_dump wrote: ${restore.stdout}${restore.stderr}`);
        const error = json<{ error: { code: string; message: string } }>(restore).error;
        assert.equal(error.code, 'verification');
        assert.ok(error.message.startsWith(`The backup's SQL holds a psql meta-command at line ${line}: ${JSON.stringify(inserted[0])}. psql refused it`), error.message);
        assert.equal(await databaseExists(postgres, database), false, 'the new database was dropped');
      });
    }

    it('the unedited backup (with pg_dump\'s own \\restrict and \\unrestrict) restores', async () => {
      const restore = await cli(['--backup-dir', backups.pg.folder, 'restore', backups.pg.id, '--database', 'plain restored'], postgres.password);
      assert.equal(restore.code, 0, restore.stdout + restore.stderr);
      assert.deepEqual(await postgres.query('SELECT count(*)::int AS n FROM public.items', 'plain restored'), [{ n: 50 }]);
    });

    it('a psql without a safe \\restrict is refused before anything is created, naming the versions needed', async () => {
      // The machine's client tools, with a psql that reports a version from before the fix.
      const bin = tmp.file('old-psql');
      fs.mkdirSync(bin);
      for (const tool of ['pg_dump', 'pg_restore']) fs.symlinkSync(path.join(SYSTEM_PG_BIN_DIR, tool), path.join(bin, tool));
      fs.writeFileSync(path.join(bin, 'psql'), `#!/bin/sh\nif [ "$1" = --version ]; then echo 'psql (PostgreSQL) 15.18'; exit 0; fi\nexec ${path.join(SYSTEM_PG_BIN_DIR, 'psql')} "$@"\n`, { mode: 0o755 });
      const restore = await cli(['--backup-dir', backups.pg.folder, '--pg-bin-dir', bin, 'restore', backups.pg.id, '--database', 'never created'], postgres.password);
      assert.equal(restore.code, 2, restore.stdout + restore.stderr);
      assert.match(json<{ error: { message: string } }>(restore).error.message,
        /^psql 15\.18 in .*old-psql cannot be kept from running the shell commands .* restoring one needs psql 14\.24, 15\.19, 16\.15, 17\.11, 18\.6 or newer/);
      assert.equal(await databaseExists(postgres, 'never created'), false);
    });
  });

  describe('MariaDB: the client runs the dump with --binary-mode, which runs no client commands', () => {
    // "\!" is refused by the client itself; "system" (a command only at the prompt) goes to the server as SQL.
    for (const { command, refusal } of [
      { command: '\\! touch CANARY', refusal: /^mariadb into hostile maria exited with status 1: ERROR at line \d+: Unknown command '\\!'/ },
      { command: 'system touch CANARY', refusal: /^The restore stopped at line \d+ of the dump: .*error 1064/ },
    ]) {
      it(`"${command.split(' ')[0]}": the restore stops there, nothing runs, the new database is dropped`, async () => {
        const canary = tmp.file(`canary-${cases + 1}`);
        const folder = await editedBackup('maria', mariadb.password, lines => {
          // Without the line by which mariadb-dump asks the client for its sandbox mode (as the
          // reported PostgreSQL case was without pg_dump's \restrict).
          const unsandboxed = lines.filter(l => !/^\/\*M!999999\\- enable the sandbox mode \*\/ ?$/.test(l));
          assert.equal(unsandboxed.length, lines.length - 1, 'the dump asked for the sandbox mode');
          const at = unsandboxed.findIndex(l => l.startsWith('DROP TABLE IF EXISTS'));
          return [...unsandboxed.slice(0, at), command.replace('CANARY', canary), ...unsandboxed.slice(at)];
        });
        const restore = await cli(['--backup-dir', folder, 'restore', backups.maria.id, '--database', 'hostile maria'], mariadb.password);
        assert.equal(fs.existsSync(canary), false, 'the command did not run');
        assert.equal(restore.code, 1, restore.stdout + restore.stderr);
        assert.match(json<{ error: { message: string } }>(restore).error.message, refusal);
        assert.deepEqual(await mariadb.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'hostile maria'"), []);
      });
    }
  });
});
