import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { startMariadb, type MariadbServer } from '../support/mariadbServer';
import { loadChinookMysql, objectDefinitions, tableChecksums } from '../support/mysqlFidelity';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * A MariaDB backup and restore as a person does it in a real VS Code (code-server with the
 * packaged VSIX, headless Chromium) against a throwaway server with the binary log on: add the
 * connection (password to SecretStorage), Backup Database through the three-step flow with
 * progress, the backup in the tree with its binary-log position, restore from the tree into a new
 * database (added as a connection), and a restore drill whose time the tree shows. Screenshots go
 * to test-results/e2e/ (mariadb-*.png).
 */
describe('MariaDB backup and restore in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e-maria');
  const workspace = tmp.file('workspace');
  const backups = tmp.file('backups');
  const database = 'chinook';
  let server: MariadbServer;
  let editor: Editor;
  let wb: Workbench;

  before(async () => {
    fs.mkdirSync(workspace, { recursive: true });
    server = await startMariadb({ settings: { log_bin: 'binlog', server_id: 1, binlog_format: 'ROW' } });
    await loadChinookMysql(server, database);
    // Enough rows that the progress notification stays up long enough to be seen.
    await server.query('CREATE TABLE listening_log (id INT PRIMARY KEY, played_at DATETIME(6), note TEXT)', database);
    await server.query("INSERT INTO listening_log SELECT seq, NOW(6) - INTERVAL seq MINUTE, CONCAT(MD5(seq), REPEAT(' track', 20)) FROM seq_1_to_600000", database);
    await server.query('ANALYZE TABLE listening_log', database);
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace, backupFolder: backups });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    await editor?.stop();
    await server?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'mariadb-');

  it('adds a MariaDB connection with its password and tests it', () => step('add-connection', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar();
    await wb.runCommand('Lifeboat: Add Connection');
    await wb.pickRow('Paste a connection URI');
    await wb.answer(`mariadb://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}?ssl-mode=disabled`);
    await wb.waitForPrompt('A name for this connection');
    await wb.answer('shop');
    const message = await wb.notification(/shop: MariaDB 10/);
    assert.match(message, /database "chinook"/);
    await wb.treeRow('shop').waitFor();
    await editor.screenshot('mariadb-01-connection');
  }));

  it('backs up through the three-step flow with progress, and the checked backup appears in the tree with its binary-log position', () => step('backup', async () => {
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('shop');
    await wb.chooseRow('Whole database');
    await editor.page.waitForTimeout(200);
    await editor.screenshot('mariadb-02-compression-step');
    await wb.chooseRow('zstd');
    await wb.chooseRow(backups);
    await editor.page.locator('.notification-toast', { hasText: 'Lifeboat: Backing up shop' }).waitFor();
    await editor.page.locator('.notification-toast', { hasText: /\d+% · Dumping / }).first().waitFor();
    await editor.screenshot('mariadb-03-backup-progress');
    const done = await wb.notification(/Backup of shop checked/);
    assert.match(done, /dump complete ok, binlog position ok/);
    const row = wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await row.waitFor();
    assert.match(await row.innerText(), /SQL dump/);
    await row.hover();
    await editor.page.locator('.monaco-hover', { hasText: 'Binary log' }).first().waitFor();
    await editor.screenshot('mariadb-04-backup-in-tree');
    const [backupId] = fs.readdirSync(path.join(backups, 'shop'));
    const manifest = JSON.parse(fs.readFileSync(path.join(backups, 'shop', backupId, 'manifest.json'), 'utf8')) as
      { kind: string; files: { name: string; codec: string }[]; consistency: Record<string, unknown>; tables: { name: string; rows: number }[] };
    assert.equal(manifest.kind, 'mysql-dump-sql');
    assert.deepEqual(manifest.files.map(f => [f.name, f.codec]), [['database.sql.zst', 'zstd']]);
    assert.match(String(manifest.consistency.binlogFile), /^binlog\.\d+$/);
    assert.equal(manifest.tables.find(t => t.name === 'listening_log')?.rows, 600000);
  }));

  it('restores from the tree into a new database that equals the source and is added as a connection', () => step('restore', async () => {
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Restore Backup');
    await wb.chooseRow('Into a new database');
    await wb.waitForPrompt('Name of the new database');
    const proposed = await wb.inputValue();
    assert.match(proposed, /^chinook_restored_\d{8}_\d{4}$/);
    await editor.page.waitForTimeout(300);
    await editor.screenshot('mariadb-05-restore-name');
    await wb.answer(undefined);
    const done = await wb.notification(/Restored .* into "chinook_restored_/, 120_000);
    assert.match(done, /listed as a connection/);
    await wb.treeRow(/chinook_restored_.*restored from shop/).waitFor();
    await editor.screenshot('mariadb-06-restored-connection');
    assert.deepEqual(await tableChecksums(server, proposed), await tableChecksums(server, database), 'every row of every table as in the source');
    assert.deepEqual(await objectDefinitions(server, proposed), await objectDefinitions(server, database), 'SHOW CREATE of every object as in the source');
  }));

  it('runs a restore drill from the tree and shows the measured restore time', () => step('drill', async () => {
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Verify Backup');
    await wb.chooseRow('Deep: a restore drill');
    const done = await wb.notification(/is intact/, 120_000);
    assert.match(done, /every row the dump holds/);
    await wb.treeRow(/RTO/).waitFor();
    await editor.screenshot('mariadb-07-drill-rto');
    assert.deepEqual(await server.query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'lifeboat\\_drill%'"), [], 'the drill database is dropped');
  }));
});
