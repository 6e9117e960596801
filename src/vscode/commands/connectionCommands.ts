import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_PORTS, ENGINE_LABELS, makeConnectionId, parseConnectionUri, redactUri, type Connection, type ServerConnection } from '../../core/connection';
import { errorMessage } from '../../core/errors';
import { testConnection } from '../../engines';
import { pickConnection } from '../pickers';
import type { Services } from '../services';
import { ConnectionItem } from '../tree/items';

type AddChoice = 'uri' | 'sqlite' | 'sqlite-folder' | 'postgres' | 'mysql';

export function registerConnectionCommands(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.addConnection', () => addConnection(s)),
    vscode.commands.registerCommand('lifeboat.removeConnection', async (item?: ConnectionItem) => {
      const connection = item?.connection ?? await pickConnection(s.store, 'Remove which connection?');
      if (!connection) return;
      const answer = await vscode.window.showWarningMessage(`Remove the connection "${connection.name}"?`,
        { modal: true, detail: 'Its stored password is forgotten. Its backups stay in the backup folder.' }, 'Remove');
      if (answer !== 'Remove') return;
      await s.store.remove(connection.id);
      s.logger.info(`Removed connection ${connection.name} (${connection.id})`);
    }),
    vscode.commands.registerCommand('lifeboat.testConnection', async (item?: ConnectionItem) => {
      const connection = item?.connection ?? await pickConnection(s.store, 'Test which connection?');
      if (connection) await runTest(s, connection, true);
    }),
  ];
}

async function addConnection(s: Services): Promise<void> {
  const choice = await vscode.window.showQuickPick<{ label: string; detail: string; choice: AddChoice }>([
    { label: '$(link) Paste a connection URI…', detail: 'postgres://user@host:5432/db, mysql://…, mariadb://…, sqlite:///path/file.db', choice: 'uri' },
    { label: '$(database) SQLite database file…', detail: 'Choose a .sqlite / .db file', choice: 'sqlite' },
    { label: '$(file-submodule) Folder of SQLite databases…', detail: 'Every SQLite database in a folder, backed up in one run (databases added later are included)', choice: 'sqlite-folder' },
    { label: '$(server) PostgreSQL…', detail: 'Host, port, database, user, password', choice: 'postgres' },
    { label: '$(server) MySQL / MariaDB…', detail: 'Host, port, database, user, password', choice: 'mysql' },
  ], { title: 'Add Connection', placeHolder: 'How do you want to add the database?' });
  if (!choice) return;
  const existingIds = s.store.list().map(c => c.id);
  let parsed: { connection: Connection; password?: string } | undefined;
  switch (choice.choice) {
    case 'uri': parsed = await askUri(existingIds); break;
    case 'sqlite': parsed = await askSqliteFile(existingIds); break;
    case 'sqlite-folder': parsed = await askSqliteFolder(); break;
    default: parsed = await askServer(choice.choice, existingIds);
  }
  if (!parsed) return;
  const name = await vscode.window.showInputBox({
    title: 'Add Connection', prompt: 'A name for this connection', value: parsed.connection.name,
    validateInput: v => v.trim() ? undefined : 'Give the connection a name',
  });
  if (name === undefined) return;
  const connection = { ...parsed.connection, name: name.trim(), id: makeConnectionId(name.trim(), existingIds) } as Connection;
  await s.store.add(connection, parsed.password);
  s.logger.info(`Added connection ${connection.name} (${connection.id}, ${ENGINE_LABELS[connection.engine]})`);
  await runTest(s, connection, false);
}

async function askUri(existingIds: string[]) {
  const text = await vscode.window.showInputBox({
    title: 'Add Connection', prompt: 'Connection URI (a password in it is moved to the secret store)',
    placeHolder: 'postgres://user:password@host:5432/database  ·  sqlite:///home/me/app.db', ignoreFocusOut: true,
    validateInput: v => {
      if (!v.trim()) return undefined;
      try {
        parseConnectionUri(v, { existingIds });
        return undefined;
      } catch (error) {
        return errorMessage(error);
      }
    },
  });
  if (!text?.trim()) return undefined;
  return parseConnectionUri(text, { existingIds });
}

async function askSqliteFolder(): Promise<{ connection: Connection } | undefined> {
  const folders = await vscode.window.showOpenDialog({ title: 'Choose a folder of SQLite databases', canSelectFolders: true, canSelectFiles: false, openLabel: 'Add Connection' });
  if (!folders?.[0]) return undefined;
  const folder = folders[0].fsPath;
  return { connection: { engine: 'sqlite', id: '', name: path.basename(folder), path: folder, folder: true } };
}

async function askSqliteFile(existingIds: string[]) {
  const files = await vscode.window.showOpenDialog({
    title: 'Choose a SQLite database', canSelectMany: false, openLabel: 'Add Connection',
    filters: { 'SQLite databases': ['sqlite', 'sqlite3', 'db', 'db3', 's3db', 'sl3'], 'All files': ['*'] },
  });
  if (!files?.[0]) return undefined;
  return parseConnectionUri(files[0].fsPath, { existingIds, name: path.basename(files[0].fsPath) });
}

async function askServer(engine: 'postgres' | 'mysql', existingIds: string[]) {
  const title = `Add ${ENGINE_LABELS[engine]} Connection`;
  const ask = (prompt: string, value: string, options: Partial<vscode.InputBoxOptions> = {}) =>
    vscode.window.showInputBox({ title, prompt, value, ignoreFocusOut: true, ...options });
  const host = await ask('Host name, address, or socket folder', 'localhost');
  if (host === undefined) return undefined;
  const portText = await ask('Port', String(DEFAULT_PORTS[engine]), { validateInput: v => /^\d+$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? undefined : 'A port number between 1 and 65535' });
  if (portText === undefined) return undefined;
  const database = await ask('Database', engine === 'postgres' ? 'postgres' : '', { validateInput: v => v ? undefined : 'Name the database' });
  if (database === undefined) return undefined;
  const user = await ask('User', engine === 'postgres' ? 'postgres' : 'root', { validateInput: v => v ? undefined : 'Name the user' });
  if (user === undefined) return undefined;
  const password = await ask('Password (kept in the editor\'s secret storage; leave empty if none)', '', { password: true });
  if (password === undefined) return undefined;
  const connection: ServerConnection = { engine, id: '', name: `${database}@${host}`, host, port: Number(portText), database, user };
  connection.id = makeConnectionId(connection.name, existingIds);
  return { connection, ...(password ? { password } : {}) };
}

async function runTest(s: Services, connection: Connection, explicit: boolean): Promise<void> {
  const target = connection.engine === 'sqlite' ? connection.path : redactUri(`${connection.host}:${connection.port}/${connection.database}`);
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Lifeboat: connecting to ${connection.name}…`, cancellable: true },
      async (_progress, token) => {
        // The drivers give up on their own (10 s to connect, 15 s per query); Cancel stops waiting.
        const cancelled = new Promise<undefined>(resolve => token.onCancellationRequested(() => resolve(undefined)));
        return Promise.race([testConnection(connection, await s.store.password(connection.id)), cancelled]);
      });
    if (!result) return;
    s.logger.info(`Test of ${connection.name}: ${result.summary}`);
    void vscode.window.showInformationMessage(`${explicit ? '' : 'Added. '}${connection.name}: ${result.summary}`);
  } catch (error) {
    s.logger.warn(`Test of ${connection.name} (${target}) failed: ${errorMessage(error)}`);
    void s.jobs.showError(`${explicit ? '' : `Added "${connection.name}", but `}Test Connection failed: ${errorMessage(error)}`);
  }
}
