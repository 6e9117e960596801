/**
 * Where the page says what is happening: a comparison in progress (with Cancel), an Apply running,
 * and how it ended: applied (with the undo backup), a conflict (nothing written: which rows
 * production changed since the comparison), failed, or cancelled.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { VscodeProgressBar } from '@vscode-elements/elements/dist/vscode-progress-bar/vscode-progress-bar.js';
import type { DiffProgress, MergeConflict, MergeOutcome } from '../src/diff/types';
import { el } from './dom';
import { conflictText, formatCount, formatDuration, keyText, plural } from './format';

/** Conflicts listed in full; the rest are counted. */
const CONFLICTS_SHOWN = 50;

export interface StatusActions {
  cancel(): void;
  recompare(): void;
}

export class StatusView {
  readonly element: HTMLElement;
  private readonly bar: VscodeProgressBar;
  private readonly progressText = el('span', { className: 'progress-text' });
  private readonly progress: HTMLElement;
  private readonly banner = el('div', { className: 'banner', attrs: { role: 'status' } });

  constructor(private readonly actions: StatusActions) {
    this.bar = el('vscode-progress-bar', { attrs: { 'aria-label': 'Comparing' } });
    const cancel = el('vscode-button', { attrs: { secondary: '', 'data-action': 'cancel' } }, 'Cancel');
    cancel.addEventListener('click', () => this.actions.cancel());
    this.progress = el('div', { className: 'progress' }, el('div', { className: 'progress-line' }, this.progressText, cancel), this.bar);
    this.element = el('section', { className: 'status', attrs: { 'aria-live': 'polite' } }, this.progress, this.banner);
    this.clear();
  }

  clear(): void {
    this.progress.hidden = true;
    this.banner.hidden = true;
    this.banner.replaceChildren();
  }

  showProgress(progress: DiffProgress, label = 'Comparing'): void {
    this.banner.hidden = true;
    this.progress.hidden = false;
    this.bar.ariaLabel = label;
    if (progress.fraction === null) {
      this.bar.indeterminate = true;
      this.bar.value = undefined;
    } else {
      this.bar.indeterminate = false;
      this.bar.max = 100;
      this.bar.value = Math.round(progress.fraction * 1000) / 10;
    }
    const percent = progress.fraction === null ? '' : ` ${Math.floor(progress.fraction * 100)} %`;
    this.progressText.textContent = `${progress.message || `${label}…`}${percent}`;
  }

  showApplying(rows: number, target: string): void {
    this.showProgress({ fraction: null, message: `Applying ${plural(rows, 'row', 'rows')} to ${target} in one transaction…` }, 'Applying');
  }

  showApplied(outcome: MergeOutcome): void {
    this.showBanner('applied', '✓', 'Applied', [
      `${formatCount(outcome.inserted)} inserted, ${formatCount(outcome.updated)} updated, ${formatCount(outcome.deleted)} deleted in ${outcome.target.connection} · ${outcome.target.table} (${formatDuration(outcome.elapsedMs)}).`,
    ], [
      el('p', {}, 'The rows it changed were saved first, as backup ', el('code', { className: 'undo-id', text: outcome.undoBackupId }), ': undo with ', el('code', { text: `lifeboat merge --undo ${outcome.undoBackupId}` }), '.'),
    ], 'Compare again');
  }

  showConflict(conflicts: MergeConflict[], total: number, columns: string[], keyLabel: string): void {
    const list = el('table', { className: 'conflicts' },
      el('thead', {}, el('tr', {}, ...[keyLabel, 'Apply would', 'Expected (as compared)', 'Found in production now'].map(text => el('th', { text, attrs: { scope: 'col' } })))),
      el('tbody', {}, ...conflicts.slice(0, CONFLICTS_SHOWN).map(conflict => {
        const text = conflictText(columns, conflict.expected, conflict.found);
        return el('tr', {},
          el('td', { text: keyText(conflict.key) }),
          el('td', { text: conflict.action }),
          el('td', { text: text.expected }),
          el('td', { className: 'found', text: text.found }));
      })));
    const more = total > Math.min(conflicts.length, CONFLICTS_SHOWN) ? [el('p', { text: `…and ${formatCount(total - Math.min(conflicts.length, CONFLICTS_SHOWN))} more.` })] : [];
    this.showBanner('conflict', '⚠', 'Nothing was written', [
      `Production changed since the comparison: ${plural(total, 'row is', 'rows are')} no longer what the diff showed. Compare again to see production as it is now.`,
    ], [el('div', { className: 'conflicts-scroll' }, list), ...more], 'Compare again');
  }

  showFailed(message: string, hint: string | undefined, canRecompare: boolean): void {
    this.showBanner('failed', '✕', 'Failed', [message], hint ? [el('p', { className: 'hint', text: hint })] : [], canRecompare ? 'Compare again' : undefined);
  }

  showCancelled(duringComparison: boolean): void {
    if (duringComparison) this.showBanner('cancelled', '○', 'Comparison cancelled', ['Nothing was compared to the end.'], [], 'Compare again');
    else this.showBanner('cancelled', '○', 'Not applied', ['Nothing was written to production.'], []);
  }

  private showBanner(kind: string, symbol: string, title: string, lines: string[], extra: Node[], button?: string): void {
    this.progress.hidden = true;
    this.banner.hidden = false;
    this.banner.className = `banner ${kind}`;
    this.banner.setAttribute('role', kind === 'conflict' || kind === 'failed' ? 'alert' : 'status');
    const children: Node[] = [
      el('p', { className: 'banner-title' }, el('span', { className: 'marker', text: symbol, attrs: { 'aria-hidden': 'true' } }), ` ${title}: `, lines.join(' ')),
      ...extra,
    ];
    if (button) {
      const recompare = el('vscode-button', { attrs: { 'data-action': 'recompare' } }, button);
      recompare.addEventListener('click', () => this.actions.recompare());
      children.push(el('div', { className: 'banner-actions' }, recompare));
    }
    this.banner.replaceChildren(...children);
  }
}
