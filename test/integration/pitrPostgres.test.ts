import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configuredCli, json, startCli, waitForProgress } from '../support/cli';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { pitrFolder, reachableLifeboat, restoreIntoSandbox, sandboxQuery, serverRunAs, switchAndWaitArchived } from '../support/pitr';
import { commandFor } from '../support/serverHarness';
import { spawnSync } from 'node:child_process';
import { postgresTime } from '../../src/engines/postgres/pitr/recoveryTarget';
import { sandboxLayout } from '../../src/engines/postgres/pitr/sandboxConfig';
import { serverPid, startSandbox, waitForPromotion } from '../../src/engines/postgres/pitr/sandboxServer';
import { findServerTools } from '../../src/engines/postgres/pitr/serverTools';

// Point-in-time recovery of PostgreSQL 15 end to end, through the CLI, against a real server
// that archives its WAL with `lifeboat wal-push` (archive_command, run by the server's own
// account): a base backup, rows before and after a restore point, a delete later, then recovery
// into sandboxes by time, LSN, restore point and to the end, with both sides of each boundary
// asserted; the archive is never written by a sandbox; targets outside the window are refused
// with the window named; the source runs in America/New_York, so a time without an explicit
// offset would land 5 hours off; damaged and missing WAL is named; Cancel leaves nothing.

interface Sandbox {
  dir: string; dataDir: string; port: number; base: string; stopCommand: string[];
  connection: { user: string; database: string };
  measured: { rtoMs: number; recoveryPoint: { time: string | null; lsn: string | null }; walBytesReplayed: number | null; segmentsStaged: number };
}

describe('PostgreSQL point-in-time recovery (CLI, PostgreSQL 15)', () => {
  const account = serverRunAs();
  const lifeboat = reachableLifeboat(account);
  let server: PostgresServer;
  let folder: Awaited<ReturnType<typeof pitrFolder>>;
  let cli: ReturnType<typeof configuredCli>;
  const sandboxes: Sandbox[] = [];
  const marks: { baseEnd?: string; afterB?: string; lsnAfterB?: string; target?: string; deletedAt?: string } = {};

  const restore = (...args: string[]) => restoreIntoSandbox(cli, 'shop', sandboxes, args);
  const ids = async (sandbox: Sandbox) => (await sandboxQuery<{ id: number }>(sandbox, 'SELECT id FROM orders ORDER BY id')).map(r => r.id);
  const stop = (sandbox: Sandbox) => {
    const spec = commandFor(sandbox.stopCommand[0], [...sandbox.stopCommand.slice(1), '-m', 'immediate'], account);
    spawnSync(spec.command, spec.args, { cwd: '/', stdio: 'ignore' });
  };

  before(async () => {
    folder = await pitrFolder(account, 'shop');
    const archiveCommand = [...lifeboat, '--config', folder.config, 'wal-push', '--connection', 'shop', '%p'].join(' ');
    server = await startPostgres({ settings: { wal_level: 'replica', archive_mode: 'on', archive_command: archiveCommand, timezone: 'America/New_York', log_timezone: 'America/New_York' } });
    await server.createDatabase('shop');
    cli = configuredCli(folder.config, {
      backupFolder: folder.backups, sandboxFolder: folder.sandboxes,
      connections: [{ id: 'shop', name: 'Shop', engine: 'postgres', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD' }],
    }, { SHOP_PASSWORD: server.password });

    // T0: rows 1–3, then the base backup.
    await server.query('CREATE TABLE orders (id int PRIMARY KEY, note text, at timestamptz DEFAULT clock_timestamp())', 'shop');
    await server.query("INSERT INTO orders (id, note) SELECT g, 'before the backup' FROM generate_series(1, 3) g", 'shop');
    const backup = await cli.ok('backup', 'shop', '--format', 'base');
    marks.baseEnd = json<{ backup: { manifest: { consistency: { endTime: string } } } }>(backup).backup.manifest.consistency.endTime;
    // T1: rows 4–5 in two commits, a restore point after them, its LSN.
    await server.query("INSERT INTO orders (id, note) VALUES (4, 'after the backup')", 'shop');
    await server.query("INSERT INTO orders (id, note) VALUES (5, 'just before the target')", 'shop');
    await server.query("SELECT pg_create_restore_point('after-five')", 'shop');
    marks.lsnAfterB = (await server.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0].lsn;
    await new Promise(resolve => setTimeout(resolve, 300));
    marks.target = (await server.query<{ at: Date }>('SELECT clock_timestamp() AS at'))[0].at.toISOString();
    await new Promise(resolve => setTimeout(resolve, 300));
    // T2: the accident, and a row after it.
    await server.query('DELETE FROM orders WHERE id <= 4', 'shop');
    marks.deletedAt = (await server.query<{ at: Date }>('SELECT clock_timestamp() AS at'))[0].at.toISOString();
    await server.query("INSERT INTO orders (id, note) VALUES (6, 'after the accident')", 'shop');
    await switchAndWaitArchived(server);
  });

  after(async () => {
    for (const sandbox of sandboxes) stop(sandbox);
    await server?.stop();
    await folder?.remove();
  });

  it('archives WAL through wal-push and shows the window from the base backup\'s end to the last commit', async () => {
    const window = json<{ stretches: { from: { time: string }; to: { time: string }; timeTargets: boolean }[]; gaps: unknown[] }>(await cli.ok('pitr', 'window', 'shop'));
    assert.equal(window.stretches.length, 1);
    assert.equal(window.gaps.length, 0);
    assert.equal(window.stretches[0].from.time, marks.baseEnd);
    assert.ok(window.stretches[0].to.time >= marks.deletedAt!.slice(0, 19), `${window.stretches[0].to.time} is after the delete at ${marks.deletedAt}`);
    assert.ok(fs.readdirSync(folder.wal).some(name => /^[0-9A-F]{24}\.[0-9a-f]{64}\.zst$/.test(name)));
  });

  it('recovers to a time between the last rows and the delete: the deleted rows are there, later commits are not', async () => {
    // Written with an offset other than the server's zone and UTC: the same instant.
    const at = new Date(marks.target!);
    const tokyo = new Date(at.getTime() + 9 * 3600_000).toISOString().replace('Z', '+09:00');
    const sandbox = await restore('--time', tokyo);
    assert.deepEqual(await ids(sandbox), [1, 2, 3, 4, 5], 'rows up to the target, none deleted, row 6 absent');
    assert.ok(sandbox.measured.recoveryPoint.time! < marks.target! && sandbox.measured.rtoMs > 0);
    const [{ recovering }] = await sandboxQuery<{ recovering: boolean }>(sandbox, 'SELECT pg_is_in_recovery() AS recovering');
    assert.equal(recovering, false, 'promoted');
    assert.notEqual(sandbox.port, server.port, 'a port of its own, not the one the restored config names');
  });

  it('recovers to an LSN and to a restore point, with the same boundary', async () => {
    const byLsn = await restore('--lsn', marks.lsnAfterB!);
    assert.deepEqual(await ids(byLsn), [1, 2, 3, 4, 5]);
    const byName = await restore('--name', 'after-five');
    assert.deepEqual(await ids(byName), [1, 2, 3, 4, 5]);
  });

  it('reports the server\'s FATAL when a recovery ends after the server had started (pg_ctl start -w would have said 0)', async () => {
    // A promoted sandbox asked to recover again, to a time no archived commit reaches.
    const sandbox = sandboxes[0];
    const layout = sandboxLayout(sandbox.dir);
    const tools = await findServerTools(15);
    stop(sandbox);
    fs.appendFileSync(path.join(layout.dataDir, 'postgresql.auto.conf'), `recovery_target_time = '${postgresTime({ ms: Date.now() + 3600_000, micro: 0 })}'\nrecovery_target_timeline = 'latest'\n`);
    fs.writeFileSync(path.join(layout.dataDir, 'recovery.signal'), '');
    if (account) fs.chownSync(path.join(layout.dataDir, 'recovery.signal'), account.uid, account.gid);
    await startSandbox(tools, layout, account);
    await assert.rejects(waitForPromotion(layout, { engine: 'postgres', id: 'x', name: 'x', host: sandbox.dir, port: sandbox.port, user: sandbox.connection.user, database: 'template1' }, () => undefined),
      (error: Error & { hint?: string }) => /FATAL: +recovery ended before configured recovery target was reached/.test(error.message) && /choose an earlier one/.test(error.hint ?? ''));
    assert.equal(serverPid(layout), undefined, 'the server is gone');
  });

  it('never writes into the archive from a sandbox, and a recovery to the end follows production', async () => {
    const history = fs.readdirSync(folder.wal).filter(name => name.includes('.history'));
    assert.deepEqual(history, [], 'no timeline history from the sandboxes');
    const end = await restore('--end');
    assert.deepEqual(await ids(end), [5, 6], 'the delete and the row after it');
  });

  it('refuses targets outside the window, naming it', async () => {
    const refused = async (...args: string[]) => {
      const result = await cli.run('pitr', 'restore', 'shop', ...args);
      assert.equal(result.code, 2, result.stdout + result.stderr);
      return json<{ error: { message: string } }>(result).error.message;
    };
    assert.match(await refused('--time', new Date(Date.parse(marks.baseEnd!) - 60_000).toISOString()), /outside the recoverable window: from .* \(end of base backup/);
    assert.match(await refused('--time', new Date(Date.now() + 3600_000).toISOString()), /outside the recoverable window.*last archived commit/);
    assert.match(await refused('--name', 'no-such-point'), /not in the archived WAL after any base backup/);
    assert.deepEqual(fs.readdirSync(folder.sandboxes).length, sandboxes.length, 'nothing made for a refused target');
    if (account) {
      // Run as root, the sandbox's account must reach the sandbox folder: a private one is refused before anything is made.
      const hidden = fs.mkdtempSync('/tmp/lifeboat-private-');
      fs.chmodSync(hidden, 0o700);
      try {
        assert.match(await refused('--end', '--sandbox-dir', path.join(hidden, 'sandboxes')), new RegExp(`runs as "${account.user}", which cannot enter ${hidden}`));
        assert.deepEqual(fs.readdirSync(path.join(hidden, 'sandboxes')), []);
      } finally {
        fs.rmSync(hidden, { recursive: true, force: true });
      }
    }
  });

  it('Cancel during recovery leaves no sandbox and no server', async () => {
    // Enough WAL (about 150 MB) that the replay is still running when the test stops it.
    await server.query("CREATE TABLE bulk AS SELECT g AS id, repeat('x', 400) AS filler FROM generate_series(1, 300000) g", 'shop');
    await switchAndWaitArchived(server, 120_000);
    const child = startCli(['--config', folder.config, 'pitr', 'restore', 'shop', '--end', '--json'], { env: { SHOP_PASSWORD: server.password } });
    await waitForProgress(child, /Replaying WAL/, 0);
    child.kill('SIGINT');
    const code = await new Promise(resolve => child.once('exit', resolve));
    assert.notEqual(code, 0);
    const left = fs.readdirSync(folder.sandboxes).filter(name => !sandboxes.some(s => path.basename(s.dir) === name));
    assert.deepEqual(left, [], 'no sandbox folder left');
    const running = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout.split('\n').filter(line => line.includes(folder.sandboxes) && !sandboxes.some(s => line.includes(s.dir)));
    assert.deepEqual(running, [], 'no sandbox server left running');
  });

  it('names a damaged WAL file, and a missing one as a gap that ends the window', async () => {
    const names = fs.readdirSync(folder.wal).filter(n => /^[0-9A-F]{24}\.[0-9a-f]{64}\.zst$/.test(n)).sort();
    // Not the last: that one is read before the recovery starts; this one while the server replays.
    const victim = names.at(-3)!;
    const damaged = path.join(folder.wal, victim);
    const saved = fs.readFileSync(damaged);
    const flipped = Buffer.from(saved);
    flipped[Math.floor(flipped.length / 2)] ^= 0xff;
    fs.writeFileSync(damaged, flipped);
    const result = await cli.run('pitr', 'restore', 'shop', '--end');
    assert.equal(result.code, 3, result.stdout + result.stderr);
    assert.match(json<{ error: { message: string } }>(result).error.message, new RegExp(`archived ${victim.slice(0, 24)} .* (is damaged|does not decompress)`));
    fs.writeFileSync(damaged, saved);

    // A segment in the middle goes missing: the window stops before it, and says so.
    const middle = names.at(-2)!;
    fs.renameSync(path.join(folder.wal, middle), path.join(folder.dir, middle));
    const window = json<{ gaps: { from: string }[]; text: string }>(await cli.ok('pitr', 'window', 'shop'));
    assert.deepEqual(window.gaps.map(g => g.from), [middle.slice(0, 24)]);
    assert.match(window.text, new RegExp(`WAL ${middle.slice(0, 24)} is missing`));
    fs.renameSync(path.join(folder.dir, middle), path.join(folder.wal, middle));
  });

  it('refuses an incremental base backup on PostgreSQL 15, saying what it needs', async () => {
    const result = await cli.run('backup', 'shop', '--format', 'base', '--incremental');
    assert.notEqual(result.code, 0);
    assert.match(json<{ error: { message: string; hint: string } }>(result).error.message, /Incremental base backups need PostgreSQL 17 or newer; .* runs 15\./);
    const dump = await cli.run('backup', 'shop', '--incremental');
    assert.match(json<{ error: { message: string } }>(dump).error.message, /Only a base backup can be incremental/);
  });

  it('prune keeps the archived WAL the kept base backups need, and deletes what is older', async () => {
    const second = json<{ backup: { id: string; manifest: { consistency: { startSegment: string } } } }>(await cli.ok('backup', 'shop', '--format', 'base')).backup;
    await switchAndWaitArchived(server);
    const keptFrom = second.manifest.consistency.startSegment;
    const walNames = () => fs.readdirSync(folder.wal).filter(n => /^[0-9A-F]{24}/.test(n)).map(n => n.slice(0, 24)).sort();
    const older = walNames().filter(n => n < keptFrom);
    assert.ok(older.length > 0);
    const dry = json<{ connections: { wouldDelete: string[]; wal: { wouldDelete: number; keptFrom: string } }[] }>(await cli.ok('prune', 'shop', '--keep-last', '1', '--dry-run'));
    assert.equal(dry.connections[0].wal.keptFrom, keptFrom);
    assert.equal(dry.connections[0].wal.wouldDelete, fs.readdirSync(folder.wal).filter(n => /^[0-9A-F]{24}/.test(n) && n.slice(0, 24) < keptFrom).length);
    assert.equal(walNames().filter(n => n < keptFrom).length, older.length, 'a dry run deletes nothing');
    await cli.ok('prune', 'shop', '--keep-last', '1');
    assert.deepEqual(walNames().filter(n => n < keptFrom), [], 'WAL before the kept base backup is gone');
    assert.ok(walNames().includes(keptFrom), 'from its start on, it is kept');
    const window = json<{ stretches: { base: string }[] }>(await cli.ok('pitr', 'window', 'shop'));
    assert.deepEqual(window.stretches.map(st => st.base), [second.id]);
    const end = await restore('--end');
    assert.deepEqual(await ids(end), [5, 6], 'a recovery from what is left still reaches the end');
  });

  it('an "archive-check" schedule fails, and so alerts, when archive_command fails; lifeboat pitr status says why', async () => {
    const checked = configuredCli(path.join(folder.dir, 'scheduled.json'), {
      backupFolder: folder.backups, sandboxFolder: folder.sandboxes,
      connections: [{ id: 'shop', name: 'Shop', engine: 'postgres', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD', schedules: [{ name: 'archiving', cron: '* * * * *', run: 'archive-check' }] }],
    }, { SHOP_PASSWORD: server.password });
    await checked.ok('run', '--due');
    const healthy = json<{ ran: { ok: boolean }[] }>(await checked.ok('run', '--due', '--at', new Date(Date.now() + 61_000).toISOString()));
    assert.deepEqual(healthy.ran.map(r => r.ok), [true]);
    assert.equal((await checked.run('pitr', 'status', 'shop')).code, 0);

    const [{ command }] = await server.query<{ command: string }>("SELECT setting AS command FROM pg_settings WHERE name = 'archive_command'");
    await server.query("ALTER SYSTEM SET archive_command = 'false'");
    await server.query('SELECT pg_reload_conf()');
    try {
      await server.query("SELECT pg_switch_wal() FROM (SELECT pg_logical_emit_message(false, 'test', 'x')) m");
      for (let i = 0; i < 100 && Number((await server.query<{ n: string }>('SELECT failed_count::text AS n FROM pg_stat_archiver'))[0].n) === 0; i++) await new Promise(resolve => setTimeout(resolve, 100));
      const failing = await checked.run('run', '--due', '--at', new Date(Date.now() + 122_000).toISOString());
      assert.equal(failing.code, 1, failing.stdout);
      const ran = json<{ ran: { ok: boolean; error?: string }[] }>(failing).ran;
      assert.equal(ran[0].ok, false);
      assert.match(ran[0].error ?? '', /archive_command fails: [0-9A-F]{24} could not be archived/);
      const status = await checked.run('pitr', 'status', 'shop');
      assert.equal(status.code, 1);
      assert.match(json<{ problems: string[] }>(status).problems.join(' '), /archive_command fails/);
    } finally {
      await server.query(`ALTER SYSTEM SET archive_command = '${command.replace(/'/g, "''")}'`);
      await server.query('SELECT pg_reload_conf()');
    }
  });
});
