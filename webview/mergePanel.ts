/**
 * The merge: what is ticked, whether rows only in production may be deleted, the exact SQL Apply
 * would run (as the engine previews it), and the Apply button. Apply only asks: the extension
 * confirms with the person in the editor's own dialog, naming the target and the row count.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import type { MergePreview } from '../src/diff/types';
import { el } from './dom';
import { formatCount, plural } from './format';

export interface MergeActions {
  allowDeleteChanged(allowDelete: boolean): void;
  apply(): void;
}

export interface SelectionCounts {
  /** Rows ticked, of any kind. */
  selected: number;
  /** Of those, rows Apply would write (rows only in production count only when deleting is allowed). */
  effective: number;
  /** Ticked rows only in production that Apply leaves alone because deleting is not allowed. */
  skipped: number;
}

export class MergePanel {
  readonly element: HTMLElement;
  private readonly allowDelete: VscodeCheckbox;
  private readonly applyButton: VscodeButton;
  private readonly selectedText = el('span', { className: 'selected-count', attrs: { 'aria-live': 'polite' } });
  private readonly previewInfo = el('span', { className: 'preview-info' });
  private readonly sql = el('pre', { className: 'sql', attrs: { tabindex: '0', 'aria-label': 'SQL that Apply would run' } });

  constructor(private readonly actions: MergeActions) {
    this.allowDelete = el('vscode-checkbox', { attrs: { label: 'Also delete rows that are only in production', 'data-option': 'allowDelete' } });
    this.allowDelete.addEventListener('change', () => this.actions.allowDeleteChanged(this.allowDelete.checked));
    this.applyButton = el('vscode-button', { attrs: { disabled: '', 'data-action': 'apply' } }, 'Apply to production…');
    this.applyButton.addEventListener('click', () => {
      if (!this.applyButton.disabled) this.actions.apply();
    });
    this.element = el('section', { className: 'merge', attrs: { 'aria-label': 'Merge into production' } },
      el('div', { className: 'merge-bar' }, this.selectedText, this.allowDelete, el('span', { className: 'spacer' }), this.applyButton),
      el('div', { className: 'preview-head' }, el('h2', { text: 'SQL preview' }), this.previewInfo),
      this.sql);
    this.showEmpty();
  }

  update(counts: SelectionCounts, canApply: boolean): void {
    const parts = [counts.selected === 0 ? 'No rows selected' : `${plural(counts.selected, 'row', 'rows')} selected`];
    if (counts.skipped > 0) parts.push(`${formatCount(counts.skipped)} only in production left alone (deleting is off)`);
    this.selectedText.textContent = parts.join(' · ');
    this.applyButton.disabled = !(canApply && counts.effective > 0);
    this.applyButton.textContent = counts.effective > 0 ? `Apply ${plural(counts.effective, 'row', 'rows')} to production…` : 'Apply to production…';
  }

  /** A new comparison starts from the safe default: deleting off. */
  reset(): void {
    this.setAllowDelete(false);
    this.showEmpty();
  }

  setAllowDelete(allowed: boolean): void {
    this.allowDelete.checked = allowed;
  }

  setBusy(busy: boolean): void {
    this.allowDelete.disabled = busy;
  }

  showEmpty(): void {
    this.previewInfo.textContent = '';
    this.sql.classList.remove('stale');
    this.sql.classList.add('empty');
    this.sql.textContent = 'Tick rows to see the SQL that Apply would run.';
  }

  /** The selection changed: the SQL shown is about to be replaced. */
  markStale(): void {
    this.sql.classList.add('stale');
    this.previewInfo.textContent = 'Updating…';
  }

  showPreview(preview: MergePreview): void {
    const parts = [
      plural(preview.inserts, 'insert', 'inserts'),
      plural(preview.updates, 'update', 'updates'),
      plural(preview.deletes, 'delete', 'deletes'),
    ];
    if (preview.skipped > 0) parts.push(`${formatCount(preview.skipped)} skipped`);
    let info = `${parts.join(' · ')} into ${preview.target.connection} · ${preview.target.table}, in one transaction`;
    if (preview.truncated) info += ` — showing the first ${formatCount(countStatements(preview.sql))} statements`;
    this.previewInfo.textContent = info;
    this.sql.classList.remove('stale', 'empty');
    this.sql.textContent = preview.sql;
  }
}

/** Statements in the preview text: the lines that start one. */
export function countStatements(sql: string): number {
  return (sql.match(/^\s*(INSERT|UPDATE|DELETE)\b/gim) ?? []).length;
}
