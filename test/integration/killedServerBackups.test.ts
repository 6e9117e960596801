import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, runCli, startCli } from '../support/cli';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { createBigDatabase, eventually, everything } from '../support/pgBackupSupport';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { listFiles, tempFolder } from '../support/temp';

// A server backup killed outright (SIGKILL) leaves its password file, scratch folder, partial
// payload and in-progress marker behind; the next backup, not only a listing, removes them all,
// and afterwards the password is in no file under the backup folder or the runtime folder. The
// password file is never in the scratch folder: it is in the runtime folder, $XDG_RUNTIME_DIR's
// when the session has one, else the scratch root's.

stopServersAfterTests();

const PASSWORD = 'kill -9 pässwörd #1';
const VARIABLE = 'LIFEBOAT_TEST_KILLED_PASSWORD';
/** Rows enough that a dump compressed at gzip level 9 takes a second or two. */
const ROWS = 300_000;
const OWNED = /\.(partial|work|writing)-[A-Za-z0-9_]+-\d+-[0-9a-f]{8}(\/|$)/;

interface EngineCase {
  engine: 'mysql' | 'postgres';
  secretFile: string;
  payload: RegExp;
}

const ENGINES: EngineCase[] = [
  { engine: 'mysql', secretFile: 'client.cnf', payload: /^big\/[^/]+\/database\.sql\.gz\.partial-/ },
  { engine: 'postgres', secretFile: 'pgpass', payload: /^big\/[^/]+\/database\.dump\.gz\.partial-/ },
];

/** Every file below `folder` whose bytes hold `secret`. */
function filesHolding(folder: string, secret: string): string[] {
  const bytes = Buffer.from(secret);
  return listFiles(folder).filter(f => fs.readFileSync(path.join(folder, f)).includes(bytes));
}

describe('a server backup killed with SIGKILL, then another backup', () => {
  const tmp = tempFolder('lifeboat-killed');
  let mariadb: MariadbServer;
  let postgres: PostgresServer;
  let runs = 0;

  before(async () => {
    [mariadb, postgres] = await Promise.all([startMariadb({ password: PASSWORD }), startPostgres({ password: PASSWORD })]);
    await mariadb.createDatabase('big');
    await mariadb.query(`CREATE TABLE big (id INT PRIMARY KEY, payload VARCHAR(200) NOT NULL)`, 'big');
    await mariadb.query(`INSERT INTO big SELECT seq, CONCAT(MD5(seq), MD5(seq * 3), MD5(seq * 7)) FROM seq_1_to_${ROWS}`, 'big');
    await createBigDatabase(postgres, 'big', ROWS);
  });
  after(async () => {
    await Promise.all([mariadb?.stop(), postgres?.stop()]);
    tmp.dispose();
  });

  function setUp(engine: EngineCase['engine'], withXdg: boolean) {
    const root = tmp.file(`${++runs}-${engine}`);
    const folder = path.join(root, 'backups');
    const xdg = path.join(root, 'xdg-runtime');
    fs.mkdirSync(xdg, { recursive: true, mode: 0o700 });
    const server = engine === 'mysql' ? mariadb : postgres;
    const config = path.join(root, 'lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({
      backupFolder: folder, compression: 'gzip',
      connections: [{ id: 'big', name: 'Big', engine, host: '127.0.0.1', port: server.port, user: server.user, database: 'big', passwordEnv: VARIABLE }],
    }));
    const env: NodeJS.ProcessEnv = { [VARIABLE]: PASSWORD, XDG_RUNTIME_DIR: withXdg ? xdg : '' };
    return { folder, xdg, config, env, runtime: withXdg ? path.join(xdg, 'lifeboat') : path.join(folder, '.lifeboat-scratch', 'secrets') };
  }

  for (const { engine, secretFile, payload } of ENGINES) {
    for (const withXdg of [true, false]) {
      for (const moment of ['the password file is written', 'the payload is being written']) {
        it(`${engine}, runtime folder ${withXdg ? '$XDG_RUNTIME_DIR' : 'in the scratch root'}: killed once ${moment}`, async () => {
          const { folder, xdg, config, env, runtime } = setUp(engine, withXdg);
          const child = startCli(['--config', config, 'backup', 'big', '--level', '9', '--json'], { env });
          let secret: string | undefined;
          await eventually(() => {
            assert.equal(child.exitCode, null, 'the backup is still running');
            secret ??= [...everything(xdg).map(f => path.join(xdg, f)), ...everything(folder).map(f => path.join(folder, f))].find(f => path.basename(f) === secretFile);
            return secret !== undefined && (moment.startsWith('the password') || listFiles(folder).some(f => payload.test(f)));
          }, `${moment}`, 60_000);
          child.kill('SIGKILL');
          const [, signal] = await once(child, 'exit');
          assert.equal(signal, 'SIGKILL');
          assert.equal(path.dirname(path.dirname(secret!)), runtime, `the password file ${secret} is in its job's folder in the runtime folder`);
          assert.ok(fs.existsSync(secret!), 'the killed run left its password file');
          assert.ok(everything(folder).some(f => OWNED.test(f)), 'and its scratch folder');
          if (moment.startsWith('the payload')) {
            assert.ok(listFiles(folder).some(f => /^big\/[^/]+\/backup\.writing-/.test(f)), 'and the marker of its unfinished backup');
          }

          const next = await runCli(['--config', config, 'backup', 'big', '--level', '1', '--json'], { env });
          assert.equal(next.code, 0, next.stdout + next.stderr);
          const made = json<{ backup: { id: string; manifest: { files: { name: string }[] } } }>(next).backup;
          assert.deepEqual(listFiles(folder), [`big/${made.id}/${made.manifest.files[0].name}`, `big/${made.id}/manifest.json`],
            'only the new backup is left: no scratch folder, partial payload, marker or password file');
          assert.deepEqual(everything(folder).filter(f => f.startsWith('.') || f.includes('/.')), [], 'no scratch root is left');
          assert.deepEqual([...listFiles(xdg), ...listFiles(folder)].filter(f => path.basename(f) === secretFile), [], `no ${secretFile} is left anywhere`);
          assert.deepEqual([...filesHolding(folder, PASSWORD), ...filesHolding(xdg, PASSWORD)], [], 'the password is in no file of the backup folder or the runtime folder');
        });
      }
    }
  }
});
