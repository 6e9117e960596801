import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { startPostgres, type PostgresServer } from '../support/postgresServer';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * The partial-restore drill in a real VS Code (code-server with the packaged VSIX, headless
 * Chromium) against a throwaway PostgreSQL: back up the production database, restore it from the
 * tree into a new database (which becomes a connection), delete rows in production behind the
 * editor's back, run Compare with Production… on the restored connection, tick the missing rows
 * in the diff webview, read the SQL preview, Apply, confirm the modal, and find production's table
 * equal to the backup again, row by row, with the merge's undo backup listed under production.
 * Screenshots go to test-results/e2e/ (diff-*.png).
 */
describe('Compare a restored table with production and merge rows back, in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e-diff');
  const workspace = tmp.file('workspace');
  const backups = tmp.file('backups');
  const database = 'shop';
  const production = 'shop (production)';
  /** Rows someone deleted "at 10:30". */
  const deletedIds = [7, 42, 99, 150, 151, 233];
  let server: PostgresServer;
  let editor: Editor;
  let wb: Workbench;
  let restoredDatabase = '';
  let backupRows: OrderRow[] = [];
  const cspViolations: string[] = [];

  before(async () => {
    fs.mkdirSync(workspace, { recursive: true });
    server = await startPostgres();
    await server.createDatabase(database);
    await server.query(`CREATE TABLE public.customers (id integer PRIMARY KEY, name text NOT NULL)`, database);
    await server.query(`INSERT INTO public.customers SELECT g, 'customer ' || g FROM generate_series(1, 40) g`, database);
    await server.query(`CREATE TABLE public.orders (
        id integer PRIMARY KEY,
        customer_id integer NOT NULL REFERENCES public.customers,
        amount numeric(10, 2) NOT NULL,
        placed_at timestamptz NOT NULL,
        note text)`, database);
    await server.query(`INSERT INTO public.orders
        SELECT g, 1 + g % 40, round((g * 7.31)::numeric % 500, 2), timestamptz '2026-11-25 08:00:00+00' + g * interval '97 seconds',
               CASE WHEN g % 5 = 0 THEN NULL ELSE 'order ' || g || ' – ☃ gift wrap' END
          FROM generate_series(1, 300) g`, database);
    backupRows = await orderRows(database);
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace, backupFolder: backups });
    wb = new Workbench(editor.page);
    editor.page.on('console', message => {
      if (/Content.Security.Policy|Refused to (load|execute|apply|connect)/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  after(async () => {
    await editor?.stop();
    await server?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'diff-');

  async function tableHash(db: string): Promise<string> {
    const [{ hash }] = await server.query<{ hash: string }>(`SELECT md5(string_agg(o::text, E'\\n' ORDER BY o.id)) AS hash FROM public.orders o`, db);
    return hash;
  }

  async function orderRows(db: string): Promise<OrderRow[]> {
    return server.query<OrderRow>(`SELECT id, customer_id, amount::text AS amount, placed_at::text AS placed_at, note FROM public.orders ORDER BY id`, db);
  }

  it('backs up production and restores it from the tree into a new database, listed as a connection', () => step('backup-restore', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar();
    await wb.addConnectionByUri(`postgres://${server.user}:${encodeURIComponent(server.password)}@${server.host}:${server.port}/${database}?sslmode=disable`, production, /shop \(production\): PostgreSQL/);
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow(production);
    await wb.chooseRow('Fastest for this database');
    await wb.chooseRow('Whole database');
    await wb.chooseRow('zstd');
    await wb.chooseRow(backups);
    await wb.notification(/Backup of shop \(production\) checked/);
    await wb.contextMenu(wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/), 'Restore Backup');
    await wb.chooseRow('Into a new database');
    await wb.waitForPrompt('Name of the new database');
    restoredDatabase = await wb.inputValue();
    await wb.answer(undefined);
    await wb.chooseRow('Keep owners and GRANTs');
    assert.match(await wb.notification(/Restored .* into "shop_restored_/), /listed as a connection/);
    await wb.treeRow(/shop_restored_.*restored from shop \(production\)/).waitFor();
    await editor.screenshot('diff-01-restored-connection');
    assert.deepEqual(await orderRows(restoredDatabase), backupRows, 'the restored copy holds the backup\'s rows');
  }));

  it('loses rows in production, then Compare with Production… on the restored connection proposes where it came from and the same table', () => step('compare', async () => {
    const deleted = await server.query(`DELETE FROM public.orders WHERE id = ANY($1::int[]) RETURNING id`, database, [deletedIds]);
    assert.equal(deleted.length, deletedIds.length);

    await wb.clearNotifications();
    await wb.contextMenu(wb.treeRow(/shop_restored_.*restored from/), 'Compare with Production…');
    await wb.waitForPrompt('Compare with Production (1/3)');
    await wb.chooseRow('public.orders');
    await wb.waitForPrompt(/\(2\/3\)/);
    const proposed = wb.quickInput.locator('.monaco-list-row').first();
    assert.match(await proposed.innerText(), /shop \(production\)[\s\S]*restored from here/, 'the connection the copy was restored from comes first');
    await editor.screenshot('diff-02-production-proposed');
    await wb.answer(undefined);
    await wb.waitForPrompt(/\(3\/3\)/);
    const sameTable = wb.quickInput.locator('.monaco-list-row').first();
    assert.match(await sameTable.innerText(), /public\.orders[\s\S]*same table/, 'the same table is proposed first');
    await wb.answer(undefined);

    await editor.page.locator('.tab', { hasText: 'Compare public.orders' }).waitFor();
    const page = wb.webview();
    const missing = page.locator('vscode-button[data-filter="onlyInBackup"]');
    await missing.waitFor({ timeout: 60_000 });
    assert.equal((await missing.innerText()).replace(/\s+/g, ' ').trim(), `Missing in production ${deletedIds.length}`);
    assert.equal((await page.locator('vscode-button[data-filter="onlyInProduction"]').innerText()).replace(/\s+/g, ' ').trim(), 'Only in production 0');
    assert.equal((await page.locator('vscode-button[data-filter="changed"]').innerText()).replace(/\s+/g, ' ').trim(), 'Changed 0');
    await editor.screenshot('diff-03-summary');
  }));

  it('rebuilds the page from the editor\'s state when its tab is hidden and shown again, ticks kept', () => step('hide-show', async () => {
    const page = wb.webview();
    await page.locator('vscode-button[data-filter="onlyInBackup"]').click();
    for (const id of deletedIds.slice(0, 2)) await page.locator(`vscode-checkbox[aria-label="Select missing row ${id}"]`).click();
    await page.locator('.selected-count', { hasText: '2 rows selected' }).waitFor();
    // The page is torn down while hidden (retainContextWhenHidden is off): a mark on its document
    // must be gone when it shows the comparison again.
    await page.locator('body').evaluate(body => { body.dataset.beforeHiding = 'yes'; });
    await wb.runCommand('File: New Untitled Text File');
    await editor.page.locator('.tab', { hasText: 'Untitled-1' }).waitFor();
    await editor.page.locator('.tab', { hasText: 'Compare public.orders' }).click();
    const missing = page.locator('vscode-button[data-filter="onlyInBackup"]');
    await missing.filter({ hasText: String(deletedIds.length) }).waitFor();
    assert.equal(await page.locator('body[data-before-hiding]').count(), 0, 'a new page, not the old one kept alive');
    assert.equal(await page.locator('vscode-button[data-filter="onlyInBackup"]').getAttribute('aria-pressed'), 'true', 'the filter chosen before');
    await page.locator('.selected-count', { hasText: '2 rows selected' }).waitFor();
    for (const id of deletedIds) {
      const ticked = await page.locator(`vscode-checkbox[aria-label="Select missing row ${id}"]`).evaluate(box => (box as unknown as { checked: boolean }).checked);
      assert.equal(ticked, deletedIds.slice(0, 2).includes(id), `row ${id} ticked as before hiding`);
    }
  }));

  it('ticks the missing rows, shows the SQL preview, applies after the modal, and production equals the backup again with an undo backup listed', () => step('merge', async () => {
    const page = wb.webview();
    for (const id of deletedIds.slice(2)) await page.locator(`vscode-checkbox[aria-label="Select missing row ${id}"]`).click();
    const sql = page.locator('pre.sql');
    await sql.filter({ hasText: 'INSERT INTO' }).waitFor();
    await page.locator('.preview-info', { hasText: /^6 inserts/ }).waitFor();
    const statements = (await sql.innerText()).split('\n').filter(line => /^\s*INSERT INTO/.test(line));
    assert.equal(statements.length, deletedIds.length, 'one INSERT per ticked row');
    for (const id of deletedIds) assert.ok(statements.some(line => new RegExp(`VALUES \\('${id}',`).test(line)), `the preview inserts order ${id}`);
    await editor.screenshot('diff-04-preview');
    const apply = page.locator('vscode-button[data-action="apply"]');
    assert.equal((await apply.innerText()).trim(), 'Apply 6 rows to production…');
    await apply.click();
    const question = await wb.dialog(/Merge 6 rows into/);
    assert.match(question, /Merge 6 rows into "public\.orders" on "shop \(production\)"\?/);
    assert.match(question, /saves the rows it changes as a backup first, then writes in one transaction/);
    await editor.screenshot('diff-05-confirm');
    await wb.dialogButton('Merge');
    const merged = await wb.notification(/Merged into "public\.orders"/);
    assert.match(merged, /6 inserted, 0 updated, 0 deleted/);
    await editor.screenshot('diff-06-applied');

    const after = await orderRows(database);
    assert.deepEqual(after, backupRows, 'production holds the backup\'s rows again, row by row');
    assert.equal(rowsHash(after), rowsHash(backupRows));
    assert.equal(await tableHash(database), await tableHash(restoredDatabase), 'the server\'s own text of every row, in key order, hashes alike on both sides');

    const productionId = fs.readdirSync(backups).find(name => name.startsWith('shop-production'))!;
    assert.equal(fs.readdirSync(path.join(backups, productionId)).filter(name => fs.existsSync(path.join(backups, productionId, name, 'manifest.json'))).length, 2,
      'the merge\'s undo backup is stored beside the backup it was restored from');
    await wb.treeRow(/shop \(production\).*2 backups/).waitFor();
    const undo = wb.treeRow(/rows a merge into public\.orders changed/);
    await undo.waitFor();
    assert.equal(await undo.getAttribute('aria-selected'), 'true', 'the undo backup is selected in the tree, where Undo Merge… is');
    await wb.page.locator('.notification-toast', { hasText: 'Lifeboat: Merging' }).waitFor({ state: 'hidden' });
    await editor.screenshot('diff-07-undo-backup-in-tree');
  }));

  it('compares again and finds no difference left', () => step('compare-again', async () => {
    const page = wb.webview();
    await page.locator('vscode-button', { hasText: 'Compare again' }).click();
    await page.locator('vscode-button[data-filter="all"]', { hasText: /^\s*All differences\s*0\s*$/ }).waitFor();
    for (const filter of ['onlyInBackup', 'onlyInProduction', 'changed']) {
      assert.match(await page.locator(`vscode-button[data-filter="${filter}"]`).innerText(), /\b0\s*$/);
    }
    await wb.clearNotifications();
    await editor.screenshot('diff-08-compared-again');
  }));

  it('Compare Tables… from the palette picks both sides, the restored copy\'s origin and the same table first', () => step('compare-tables', async () => {
    await server.query(`UPDATE public.customers SET name = 'Ada Lovelace (as restored)' WHERE id = 5`, restoredDatabase);
    await wb.runCommand('Lifeboat: Compare Tables…');
    await wb.waitForPrompt('Compare Tables (1/4)');
    await wb.chooseRow('shop_restored_');
    await wb.waitForPrompt('Compare Tables (2/4)');
    await wb.chooseRow('public.customers');
    await wb.waitForPrompt('Compare Tables (3/4)');
    assert.match(await wb.quickInput.locator('.monaco-list-row').first().innerText(), /shop \(production\)[\s\S]*restored from here/);
    await wb.answer(undefined);
    await wb.waitForPrompt('Compare Tables (4/4)');
    assert.match(await wb.quickInput.locator('.monaco-list-row').first().innerText(), /public\.customers[\s\S]*same table/);
    await wb.answer(undefined);
    await editor.page.locator('.tab', { hasText: 'Compare public.customers' }).waitFor();
    const page = wb.webview();
    await page.locator('vscode-button[data-filter="changed"]', { hasText: /^\s*Changed\s*1\s*$/ }).waitFor({ timeout: 60_000 });
    await page.locator('.summary', { hasText: /39\s*Same on both sides/ }).waitFor();
    await page.locator('vscode-checkbox[aria-label="Select changed row 5"]').waitFor();
    await wb.page.locator('.notification-toast', { hasText: 'Lifeboat: Comparing' }).waitFor({ state: 'hidden' });
    await editor.screenshot('diff-09-compare-tables');
  }));

  it('writes nothing when production changed between the comparison and Apply, and says which row', () => step('conflict', async () => {
    const page = wb.webview();
    await page.locator('vscode-checkbox[aria-label="Select changed row 5"]').click();
    await page.locator('pre.sql', { hasText: 'UPDATE' }).waitFor();
    await server.query(`UPDATE public.customers SET name = 'Ada (changed meanwhile)' WHERE id = 5`, database);
    await page.locator('vscode-button[data-action="apply"]').click();
    assert.match(await wb.dialog(/Merge 1 row into/), /Merge 1 row into "public\.customers" on "shop \(production\)"\?.*1 row updated/);
    await wb.dialogButton('Merge');
    const banner = page.locator('.banner.conflict');
    await banner.waitFor();
    assert.match(await banner.innerText(), /Nothing was written[\s\S]*Ada \(changed meanwhile\)/);
    await editor.screenshot('diff-10-conflict');
    assert.deepEqual(await server.query(`SELECT name FROM public.customers WHERE id = 5`, database), [{ name: 'Ada (changed meanwhile)' }], 'production as the other writer left it');
    const productionId = fs.readdirSync(backups).find(name => name.startsWith('shop-production'))!;
    assert.equal(fs.readdirSync(path.join(backups, productionId)).filter(name => fs.existsSync(path.join(backups, productionId, name, 'manifest.json'))).length, 2, 'no undo backup for a merge that wrote nothing');
    await banner.locator('vscode-button', { hasText: 'Compare again' }).click();
    await page.locator('vscode-checkbox[aria-label="Select changed row 5"]').waitFor();
    assert.match(await page.locator('.grid-row.kind-changed').first().innerText(), /Ada \(changed meanwhile\)/, 'compared again: production as it is now');
  }));

  it('ran the page under its Content-Security-Policy without a violation', () => step('csp', async () => {
    assert.deepEqual(cspViolations, []);
  }));
});

interface OrderRow {
  id: number;
  customer_id: number;
  amount: string;
  placed_at: string;
  note: string | null;
}

function rowsHash(rows: OrderRow[]): string {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify([row.id, row.customer_id, row.amount, row.placed_at, row.note]) + '\n');
  return hash.digest('hex');
}
