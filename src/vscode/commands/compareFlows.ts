import * as vscode from 'vscode';
import { ENGINE_LABELS, describeConnection, type Connection } from '../../core/connection';
import { errorMessage } from '../../core/errors';
import { describeTable, listTables, tableKeys, type TableRef } from '../../diff';
import type { DiffSides } from '../diff/diffPanel';
import { restoredFrom } from '../restoredFrom';
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
  const backupTable = await pickTable(s, restored, title(1), `Which table of the restored copy ${restored.name}?`);
  if (!backupTable) return undefined;
  const origin = restoredFrom(s.memento, restored.id);
  const production = await pickProductionConnection(s, restored, title(2), backupTable, origin?.connectionId);
  if (!production) return undefined;
  const productionTable = await pickTable(s, production, title(3), `Which table of ${production.name}? (merges write there)`, backupTable);
  if (!productionTable) return undefined;
  return withKey(s, await sides(s, { connection: restored, table: backupTable }, { connection: production, table: productionTable }));
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
  const productionTable = await pickTable(s, production, title(4), `Which table of ${production.name}? (merges write there)`, backupTable);
  if (!productionTable) return undefined;
  return withKey(s, await sides(s, { connection: backup, table: backupTable }, { connection: production, table: productionTable }));
}

/**
 * A table with a primary key needs no question. Without one, the person chooses how rows are
 * matched: one of its unique keys, or whole rows compared as multisets (duplicates counted).
 */
async function withKey(s: Services, chosen: DiffSides): Promise<DiffSides | undefined> {
  let keys;
  try {
    keys = await tableKeys(chosen.production, chosen.production.table);
  } catch (error) {
    void s.jobs.showError(`Reading the keys of ${describeTable(chosen.production.table)} failed: ${errorMessage(error)}`);
    return undefined;
  }
  if (keys.primaryKey) return chosen;
  const whole = '';
  const items: Item<string>[] = [
    ...keys.uniqueKeys.map(k => ({ value: k.join('\u0000'), label: `$(key) ${k.join(', ')}`, description: 'unique key' })),
    { value: whole, label: '$(list-flat) Whole rows', description: 'no key', detail: 'Rows that differ in any column show as one missing and one extra; duplicates are counted' },
  ];
  const key = await pick(`Match rows of ${describeTable(chosen.production.table)} by`, `${describeTable(chosen.production.table)} has no primary key: how should rows be matched?`, items[0].value, items, null);
  if (key === undefined) return undefined;
  return key === whole ? chosen : { ...chosen, key: key.split('\u0000') };
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
  return pickComparable(title, `Compare ${describeTable(table)} with which production database? (merges write there)`, ordered, origin);
}

async function pickTable(s: Services, connection: Connection, title: string, placeHolder: string, proposed?: TableRef): Promise<TableRef | undefined> {
  let tables: TableRef[];
  try {
    // In the status bar: a listing takes a moment, and a notification would outlive it.
    tables = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Listing the tables of ${connection.name}…` },
      async () => listTables({ connection, ...await passwordOf(s, connection) }));
  } catch (error) {
    void s.jobs.showError(`Listing the tables of ${connection.name} failed: ${errorMessage(error)}`);
    return undefined;
  }
  if (tables.length === 0) {
    void vscode.window.showInformationMessage(`${connection.name} has no tables to compare.`);
    return undefined;
  }
  const sameName = proposed && (tables.find(t => t.name === proposed.name && (t.schema ?? '') === (proposed.schema ?? ''))
    ?? tables.find(t => t.name === proposed.name));
  const items: Item<string>[] = tables.map(t => ({ value: describeTable(t), label: `$(table) ${describeTable(t)}` }));
  const chosen = await pick(title, placeHolder, sameName ? describeTable(sameName) : items[0].value, items, sameName ? 'same table as the restored copy' : null);
  return tables.find(t => describeTable(t) === chosen);
}
