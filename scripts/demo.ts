import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHINOOK_SQLITE } from '../test/support/chinook';
import { startCodeServer } from '../test/support/codeServer';
import { createSampleDatabase } from '../test/support/sqliteFixtures';

/**
 * A sample workspace in .lifeboat-demo/: shop.db (generated: customers, BLOB attachments, unicode,
 * a table with a hostile name) and a copy of Chinook (test/fixtures/chinook), both already added
 * as connections, a tasks.json with a backup task, and backups going to .lifeboat-demo/backups.
 * Then code-server on http://127.0.0.1:$PORT (default 8080) until Ctrl-C.
 */
const root = path.resolve(__dirname, '..');
const demo = path.join(root, '.lifeboat-demo');
const workspace = path.join(demo, 'workspace');

async function main(): Promise<void> {
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  const shop = path.join(workspace, 'shop.db');
  if (!fs.existsSync(shop)) createSampleDatabase(shop, { rows: 50_000 });
  const chinook = path.join(workspace, 'chinook.sqlite');
  if (!fs.existsSync(chinook)) fs.copyFileSync(CHINOOK_SQLITE, chinook);
  const connections = [
    { id: 'shop', name: 'shop', engine: 'sqlite', path: shop },
    { id: 'chinook', name: 'Chinook', engine: 'sqlite', path: chinook },
  ];
  fs.writeFileSync(path.join(workspace, '.vscode', 'tasks.json'), JSON.stringify({
    version: '2.0.0',
    tasks: [{ label: 'Back up shop', type: 'lifeboat', action: 'backup', connection: 'shop' }],
  }, null, 2));
  const server = await startCodeServer({
    home: path.join(demo, 'home'), workspace, port: Number(process.env.PORT ?? 8080),
    settings: { 'workbench.secondarySideBar.defaultVisibility': 'hidden' },
    machineSettings: { 'lifeboat.backupFolder': path.join(demo, 'backups'), 'lifeboat.connections': connections },
  });
  process.stdout.write(`\nLifeboat is running in code-server. Open:\n\n  ${server.url}\n\n` +
    'Click the lifebuoy in the activity bar, then "Backup Database" on a connection; right-click a backup to restore it.\n' +
    `Backups go to ${path.join(demo, 'backups')}. Ctrl-C stops the editor.\n`);
  const stop = () => {
    server.process.removeAllListeners('exit');
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.process.on('exit', code => { process.stderr.write(`code-server exited (${code})\n${server.log().slice(-2000)}`); process.exit(1); });
}

main().catch(error => {
  process.stderr.write(`demo: ${(error as Error).message}\n`);
  process.exit(1);
});
