/**
 * Which rows the person ticked, kept per kind of difference so that "every missing row but these
 * two" never needs the ids of thousands of rows the page has not loaded. Turned into the
 * MergeSelection the engine reads (src/diff/types.ts) when a preview or Apply is asked for.
 */
import { DIFF_KINDS, type DiffFilter, type DiffKind, type DiffRow, type MergeSelection } from '../src/diff/types';

/** Either "these rows" or "every row of the kind except these". */
type KindSelection = { all: false; ids: Set<number> } | { all: true; except: Set<number> };

export type TickState = 'none' | 'some' | 'all';

/** A selection as plain data, to keep while the page is hidden: per kind, "all but" or "only" these ids. */
export type SelectionSnapshot = Record<DiffKind, { all: boolean; ids: number[] }>;

export function kindsOf(filter: DiffFilter): DiffKind[] {
  return filter === 'all' ? [...DIFF_KINDS] : [filter];
}

export class Selection {
  private readonly byKind = new Map<DiffKind, KindSelection>();

  constructor() {
    this.clear();
  }

  clear(): void {
    for (const kind of DIFF_KINDS) this.byKind.set(kind, { all: false, ids: new Set() });
  }

  isSelected(row: Pick<DiffRow, 'id' | 'kind'>): boolean {
    const state = this.byKind.get(row.kind)!;
    return state.all ? !state.except.has(row.id) : state.ids.has(row.id);
  }

  toggle(row: Pick<DiffRow, 'id' | 'kind'>): void {
    this.set(row, !this.isSelected(row));
  }

  set(row: Pick<DiffRow, 'id' | 'kind'>, selected: boolean): void {
    const state = this.byKind.get(row.kind)!;
    const ids = state.all ? state.except : state.ids;
    // In "all" mode the set lists the rows left out, so ticking removes from it.
    if (selected !== state.all) ids.add(row.id);
    else ids.delete(row.id);
  }

  /** The select-all box of a filter: every row of its kinds, or none of them. */
  setAll(filter: DiffFilter, selected: boolean): void {
    for (const kind of kindsOf(filter)) {
      this.byKind.set(kind, selected ? { all: true, except: new Set() } : { all: false, ids: new Set() });
    }
  }

  /** How many rows of the kind are ticked, given how many differences of the kind there are. */
  countOf(kind: DiffKind, total: number): number {
    const state = this.byKind.get(kind)!;
    return state.all ? Math.max(0, total - state.except.size) : state.ids.size;
  }

  count(counts: Record<DiffKind, number>, kinds: readonly DiffKind[] = DIFF_KINDS): number {
    return kinds.reduce((sum, kind) => sum + this.countOf(kind, counts[kind]), 0);
  }

  tickState(filter: DiffFilter, counts: Record<DiffKind, number>): TickState {
    const kinds = kindsOf(filter);
    const total = kinds.reduce((sum, kind) => sum + counts[kind], 0);
    const selected = this.count(counts, kinds);
    if (selected === 0) return 'none';
    return selected >= total ? 'all' : 'some';
  }

  snapshot(): SelectionSnapshot {
    const entry = (kind: DiffKind) => {
      const state = this.byKind.get(kind)!;
      return { all: state.all, ids: [...(state.all ? state.except : state.ids)] };
    };
    return { onlyInBackup: entry('onlyInBackup'), onlyInProduction: entry('onlyInProduction'), changed: entry('changed') };
  }

  restore(snapshot: SelectionSnapshot): void {
    for (const kind of DIFF_KINDS) {
      const { all, ids } = snapshot[kind];
      this.byKind.set(kind, all ? { all: true, except: new Set(ids) } : { all: false, ids: new Set(ids) });
    }
  }

  toMergeSelection(): MergeSelection {
    const allKinds = DIFF_KINDS.filter(kind => this.byKind.get(kind)!.all);
    const listed = (wanted: boolean) => DIFF_KINDS.flatMap(kind => {
      const state = this.byKind.get(kind)!;
      if (state.all !== wanted) return [];
      return [...(state.all ? state.except : state.ids)];
    }).sort((a, b) => a - b);
    if (allKinds.length === 0) return { mode: 'ids', ids: listed(false) };
    const also = listed(false);
    return also.length ? { mode: 'all', kinds: allKinds, except: listed(true), also } : { mode: 'all', kinds: allKinds, except: listed(true) };
  }
}
