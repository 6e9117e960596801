import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { sha256File } from '../support/hash';
import { createSampleDatabase, dumpRows } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * A person in a real VS Code (code-server 1.139 with the packaged VSIX, in headless Chromium):
 * opens the Lifeboat view, adds a SQLite connection, runs "Backup Database" from the Command
 * Palette, sees the verified backup in the tree, restores it from the tree's context menu, and
 * runs a backup from tasks.json. Screenshots go to test-results/e2e/.
 */
describe('Lifeboat in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e');
  const workspace = tmp.file('workspace');
  const backups = tmp.file('backups');
  const source = path.join(workspace, 'shop.db');
  let editor: Editor;
  let wb: Workbench;

  before(async () => {
    fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
    // Big enough (about 140 MB) that the progress notification is on screen for a while.
    createSampleDatabase(source, { rows: 150_000, blobBytes: 3000 });
    fs.writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({
      version: '2.0.0',
      tasks: [{ label: 'Nightly shop backup', type: 'lifeboat', action: 'backup', connection: 'shop' }],
    }, null, 2));
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace, backupFolder: backups });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    await editor?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor);

  it('shows the Lifeboat view with its welcome', () => step('welcome', async () => {
    await wb.openView('Lifeboat');
    await editor.page.locator('.welcome-view-content', { hasText: 'No databases yet' }).waitFor();
    await wb.widenSideBar();
    for (let i = 0; i < 3; i++) await editor.page.keyboard.press('Escape');
    await editor.screenshot('01-welcome');
  }));

  it('adds a SQLite connection and tests it', () => step('add-connection', async () => {
    await editor.page.locator('.welcome-view-content .monaco-button', { hasText: 'Add Connection' }).click();
    await wb.pickRow('Paste a connection URI');
    await wb.answer(`sqlite://${source}`);
    await wb.waitForPrompt('A name for this connection');
    assert.equal(await wb.inputValue(), 'shop.db', 'the file name is proposed as the name');
    await wb.answer('shop');
    const message = await wb.notification(/shop: SQLite/);
    assert.match(message, /SQLite 3\.\d+\.\d+ via node:sqlite/, 'Test Connection reports the library and the driver the editor uses (node:sqlite on Node 24)');
    await wb.treeRow('shop').waitFor();
    await editor.screenshot('02-connection-added');
  }));

  it('backs up from the Command Palette with real progress, and the verified backup appears in the tree', () => step('backup', async () => {
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('shop');
    await wb.chooseRow('Online copy');
    const progress = editor.page.locator('.notification-toast', { hasText: 'Lifeboat: Backing up shop' });
    await progress.waitFor();
    await editor.page.locator('.notification-toast', { hasText: /[1-9]\d?% · (Copying|Compressing)/ }).first().waitFor();
    await editor.screenshot('03-backup-progress');
    const done = await wb.notification(/Backup of shop checked/);
    assert.match(done, /integrity_check ok, row counts ok, 4 tables/);
    const row = wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await row.waitFor();
    assert.match(await row.getAttribute('aria-label') ?? '', /^Backup .*, verified, /);
    await editor.screenshot('04-backup-in-tree');
  }));

  it('restores the backup from the tree into a new file identical to the source', () => step('restore', async () => {
    const row = wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await wb.contextMenu(row, 'Restore Backup');
    await wb.waitForPrompt(/Restore into this new file/);
    const proposed = await wb.inputValue();
    assert.equal(path.dirname(proposed), workspace, 'a new file beside the source is proposed');
    assert.match(path.basename(proposed), /^shop-restored-\d{8}-\d{6}\.db$/);
    await editor.page.waitForTimeout(300); // let the input box finish fading in for the screenshot
    await editor.screenshot('05-restore-target');
    await wb.answer(undefined);
    await wb.notification(/Restored shop-restored-.*identical to the backup/);
    await editor.screenshot('06-restored');
    assert.ok(fs.existsSync(proposed), `${proposed} exists`);
    const manifestFile = fs.readdirSync(path.join(backups, 'shop')).map(b => path.join(backups, 'shop', b, 'manifest.json'))[0];
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: { contentSha256: string; codec: string }[] };
    assert.equal(manifest.files[0].codec, 'zstd', 'the default codec in code-server (Node 24)');
    assert.equal(sha256File(proposed), manifest.files[0].contentSha256, 'the restored file is the backed-up copy, byte for byte');
    assert.deepEqual(dumpRows(proposed), dumpRows(source), 'and equals the source row for row');
  }));

  it('verifies the backup from the tree', () => step('verify', async () => {
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Verify Backup');
    await wb.chooseRow('Full');
    const message = await wb.notification(/is intact/);
    assert.match(message, /SHA-256 matches/);
  }));

  it('cancels a running backup from its notification and keeps nothing', () => step('cancel', async () => {
    const before = fs.readdirSync(path.join(backups, 'shop')).sort();
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('shop');
    await wb.chooseRow('Online copy');
    const toast = editor.page.locator('.notification-toast', { hasText: /Lifeboat: Backing up shop/ }).first();
    await toast.waitFor();
    await toast.getByRole('button', { name: 'Cancel' }).click();
    await wb.notification(/Backing up shop: cancelled\. Nothing partial was kept\./);
    await editor.screenshot('07-cancelled');
    assert.deepEqual(fs.readdirSync(path.join(backups, 'shop')).sort(), before, 'no new backup folder');
    const leftovers = (fs.readdirSync(backups, { recursive: true }) as string[]).filter(f => /partial|scratch|work-/.test(f));
    assert.deepEqual(leftovers, [], 'no partial or scratch files');
  }));

  it('runs a backup from tasks.json through the lifeboat task type', () => step('task', async () => {
    await wb.runCommand('Tasks: Run Task');
    await wb.pickRow('Nightly shop backup');
    await editor.page.locator('.terminal-wrapper').first().waitFor({ timeout: 30_000 });
    await wb.treeRow(/shop.*2 backups/).waitFor({ timeout: 60_000 });
    await editor.screenshot('08-task-backup');
    assert.equal(fs.readdirSync(path.join(backups, 'shop')).length, 2);
  }));

  it('backs up an incremental snapshot, which the tree describes as one', () => step('snapshot', async () => {
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('shop');
    await wb.chooseRow('Incremental snapshot');
    const done = await wb.notification(/Backup of shop checked: incremental/);
    assert.match(done, /incremental · \+[\d.]+ [KM]?B new of [\d.]+ [KM]?B, first of its chain/);
    const row = editor.page.locator('.monaco-list-row[aria-label*="incremental"]').first();
    await row.waitFor();
    await editor.screenshot('08b-snapshot-in-tree');
    assert.ok(fs.existsSync(path.join(backups, 'shop', 'blocks')), 'its blocks are in the connection\'s blocks folder');
  }));

  it('offers Backup Database in a fresh window before the Lifeboat view is opened', () => step('palette-after-reload', async () => {
    await wb.openView('Explorer');
    await wb.runCommand('Developer: Reload Window');
    await editor.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await editor.page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
    // The extension activates when start-up has finished; until then the palette cannot know.
    const offered = async () => {
      await editor.page.keyboard.press('F1');
      await wb.quickInput.locator('input').fill('>Lifeboat: Backup Database');
      const row = wb.quickInput.locator('.monaco-list-row', { hasText: 'Lifeboat: Backup Database' }).first();
      return row.waitFor({ timeout: 2000 }).then(() => true, () => false);
    };
    let found = false;
    for (let attempt = 0; attempt < 15 && !found; attempt++) {
      found = await offered();
      if (!found) await editor.page.keyboard.press('Escape');
    }
    await editor.screenshot('09-palette-after-reload');
    await editor.page.keyboard.press('Escape');
    assert.ok(found, 'Lifeboat: Backup Database is in the palette without opening the view');
  }));
});
