/**
 * The rows of the current filter that the page holds: asked for a page at a time as the grid
 * scrolls to them, kept by page, and forgotten when the filter or the comparison changes. Each
 * request carries a fresh id, and an answer counts only if its id is still awaited for the same
 * filter, so a late page of the filter the person just left never lands in the grid.
 */
import type { DiffFilter, DiffRow } from '../src/diff/types';

export const PAGE_SIZE = 200;
/** Pages kept (40,000 rows): beyond that the pages asked for longest ago go first. */
const MAX_PAGES = 200;

export interface RowsRequest {
  requestId: number;
  filter: DiffFilter;
  offset: number;
  limit: number;
}

export interface RowsAnswer {
  requestId: number;
  filter: DiffFilter;
  offset: number;
  total: number;
  rows: DiffRow[];
}

export class RowPages {
  private pages = new Map<number, DiffRow[]>();
  /** requestId → page number. */
  private awaited = new Map<number, number>();
  private nextRequestId = 1;
  private currentFilter: DiffFilter = 'all';
  private currentTotal = 0;

  get filter(): DiffFilter {
    return this.currentFilter;
  }

  get total(): number {
    return this.currentTotal;
  }

  /** A new filter or a new comparison: nothing held or awaited still applies. */
  reset(filter: DiffFilter, total: number): void {
    this.currentFilter = filter;
    this.currentTotal = total;
    this.pages.clear();
    this.awaited.clear();
  }

  row(index: number): DiffRow | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Requests for the pages covering rows first..last that are neither held nor awaited. */
  requestsFor(first: number, last: number): RowsRequest[] {
    const requests: RowsRequest[] = [];
    if (this.currentTotal === 0) return requests;
    const lastPage = Math.floor(Math.min(last, this.currentTotal - 1) / PAGE_SIZE);
    const pending = new Set(this.awaited.values());
    for (let page = Math.floor(Math.max(0, first) / PAGE_SIZE); page <= lastPage; page++) {
      if (this.pages.has(page) || pending.has(page)) continue;
      const requestId = this.nextRequestId++;
      this.awaited.set(requestId, page);
      requests.push({ requestId, filter: this.currentFilter, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
    }
    return requests;
  }

  /** Takes an answer; false when it is stale (another filter, a superseded request) and was dropped. */
  accept(answer: RowsAnswer): boolean {
    const page = this.awaited.get(answer.requestId);
    if (page === undefined || answer.filter !== this.currentFilter || answer.offset !== page * PAGE_SIZE) return false;
    this.awaited.delete(answer.requestId);
    this.currentTotal = answer.total;
    this.pages.delete(page);
    this.pages.set(page, answer.rows);
    while (this.pages.size > MAX_PAGES) this.pages.delete(this.pages.keys().next().value as number);
    return true;
  }
}
