import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection } from 'mysql2/promise';
import { runCli, startCli } from '../support/cli';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { makeServerFolder, sleep } from '../support/serverHarness';
import { Workbench } from '../support/workbench';

/**
 * MariaDB point-in-time recovery as a person does it in a real VS Code (code-server, headless
 * Chromium): the server's binary logs are captured by `lifeboat pitr capture` after a full
 * backup, and the tree shows the connection's recoverable window; rows are deleted by accident;
 * "Restore to a Point in Time…" on the connection shows the window, takes a time in the user's
 * zone, recovers into a sandbox mariadbd under a progress notification, and the sandbox appears
 * as a connection holding the deleted rows, with Compare with Production… offered.
 * Screenshots: test-results/e2e/pitr-mariadb-01…04.png.
 */
describe('MariaDB point-in-time recovery in a real editor', () => {
  let dir = '';
  let server: MariadbServer;
  let capture: ChildProcess | undefined;
  let editor: Editor;
  let wb: Workbench;
  let target = new Date(0);

  before(async () => {
    server = await startMariadb({ database: 'shop', settings: { log_bin: 'binlog', server_id: 1, binlog_format: 'MIXED' } });
    // Reachable by the sandbox's account (mysql) when the tests run as root.
    dir = await makeServerFolder('lifeboat-e2e-mpitr-');
    await fs.promises.chmod(dir, 0o755);
    const config = path.join(dir, 'lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({
      backupFolder: path.join(dir, 'backups'),
      connections: [{ id: 'shop', name: 'shop', engine: 'mysql', host: server.host, port: server.port, user: server.user, database: 'shop', passwordEnv: 'SHOP_PASSWORD' }],
    }));
    const env = { SHOP_PASSWORD: server.password };
    await server.query('CREATE TABLE orders (id int PRIMARY KEY, note varchar(100) NOT NULL)', 'shop');
    await server.query("INSERT INTO orders SELECT seq, 'kept' FROM seq_1_to_20", 'shop');
    const backup = await runCli(['--config', config, 'backup', 'shop', '--json'], { env });
    assert.equal(backup.code, 0, backup.stderr);
    capture = startCli(['--config', config, 'pitr', 'capture', 'shop', '--rotate-every', '1'], { env });
    let said = '';
    capture.stderr!.on('data', d => { said += d; });
    await server.query("INSERT INTO orders VALUES (21, 'after the backup')", 'shop');
    // Binary-log times are whole seconds: the target is the start of a second after row 21's.
    target = new Date(Math.ceil((Date.now() + 50) / 1000) * 1000);
    await sleep(target.getTime() - Date.now() + 1100);
    await server.query('DELETE FROM orders WHERE id <= 10', 'shop');
    const [{ File: file }] = await server.queryAsRoot<{ File: string }>('SHOW MASTER STATUS');
    await server.queryAsRoot('FLUSH BINARY LOGS');
    const folder = path.join(dir, 'backups', 'shop', 'binlog');
    for (const deadline = Date.now() + 30_000; !(fs.existsSync(folder) && fs.readdirSync(folder).some(f => f.startsWith(`${file}.`)));) {
      assert.ok(Date.now() < deadline, `${file} was not archived; the capture said:\n${said}`);
      await sleep(100);
    }
    fs.mkdirSync(path.join(dir, 'workspace'));
    editor = await startLifeboatEditor({ home: path.join(dir, 'home'), workspace: path.join(dir, 'workspace'), backupFolder: path.join(dir, 'backups'), machineSettings: { 'lifeboat.postgres.sandboxFolder': path.join(dir, 'sandboxes') } });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    capture?.kill('SIGTERM');
    await editor?.stop();
    const sandboxes = path.join(dir, 'sandboxes');
    for (const name of fs.existsSync(sandboxes) ? fs.readdirSync(sandboxes) : []) {
      const connection = await createConnection({ socketPath: path.join(sandboxes, name, 'mysqld.sock'), user: 'root' }).catch(() => undefined);
      await connection?.query('SHUTDOWN').catch(() => undefined);
      await connection?.end().catch(() => undefined);
      // SHUTDOWN returns before the server has gone: wait for its pid file to go with it.
      for (let i = 0; i < 300 && fs.existsSync(path.join(sandboxes, name, 'mariadbd.pid')); i++) await sleep(100);
    }
    await server?.stop();
    if (dir) await fs.promises.rm(dir, { recursive: true, force: true });
  });

  const step = editorStep(() => editor, 'pitr-mariadb-');

  it('recovers to a time before the accident into a sandbox that appears as a connection', () => step('restore', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar();
    await wb.addConnectionByUri(`mariadb://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/shop?ssl-mode=disabled`, 'shop', /shop: MariaDB 10/);
    await wb.treeRow(/Point in time from \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}.*binary logs archived up to binlog\.\d+/).waitFor();
    await editor.screenshot('pitr-mariadb-01-connection');
    await wb.contextMenu(wb.treeRow(/^shop/), 'Restore to a Point in Time…');
    await editor.page.getByText('To a time…').waitFor();
    await editor.page.waitForTimeout(300);
    await editor.screenshot('pitr-mariadb-02-window');
    await wb.pickRow('To a time');
    await wb.waitForPrompt(/whole seconds/);
    const pad = (n: number) => String(n).padStart(2, '0');
    const text = `${target.getFullYear()}-${pad(target.getMonth() + 1)}-${pad(target.getDate())} ${pad(target.getHours())}:${pad(target.getMinutes())}:${pad(target.getSeconds())}`;
    await editor.page.keyboard.press('Control+A');
    await editor.page.keyboard.type(text);
    await editor.page.waitForTimeout(300);
    await editor.screenshot('pitr-mariadb-03-time');
    await editor.page.keyboard.press('Enter');
    const done = await wb.notification(/Recovered shop to the time/, 120_000);
    assert.match(done, /Compare with Production/);
    await wb.treeRow(/shop · recovered \(shop-\d{8}-/).waitFor();
    await editor.screenshot('pitr-mariadb-04-sandbox-connection');
    const [name] = fs.readdirSync(path.join(dir, 'sandboxes'));
    const connection = await createConnection({ socketPath: path.join(dir, 'sandboxes', name, 'mysqld.sock'), user: 'root', database: 'shop' });
    try {
      const [rows] = await connection.query('SELECT id FROM orders ORDER BY id');
      assert.deepEqual((rows as { id: number }[]).map(r => r.id), Array.from({ length: 21 }, (_, i) => i + 1), 'the deleted rows are back, and the row before the target');
    } finally {
      await connection.end();
    }
  }));
});
