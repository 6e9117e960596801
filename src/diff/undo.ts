/**
 * Undoes a merge from the backup it took first: deletes the rows it inserted, sets updated
 * columns back, re-inserts the rows it deleted, all in one transaction. Each statement must touch
 * exactly the rows the merge did; if production moved on since, nothing is changed.
 */
import { Writable } from 'node:stream';
import type { CatalogEntry } from '../core/catalog';
import type { Connection } from '../core/connection';
import { LifeboatError } from '../core/errors';
import type { JobContext } from '../core/job';
import { readStoredFile } from '../core/storePipeline';
import { decode } from './diffStore';
import { dialectOf, describeTable, openTarget } from './open';
import type { SqlDialect, TargetSession } from './source';
import { UNDO_FILE, UNDO_KIND, type UndoFile, type UndoRecord } from './undoBackup';
import { canonical, type RawValue } from './values';

export async function undoMerge(entry: CatalogEntry, target: { connection: Connection; password?: string }, job: JobContext): Promise<{ restored: number; removed: number }> {
  const m = entry.manifest;
  if (m.kind !== UNDO_KIND) throw new LifeboatError('usage', `Backup ${m.id} is not the backup of a merge (it is a ${m.kind}).`, 'Restore it with Restore instead.');
  if (target.connection.engine !== m.engine) throw new LifeboatError('usage', `Backup ${m.id} is of a ${m.engine} table; "${target.connection.name}" is ${target.connection.engine}.`);
  const undo = await readUndoFile(entry, job);
  const dialect = dialectOf(target.connection.engine);
  const session = await openTarget(target);
  let restored = 0, removed = 0;
  try {
    await session.begin(undo.table, undo.keyColumns === null);
    for (const record of [...undo.records].reverse()) {
      if (undo.keyColumns && !await stillAsMerged(session, dialect, undo, record)) throw changedSince(record);
      const { sql, params, expected } = reverseStatement(dialect, undo, record);
      const { affected } = await session.query(sql, params);
      if (affected !== expected) throw changedSince(record);
      if (record.action === 'insert') removed += affected;
      else restored += record.action === 'delete' ? affected : 1;
    }
    await session.commit();
    job.logger.info(`Undid merge ${m.id} on ${describeTable(undo.table)}: ${restored} rows put back, ${removed} removed.`);
    return { restored, removed };
  } catch (error) {
    await session.rollback();
    throw error;
  } finally {
    await session.close();
  }
}

function changedSince(record: UndoRecord): LifeboatError {
  return new LifeboatError('conflict', `Undo stopped: the row with key (${record.key.join(', ')}) is no longer as the merge left it, so nothing was changed.`,
    'Production changed since the merge. Compare the table with a backup and merge the rows you want by hand.');
}

/**
 * Locks the record's row and checks it is as the merge left it: an inserted row still holds what
 * was inserted, an updated row still holds what was set, a deleted row is still gone. Compared in
 * canonical form, so values written from another engine's backup compare as the diff compared them.
 */
async function stillAsMerged(session: TargetSession, dialect: SqlDialect, undo: UndoFile, record: UndoRecord): Promise<boolean> {
  const { columns } = undo;
  const keyIndexes = undo.keyColumns!.map(k => columns.findIndex(c => c.name === k));
  const params: unknown[] = [];
  const where = keyIndexes.map((i, n) => {
    params.push(dialect.bind(columns[i].kind, record.key[n], undefined));
    return `${dialect.quote(columns[i].name)} = ${dialect.placeholder(params.length)}`;
  }).join(' AND ');
  const { rows } = await session.query(`SELECT ${columns.map((c, i) => `${dialect.quote(c.name)} AS c${i}`).join(', ')} FROM ${dialect.table(undo.table)} WHERE ${where}${dialect.forUpdate}`, params);
  if (record.action === 'delete') return rows.length === 0;
  if (rows.length !== 1) return false;
  const now = rows[0];
  const checked = record.action === 'update' ? record.columns : columns.map((c, i) => (c.generated ? -1 : i)).filter(i => i >= 0);
  return checked.every(i => canonical(columns[i].kind, now[i]) === canonical(columns[i].kind, record.after![i]));
}

async function readUndoFile(entry: CatalogEntry, job: JobContext): Promise<UndoFile> {
  const file = entry.manifest.files.find(f => f.name === UNDO_FILE);
  if (!file) throw new LifeboatError('verification', `Backup ${entry.manifest.id} has no ${UNDO_FILE}.`);
  const chunks: Buffer[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { chunks.push(chunk); done(); } });
  await readStoredFile({ destination: job.destination, key: `${entry.prefix}/${UNDO_FILE}`, file, sink, signal: job.signal });
  const undo = decode<UndoFile>(Buffer.concat(chunks).toString('utf8'));
  if (undo.format !== 'lifeboat-merge-undo' || undo.version !== 1) throw new LifeboatError('verification', `${UNDO_FILE} of backup ${entry.manifest.id} is not a merge undo file this Lifeboat reads.`);
  return undo;
}

function reverseStatement(dialect: SqlDialect, undo: UndoFile, record: UndoRecord): { sql: string; params: unknown[]; expected: number } {
  const table = dialect.table(undo.table);
  const columns = undo.columns;
  const params: unknown[] = [];
  const value = (i: number, raw: RawValue, sameEngine: boolean) => {
    params.push(dialect.bind(columns[i].kind, canonical(columns[i].kind, raw), sameEngine ? raw : undefined));
    return dialect.placeholder(params.length);
  };
  const keyIndexes = undo.keyColumns?.map(k => columns.findIndex(c => c.name === k)) ?? null;
  const keyWhere = () => keyIndexes!.map((i, n) => {
    params.push(dialect.bind(columns[i].kind, record.key[n], undefined));
    return `${dialect.quote(columns[i].name)} = ${dialect.placeholder(params.length)}`;
  }).join(' AND ');
  const writable = columns.map((c, i) => (c.generated ? -1 : i)).filter(i => i >= 0);
  if (record.action === 'insert') {
    if (keyIndexes) return { sql: `DELETE FROM ${table} WHERE ${keyWhere()}`, params, expected: 1 };
    const where = columns.map((c, i) => dialect.nullSafeEquals(dialect.quote(c.name), value(i, record.after![i], undo.afterFromSameEngine), c.kind)).join(' AND ');
    return { sql: dialect.deleteLimited(table, where, record.copies), params, expected: record.copies };
  }
  if (record.action === 'update') {
    const set = record.columns.map(i => `${dialect.quote(columns[i].name)} = ${value(i, record.before![i], true)}`).join(', ');
    return { sql: `UPDATE ${table} SET ${set} WHERE ${keyWhere()}`, params, expected: 1 };
  }
  const tuples = Array.from({ length: record.copies }, () => `(${writable.map(i => value(i, record.before![i], true)).join(', ')})`);
  return { sql: dialect.insert(table, writable.map(i => dialect.quote(columns[i].name)), tuples, writable.some(i => columns[i].identityAlways)), params, expected: record.copies };
}
