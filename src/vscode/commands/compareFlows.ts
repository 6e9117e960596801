import * as vscode from 'vscode';
import { ENGINE_LABELS, describeConnection, type Connection } from '../../core/connection';
import { formatBytes } from '../../core/format';
import type { TableRef } from '../../diff';
import { listServerTables } from '../../engines';
import { listTables as listSqliteTables } from '../../engines/sqlite/inspect';
import { loadSqliteDriver } from '../../engines/sqlite/loadDriver';
import { tableName, type DiffSides } from '../diff/diffPanel';
import { restoredFrom } from '../restoredFrom';
import { accessFor } from '../serverTarget';
import type { Services } from '../services';
import { pick, type Item } from './flowSteps';

/**
 * The steps before a comparison: which table of the restored copy, which production connection
 * (the one the copy was restored from first), which table there (the same name first). Both
 * commands end with the two sides a comparison needs, passwords read from SecretStorage.
 */

/** "Compare with Production…" on a connection in the tree: that connection is the restored copy. */
export async function compareWithProductionFlow(s: Services, restored: Connection): Promise<DiffSides | undefined> {
  if (!comparable(restored)) {
    void vscode.window.showInformationMessage(`"${restored.name}" is a folder of SQLite databases: run Compare with Production… on one of the databases in it.`);
    return undefined;
  }
  const title = (step: number) => `Compare with Production (${step}/3)`;
  const backupTable = await pickTable(s, restored, title(1), `Which table of ${restored.name} (the restored copy)?`);
  if (!backupTable) return undefined;
  const origin = restoredFrom(s.memento, restored.id);
  const production = await pickProductionConnection(s, restored, title(2), backupTable, origin?.connectionId);
  if (!production) return undefined;
  const productionTable = await pickTable(s, production, title(3), `Which table of ${production.name} (production: merges write here)?`, backupTable);
  if (!productionTable) return undefined;
  return sides(s, { connection: restored, table: backupTable }, { connection: production, table: productionTable });
}

/** "Compare Tables…" from the palette: both sides picked. */
export async function compareTablesFlow(s: Services): Promise<DiffSides | undefined> {
  const title = (step: number) => `Compare Tables (${step}/4)`;
  const backup = await pickComparable(title(1), 'The restored copy (the backup side: merges copy rows from here)', s.store.list());
  if (!backup) return undefined;
  const backupTable = await pickTable(s, backup, title(2), `Which table of ${backup.name}?`);
  if (!backupTable) return undefined;
  const production = await pickProductionConnection(s, backup, title(3), backupTable, restoredFrom(s.memento, backup.id)?.connectionId);
  if (!production) return undefined;
  const productionTable = await pickTable(s, production, title(4), `Which table of ${production.name} (production: merges write here)?`, backupTable);
  if (!productionTable) return undefined;
  return sides(s, { connection: backup, table: backupTable }, { connection: production, table: productionTable });
}

function comparable(c: Connection): boolean {
  return !(c.engine === 'sqlite' && c.folder);
}

async function sides(s: Services, backup: { connection: Connection; table: TableRef }, production: { connection: Connection; table: TableRef }): Promise<DiffSides> {
  return {
    backup: { ...backup, ...await passwordOf(s, backup.connection) },
    production: { ...production, ...await passwordOf(s, production.connection) },
  };
}

async function passwordOf(s: Services, connection: Connection): Promise<{ password?: string }> {
  if (connection.engine === 'sqlite') return {};
  const password = await s.store.password(connection.id);
  return password !== undefined ? { password } : {};
}

async function pickComparable(title: string, placeHolder: string, connections: Connection[], first?: string): Promise<Connection | undefined> {
  const candidates = connections.filter(comparable);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('There is no other database connection to compare with. Add the production database with "Lifeboat: Add Connection" first.');
    return undefined;
  }
  const id = await pick(title, placeHolder, first ?? candidates[0].id, candidates.map(c => ({
    value: c.id,
    label: `$(${c.engine === 'sqlite' ? 'database' : 'server'}) ${c.name}`,
    description: ENGINE_LABELS[c.engine],
    detail: describeConnection(c),
  })), first ? 'restored from here' : null);
  return candidates.find(c => c.id === id);
}

/** The other connections; the one the copy was restored from first, else those of the same engine. */
async function pickProductionConnection(s: Services, backup: Connection, title: string, table: TableRef, originId: string | undefined): Promise<Connection | undefined> {
  const others = s.store.list().filter(c => c.id !== backup.id);
  const ordered = [...others.filter(c => c.engine === backup.engine), ...others.filter(c => c.engine !== backup.engine)];
  const origin = ordered.some(c => c.id === originId) ? originId : undefined;
  return pickComparable(title, `The production database to compare ${tableName(table)} of ${backup.name} with (merges write there)`, ordered, origin);
}

interface ListedTable {
  table: TableRef;
  description?: string;
  detail?: string;
}

async function pickTable(s: Services, connection: Connection, title: string, placeHolder: string, proposed?: TableRef): Promise<TableRef | undefined> {
  let tables: ListedTable[];
  try {
    tables = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing the tables of ${connection.name}…` },
      () => listTablesOf(s, connection));
  } catch (error) {
    void s.jobs.showError(`Listing the tables of ${connection.name} failed: ${(error as Error).message}`);
    return undefined;
  }
  if (tables.length === 0) {
    void vscode.window.showInformationMessage(`${connection.name} has no tables to compare.`);
    return undefined;
  }
  const sameName = proposed && (tables.find(t => t.table.name === proposed.name && (t.table.schema ?? '') === (proposed.schema ?? ''))
    ?? tables.find(t => t.table.name === proposed.name));
  const items: Item<string>[] = tables.map(t => ({ value: tableName(t.table), label: `$(table) ${tableName(t.table)}`, description: t.description, detail: t.detail }));
  const chosen = await pick(title, placeHolder, sameName ? tableName(sameName.table) : items[0].value, items, sameName ? 'same table as the restored copy' : null);
  return tables.find(t => tableName(t.table) === chosen)?.table;
}

async function listTablesOf(s: Services, connection: Connection): Promise<ListedTable[]> {
  if (connection.engine === 'sqlite') {
    const db = loadSqliteDriver().open(connection.path, { readonly: true });
    try {
      return listSqliteTables(db).map(name => ({ table: { name } }));
    } finally {
      db.close();
    }
  }
  const listed = await listServerTables(connection, await accessFor(s, connection));
  return listed
    .sort((a, b) => tableName(tableRefOf(connection, a)).localeCompare(tableName(tableRefOf(connection, b))))
    .map(t => ({
      table: tableRefOf(connection, t),
      description: formatBytes(t.bytes),
      ...(t.estimatedRows !== null ? { detail: `about ${t.estimatedRows.toLocaleString('en')} rows` } : {}),
    }));
}

function tableRefOf(connection: Connection, t: { schema?: string; table: string }): TableRef {
  return connection.engine === 'postgres' && t.schema ? { schema: t.schema, name: t.table } : { name: t.table };
}
