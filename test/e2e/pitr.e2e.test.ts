import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { pitrFolder, reachableLifeboat, sandboxQuery, serverRunAs, switchAndWaitArchived } from '../support/pitr';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { commandFor } from '../support/serverHarness';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * Point-in-time recovery as a person does it in a real VS Code (code-server, headless Chromium):
 * a PostgreSQL server archives its WAL with lifeboat wal-push and has a base backup, and the tree
 * shows the connection's recoverable window; rows are deleted by accident; "Restore to a Point in Time…" on the connection shows the window, takes a
 * time in the user's zone, recovers into a sandbox server under a progress notification, and
 * the sandbox appears as a connection holding the deleted rows, with Compare with Production…
 * offered. Screenshots: test-results/e2e/pitr-01…04.png.
 */
describe('Point-in-time recovery in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e-pitr');
  const account = serverRunAs();
  let folder: Awaited<ReturnType<typeof pitrFolder>>;
  let server: PostgresServer;
  let editor: Editor;
  let wb: Workbench;
  let target = '';

  before(async () => {
    folder = await pitrFolder(account, 'shop');
    const archiveCommand = [...reachableLifeboat(account), '--config', folder.config, 'wal-push', '--connection', 'shop', '%p'].join(' ');
    server = await startPostgres({ settings: { wal_level: 'replica', archive_mode: 'on', archive_command: archiveCommand } });
    await server.createDatabase('shop');
    fs.writeFileSync(folder.config, JSON.stringify({
      backupFolder: folder.backups,
      connections: [{ id: 'shop', name: 'shop', engine: 'postgres', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD' }],
    }));
    await server.query("CREATE TABLE orders (id int PRIMARY KEY, note text)", 'shop');
    await server.query("INSERT INTO orders SELECT g, 'kept' FROM generate_series(1, 20) g", 'shop');
    const backup = await runCli(['--config', folder.config, 'backup', 'shop', '--format', 'base', '--json'], { env: { SHOP_PASSWORD: server.password } });
    assert.equal(backup.code, 0, backup.stderr);
    await server.query("INSERT INTO orders VALUES (21, 'after the backup')", 'shop');
    await new Promise(resolve => setTimeout(resolve, 1200));
    target = (await server.query<{ at: Date }>('SELECT clock_timestamp() AS at'))[0].at.toISOString();
    await new Promise(resolve => setTimeout(resolve, 1200));
    await server.query('DELETE FROM orders WHERE id <= 10', 'shop');
    await switchAndWaitArchived(server);
    fs.mkdirSync(tmp.file('workspace'), { recursive: true });
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace: tmp.file('workspace'), backupFolder: folder.backups, machineSettings: { 'lifeboat.postgres.sandboxFolder': folder.sandboxes } });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    await editor?.stop();
    for (const name of fs.existsSync(folder?.sandboxes ?? '') ? fs.readdirSync(folder.sandboxes) : []) {
      const spec = commandFor(path.join(server.binDir, 'pg_ctl'), ['-D', path.join(folder.sandboxes, name, 'data'), '-m', 'immediate', 'stop'], account);
      spawnSync(spec.command, spec.args, { cwd: '/', stdio: 'ignore' });
    }
    await server?.stop();
    await folder?.remove();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'pitr-');

  it('recovers to a time before the accident into a sandbox that appears as a connection', () => step('restore', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar();
    await wb.addConnectionByUri(`postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/shop?sslmode=disable`, 'shop', /shop: PostgreSQL 15/);
    // The window, from the listing, above the base backup.
    await wb.treeRow(/Point in time from \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}.*WAL archived up to/).waitFor();
    await editor.screenshot('pitr-01-connection');
    await wb.contextMenu(wb.treeRow(/^shop/), 'Restore to a Point in Time…');
    await editor.page.getByText('To a time…').waitFor();
    await editor.page.waitForTimeout(300);
    await editor.screenshot('pitr-02-window');
    await wb.pickRow('To a time');
    await wb.waitForPrompt(/in your time zone/);
    // The user's zone is the editor's (UTC here): a local time without an offset.
    const local = new Date(target);
    const pad = (n: number) => String(n).padStart(2, '0');
    const text = `${local.getFullYear()}-${pad(local.getMonth() + 1)}-${pad(local.getDate())} ${pad(local.getHours())}:${pad(local.getMinutes())}:${pad(local.getSeconds())}.${String(local.getMilliseconds()).padStart(3, '0')}`;
    await editor.page.keyboard.press('Control+A');
    await editor.page.keyboard.type(text);
    await editor.page.waitForTimeout(300);
    await editor.screenshot('pitr-03-time');
    await editor.page.keyboard.press('Enter');
    const done = await wb.notification(/Recovered shop to the time/, 120_000);
    assert.match(done, /Compare with Production/);
    await wb.treeRow(/shop · recovered \(port \d+\)/).waitFor();
    await editor.screenshot('pitr-04-sandbox-connection');
    const [dir] = fs.readdirSync(folder.sandboxes);
    const { sandbox } = JSON.parse(fs.readFileSync(path.join(folder.sandboxes, dir, 'sandbox.json'), 'utf8')) as { sandbox: { dir: string; port: number; connection: { user: string; database: string } } };
    const ids = (await sandboxQuery<{ id: number }>(sandbox, 'SELECT id FROM orders ORDER BY id')).map(r => r.id);
    assert.deepEqual(ids, Array.from({ length: 21 }, (_, i) => i + 1), 'the deleted rows are back, and the row before the target');
  }));
});
