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
  });

  after(async () => {
    await editor?.stop();
    await server?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'diff-');

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
    await page.getByText(/only in the backup/i).first().waitFor({ timeout: 60_000 });
    await editor.screenshot('diff-03-summary');
  }));

  it('ticks the missing rows, shows the SQL preview, applies after the modal, and production equals the backup again with an undo backup listed', () => step('merge', async () => {
    const page = wb.webview();
    for (const id of deletedIds) {
      await page.getByRole('checkbox', { name: new RegExp(`\\b${id}\\b`) }).first().check();
    }
    await page.getByText(/INSERT INTO/).first().waitFor();
    await editor.screenshot('diff-04-preview');
    await page.getByRole('button', { name: /Apply/ }).click();
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

    const productionId = fs.readdirSync(backups).find(name => name.startsWith('shop-production'))!;
    assert.equal(fs.readdirSync(path.join(backups, productionId)).filter(name => fs.existsSync(path.join(backups, productionId, name, 'manifest.json'))).length, 2,
      'the merge\'s undo backup is stored beside the backup it was restored from');
    await wb.treeRow(/shop \(production\).*2 backups/).waitFor();
    const undo = wb.treeRow(/rows a merge into public\.orders changed/);
    await undo.waitFor();
    await editor.screenshot('diff-07-undo-backup-in-tree');
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
