/**
 * Merging chosen differences into production: the statements (previewed as a person reads them,
 * applied with bound values), and the one transaction that applies them safely:
 *
 *   1. lock and re-read every target row; if any is no longer what the comparison saw, roll back
 *      and report the conflicts: nothing written;
 *   2. save the rows about to change as a backup in the catalog (undo.ts puts them back);
 *   3. write, check each statement touched the rows it should, commit.
 */
import type { JobContext } from '../core/job';
import { LifeboatError } from '../core/errors';
import type { Logger } from '../core/logger';
import { MergeConflictError } from './conflictError';
import type { StoredDiff, DiffStore } from './diffStore';
import { dialectOf, describeTable, openTarget } from './open';
import type { SqlDialect, TargetSession } from './source';
import type { TableSideSpec } from './compare';
import type { Cell, ColumnInfo, DiffSummary, MergeConflict, MergeOptions, MergeOutcome, MergePreview, MergeSelection, PlannedStatement } from './types';
import { canonical, type RawValue } from './values';
import { writeUndoBackup, type UndoRecord } from './undoBackup';

export interface MergeContext {
  store: DiffStore;
  summary: DiffSummary;
  backupSpec: TableSideSpec;
  productionSpec: TableSideSpec;
  logger?: Logger;
}

/** One selected difference and what the merge does with it. */
interface Step {
  row: StoredDiff;
  action: 'insert' | 'update' | 'delete';
  /** Update: indexes of the columns to set. */
  columns: number[];
}

const PREVIEW_STATEMENTS = 200;
const RECHECK_CHUNK = 200;

function resolveSteps(context: MergeContext, selection: MergeSelection, options: MergeOptions): { steps: Step[]; skipped: number } {
  const { store, summary } = context;
  let rows: StoredDiff[];
  if (selection.mode === 'ids') rows = store.byIds(selection.ids);
  else {
    const except = new Set(selection.except);
    const also = new Set(selection.also ?? []);
    rows = [...store.all(selection.kinds)].filter(r => !except.has(r.id));
    // `also` names rows of the other kinds, so they are not among those already taken.
    const chosenKinds = new Set(selection.kinds);
    const extra = store.byIds([...also]).filter(r => !chosenKinds.has(r.kind));
    if (extra.length) rows = [...rows, ...extra].sort((a, b) => a.id - b.id);
  }
  const names = summary.columns.map(c => c.name);
  const steps: Step[] = [];
  let skipped = 0;
  for (const row of rows) {
    if (row.kind === 'onlyInBackup') steps.push({ row, action: 'insert', columns: [] });
    else if (row.kind === 'onlyInProduction') {
      if (options.allowDelete) steps.push({ row, action: 'delete', columns: [] });
      else skipped++;
    } else {
      const chosen = selection.mode === 'ids' ? selection.columns?.[row.id] : undefined;
      const columns = row.changed.filter(i => !summary.columns[i].generated && (!chosen || chosen.includes(names[i])));
      if (columns.length) steps.push({ row, action: 'update', columns });
      else skipped++;
    }
  }
  return { steps, skipped };
}

/** Builds statements with either bound parameters (to run) or literals (to read). */
class StatementBuilder {
  private readonly dialect: SqlDialect;
  private readonly table: string;
  private readonly columns: ColumnInfo[];
  private readonly keyIndexes: number[] | null;
  private readonly sameAsBackup: boolean;

  constructor(context: MergeContext, private readonly literal: boolean) {
    const { summary, productionSpec, backupSpec } = context;
    this.dialect = dialectOf(productionSpec.connection.engine);
    this.table = this.dialect.table(productionSpec.table);
    this.columns = summary.columns;
    this.keyIndexes = summary.keyColumns ? summary.keyColumns.map(k => summary.columns.findIndex(c => c.name === k)) : null;
    this.sameAsBackup = backupSpec.connection.engine === productionSpec.connection.engine;
  }

  private q(i: number): string {
    return this.dialect.quote(this.columns[i].name);
  }

  /** A value placeholder (collecting its bound value) or a literal, for column i. */
  private value(params: unknown[], i: number, cell: Cell, raw: RawValue | undefined): string {
    const value = this.dialect.bind(this.columns[i].kind, cell, raw);
    if (this.literal) return this.dialect.literal(value);
    params.push(value);
    return this.dialect.placeholder(params.length);
  }

  private backupValue(params: unknown[], row: StoredDiff, i: number): string {
    return this.value(params, i, row.backup![i], this.sameAsBackup ? row.backupRaw?.[i] : undefined);
  }

  private productionValue(params: unknown[], row: StoredDiff, i: number): string {
    // Production is the target: its own driver values bind back exactly.
    return this.value(params, i, row.production![i], row.productionRaw?.[i]);
  }

  /** WHERE for the target row: its key, or (keyless) every column NULL-safely. */
  private where(params: unknown[], row: StoredDiff, side: 'backup' | 'production'): string {
    const pick = (i: number) => (side === 'production' ? this.productionValue(params, row, i) : this.backupValue(params, row, i));
    if (this.keyIndexes) return this.keyIndexes.map(i => `${this.q(i)} = ${pick(i)}`).join(' AND ');
    return this.columns.map((c, i) => this.dialect.nullSafeEquals(this.q(i), pick(i), c.kind)).join(' AND ');
  }

  statement(step: Step): PlannedStatement {
    const params: unknown[] = [];
    const { row } = step;
    let sql: string;
    if (step.action === 'insert') {
      const writable = this.columns.map((c, i) => (c.generated ? -1 : i)).filter(i => i >= 0);
      const tuple = () => `(${writable.map(i => this.backupValue(params, row, i)).join(', ')})`;
      const tuples = Array.from({ length: row.count }, tuple);
      sql = this.dialect.insert(this.table, writable.map(i => this.q(i)), tuples, writable.some(i => this.columns[i].identityAlways));
    } else if (step.action === 'update') {
      const set = step.columns.map(i => `${this.q(i)} = ${this.backupValue(params, row, i)}`).join(', ');
      sql = `UPDATE ${this.table} SET ${set} WHERE ${this.where(params, row, 'production')}`;
    } else if (this.keyIndexes) {
      sql = `DELETE FROM ${this.table} WHERE ${this.where(params, row, 'production')}`;
    } else {
      sql = this.dialect.deleteLimited(this.table, this.where(params, row, 'production'), row.count);
    }
    return { rowId: row.id, action: step.action, sql, params };
  }

  /** SELECT of the target rows of `steps` (keyed), locking them: the re-check's read. */
  lockingRead(steps: Step[]): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const keys = this.keyIndexes!;
    const conditions = steps.map(step => {
      const side = step.action === 'insert' ? 'backup' : 'production';
      const values = keys.map(i => (side === 'production' ? this.productionValue(params, step.row, i) : this.backupValue(params, step.row, i)));
      return keys.length === 1 ? values[0] : `(${keys.map((i, n) => `${this.q(i)} = ${values[n]}`).join(' AND ')})`;
    });
    const where = keys.length === 1 ? `${this.q(keys[0])} IN (${conditions.join(', ')})` : conditions.join(' OR ');
    return { sql: `SELECT ${this.columns.map((_c, i) => `${this.q(i)} AS c${i}`).join(', ')} FROM ${this.table} WHERE ${where}${this.dialect.forUpdate}`, params };
  }

  /** Keyless: how many copies of the row production holds now (locking them where the dialect locks rows). */
  copiesRead(step: Step): { sql: string; params: unknown[] } {
    const params: unknown[] = [];
    const side = step.row.production ? 'production' : 'backup';
    return { sql: `SELECT ${this.columns.map((_c, i) => `${this.q(i)} AS c${i}`).join(', ')} FROM ${this.table} WHERE ${this.where(params, step.row, side)}${this.dialect.forUpdate}`, params };
  }

  get keyed(): number[] | null {
    return this.keyIndexes;
  }
}

export function previewMerge(context: MergeContext, selection: MergeSelection, options: MergeOptions, maxStatements = PREVIEW_STATEMENTS): MergePreview {
  const { steps, skipped } = resolveSteps(context, selection, options);
  const builder = new StatementBuilder(context, true);
  const shown = steps.slice(0, maxStatements).map(step => `${builder.statement(step).sql};`);
  const count = (action: Step['action']) => steps.filter(s => s.action === action).reduce((n, s) => n + (s.action === 'update' ? 1 : s.row.count), 0);
  const header = `-- Lifeboat merge into ${describeTable(context.productionSpec.table)} on ${context.productionSpec.connection.name}: one transaction; each target row is re-checked first.`;
  return {
    target: targetOf(context),
    inserts: count('insert'), updates: count('update'), deletes: count('delete'), skipped,
    sql: [header, 'BEGIN;', ...shown, ...(steps.length > maxStatements ? [`-- … and ${steps.length - maxStatements} more statements`] : []), 'COMMIT;'].join('\n'),
    truncated: steps.length > maxStatements,
  };
}

function targetOf(context: MergeContext): MergePreview['target'] {
  return { engine: context.productionSpec.connection.engine, connection: context.productionSpec.connection.name, table: describeTable(context.productionSpec.table) };
}

export async function applyMerge(context: MergeContext, selection: MergeSelection, options: MergeOptions, job: JobContext): Promise<MergeOutcome> {
  const started = performance.now();
  const { steps } = resolveSteps(context, selection, options);
  if (steps.length === 0) throw new LifeboatError('usage', 'Nothing to merge: the selection holds no rows the merge would change.', 'Tick rows (rows only in production need "Also delete rows only in production").');
  const builder = new StatementBuilder(context, false);
  const session = await openTarget(context.productionSpec);
  let undoBackup: { id: string; remove(): Promise<void> } | undefined;
  try {
    await session.begin(context.productionSpec.table, builder.keyed === null);
    const { conflicts, records } = await recheck(session, builder, steps, context);
    if (conflicts.length) throw new MergeConflictError(conflicts.slice(0, 100), conflicts.length);
    if (job.signal?.aborted) throw new LifeboatError('cancelled', 'The merge was cancelled before it wrote anything.');
    undoBackup = await writeUndoBackup(context, records, job);
    const counts = { inserted: 0, updated: 0, deleted: 0 };
    for (const step of steps) {
      const statement = builder.statement(step);
      let affected: number;
      try {
        ({ affected } = await session.query(statement.sql, statement.params));
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new MergeConflictError([{ rowId: step.row.id, key: step.row.key, action: step.action, expected: null, found: null }], 1);
        }
        throw error;
      }
      const expected = step.action === 'update' ? 1 : step.row.count;
      if (affected !== expected) {
        throw new LifeboatError('conflict', `The merge expected to ${step.action} ${expected} row(s) for key (${step.row.key.join(', ')}) but ${affected} changed, so it wrote nothing.`, 'Compare again and retry.');
      }
      if (step.action === 'insert') counts.inserted += affected;
      else if (step.action === 'update') counts.updated += 1;
      else counts.deleted += affected;
    }
    await session.commit();
    context.logger?.info(`Merged into ${describeTable(context.productionSpec.table)} on ${context.productionSpec.connection.name}: ${counts.inserted} inserted, ${counts.updated} updated, ${counts.deleted} deleted; undo backup ${undoBackup.id}.`);
    return { target: targetOf(context), ...counts, undoBackupId: undoBackup.id, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    await session.rollback();
    // Nothing was written, so the rows saved for an undo are not a backup of anything.
    await undoBackup?.remove().catch(() => undefined);
    throw error;
  } finally {
    await session.close();
  }
}

function isUniqueViolation(error: unknown): boolean {
  const e = error as { sqlState?: string; errno?: number; cause?: { message?: string; code?: string } };
  return e.sqlState === '23505' || e.errno === 1062 || /UNIQUE constraint failed|PRIMARY KEY must be unique/i.test(e.cause?.message ?? '');
}

/**
 * Reads every target row under lock and compares it with what the comparison saw. Returns the
 * conflicts and, for the undo backup, each target row as it is now (the driver's own values).
 */
async function recheck(session: TargetSession, builder: StatementBuilder, steps: Step[], context: MergeContext): Promise<{ conflicts: MergeConflict[]; records: UndoRecord[] }> {
  const kinds = context.summary.columns.map(c => c.kind);
  const conflicts: MergeConflict[] = [];
  const records: UndoRecord[] = [];
  const canonicalRow = (raw: RawValue[]) => raw.map((v, i) => canonical(kinds[i], v));
  const sameRow = (a: Cell[] | null, b: Cell[] | null) => (a === null || b === null ? a === b : a.every((v, i) => v === b[i]));
  const keys = builder.keyed;
  if (keys) {
    for (let i = 0; i < steps.length; i += RECHECK_CHUNK) {
      const chunk = steps.slice(i, i + RECHECK_CHUNK);
      const read = builder.lockingRead(chunk);
      const { rows } = await session.query(read.sql, read.params);
      const found = new Map(rows.map(raw => {
        const cells = canonicalRow(raw);
        return [JSON.stringify(keys.map(k => cells[k])), { raw, cells }] as const;
      }));
      for (const step of chunk) {
        const now = found.get(JSON.stringify(step.row.key));
        const expected = step.action === 'insert' ? null : step.row.production;
        if (!sameRow(expected, now?.cells ?? null)) {
          conflicts.push({ rowId: step.row.id, key: step.row.key, action: step.action, expected, found: now?.cells ?? null });
        } else {
          records.push({ action: step.action, copies: 1, before: now?.raw ?? null, after: step.action === 'delete' ? null : step.row.backupRaw, key: step.row.key, columns: step.columns });
        }
      }
    }
  } else {
    for (const step of steps) {
      const read = builder.copiesRead(step);
      const { rows } = await session.query(read.sql, read.params);
      const expectedCopies = step.row.productionCopies ?? 0;
      if (rows.length !== expectedCopies) {
        conflicts.push({ rowId: step.row.id, key: step.row.key, action: step.action, expected: step.row.production ?? step.row.backup, found: rows.length ? canonicalRow(rows[0]) : null });
      } else {
        records.push({ action: step.action, copies: step.row.count, before: rows[0] ?? null, after: step.row.backupRaw, key: step.row.key, columns: [] });
      }
    }
  }
  return { conflicts, records };
}
