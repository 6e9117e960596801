import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/cli';
import { NODE24_BIN, editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { loadChinook, schemaDump, tableChecksums } from '../support/pgFidelity';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * A PostgreSQL backup and restore as a person does it in a real VS Code (code-server with the
 * packaged VSIX, headless Chromium) against a throwaway server: add the connection (the password
 * goes to SecretStorage), Backup Database from the palette through the four-step flow, see the
 * backup in the tree, restore it from the tree into a new database (which appears as a
 * connection), and run a restore drill whose time the tree then shows. Screenshots go to
 * test-results/e2e/ (postgres-*.png).
 */
describe('PostgreSQL backup and restore in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e-pg');
  const workspace = tmp.file('workspace');
  const backups = tmp.file('backups');
  const database = 'chinook';
  let server: PostgresServer;
  let editor: Editor;
  let wb: Workbench;

  before(async () => {
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    // The same choices as the palette's flow below makes, for the comparison at the end.
    fs.writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({
      version: '2.0.0',
      tasks: [{ label: 'Music backup, same choices', type: 'lifeboat', action: 'backup', connection: 'music', options: { format: 'auto', compression: 'zstd' } }],
    }, null, 2));
    server = await startPostgres();
    await loadChinook(server, database);
    // Enough rows that the progress notification stays up long enough to be seen.
    await server.query(`CREATE TABLE public.listening_log AS
      SELECT g AS id, now() - g * interval '1 minute' AS played_at, md5(g::text) || repeat(' track', 20) AS note
        FROM generate_series(1, 600000) g`, database);
    await server.query('ANALYZE', database);
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace, backupFolder: backups, settings: { 'lifeboat.compressionLevel': 3 } });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    await editor?.stop();
    await server?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'postgres-');

  it('adds a PostgreSQL connection with its password and tests it', () => step('add-connection', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar();
    const message = await wb.addConnectionByUri(`postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}?sslmode=disable`, 'music', /music: PostgreSQL 15/);
    assert.match(message, /database "chinook"/);
    await editor.screenshot('postgres-01-connection');
  }));

  it('backs up through the four-step flow with progress (the fast defaults: format left to Lifeboat, zstd), and the checked backup appears in the tree', () => step('backup', async () => {
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('music');
    await wb.chooseRow('Fastest for this database');
    await wb.chooseRow('Whole database');
    await editor.page.waitForTimeout(200);
    await editor.screenshot('postgres-02-compression-step');
    await wb.chooseRow('zstd');
    await wb.chooseRow(backups);
    await wb.backupInProgress('music');
    await editor.screenshot('postgres-03-backup-progress');
    const done = await wb.notification(/Backup of music checked/);
    assert.match(done, /pg_restore --list ok/);
    const row = wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await row.waitFor();
    assert.match(await row.innerText(), /custom/);
    await editor.screenshot('postgres-04-backup-in-tree');
    const [backupId] = fs.readdirSync(path.join(backups, 'music'));
    const manifest = JSON.parse(fs.readFileSync(path.join(backups, 'music', backupId, 'manifest.json'), 'utf8')) as
      { kind: string; files: { name: string; codec: string }[]; options: Record<string, unknown> };
    assert.equal(manifest.kind, 'pg_dump-custom');
    // code-server's Node 24 has zstd in zlib: the default codec there.
    assert.deepEqual(manifest.files.map(f => [f.name, f.codec]), [['database.dump.zst', 'zstd']]);
    assert.match(String(manifest.options.chosen), /^chosen by Lifeboat: one stream compressed by Lifeboat/);
  }));

  it('restores from the tree into a new database that equals the source and is added as a connection', () => step('restore', async () => {
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Restore Backup');
    await wb.chooseRow('Into a new database');
    await wb.waitForPrompt('Name of the new database');
    const proposed = await wb.inputValue();
    assert.match(proposed, /^chinook_restored_\d{8}_\d{4}$/);
    await editor.page.waitForTimeout(300);
    await editor.screenshot('postgres-05-restore-name');
    await wb.answer(undefined);
    await wb.chooseRow('Keep owners and GRANTs');
    const done = await wb.notification(/Restored .* into "chinook_restored_/);
    assert.match(done, /listed as a connection/);
    await wb.treeRow(/chinook_restored_.*restored from music/).waitFor();
    await editor.screenshot('postgres-06-restored-connection');
    assert.deepEqual(await tableChecksums(server, proposed), await tableChecksums(server, database), 'every table\'s rows and every sequence as in the source');
    assert.equal(await schemaDump(server, proposed), await schemaDump(server, database), 'the same schema');
  }));

  it('runs a restore drill from the tree and shows the measured restore time', () => step('drill', async () => {
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Verify Backup');
    await wb.chooseRow('Deep: a restore drill');
    const done = await wb.notification(/is intact/, 120_000);
    assert.match(done, /every row the archive holds/);
    await wb.treeRow(/RTO/).waitFor();
    await editor.screenshot('postgres-07-drill-rto');
    const drills = await server.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'lifeboat_drill%'");
    assert.deepEqual(drills, [], 'the drill database is dropped');
  }));

  it('the editor, a task and the CLI given the same choices write the same manifest options', () => step('same-options', async () => {
    const dumps = () => fs.readdirSync(path.join(backups, 'music')).map(id => path.join(backups, 'music', id, 'manifest.json')).filter(f => fs.existsSync(f))
      .map(f => JSON.parse(fs.readFileSync(f, 'utf8')) as { id: string; startedAt: string; options: Record<string, unknown> }).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    const [fromEditor] = dumps();
    await wb.runCommand('Tasks: Run Task');
    await wb.pickRow('Music backup, same choices');
    for (let tries = 0; dumps().length < 2; tries++) {
      assert.ok(tries < 600, 'the task\'s backup appears');
      await editor.page.waitForTimeout(100);
    }
    await editor.screenshot('postgres-08-task-backup');
    const config = tmp.file('lifeboat.json');
    fs.writeFileSync(config, JSON.stringify({
      backupFolder: backups, compression: 'zstd', compressionLevel: 3,
      connections: [{ id: 'music', name: 'music', engine: 'postgres', host: server.host, port: server.port, user: server.user, database, passwordEnv: 'LIFEBOAT_E2E_PASSWORD' }],
    }));
    // The CLI on the editor's Node (24), whose zlib has zstd, as the extension host's does.
    const cli = await runCli(['--config', config, 'backup', 'music', '--format', 'auto', '--compression', 'zstd', '--json'],
      { node: path.join(NODE24_BIN, 'node'), env: { LIFEBOAT_E2E_PASSWORD: server.password } });
    assert.equal(cli.code, 0, cli.stderr);
    const [, fromTask, fromCli] = dumps();
    assert.equal(fromEditor.options.level, 3, 'the compression level setting applies');
    assert.deepEqual(fromTask.options, fromEditor.options, 'a task writes what the editor writes');
    assert.deepEqual(fromCli.options, fromEditor.options, 'the CLI writes what the editor writes');
  }));
});
