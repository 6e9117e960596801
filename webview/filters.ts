/**
 * The filter bar: all differences, or one kind of them, each with its count. One pressed button
 * at a time, like a segmented control.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeBadge } from '@vscode-elements/elements/dist/vscode-badge/vscode-badge.js';
import type { DiffFilter, DiffKind } from '../src/diff/types';
import { el } from './dom';
import { formatCount } from './format';

const FILTERS: { filter: DiffFilter; label: string }[] = [
  { filter: 'all', label: 'All differences' },
  { filter: 'onlyInBackup', label: 'Missing in production' },
  { filter: 'onlyInProduction', label: 'Only in production' },
  { filter: 'changed', label: 'Changed' },
];

export class FilterBar {
  readonly element: HTMLElement;
  private readonly buttons = new Map<DiffFilter, { button: VscodeButton; badge: VscodeBadge }>();

  constructor(onChoose: (filter: DiffFilter) => void) {
    this.element = el('div', { className: 'filters', attrs: { role: 'toolbar', 'aria-label': 'Show' } });
    for (const { filter, label } of FILTERS) {
      const badge = el('vscode-badge', { attrs: { variant: 'counter', slot: 'content-after' } });
      const button = el('vscode-button', { className: `filter kind-${filter}`, attrs: { 'data-filter': filter } }, label, badge);
      button.addEventListener('click', () => onChoose(filter));
      this.buttons.set(filter, { button, badge });
      this.element.append(button);
    }
  }

  update(current: DiffFilter, counts: Record<DiffKind, number>): void {
    const total = counts.onlyInBackup + counts.onlyInProduction + counts.changed;
    for (const [filter, { button, badge }] of this.buttons) {
      const count = filter === 'all' ? total : counts[filter];
      badge.textContent = formatCount(count);
      button.secondary = filter !== current;
      button.setAttribute('aria-pressed', String(filter === current));
    }
  }
}
