/**
 * What the page keeps while the editor hides it. The panel does not keep hidden pages alive
 * (retainContextWhenHidden is off): shown again, the page is rebuilt and the host sends the same
 * comparison again. Ticks, filter and the delete option then come back, but only for that same
 * comparison: row ids mean nothing in another one.
 */
import { DIFF_KINDS, type DiffFilter, type DiffSummary, type SideSummary } from '../src/diff/types';
import type { SelectionSnapshot } from './selection';

export interface PageState {
  comparison: string;
  filter: DiffFilter;
  allowDelete: boolean;
  selection: SelectionSnapshot;
}

/** Tells comparisons apart: a new run differs in its timing at least. */
export function comparisonId(summary: DiffSummary): string {
  const side = (s: SideSummary) => [s.engine, s.connection, s.table, s.rowsRead, s.rows].join('/');
  return [side(summary.backup), side(summary.production), summary.mode, DIFF_KINDS.map(kind => summary.counts[kind]).join(','), summary.same, summary.elapsedMs].join('|');
}

/** The state saved for this comparison, if the saved state is one and is for it. */
export function savedFor(saved: unknown, summary: DiffSummary): PageState | undefined {
  if (!saved || typeof saved !== 'object') return undefined;
  const state = saved as Partial<PageState>;
  if (state.comparison !== comparisonId(summary) || typeof state.allowDelete !== 'boolean' || !state.selection) return undefined;
  if (state.filter !== 'all' && !DIFF_KINDS.includes(state.filter as never)) return undefined;
  const wellFormed = DIFF_KINDS.every(kind => {
    const entry = state.selection?.[kind];
    return entry && typeof entry.all === 'boolean' && Array.isArray(entry.ids) && entry.ids.every(id => Number.isInteger(id));
  });
  return wellFormed ? (state as PageState) : undefined;
}
