/**
 * What is compared with what, and the counts of the comparison: the first thing a person reads
 * after an accident ("3,000 rows missing in production").
 */
import type { DiffKind, DiffSummary, SideSummary } from '../src/diff/types';
import { DIFF_KINDS } from '../src/diff/types';
import { el } from './dom';
import { formatCount, formatDuration, KIND_LABELS, plural } from './format';

export class HeaderView {
  readonly element: HTMLElement;
  private readonly title = el('h1');
  private readonly sides = el('p', { className: 'sides' });

  constructor() {
    this.element = el('header', { className: 'page-header' }, this.title, this.sides);
    this.title.textContent = 'Compare tables';
  }

  update(comparing: { title: string; backupLabel: string; productionLabel: string; targetLabel: string }): void {
    this.title.textContent = comparing.title;
    this.sides.replaceChildren(
      el('span', { className: 'side-label', text: 'Backup' }), ' ', el('span', { className: 'side backup', text: comparing.backupLabel }),
      el('span', { className: 'versus', text: ' compared with ' }),
      el('span', { className: 'side-label', text: 'Production' }), ' ', el('span', { className: 'side production', text: comparing.productionLabel }),
      el('span', { className: 'target', text: ` · Apply writes to ${comparing.targetLabel}` }),
    );
  }
}

export class SummaryView {
  readonly element: HTMLElement;
  private readonly tiles = el('div', { className: 'tiles', attrs: { role: 'list' } });
  private readonly details = el('ul', { className: 'details' });

  constructor() {
    this.element = el('section', { className: 'summary', attrs: { 'aria-label': 'Summary' } }, this.tiles, this.details);
  }

  update(summary: DiffSummary): void {
    this.tiles.replaceChildren(
      ...DIFF_KINDS.map(kind => tile(kind, KIND_LABELS[kind].symbol, summary.counts[kind], KIND_LABELS[kind].long)),
      tile('same', '=', summary.same, summary.same === null ? 'Same (equal ranges not read)' : summary.keyColumns === null ? 'Copies on both sides' : 'Same on both sides'),
    );
    const lines: (string | Node)[][] = [];
    if (DIFF_KINDS.every(kind => summary.counts[kind] === 0)) {
      lines.push([el('strong', { className: 'equal', text: '✓ The tables are equal: nothing to merge.' })]);
    }
    lines.push([describeKey(summary), ' · ', describeMode(summary), ` · ${formatDuration(summary.elapsedMs)}`]);
    lines.push([`Rows read: ${sideRead('backup', summary.backup)}; ${sideRead('production', summary.production)}.`]);
    for (const [side, name] of [[summary.backup, 'the backup'], [summary.production, 'production']] as const) {
      if (side.unmatchedColumns.length === 0) continue;
      lines.push([
        el('span', { className: 'warning-mark', text: '⚠', attrs: { 'aria-hidden': 'true' } }),
        ` Columns only in ${name}: `,
        el('code', { text: side.unmatchedColumns.join(', ') }),
        ' — not compared, not merged.',
      ]);
    }
    this.details.replaceChildren(...lines.map(parts => el('li', {}, ...parts)));
  }
}

function tile(kind: DiffKind | 'same', symbol: string, count: number | null, label: string): HTMLElement {
  return el('div', { className: `tile kind-${kind}`, attrs: { role: 'listitem', 'data-kind': kind } },
    el('span', { className: 'marker', text: symbol, attrs: { 'aria-hidden': 'true' } }),
    el('span', { className: 'count', text: count === null ? '—' : formatCount(count) }),
    el('span', { className: 'label', text: label }));
}

function describeKey(summary: DiffSummary): string {
  if (summary.keyColumns === null) return 'No key: rows compared whole, duplicates counted as copies';
  const source = summary.keySource === 'primary-key' ? 'primary key' : 'chosen unique key';
  return `Matched by ${source} (${summary.keyColumns.join(', ')})`;
}

function describeMode(summary: DiffSummary): string {
  if (summary.mode === 'stream') return 'every row read and compared';
  const b = summary.bisection;
  return b ? `checksum bisection (${plural(b.queries, 'checksum query', 'checksum queries')}, ${plural(b.levels, 'level', 'levels')})` : 'checksum bisection';
}

function sideRead(name: string, side: SideSummary): string {
  const of = side.rows === null ? '' : ` of ${formatCount(side.rows)}`;
  return `${formatCount(side.rowsRead)}${of} from ${name} (${side.table})`;
}
