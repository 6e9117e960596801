import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { configuredCli, json, startCli, waitForProgress } from '../support/cli';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { restoreIntoSandbox } from '../support/pitr';
import { makeServerFolder, sleep } from '../support/serverHarness';

// Point-in-time recovery of MariaDB end to end, through the CLI, against a real server logging
// MIXED-format binary logs: a full dump, `lifeboat pitr capture` archiving the binary logs as
// they are written (and reconnecting after its dump thread is killed), rows before the target,
// the accident after it, then recovery into sandbox servers by time and by binary-log position,
// with both sides of each boundary asserted. A qualified statement logged as a statement must
// reach the sandbox only: production's table is checked unchanged, and its GTID position never
// goes backwards (the sandbox logs nothing).

interface Sandbox {
  dir: string; socket: string; base: string; stopCommand: string[];
  connection: { user: string; database: string; host: string };
  replayed: { files: string[]; from: string; to: string };
  leftOut: { gtid: string; statement: string }[];
  measured: { rtoMs: number; recoveryPoint: { time: string | null; gtid: string | null; position: string | null }; transactionsReplayed: number };
}

async function sandboxRows(sandbox: Sandbox): Promise<{ id: number; note: string }[]> {
  const connection = await createConnection({ socketPath: sandbox.socket, user: 'root', database: sandbox.connection.database });
  try {
    const [rows] = await connection.query('SELECT id, note FROM orders ORDER BY id');
    return rows as { id: number; note: string }[];
  } finally {
    await connection.end();
  }
}

/** Waits for the whole second to turn, and returns that second's start (binary-log times are whole seconds). */
async function nextSecond(): Promise<Date> {
  const at = Math.ceil((Date.now() + 50) / 1000) * 1000;
  await sleep(at - Date.now() + 20);
  return new Date(at);
}

describe('MariaDB point-in-time recovery (CLI, binary-log capture)', () => {
  let server: MariadbServer;
  let dir: string;
  let cli: ReturnType<typeof configuredCli>;
  let capture: ChildProcess;
  let captureLog = '';
  const sandboxes: Sandbox[] = [];
  const marks: { target?: Date; accident?: { file: string; position: number }; gtidBefore?: string; checksum?: string } = {};
  const archived = () => {
    const folder = path.join(dir, 'backups', 'shop', 'binlog');
    return fs.existsSync(folder) ? fs.readdirSync(folder).map(f => f.replace(/\.[0-9a-f]{64}\.zst$/, '')).sort() : [];
  };
  const waitArchived = async (name: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!archived().includes(name)) {
      if (Date.now() > deadline || capture.exitCode !== null) throw new Error(`${name} was not archived (archived: ${archived().join(', ')}); the capture said:\n${captureLog}`);
      await sleep(100);
    }
  };
  const flush = async () => {
    const [{ File: file }] = await server.queryAsRoot<{ File: string }>('SHOW MASTER STATUS');
    await server.queryAsRoot('FLUSH BINARY LOGS');
    await waitArchived(file);
  };
  const restore = (...args: string[]) => restoreIntoSandbox(cli, 'shop', sandboxes, args);
  /** Its own stop command (mariadb-admin shutdown waits until the server is gone). */
  const stopSandbox = (sandbox: Sandbox) => {
    const [command, ...args] = sandbox.stopCommand;
    spawnSync(command, args, { stdio: 'ignore', timeout: 60_000 });
  };

  before(async () => {
    server = await startMariadb({ database: 'shop', settings: { log_bin: 'binlog', server_id: 1, binlog_format: 'MIXED' } });
    dir = await makeServerFolder('lifeboat-mpitr-');
    await fs.promises.chmod(dir, 0o755);
    cli = configuredCli(path.join(dir, 'lifeboat.json'), {
      backupFolder: path.join(dir, 'backups'), sandboxFolder: path.join(dir, 'sandboxes'),
      connections: [{ id: 'shop', name: 'Shop', engine: 'mysql', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD' }],
    }, { SHOP_PASSWORD: server.password });
    await server.queryAsRoot('CREATE DATABASE other');
    await server.query('CREATE TABLE orders (id int PRIMARY KEY, note varchar(200) NOT NULL)', 'shop');
    await server.query("INSERT INTO orders VALUES (1, 'before the backup'), (2, 'before the backup'), (3, 'before the backup')", 'shop');
    await cli.ok('backup', 'shop');

    capture = startCli(['--config', cli.file, 'pitr', 'capture', 'shop', '--rotate-every', '2'], { env: { SHOP_PASSWORD: server.password } });
    capture.stdout!.on('data', d => { captureLog += d; });
    capture.stderr!.on('data', d => { captureLog += d; });

    // T1: rows 4 and 5 in their own transactions; a MIXED-format qualified update (logged as a
    // statement: it is deterministic), from a session whose default database is shop.
    await server.query("INSERT INTO orders VALUES (4, 'after the backup')", 'shop');
    await server.query("INSERT INTO orders VALUES (5, 'just before the target')", 'shop');
    await server.query("UPDATE shop.orders SET note = CONCAT(note, ', updated') WHERE id = 5", 'shop');
    // The same under another default database: a replay kept to shop cannot see it, and says so.
    await server.query("UPDATE shop.orders SET note = CONCAT(note, ', from elsewhere') WHERE id = 3", 'other');
    marks.target = await nextSecond();
    await nextSecond();
    // T2: the accident, and a row after it.
    const [status] = await server.queryAsRoot<{ File: string; Position: number }>('SHOW MASTER STATUS');
    marks.accident = { file: status.File, position: Number(status.Position) };
    await server.query('DELETE FROM orders WHERE id <= 4', 'shop');
    await server.query("INSERT INTO orders VALUES (6, 'after the accident')", 'shop');
    await flush();
    marks.gtidBefore = (await server.queryAsRoot<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos'))[0].pos;
    marks.checksum = JSON.stringify(await server.query('CHECKSUM TABLE orders', 'shop'));
  });

  after(async () => {
    capture?.kill('SIGTERM');
    for (const sandbox of sandboxes) stopSandbox(sandbox);
    await server?.stop();
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  });

  it('archives each finished binary log, and the window runs from the dump to the last transaction', async () => {
    assert.ok(archived().length >= 1, archived().join(', '));
    const window = json<{ text: string; stretches: { start: string; to: string | null; files: string[] }[] }>(await cli.ok('pitr', 'window', 'shop'));
    assert.equal(window.stretches.length, 1, window.text);
    assert.ok(window.stretches[0].to && new Date(window.stretches[0].to) >= marks.target!, window.text);
    assert.match(window.text, /^from .* \(the end of backup .*\) to .*the last transaction archived/);
  });

  it('recovers to a time: the rows up to it are there, the accident after it is not', async () => {
    const sandbox = await restore('--time', marks.target!.toISOString());
    assert.deepEqual(await sandboxRows(sandbox), [
      { id: 1, note: 'before the backup' }, { id: 2, note: 'before the backup' }, { id: 3, note: 'before the backup' },
      { id: 4, note: 'after the backup' }, { id: 5, note: 'just before the target, updated' },
    ]);
    assert.equal(sandbox.leftOut.length, 1, JSON.stringify(sandbox.leftOut));
    assert.match(sandbox.leftOut[0].statement, /UPDATE shop\.orders SET note = CONCAT\(note, ', from elsewhere'\)/);
    assert.ok(sandbox.measured.recoveryPoint.time && new Date(sandbox.measured.recoveryPoint.time) < marks.target!, JSON.stringify(sandbox.measured));
    assert.ok(sandbox.measured.transactionsReplayed >= 3, JSON.stringify(sandbox.measured));
    assert.ok(sandbox.measured.rtoMs > 0);
  });

  it('recovers to a binary-log position: everything before the event there, nothing from it on', async () => {
    const sandbox = await restore('--position', `${marks.accident!.file}:${marks.accident!.position}`);
    const rows = await sandboxRows(sandbox);
    assert.deepEqual(rows.map(r => r.id), [1, 2, 3, 4, 5]);
    const after = await restore('--end');
    assert.deepEqual((await sandboxRows(after)).map(r => r.id), [5, 6], 'to the end: the accident and the row after it');
  });

  it('never touched production: its table and its GTID position are as they were, and the sandbox logs nothing', async () => {
    assert.equal(JSON.stringify(await server.query('CHECKSUM TABLE orders', 'shop')), marks.checksum);
    assert.equal((await server.queryAsRoot<{ pos: string }>('SELECT @@gtid_binlog_pos AS pos'))[0].pos, marks.gtidBefore);
    const connection = await createConnection({ socketPath: sandboxes[0].socket, user: 'root' });
    try {
      const [[row]] = await connection.query('SELECT @@log_bin AS logBin, @@skip_networking AS local') as unknown as [{ logBin: number; local: number }[]];
      assert.equal(Number(row.logBin), 0);
      assert.equal(Number(row.local), 1);
    } finally {
      await connection.end();
    }
  });

  it('refuses a target outside the window, naming it', async () => {
    const result = await cli.run('pitr', 'restore', 'shop', '--time', '2001-01-01T00:00:00Z');
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /outside the recoverable window: from .* to /);
  });

  it('Cancel during the replay leaves no sandbox and no server', async () => {
    // Enough binary log (about 60 MB of row events) that the replay is still running when the test stops it.
    await server.query('CREATE TABLE bulk (id int PRIMARY KEY, filler varchar(400))', 'shop');
    await server.query("INSERT INTO bulk SELECT seq, REPEAT('x', 400) FROM seq_1_to_150000", 'shop');
    await flush();
    const child = startCli(['--config', cli.file, 'pitr', 'restore', 'shop', '--end', '--json'], { env: { SHOP_PASSWORD: server.password } });
    await waitForProgress(child, /Replaying/, 0);
    child.kill('SIGINT');
    const code = await new Promise(resolve => child.once('exit', resolve));
    assert.notEqual(code, 0);
    const left = fs.readdirSync(path.join(dir, 'sandboxes')).filter(name => !sandboxes.some(s => path.basename(s.dir) === name));
    assert.deepEqual(left, [], 'no sandbox folder left');
    const running = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter(line => line.includes(path.join(dir, 'sandboxes')) && !sandboxes.some(s => line.includes(s.dir)));
    assert.deepEqual(running, [], 'no sandbox server left running');
  });

  it('the capture refuses a user without the replication privilege, naming it', async () => {
    await server.queryAsRoot("CREATE USER 'reader'@'%' IDENTIFIED BY 'reader-pw'");
    await server.queryAsRoot("GRANT SELECT, BINLOG MONITOR ON *.* TO 'reader'@'%'");
    const limited = configuredCli(path.join(dir, 'limited.json'), {
      backupFolder: path.join(dir, 'backups'),
      connections: [{ id: 'shop', name: 'Shop', engine: 'mysql', host: server.host, port: server.port, user: 'reader', database: 'shop', passwordEnv: 'READER_PASSWORD' }],
    }, { READER_PASSWORD: 'reader-pw' });
    const result = await limited.run('pitr', 'capture', 'shop');
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /lacks the REPLICATION SLAVE privilege/);
  });

  it('reconnects when its dump thread is killed, and goes on archiving', async () => {
    const threads = await server.queryAsRoot<{ Id: number; Command: string }>('SHOW PROCESSLIST');
    const dump = threads.find(t => t.Command === 'Binlog Dump');
    assert.ok(dump, 'the capture has a dump thread');
    await server.queryAsRoot(`KILL ${dump.Id}`);
    const deadline = Date.now() + 20_000;
    while (!/reconnecting from/.test(captureLog)) {
      assert.ok(Date.now() < deadline, captureLog);
      await sleep(100);
    }
    await server.query("INSERT INTO orders VALUES (7, 'after the reconnect')", 'shop');
    await flush();
    const sandbox = await restore('--end');
    assert.deepEqual((await sandboxRows(sandbox)).map(r => r.id), [5, 6, 7]);
    capture.kill('SIGTERM');
    const code = await new Promise<number | null>(resolve => capture.once('exit', c => resolve(c)));
    assert.equal(code, 0, captureLog);
  });
});
