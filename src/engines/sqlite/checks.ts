import { LifeboatError } from '../../core/errors';
import type { TableFigures, VerificationCheck } from '../../core/manifest';
import { runCheck } from './checkerClient';

export interface IntegrityOutcome {
  ok: boolean;
  problems: string[];
  tables: TableFigures[];
}

/** integrity_check and row counts of a local database file, in the checker process. */
export async function integrityCheck(file: string, signal?: AbortSignal, onFraction?: (fraction: number) => void): Promise<IntegrityOutcome> {
  const result = await runCheck({ file }, { signal, onProgress: (done, total) => onFraction?.(done / total) });
  const ok = result.integrity.length === 1 && result.integrity[0] === 'ok';
  return { ok, problems: ok ? [] : result.integrity, tables: result.tables };
}

/** Compares row counts of a restored or verified copy with those the manifest recorded. */
export function compareRowCounts(expected: TableFigures[], actual: TableFigures[]): VerificationCheck {
  const found = new Map(actual.map(t => [t.name, t.rows]));
  const differences: string[] = [];
  for (const table of expected) {
    if (!found.has(table.name)) differences.push(`table ${JSON.stringify(table.name)} is missing`);
    else if (table.rows !== null && found.get(table.name) !== table.rows) differences.push(`${JSON.stringify(table.name)} has ${found.get(table.name)} rows, the manifest says ${table.rows}`);
    found.delete(table.name);
  }
  for (const name of found.keys()) differences.push(`table ${JSON.stringify(name)} is not in the manifest`);
  const rows = expected.reduce((n, t) => n + (t.rows ?? 0), 0);
  return differences.length === 0
    ? { name: 'row counts', ok: true, detail: `${expected.length} tables, ${rows} rows, as recorded` }
    : { name: 'row counts', ok: false, detail: differences.slice(0, 5).join('; ') + (differences.length > 5 ? `; and ${differences.length - 5} more` : '') };
}

export function integrityFailure(file: string, problems: string[]): LifeboatError {
  return new LifeboatError('integrity', `${file} fails PRAGMA integrity_check: ${problems.slice(0, 3).join('; ')}.`,
    'Do not use this copy; restore from another backup.');
}
