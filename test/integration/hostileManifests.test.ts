import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { json, runCli, type CliResult } from '../support/cli';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { stopServersAfterTests } from '../support/serverHarness';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';

// A backup folder is input from outside (a shared folder, later an S3 bucket). Manifests edited
// the ways a hostile copy would edit them go through the CLI, as the defects were found: list,
// verify (quick and deep), restore and delete, for every engine. Each is listed as unreadable
// with its reason, verify and restore exit 3 and touch nothing, delete takes it by its folder
// with --yes, and a canary file and a canary folder beside the backup folder stay as they were.

stopServersAfterTests();

type Json = Record<string, unknown> & { files: Record<string, unknown>[]; connection: Record<string, unknown> };

interface Sandbox {
  root: string;
  backups: string;
  canaryFile: string;
}

/** Each edit makes a copy of a genuine backup's manifest hostile; the copy's folder stays a valid backup folder. */
const CASES: [string, (m: Json, sandbox: Sandbox, genuineId: string) => void][] = [
  // The repro: from <backups>/.lifeboat-logs/restore-<id>, this is <sandbox>/emptydir.
  ['id with ../ to the canary folder', m => { m.id = `${String(m.id)}/../../../emptydir/evil`; }],
  ['id with ../ to the canary file', m => { m.id = '../../canary.txt'; }],
  ['id with ESC, CR and LF', m => { m.id = `${String(m.id)}\u001b[2K\r\n`; }],
  ["another backup's id", (m, _s, genuineId) => { m.id = genuineId; }],
  ['connection id with /', m => { m.connection.id = `${String(m.connection.id)}/../..`; }],
  ['absolute file name (the canary file)', (m, sandbox) => { m.files[0].name = sandbox.canaryFile; }],
  ['file name ..', m => { m.files[0].name = '..'; }],
  ['file name with ../', m => { m.files[0].name = '../../../canary.txt'; }],
  ['empty file name', m => { m.files[0].name = ''; }],
  ['unknown codec rot13', m => { m.files[0].codec = 'rot13'; }],
  ['wrong types: size as text, tables an object, completedAt a number', m => { m.files[0].size = String(m.files[0].size); m.tables = { name: 't' }; m.completedAt = 7; }],
  ['wrong types: connection a string, files [null]', m => { m.connection = 'app' as unknown as Json['connection']; m.files = [null as unknown as Record<string, unknown>]; }],
];

/** Every file and folder under `folder` but `except`, with a hash of each file's content. */
function treeOf(folder: string, except: string): string[] {
  return (fs.readdirSync(folder, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .map(entry => path.join(entry.parentPath, entry.name))
    .filter(full => full !== except && !full.startsWith(except + path.sep))
    .map(full => fs.statSync(full).isDirectory() ? `${path.relative(folder, full)}/` : `${path.relative(folder, full)} ${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}`)
    .sort();
}

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

interface EngineCase {
  engine: 'sqlite' | 'postgres' | 'mysql';
  /** The config's connection (added to the sandbox's lifeboat.json). */
  connection(): Record<string, unknown>;
  env(): NodeJS.ProcessEnv;
  /** The arguments of the two verifies: quick, then deep (SQLite: full). */
  verifies: string[][];
  restoreArgs(sandbox: Sandbox, label: string): string[];
  /** Whether the restore created anything (a database, a file). */
  restoredSomething(sandbox: Sandbox, label: string): Promise<boolean>;
}

describe('hostile manifests through the CLI', () => {
  const tmp = tempFolder('lifeboat-hostile');
  let postgres: PostgresServer;
  let mariadb: MariadbServer;
  const sqliteFile = tmp.file('shop.db');

  before(async () => {
    createSampleDatabase(sqliteFile, { rows: 50 });
    [postgres, mariadb] = await Promise.all([startPostgres(), startMariadb()]);
    await postgres.createDatabase('shop');
    await postgres.query('CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, \'a\'), (2, \'b\')', 'shop');
    await mariadb.query('CREATE TABLE t (id int PRIMARY KEY, v text)');
    await mariadb.query('INSERT INTO t VALUES (1, \'a\'), (2, \'b\')');
  });
  after(async () => {
    await Promise.all([postgres?.stop(), mariadb?.stop()]);
    tmp.dispose();
  });

  const engines: EngineCase[] = [
    {
      engine: 'sqlite',
      connection: () => ({ id: 'shop', name: 'Shop', engine: 'sqlite', path: sqliteFile }),
      env: () => ({}),
      verifies: [['--quick'], []],
      restoreArgs: (sandbox, label) => ['--to', path.join(sandbox.root, 'targets', `${label}.db`)],
      restoredSomething: async sandbox => fs.readdirSync(path.join(sandbox.root, 'targets')).length > 0,
    },
    {
      engine: 'postgres',
      connection: () => ({ id: 'shop', name: 'Shop', engine: 'postgres', host: '127.0.0.1', port: postgres.port, user: postgres.user, database: 'shop', passwordEnv: 'LIFEBOAT_HOSTILE_PASSWORD' }),
      env: () => ({ LIFEBOAT_HOSTILE_PASSWORD: postgres.password }),
      verifies: [[], ['--deep']],
      restoreArgs: (_sandbox, label) => ['--database', label],
      restoredSomething: async (_sandbox, label) => (await postgres.query('SELECT 1 FROM pg_database WHERE datname = $1 OR datname LIKE $2', 'postgres', [label, 'lifeboat\\_drill%'])).length > 0,
    },
    {
      engine: 'mysql',
      connection: () => ({ id: 'shop', name: 'Shop', engine: 'mysql', host: '127.0.0.1', port: mariadb.port, user: mariadb.user, database: mariadb.database, passwordEnv: 'LIFEBOAT_HOSTILE_PASSWORD' }),
      env: () => ({ LIFEBOAT_HOSTILE_PASSWORD: mariadb.password }),
      verifies: [[], ['--deep']],
      restoreArgs: (_sandbox, label) => ['--database', label],
      restoredSomething: async (_sandbox, label) => (await mariadb.queryAsRoot('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? OR SCHEMA_NAME LIKE ?', [label, 'lifeboat\\_drill%'])).length > 0,
    },
  ];

  for (const engine of engines) {
    it(`${engine.engine}: each is unreadable with its reason, verify and restore exit 3, delete takes its folder, nothing outside is touched`, async () => {
      const sandbox: Sandbox = { root: tmp.file(engine.engine), backups: tmp.file(`${engine.engine}/backups`), canaryFile: tmp.file(`${engine.engine}/canary.txt`) };
      fs.mkdirSync(path.join(sandbox.root, 'emptydir'), { recursive: true });
      fs.mkdirSync(path.join(sandbox.root, 'targets'));
      fs.writeFileSync(sandbox.canaryFile, 'must survive');
      const config = path.join(sandbox.root, 'lifeboat.json');
      fs.writeFileSync(config, JSON.stringify({ backupFolder: 'backups', connections: [engine.connection()] }));
      const cli = (...args: string[]): Promise<CliResult> => runCli(['--config', config, ...args], { env: engine.env() });

      const backup = await cli('backup', 'shop', '--json');
      assert.equal(backup.code, 0, `${backup.stdout}${backup.stderr}`);
      const genuine = json<{ backup: { id: string; location: string } }>(backup).backup;
      const manifestText = fs.readFileSync(path.join(genuine.location, 'manifest.json'), 'utf8');

      // Hostile copies of the genuine backup, each in a folder of its own with a valid backup id.
      const copies = CASES.map(([label, edit], i) => {
        const folderId = `${genuine.id.slice(0, -4)}${(0xf000 + i).toString(16)}`;
        const location = path.join(sandbox.backups, 'shop', folderId);
        fs.cpSync(genuine.location, location, { recursive: true });
        const m = JSON.parse(manifestText) as Json;
        m.id = folderId;
        edit(m, sandbox, genuine.id);
        fs.writeFileSync(path.join(location, 'manifest.json'), JSON.stringify(m, null, 2));
        return { label, folderId, prefix: `shop/${folderId}`, location, manifest: fs.readFileSync(path.join(location, 'manifest.json')) };
      });
      const outsideBefore = treeOf(sandbox.root, sandbox.backups);

      // Everything runs first, so that the first check is the one that matters most: damage outside.
      const listed = await cli('list', '--json');
      const human = await cli('list');
      const runs = [];
      for (const [i, copy] of copies.entries()) {
        const verifies = [];
        for (const args of engine.verifies) verifies.push({ args, result: await cli('verify', copy.folderId, ...args) });
        const restore = await cli('restore', copy.folderId, ...engine.restoreArgs(sandbox, `hostile_${i}`));
        runs.push({ copy, verifies, restore, restored: await engine.restoredSomething(sandbox, `hostile_${i}`), unconfirmed: await cli('delete', copy.folderId) });
      }
      assert.deepEqual(treeOf(sandbox.root, sandbox.backups), outsideBefore, 'nothing outside the backup folder changed, appeared or went');

      assert.equal(listed.code, 0, listed.stderr);
      const listing = json<{ backups: { id: string }[]; problems: { prefix: string; message: string }[] }>(listed);
      assert.deepEqual(listing.backups.map(b => b.id), [genuine.id], 'only the genuine backup is listed as one');
      assert.deepEqual(listing.problems.map(p => p.prefix).sort(), copies.map(c => c.prefix).sort(), 'each hostile copy is listed as unreadable');
      for (const problem of listing.problems) assert.match(problem.message, /The manifest shop\/\S+\/manifest\.json (is invalid: \S+ |names )/, problem.message);

      assert.equal(human.code, 0, human.stderr);
      assert.doesNotMatch(human.stdout, CONTROL, 'no control character reaches the terminal');
      const lines = human.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1 + copies.length, human.stdout);
      assert.deepEqual(lines.filter(line => /verified$/.test(line)).map(line => line.split(' ')[0]), [genuine.id], 'one line says verified: the genuine backup\'s');
      for (const copy of copies) assert.ok(lines.some(line => line.startsWith(`unreadable: ${copy.prefix}: `) && line.includes(`lifeboat delete ${copy.prefix} --yes`)), `${copy.label}: ${human.stdout}`);

      for (const { copy, verifies, restore, restored, unconfirmed } of runs) {
        for (const { args, result } of verifies) {
          assert.equal(result.code, 3, `${copy.label}: verify ${args.join(' ')} exits 3 (damaged)\n${result.stdout}${result.stderr}`);
          assert.match(result.stderr, new RegExp(`cannot be used: The manifest ${copy.prefix}/manifest\\.json`), copy.label);
          assert.doesNotMatch(result.stderr, CONTROL, copy.label);
        }
        assert.equal(restore.code, 3, `${copy.label}: restore exits 3\n${restore.stdout}${restore.stderr}`);
        assert.equal(restored, false, `${copy.label}: nothing restored`);
        assert.deepEqual(fs.readFileSync(path.join(copy.location, 'manifest.json')), copy.manifest, `${copy.label}: no verification recorded in it`);
        assert.equal(unconfirmed.code, 2, `${copy.label}: delete without --yes\n${unconfirmed.stderr}`);
        assert.match(unconfirmed.stderr, new RegExp(`To confirm, run: lifeboat delete ${copy.prefix} --yes`));
        assert.ok(fs.existsSync(copy.location));
      }

      for (const [i, copy] of copies.entries()) {
        // By "<connection>/<folder>" as list shows it, or by the folder alone.
        const deleted = await cli('delete', i % 2 === 0 ? copy.prefix : copy.folderId, '--yes', '--json');
        assert.equal(deleted.code, 0, `${copy.label}: ${deleted.stdout}${deleted.stderr}`);
        const result = json<{ ok: boolean; deleted: string; prefix: string; unreadable: boolean }>(deleted);
        assert.deepEqual([result.ok, result.deleted, result.prefix, result.unreadable], [true, copy.folderId, copy.prefix, true]);
        assert.equal(fs.existsSync(copy.location), false, `${copy.label}: its folder is gone`);
      }
      const after = json<{ backups: { id: string }[]; problems: unknown[] }>(await cli('list', '--json'));
      assert.deepEqual([after.backups.map(b => b.id), after.problems], [[genuine.id], []]);
      const stillGood = await cli('verify', genuine.id, ...engine.verifies[0]);
      assert.equal(stillGood.code, 0, `the genuine backup is still intact\n${stillGood.stdout}${stillGood.stderr}`);
      assert.deepEqual(treeOf(sandbox.root, sandbox.backups), outsideBefore, 'nothing outside the backup folder changed');
      assert.equal(fs.readFileSync(sandbox.canaryFile, 'utf8'), 'must survive');
    });
  }

  for (const engine of engines) {
    it(`${engine.engine}: a payload file gone from a listed backup is damage: restore exits 3 at once (no hang), verify records the failure`, { timeout: 120_000 }, async () => {
      const root = tmp.file(`${engine.engine}-missing`);
      const sandbox: Sandbox = { root, backups: path.join(root, 'backups'), canaryFile: path.join(root, 'canary.txt') };
      fs.mkdirSync(path.join(root, 'targets'), { recursive: true });
      const config = path.join(root, 'lifeboat.json');
      fs.writeFileSync(config, JSON.stringify({ backupFolder: 'backups', connections: [engine.connection()] }));
      const cli = (...args: string[]): Promise<CliResult> => runCli(['--config', config, ...args], { env: engine.env() });
      const backup = json<{ backup: { id: string; location: string; manifest: { files: { name: string }[] } } }>(await cli('backup', 'shop', '--json')).backup;
      fs.rmSync(path.join(backup.location, backup.manifest.files[0].name));

      const restore = await cli('restore', backup.id, ...engine.restoreArgs(sandbox, 'missing_payload'));
      assert.equal(restore.code, 3, `${restore.stdout}${restore.stderr}`);
      assert.match(restore.stderr, new RegExp(`${backup.manifest.files[0].name.replace(/\./g, '\\.')} is missing from the backup`));
      assert.equal(await engine.restoredSomething(sandbox, 'missing_payload'), false, 'nothing restored, nothing left behind');
      const verify = await cli('verify', backup.id, '--json');
      assert.equal(verify.code, 3, `${verify.stdout}${verify.stderr}`);
      const listed = json<{ backups: { id: string; state: string }[] }>(await cli('list', '--json'));
      assert.deepEqual(listed.backups.map(b => [b.id, b.state]), [[backup.id, 'failed']], 'the failed verification is recorded');
    });
  }

  it('a folder name or an id with ESC, CR and LF cannot spoof a "verified" line, and names with them are escaped', async () => {
    const folder = tmp.file('spoof');
    const made = await runCli(['backup', sqliteFile, '--backup-dir', folder, '--json']);
    assert.equal(made.code, 0, made.stderr);
    const genuine = json<{ backup: { id: string; connection: string; location: string } }>(made).backup;
    const manifest = JSON.parse(fs.readFileSync(path.join(genuine.location, 'manifest.json'), 'utf8')) as Json;
    const fake = `\u001b[2K\r${genuine.id.slice(0, -4)}beef  ${genuine.connection}      1.0 KB  just now     verified`;
    // The id that spoofs a line; a folder named to do the same; a valid backup whose connection's name would.
    const spoofs = [
      { folder: `${genuine.id.slice(0, -4)}0001`, edit: (m: Json) => { m.id = `${genuine.id.slice(0, -4)}0001${fake}\n`; } },
      { folder: `x${fake}\n`, edit: (m: Json) => { m.id = `x${fake}\n`; } },
      { folder: `${genuine.id.slice(0, -4)}0003`, edit: (m: Json) => { m.id = `${genuine.id.slice(0, -4)}0003`; m.connection.name = `Shop${fake}\n`; } },
    ];
    for (const spoof of spoofs) {
      const location = path.join(folder, genuine.connection, spoof.folder);
      fs.cpSync(genuine.location, location, { recursive: true });
      const m = structuredClone(manifest);
      spoof.edit(m);
      fs.writeFileSync(path.join(location, 'manifest.json'), JSON.stringify(m));
    }
    const list = await runCli(['list', '--backup-dir', folder]);
    assert.equal(list.code, 0, list.stderr);
    assert.doesNotMatch(list.stdout, CONTROL, list.stdout);
    const lines = list.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 4, list.stdout);
    assert.deepEqual(lines.filter(line => line.endsWith('verified')).map(line => line.split(' ')[0]).sort(), [genuine.id, `${genuine.id.slice(0, -4)}0003`].sort());
    assert.ok(lines.some(line => line.startsWith(`unreadable: ${genuine.connection}/x\\x1b[2K\\x0d`) && line.includes('\\x0a')), list.stdout);

    const deleted = await runCli(['delete', `${genuine.id.slice(0, -4)}0003`, '--backup-dir', folder]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch(deleted.stdout, CONTROL);
    assert.match(deleted.stdout, /^Deleted \S+ of Shop\\x1b\[2K\\x0d.*verified\\x0a \(/);
    const unreadable = await runCli(['verify', genuine.id.slice(0, -4) + '0001', '--backup-dir', folder]);
    assert.equal(unreadable.code, 3, unreadable.stderr);
    assert.doesNotMatch(unreadable.stderr, CONTROL);
  });
});
