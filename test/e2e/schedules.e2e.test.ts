import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configuredCli, json, runCli } from '../support/cli';
import { editorStep, startLifeboatEditor, type Editor } from '../support/codeServer';
import { createSampleDatabase } from '../support/sqliteFixtures';
import { tempFolder } from '../support/temp';
import { Workbench } from '../support/workbench';

/**
 * Schedules in a real VS Code (code-server with the packaged VSIX, in headless Chromium): a tier
 * and a schedule set in lifeboat.policies, the editor's runner running the due backup by itself
 * (recorded in the run log the CLI reads), a failing schedule's notification and the status bar,
 * and the tree's RPO / 3-2-1 / RTO marks, which agree with `lifeboat status --json` for the same
 * folder. Screenshots go to test-results/e2e/.
 */
interface Status { connection: string; health: string; summary: string; lastRun: { ok: boolean } | null; problems: string[] }

describe('Lifeboat schedules and status in a real editor', () => {
  const tmp = tempFolder('lifeboat-e2e-schedules');
  const workspace = tmp.file('workspace');
  const backups = tmp.file('backups');
  const orders = path.join(workspace, 'orders.db');
  const broken = path.join(workspace, 'broken.db');
  let editor: Editor;
  let wb: Workbench;

  before(async () => {
    fs.mkdirSync(workspace, { recursive: true });
    createSampleDatabase(orders, { rows: 2000 });
    createSampleDatabase(broken, { rows: 10 });
    editor = await startLifeboatEditor({ home: tmp.file('home'), workspace, backupFolder: backups });
    wb = new Workbench(editor.page);
  });

  after(async () => {
    await editor?.stop();
    tmp.dispose();
  });

  const step = editorStep(() => editor, 'schedules-');
  const statusBar = (text: string | RegExp) => editor.page.locator('.statusbar-item', { hasText: text }).first();
  // code-server keeps a machine-scoped setting written by an extension in its Machine settings.
  const userSettings = () => ['Machine', 'User'].map(scope => path.join(tmp.file('home'), 'user-data', scope, 'settings.json'))
    .find(file => fs.existsSync(file) && /lifeboat\.policies/.test(fs.readFileSync(file, 'utf8')))!;
  const policies = () => (JSON.parse(fs.readFileSync(userSettings(), 'utf8')) as { 'lifeboat.policies': Record<string, Record<string, unknown>> })['lifeboat.policies'];
  // The CLI, configured like the editor: the same backup folder and connections, and the policies the editor wrote.
  const cli = () => configuredCli(tmp.file('lifeboat.json'), {
    backupFolder: backups,
    connections: [
      { id: 'orders', name: 'orders', engine: 'sqlite', path: orders, ...policies().orders },
      { id: 'broken', name: 'broken', engine: 'sqlite', path: broken, ...policies().broken },
    ],
  });

  async function setTierAndSchedule(connection: string, tier: string): Promise<void> {
    await wb.contextMenu(wb.treeRow(new RegExp(`^${connection}`)), 'Set Tier and Schedule…');
    // Quick picks: each row is waited for by its text.
    await wb.chooseRow(tier);
    await wb.chooseRow('Another cron expression');
    await wb.waitForPrompt(/A cron expression/);
    await wb.answer('* * * * *');
    await wb.chooseRow('No drill');
    await wb.notification(new RegExp(`${connection}: ${tier} tier, backup \\* \\* \\* \\* \\*`));
  }
  const runs = () => fs.existsSync(path.join(backups, '.lifeboat-runs', 'runs.jsonl'))
    ? fs.readFileSync(path.join(backups, '.lifeboat-runs', 'runs.jsonl'), 'utf8').trim().split('\n').map(l => JSON.parse(l) as { type: string; connection: string; ok: boolean }).filter(r => r.type === 'run') : [];

  it('runs the due backup by itself; a schedule that fails is notified and shown in the status bar', () => step('run', async () => {
    await wb.openView('Lifeboat');
    await wb.widenSideBar(320);
    await wb.addConnectionByUri(`sqlite://${orders}`, 'orders', /orders/);
    await wb.addConnectionByUri(`sqlite://${broken}`, 'broken', /broken/);
    await wb.clearNotifications();
    await setTierAndSchedule('orders', 'important');
    await setTierAndSchedule('broken', 'dev');
    assert.deepEqual(policies().orders.tier, 'important', 'written to lifeboat.policies');
    // Gone after it was added: its scheduled backup fails.
    fs.rmSync(broken);
    // The runner checks every 30 s; its first look registers the schedules (counted from then),
    // the next minute's slot is then due and runs without anyone asking.
    await statusBar(/Lifeboat: next \d\d:\d\d/).waitFor({ timeout: 60_000 });
    const failed = await wb.notification(/scheduled backup "backup" of broken failed/, 150_000);
    assert.match(failed, /broken\.db/);
    await statusBar(/Lifeboat: 1 failed/).waitFor({ timeout: 30_000 });
    await editor.screenshot('schedules-01-failed-run');
    const recorded = runs();
    assert.deepEqual(recorded.map(r => [r.connection, r.ok]).sort(), [['broken', false], ['orders', true]], 'one run of each, in the run log beside the backups');
    await wb.treeRow(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/).waitFor();
  }));

  it('shows each connection\'s RPO, 3-2-1 and RTO marks in the tree, as lifeboat status --json reports them for the same folder', () => step('status', async () => {
    await wb.clearNotifications();
    let agreed = false;
    let last = '';
    // The summaries hold the next run's minute: compared within one minute, tried again if it turned.
    for (let attempt = 0; attempt < 3 && !agreed; attempt++) {
      await wb.runCommand('Lifeboat: Refresh');
      const row = wb.treeRow(/^orders/);
      await row.waitFor();
      const shown = await editor.page.locator('.sidebar .monaco-list-row', { hasText: 'RPO' }).allInnerTexts();
      const status = json<{ connections: Status[] }>(await cli().ok('status')).connections;
      last = `tree: ${JSON.stringify(shown)}\ncli: ${JSON.stringify(status.map(s => s.summary))}`;
      agreed = status.every(s => shown.some(text => text.replace(/\s+/g, ' ').includes(`${s.connection}`) && text.replace(/\s+/g, ' ').includes(s.summary)));
      if (agreed) {
        const ordersStatus = status.find(s => s.connection === 'orders')!;
        assert.match(ordersStatus.summary, /^RPO 15 min ✓ · 2 copies, 1 media, 0 off-site ! · RTO 1 h untested · next \d\d:\d\d$/);
        assert.equal(status.find(s => s.connection === 'broken')!.health, 'bad');
      }
    }
    assert.ok(agreed, `the tree and lifeboat status --json agree:\n${last}`);
    await wb.treeRow(/^orders/).hover();
    const hover = editor.page.locator('.monaco-hover', { hasText: 'Protection' }).first();
    await hover.waitFor();
    const words = await hover.innerText();
    assert.match(words, /important tier: RPO 15 min, RTO 1 h/);
    assert.match(words, /no off-site copy: add an S3 destination/);
    assert.match(words, /no restore drill measured/);
    await editor.screenshot('schedules-02-status-in-tree');
  }));

  it('opens the Recovery Report: every connection\'s state, its runs and a chart, and the same report as Markdown from the CLI', () => step('report', async () => {
    await wb.runCommand('Lifeboat: Recovery Report');
    const page = wb.webview();
    await page.locator('h1', { hasText: 'Recovery Report' }).waitFor({ timeout: 30_000 });
    const summary = await page.locator('table.summary').innerText();
    assert.match(summary, /orders\s+important/);
    assert.match(summary, /broken\s+dev/);
    await page.locator('section', { hasText: 'broken' }).locator('tr.bad', { hasText: 'failed' }).first().waitFor();
    assert.equal(await page.locator('section').count(), 2, 'a section per connection');
    await editor.screenshot('schedules-03-recovery-report');
    const markdown = await runCli(['--config', cli().file, 'report', '--markdown']);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout.replace(/\r/g, ''), /^# Lifeboat recovery report/);
    assert.match(markdown.stdout, /\| orders \| important \| needs attention \|/);
    assert.match(markdown.stdout, /\| broken \| dev \| AT RISK \|/);
    assert.match(markdown.stdout, /failed: The SQLite database/);
  }));

  it('applies retention from the connection\'s menu: the dry run lists what goes and why the rest stays, then deletes on purpose', () => step('retention', async () => {
    await wb.runCommand('Lifeboat: Backup Database');
    await wb.pickRow('orders');
    await wb.chooseRow('Online copy');
    await wb.notification(/Backup of orders checked/);
    const before = fs.readdirSync(path.join(backups, 'orders')).length;
    assert.ok(before >= 2, `at least the scheduled and this backup: ${before}`);
    await wb.clearNotifications();
    // Retention is edited by hand in settings.json, as a person would.
    const settings = JSON.parse(fs.readFileSync(userSettings(), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;
    settings['lifeboat.policies'].orders.retention = { last: 1 };
    fs.writeFileSync(userSettings(), JSON.stringify(settings, null, 2));
    for (let attempt = 0; ; attempt++) {
      await wb.contextMenu(wb.treeRow(/^orders/), 'Apply Retention…');
      const shown = await Promise.race([
        wb.waitForPrompt(/Retention of orders \(dry run\)/).then(() => 'plan', () => 'neither'),
        wb.notification(/has no retention/, 20_000).then(() => 'not yet', () => 'neither'),
      ]);
      if (shown === 'plan') break;
      assert.ok(attempt < 5, 'the settings file change reached the editor');
      await wb.clearNotifications();
      await editor.page.waitForTimeout(1000);
    }
    const rows = await wb.quickInput.locator('.monaco-list-row').allInnerTexts();
    assert.ok(rows.some(r => /keep .*last.*newest verified|keep .*newest verified/s.test(r)), rows.join('\n'));
    assert.ok(rows.some(r => /delete 2026-/.test(r)), rows.join('\n'));
    await editor.screenshot('schedules-04-retention-dry-run');
    await wb.chooseRow('Delete');
    assert.match(await wb.dialog(/Delete \d+ backups? of orders\?/), /deleted whole/);
    await wb.dialogButton('Delete');
    await wb.notification(/Retention of orders: \d+ backups? deleted/);
    const left = fs.readdirSync(path.join(backups, 'orders')).filter(n => !n.startsWith('.'));
    assert.ok(left.length >= 1 && left.length < before, `kept the newest (and any made meanwhile): ${left.join(', ')}`);
  }));
});
