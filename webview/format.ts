/**
 * How values, counts and kinds read on the page. Kinds always carry a symbol and words, never
 * colour alone, so the page reads the same in every theme and to a screen reader.
 */
import type { Cell, DiffKind, DiffRow } from '../src/diff/types';

const numbers = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return numbers.format(n);
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

export interface KindLabel {
  /** One character for the marker. */
  symbol: string;
  /** A word or two in the grid's kind column. */
  short: string;
  /** The filter's and summary's words. */
  long: string;
  /** What Apply does with such a row. */
  action: string;
}

export const KIND_LABELS: Record<DiffKind, KindLabel> = {
  onlyInBackup: { symbol: '+', short: 'Missing', long: 'Only in backup (missing in production)', action: 'Apply inserts it' },
  onlyInProduction: { symbol: '−', short: 'Extra', long: 'Only in production', action: 'Apply deletes it only when deleting is allowed' },
  changed: { symbol: '≠', short: 'Changed', long: 'Changed', action: 'Apply writes the backup values' },
};

/** Cell text as the grid shows it; long values are cut (the title holds more) to keep rows cheap. */
export const CELL_TEXT_LIMIT = 300;

export function cellText(cell: Cell): string {
  if (cell === null) return 'NULL';
  return cell.length > CELL_TEXT_LIMIT ? `${cell.slice(0, CELL_TEXT_LIMIT)}…` : cell;
}

export function keyText(key: Cell[]): string {
  return key.map(cellText).join(', ');
}

/** A keyless table's row: how many copies each side holds. */
export function copiesText(row: DiffRow): string {
  const backup = row.backupCopies ?? (row.backup ? row.count : 0);
  const production = row.productionCopies ?? (row.production ? row.count : 0);
  return `backup ×${backup} · production ×${production}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * A conflicting row as the conflict list shows it: where both versions are whole rows, only the
 * columns that differ ("name = Ada" then "name = Someone else"); else each version whole.
 */
export function conflictText(columns: string[], expected: Cell[] | null, found: Cell[] | null): { expected: string; found: string } {
  const whole = (cells: Cell[] | null) => {
    if (!cells) return 'no row';
    if (cells.length !== columns.length) return cells.map(cellText).join(', ');
    return cells.map((cell, i) => `${columns[i]} = ${cellText(cell)}`).join(', ');
  };
  if (!expected || !found || expected.length !== columns.length || found.length !== columns.length) return { expected: whole(expected), found: whole(found) };
  const differing = columns.flatMap((_, i) => (expected[i] === found[i] ? [] : [i]));
  if (differing.length === 0) return { expected: whole(expected), found: whole(found) };
  const some = (cells: Cell[]) => differing.map(i => `${columns[i]} = ${cellText(cells[i])}`).join(', ');
  return { expected: some(expected), found: some(found) };
}
