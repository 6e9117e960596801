/**
 * The diff page: wires the host's messages (src/diff/protocol.ts) to the views and the person's
 * actions back to messages. State lives here; each view only draws what it is given.
 */
import type { HostMessage } from '../src/diff/protocol';
import type { DiffFilter, DiffSummary, MergeOptions } from '../src/diff/types';
import { el } from './dom';
import { FilterBar } from './filters';
import { DiffGrid } from './grid';
import { connectHost } from './host';
import { MergePanel } from './mergePanel';
import { comparisonId, savedFor, type PageState } from './pageState';
import { RowPages } from './rowPages';
import { kindsOf, Selection } from './selection';
import { StatusView } from './status';
import { HeaderView, SummaryView } from './summaryView';

/** Quiet time after the last tick before the SQL preview is asked for. */
const PREVIEW_DELAY_MS = 250;

type Phase = 'waiting' | 'comparing' | 'ready' | 'applying' | 'done';

const host = connectHost();
const pages = new RowPages();
const selection = new Selection();

let phase: Phase = 'waiting';
let summary: DiffSummary | null = null;
let filter: DiffFilter = 'all';
let allowDelete = false;
let targetLabel = 'production';
let previewRequestId = 0;
let previewTimer: ReturnType<typeof setTimeout> | undefined;

const header = new HeaderView();
const status = new StatusView({
  cancel: () => host.post({ type: 'cancel' }),
  recompare: () => host.post({ type: 'recompare' }),
});
const summaryView = new SummaryView();
const filters = new FilterBar(chooseFilter);
const grid = new DiffGrid({
  rowAt: index => pages.row(index),
  needRows: (first, last) => {
    for (const request of pages.requestsFor(first, last)) host.post({ type: 'requestRows', ...request });
  },
  isSelected: row => selection.isSelected(row),
  toggle: row => {
    selection.toggle(row);
    selectionChanged();
  },
  toggleAll: selected => {
    selection.setAll(filter, selected);
    selectionChanged();
  },
});
const merge = new MergePanel({
  allowDeleteChanged: value => {
    allowDelete = value;
    selectionChanged();
  },
  apply: () => host.post({ type: 'apply', selection: selection.toMergeSelection(), options: options() }),
});
const legend = el('p', { className: 'legend' },
  'Changed cells show ', el('span', { className: 'old', text: 'production' }), ' → ', el('span', { className: 'new', text: 'backup' }),
  ': Apply writes the backup value. Space ticks the focused row.');
const results = el('div', { className: 'results' }, summaryView.element, filters.element, legend, grid.element, merge.element);

const app = document.getElementById('app')!;
app.replaceChildren(header.element, status.element, results);
showResults(false);

host.onMessage(receive);
host.post({ type: 'ready' });

function receive(message: HostMessage): void {
  switch (message.type) {
    case 'comparing':
      targetLabel = message.targetLabel;
      header.update(message);
      startComparing();
      return;
    case 'progress':
      if (phase === 'applying') return;
      if (phase !== 'comparing') startComparing();
      status.showProgress(message.progress);
      return;
    case 'summary':
      showSummary(message.summary);
      return;
    case 'rows':
      if (pages.accept(message)) {
        grid.fitTo(message.rows);
        grid.invalidate();
      }
      return;
    case 'preview':
      if (message.requestId === previewRequestId) merge.showPreview(message.preview);
      return;
    case 'applying':
      phase = 'applying';
      status.showApplying(message.rows, targetLabel);
      refreshControls();
      return;
    case 'applied':
      // What the grid shows is now history: Apply again only after comparing again.
      phase = 'done';
      host.saveState(undefined);
      status.showApplied(message.outcome);
      refreshControls();
      return;
    case 'conflict':
      phase = 'done';
      status.showConflict(message.conflicts, message.total, summary?.columns.map(c => c.name) ?? [], summary?.keyColumns?.join(', ') ?? 'Row');
      refreshControls();
      return;
    case 'failed':
      // A failed Apply wrote nothing (one transaction): the comparison still stands, so it may be tried again.
      phase = summary ? 'ready' : 'done';
      status.showFailed(message.message, message.hint, true);
      refreshControls();
      return;
    case 'cancelled':
      status.showCancelled(!summary);
      phase = summary ? 'ready' : 'done';
      refreshControls();
      return;
  }
}

function startComparing(): void {
  phase = 'comparing';
  summary = null;
  selection.clear();
  allowDelete = false;
  merge.reset();
  pages.reset('all', 0);
  clearTimeout(previewTimer);
  previewRequestId++;
  app.setAttribute('aria-busy', 'true');
  status.clear();
  status.showProgress({ fraction: null, message: 'Comparing…' });
  showResults(false);
}

function showSummary(next: DiffSummary): void {
  summary = next;
  phase = 'ready';
  selection.clear();
  status.clear();
  summaryView.update(next);
  grid.setSummary(next);
  allowDelete = false;
  merge.reset();
  filter = 'all';
  const saved = savedFor(host.savedState(), next);
  if (saved) {
    selection.restore(saved.selection);
    filter = saved.filter;
    allowDelete = saved.allowDelete;
    merge.setAllowDelete(allowDelete);
  }
  showResults(true);
  app.setAttribute('aria-busy', 'false');
  applyFilter();
  refreshControls();
  if (saved) schedulePreview();
}

function chooseFilter(next: DiffFilter): void {
  if (!summary || next === filter) return;
  filter = next;
  applyFilter();
}

function applyFilter(): void {
  if (!summary) return;
  const total = kindsOf(filter).reduce((sum, kind) => sum + summary!.counts[kind], 0);
  pages.reset(filter, total);
  grid.setTotal(total);
  filters.update(filter, summary.counts);
  refreshControls();
  saveState();
}

function selectionChanged(): void {
  grid.invalidate();
  refreshControls();
  schedulePreview();
  saveState();
}

function saveState(): void {
  if (!summary || phase === 'done') return;
  const state: PageState = { comparison: comparisonId(summary), filter, allowDelete, selection: selection.snapshot() };
  host.saveState(state);
}

function options(): MergeOptions {
  return { allowDelete };
}

function counts(): { selected: number; effective: number; skipped: number } {
  if (!summary) return { selected: 0, effective: 0, skipped: 0 };
  const selected = selection.count(summary.counts);
  const extra = selection.countOf('onlyInProduction', summary.counts.onlyInProduction);
  return { selected, effective: allowDelete ? selected : selected - extra, skipped: allowDelete ? 0 : extra };
}

function refreshControls(): void {
  const ready = phase === 'ready' && summary !== null;
  merge.update(counts(), ready);
  merge.setBusy(!ready);
  grid.setEnabled(ready);
  if (summary) grid.setTickState(selection.tickState(filter, summary.counts), ready && kindsOf(filter).some(kind => summary!.counts[kind] > 0));
}

function schedulePreview(): void {
  clearTimeout(previewTimer);
  // A newer selection makes any answer still on its way stale.
  const requestId = ++previewRequestId;
  if (counts().selected === 0) {
    merge.showEmpty();
    return;
  }
  merge.markStale();
  previewTimer = setTimeout(() => {
    host.post({ type: 'requestPreview', requestId, selection: selection.toMergeSelection(), options: options() });
  }, PREVIEW_DELAY_MS);
}

function showResults(visible: boolean): void {
  results.hidden = !visible;
}
