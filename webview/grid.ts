/**
 * The differences as a virtualised grid: every row has the same height, a body as tall as all rows
 * gives the scroll bar its range, and only the rows in view (plus a margin) exist in the DOM, drawn
 * by a fixed pool of row elements. So 100,000 differences cost what 60 do.
 *
 * The grid keeps DOM focus on itself and names the focused row with aria-activedescendant: rows
 * come and go as they scroll, focus must not go with them.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { Cell, ColumnInfo, DiffRow, DiffSummary, ValueKind } from '../src/diff/types';
import { el } from './dom';
import { cellText, copiesText, KIND_LABELS, keyText } from './format';
import type { TickState } from './selection';

export interface GridSource {
  rowAt(index: number): DiffRow | undefined;
  /** Rows first..last are about to be drawn: fetch what is missing. */
  needRows(first: number, last: number): void;
  isSelected(row: DiffRow): boolean;
  toggle(row: DiffRow): void;
  toggleAll(selected: boolean): void;
}

export const ROW_HEIGHT = 26;
const OVERSCAN = 12;
/** Browsers cap an element's height (Chromium near 33.5 million px): beyond this the scroll range is scaled. */
const MAX_BODY_HEIGHT = 8_000_000;

const KIND_WIDTH: Record<ValueKind, number> = {
  integer: 90, decimal: 120, float: 120, boolean: 80, text: 180, bytes: 180, json: 220, uuid: 300,
  date: 110, time: 110, timestamp: 200, timestamptz: 220, other: 160,
};
const MAX_COLUMN_WIDTH = 480;

interface RowView {
  element: HTMLDivElement;
  checkbox: VscodeCheckbox;
  kind: HTMLDivElement;
  key: HTMLDivElement;
  cells: HTMLDivElement[];
  /** What the view shows now, to skip redrawing a row that did not change. */
  index: number;
  row: DiffRow | undefined;
  selected: boolean;
}

export class DiffGrid {
  readonly element: HTMLDivElement;
  private readonly header: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private readonly selectAll: VscodeCheckbox;
  private pool: RowView[] = [];
  private columns: ColumnInfo[] = [];
  /** Indexes into columns of the cells drawn after the key: the key's own columns are not repeated. */
  private shown: number[] = [];
  private keyless = false;
  private total = 0;
  private focused = 0;
  private frame = 0;
  private enabled = true;
  private fitted = false;
  private charWidth = 0;

  constructor(private readonly source: GridSource) {
    this.selectAll = el('vscode-checkbox', { attrs: { 'aria-label': 'Select every row of this filter', class: 'select-all' } });
    this.header = el('div', { className: 'grid-row grid-header', attrs: { role: 'row', 'aria-rowindex': '1' } });
    this.body = el('div', { className: 'grid-body', attrs: { role: 'rowgroup' } });
    this.element = el('div', {
      className: 'grid',
      attrs: { role: 'grid', tabindex: '0', 'aria-label': 'Differences', 'aria-rowcount': '1', 'aria-multiselectable': 'true' },
    }, el('div', { attrs: { role: 'rowgroup' }, className: 'grid-head' }, this.header), this.body);

    this.selectAll.addEventListener('change', () => this.source.toggleAll(this.selectAll.checked));
    this.element.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', event => this.onKey(event));
    // A row's checkbox must not take focus from the grid: the grid is one stop for Tab, and Space
    // on the focused row ticks it.
    this.body.addEventListener('mousedown', event => {
      if ((event.target as Element).closest('vscode-checkbox')) {
        event.preventDefault();
        this.element.focus({ preventScroll: true });
      }
    });
    this.body.addEventListener('click', event => {
      const view = this.viewOf(event.target as Element);
      if (view) this.focusRow(view.index, false);
    });
    this.body.addEventListener('change', event => {
      const view = this.viewOf(event.target as Element);
      if (!view?.row || !this.enabled) {
        if (view) this.drawRow(view, view.index, true);
        return;
      }
      this.source.toggle(view.row);
    });
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** A new comparison: its columns, and whether rows are matched by key or as whole rows. */
  setSummary(summary: DiffSummary): void {
    this.columns = summary.columns;
    this.keyless = summary.keyColumns === null;
    const keyColumns = new Set(summary.keyColumns ?? []);
    this.shown = this.columns.flatMap((column, index) => (keyColumns.has(column.name) ? [] : [index]));
    const keyLabel = this.keyless ? 'Copies' : summary.keyColumns!.join(', ');
    this.header.replaceChildren(
      el('div', { className: 'cell check', attrs: { role: 'columnheader', 'aria-label': 'Selected' } }, this.selectAll),
      el('div', { className: 'cell kind', text: 'Difference', attrs: { role: 'columnheader' } }),
      el('div', { className: 'cell key', text: keyLabel, attrs: { role: 'columnheader', title: this.keyless ? 'The table has no key: rows are compared whole, as copies' : `Key: ${keyLabel}` } }),
      ...this.shown.map(c => el('div', { className: 'cell', text: this.columns[c].name, attrs: { role: 'columnheader', title: `${this.columns[c].name} · ${this.columns[c].type}` } })),
    );
    this.element.setAttribute('aria-colcount', String(this.shown.length + 3));
    for (const view of this.pool) view.element.remove();
    this.pool = [];
    this.fitted = false;
    this.setWidths(this.shown.map(c => Math.max(KIND_WIDTH[this.columns[c].kind], this.textWidth(this.columns[c].name.length) + 24)), 140);
  }

  /** A new list (filter or comparison): back to its top. */
  setTotal(total: number): void {
    this.total = total;
    this.focused = 0;
    this.element.setAttribute('aria-rowcount', String(total + 1));
    this.body.style.height = `${Math.min(total * ROW_HEIGHT, MAX_BODY_HEIGHT)}px`;
    this.element.scrollTop = 0;
    this.invalidate();
  }

  setTickState(state: TickState, enabled: boolean): void {
    this.selectAll.checked = state === 'all';
    this.selectAll.indeterminate = state === 'some';
    this.selectAll.disabled = !enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.element.classList.toggle('disabled', !enabled);
    this.invalidate();
  }

  /** Rows arrived or the selection changed: draw again. */
  invalidate(): void {
    for (const view of this.pool) view.row = undefined;
    this.schedule();
  }

  /** Width of the data cells fitted to the first rows seen (once per comparison). */
  fitTo(rows: DiffRow[]): void {
    if (this.fitted || rows.length === 0) return;
    this.fitted = true;
    const longest = this.shown.map(c => this.columns[c].name.length);
    let keyLongest = this.keyless ? 28 : 4;
    for (const row of rows.slice(0, 200)) {
      if (!this.keyless) keyLongest = Math.max(keyLongest, keyText(row.key).length);
      this.shown.forEach((c, i) => {
        const length = row.kind === 'changed' && row.changed.includes(c)
          ? cellText(row.production?.[c] ?? null).length + cellText(row.backup?.[c] ?? null).length + 3
          : cellText((row.backup ?? row.production)?.[c] ?? null).length;
        longest[i] = Math.max(longest[i], length);
      });
    }
    // The first rows stand for the rest: a little slack for the longer values further down.
    this.setWidths(longest.map((chars, i) => Math.max(KIND_WIDTH[this.columns[this.shown[i]].kind], this.textWidth(chars + 3) + 24)), this.textWidth(keyLongest + 2) + 24);
  }

  private setWidths(columns: number[], key: number): void {
    const widths = [36, 120, Math.min(Math.max(key, 80), MAX_COLUMN_WIDTH), ...columns.map(w => Math.min(Math.max(w, 64), MAX_COLUMN_WIDTH))];
    this.element.style.setProperty('--grid-columns', widths.map(w => `${Math.round(w)}px`).join(' '));
    this.element.style.setProperty('--grid-width', `${Math.round(widths.reduce((a, b) => a + b, 0))}px`);
  }

  /** Width of `chars` characters of the grid's monospace font, measured once. */
  private textWidth(chars: number): number {
    if (!this.charWidth) {
      const probe = el('span', { className: 'measure', text: '0'.repeat(100) });
      document.body.append(probe);
      this.charWidth = probe.getBoundingClientRect().width / 100 || 7.8;
      probe.remove();
    }
    return chars * this.charWidth;
  }

  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.render());
  }

  private viewHeight(): number {
    return Math.max(ROW_HEIGHT, this.element.clientHeight - this.header.offsetHeight);
  }

  /** The scroll range may be scaled (MAX_BODY_HEIGHT): these map between it and row positions. */
  private scrollGeometry(): { virtualTop: number; maxScroll: number; virtualMax: number } {
    const viewHeight = this.viewHeight();
    const full = this.total * ROW_HEIGHT;
    const maxScroll = Math.max(0, Math.min(full, MAX_BODY_HEIGHT) - viewHeight);
    const virtualMax = Math.max(0, full - viewHeight);
    const scrollTop = Math.min(this.element.scrollTop, maxScroll);
    const virtualTop = maxScroll === virtualMax || maxScroll === 0 ? scrollTop : scrollTop / maxScroll * virtualMax;
    return { virtualTop, maxScroll, virtualMax };
  }

  private render(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const { virtualTop } = this.scrollGeometry();
    const scrollTop = this.element.scrollTop;
    const first = Math.max(0, Math.floor(virtualTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.total - 1, Math.ceil((virtualTop + this.viewHeight()) / ROW_HEIGHT) + OVERSCAN);
    const count = Math.max(0, last - first + 1);
    if (count > 0) this.source.needRows(first, last);
    this.growPool(count);
    const used = new Set<RowView>();
    for (let index = first; index <= last; index++) {
      const view = this.pool[index % this.pool.length];
      used.add(view);
      view.element.hidden = false;
      view.element.style.transform = `translateY(${index * ROW_HEIGHT - virtualTop + scrollTop}px)`;
      this.drawRow(view, index, false);
    }
    for (const view of this.pool) {
      if (!used.has(view)) {
        view.element.hidden = true;
        view.index = -1;
        view.element.removeAttribute('id');
      }
    }
    if (this.total > 0 && this.focused <= last && this.focused >= first) this.element.setAttribute('aria-activedescendant', rowId(this.focused));
    else this.element.removeAttribute('aria-activedescendant');
  }

  private growPool(count: number): void {
    if (this.pool.length >= count) return;
    const size = count + 8;
    while (this.pool.length < size) this.pool.push(this.newRowView());
    // The pool's size decides which view draws which row: all must draw again.
    for (const view of this.pool) view.index = -1;
  }

  private newRowView(): RowView {
    const checkbox = el('vscode-checkbox', { attrs: { tabindex: '-1' } });
    const kind = el('div', { className: 'cell kind', attrs: { role: 'gridcell' } });
    const key = el('div', { className: 'cell key', attrs: { role: 'gridcell' } });
    const cells = this.shown.map(() => el('div', { className: 'cell', attrs: { role: 'gridcell' } }));
    const element = el('div', { className: 'grid-row', attrs: { role: 'row' } },
      el('div', { className: 'cell check', attrs: { role: 'gridcell' } }, checkbox), kind, key, ...cells);
    element.hidden = true;
    this.body.append(element);
    return { element, checkbox, kind, key, cells, index: -1, row: undefined, selected: false };
  }

  private drawRow(view: RowView, index: number, force: boolean): void {
    const row = this.source.rowAt(index);
    const selected = row ? this.source.isSelected(row) : false;
    const focusedNow = index === this.focused;
    view.element.classList.toggle('focused', focusedNow);
    if (!force && view.index === index && view.row === row && view.selected === selected && row) return;
    view.index = index;
    view.row = row;
    view.selected = selected;
    view.element.id = rowId(index);
    view.element.setAttribute('aria-rowindex', String(index + 2));
    view.element.setAttribute('aria-selected', String(selected));
    view.element.dataset.index = String(index);
    view.element.className = `grid-row${row ? ` kind-${row.kind}` : ' loading'}${selected ? ' selected' : ''}${focusedNow ? ' focused' : ''}`;
    view.checkbox.checked = selected;
    view.checkbox.disabled = !row || !this.enabled;
    if (!row) {
      view.kind.replaceChildren(el('span', { className: 'loading-text', text: 'Loading…' }));
      view.key.textContent = '';
      for (const cell of view.cells) {
        cell.textContent = '';
        cell.className = 'cell';
        cell.removeAttribute('title');
      }
      return;
    }
    const label = KIND_LABELS[row.kind];
    view.kind.replaceChildren(el('span', { className: 'marker', text: label.symbol, attrs: { 'aria-hidden': 'true' } }), ` ${label.short}`);
    view.kind.title = `${label.long}: ${label.action}`;
    view.checkbox.setAttribute('aria-label', `Select ${label.short.toLowerCase()} row ${this.keyless ? index + 1 : keyText(row.key)}`);
    view.key.textContent = this.keyless ? copiesText(row) : keyText(row.key);
    for (let i = 0; i < view.cells.length; i++) fillCell(view.cells[i], row, this.shown[i]);
  }

  private viewOf(target: Element): RowView | undefined {
    const element = target.closest('.grid-row');
    return this.pool.find(view => view.element === element && view.index >= 0);
  }

  private focusRow(index: number, scroll: boolean): void {
    if (this.total === 0) return;
    this.focused = Math.max(0, Math.min(this.total - 1, index));
    if (scroll) this.scrollToRow(this.focused);
    this.render();
  }

  private scrollToRow(index: number): void {
    const { virtualTop, maxScroll, virtualMax } = this.scrollGeometry();
    const viewHeight = this.viewHeight();
    let target = virtualTop;
    if (index * ROW_HEIGHT < virtualTop) target = index * ROW_HEIGHT;
    else if ((index + 1) * ROW_HEIGHT > virtualTop + viewHeight) target = (index + 1) * ROW_HEIGHT - viewHeight;
    if (target === virtualTop) return;
    this.element.scrollTop = maxScroll === virtualMax || virtualMax === 0 ? target : target / virtualMax * maxScroll;
  }

  private onKey(event: KeyboardEvent): void {
    // Keys typed in the header's select-all box are that box's.
    if (event.target !== this.element || this.total === 0) return;
    const page = Math.max(1, Math.floor(this.viewHeight() / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: this.focused + 1, ArrowUp: this.focused - 1,
      PageDown: this.focused + page, PageUp: this.focused - page,
      Home: 0, End: this.total - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      this.focusRow(moves[event.key], true);
    } else if (event.key === ' ' || event.key === 'Spacebar') {
      event.preventDefault();
      const row = this.source.rowAt(this.focused);
      if (row && this.enabled) {
        this.source.toggle(row);
        this.render();
      }
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft') {
      event.preventDefault();
      this.element.scrollLeft += event.key === 'ArrowRight' ? 80 : -80;
    }
  }
}

function rowId(index: number): string {
  return `diff-row-${index}`;
}

function fillCell(cell: HTMLDivElement, row: DiffRow, c: number): void {
  if (row.kind === 'changed' && row.changed.includes(c)) {
    const before = row.production?.[c] ?? null;
    const after = row.backup?.[c] ?? null;
    cell.className = 'cell changed';
    cell.replaceChildren(valueSpan(before, 'old'), el('span', { className: 'arrow', text: '→', attrs: { 'aria-hidden': 'true' } }), valueSpan(after, 'new'));
    cell.title = `production: ${cellText(before)}\nbackup: ${cellText(after)}`;
    cell.setAttribute('aria-label', `changed from ${cellText(before)} in production to ${cellText(after)} in the backup`);
    return;
  }
  const value = (row.backup ?? row.production)?.[c] ?? null;
  cell.className = value === null ? 'cell null' : 'cell';
  cell.removeAttribute('aria-label');
  const text = cellText(value);
  cell.textContent = text;
  if (text.length > 24) cell.title = text;
  else cell.removeAttribute('title');
}

function valueSpan(value: Cell, side: 'old' | 'new'): HTMLSpanElement {
  return el('span', { className: value === null ? `${side} null` : side, text: cellText(value) });
}
