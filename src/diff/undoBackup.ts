/**
 * The backup a merge takes before it writes: the target rows as they were (read under the merge's
 * lock), and the keys of the rows it inserts. It is an ordinary backup in the catalog (kind
 * "merge-undo", under the production connection, with a manifest and SHA-256), so it is listed,
 * verified and deleted like any other, and undo.ts puts the rows back from it.
 */
import { Readable } from 'node:stream';
import { writeBackup } from '../core/backupWriter';
import { removeBackupFiles } from '../core/catalog';
import type { JobContext } from '../core/job';
import { MERGE_UNDO_KIND } from '../core/manifest';
import { LIFEBOAT_VERSION } from '../core/version';
import { encode } from './diffStore';
import type { MergeContext } from './merge';
import { describeTable } from './open';
import type { Cell, ColumnInfo, TableRef } from './types';
import type { RawValue } from './values';

export const UNDO_KIND = MERGE_UNDO_KIND;
export const UNDO_FILE = 'merge-undo.json';

/** What one merge step changed, enough to reverse it. */
export interface UndoRecord {
  action: 'insert' | 'update' | 'delete';
  copies: number;
  /** The target row before the merge (the driver's values), null for an insert. */
  before: RawValue[] | null;
  /** The values the merge wrote (the backup side's driver values), null for a delete. */
  after: RawValue[] | null;
  key: Cell[];
  /** Update: indexes of the columns it set. */
  columns: number[];
}

export interface UndoFile {
  format: 'lifeboat-merge-undo';
  version: 1;
  table: TableRef;
  columns: ColumnInfo[];
  keyColumns: string[] | null;
  /** Whether `after` values came from the same engine as the target (then they bind as they are). */
  afterFromSameEngine: boolean;
  mergedAt: string;
  from: { connection: string; table: string };
  records: UndoRecord[];
}

export async function writeUndoBackup(context: MergeContext, records: UndoRecord[], job: JobContext): Promise<{ id: string; remove(): Promise<void> }> {
  const target = context.productionSpec;
  const table = describeTable(target.table);
  const content: UndoFile = {
    format: 'lifeboat-merge-undo', version: 1, table: target.table, columns: context.summary.columns, keyColumns: context.summary.keyColumns,
    afterFromSameEngine: context.backupSpec.connection.engine === target.connection.engine, mergedAt: new Date().toISOString(),
    from: { connection: context.backupSpec.connection.name, table: describeTable(context.backupSpec.table) }, records,
  };
  const source = { id: target.connection.id, name: target.connection.name, engine: target.connection.engine, source: table };
  let prefix = '';
  const written = await writeBackup(source, [job.destination], job, async writer => {
    prefix = writer.prefix;
    const file = await writer.storeStream(UNDO_FILE, Readable.from([Buffer.from(encode(content))]), { codec: 'none' });
    return {
      parts: {
        kind: UNDO_KIND, server: { product: target.connection.engine, version: '' }, tool: { name: 'lifeboat merge', version: LIFEBOAT_VERSION },
        options: { table, from: `${content.from.connection} · ${content.from.table}` },
        consistency: { rows: records.length },
        tables: [{ name: table, ...(target.table.schema ? { schema: target.table.schema } : {}), table: target.table.name, rows: records.length }],
        timings: {},
        // Stored in one pass with its SHA-256 computed on the way: checked as written, like every backup.
        checks: [{ name: 'sha256', ok: true, detail: `${UNDO_FILE}: ${records.length} rows, ${file.size} bytes, SHA-256 ${file.sha256.slice(0, 12)}…` }],
      },
    };
  });
  return { id: written.copies[0].entry.manifest.id, remove: () => removeBackupFiles(job.destination, prefix) };
}
