/**
 * Every message between the diff webview and the extension, in one place that both sides import
 * (src/vscode/diff/diffPanel.ts and webview/main.ts). Nothing else is posted: the host switches on
 * `type` and gets typed fields; a message of another shape is ignored and logged.
 *
 * Requests that expect an answer carry a `requestId` the answer repeats, so a late answer to a
 * superseded request (the user scrolled on, changed the filter) is recognised and dropped.
 */
import type { DiffFilter, DiffProgress, DiffRow, DiffSummary, MergeConflict, MergeOptions, MergeOutcome, MergePreview, MergeSelection } from './types';

/** Extension → webview. */
export type HostMessage =
  /** The comparison started (or restarted): what is compared with what. */
  | { type: 'comparing'; title: string; backupLabel: string; productionLabel: string; targetLabel: string }
  | { type: 'progress'; progress: DiffProgress }
  /** Counts first; rows follow on request. */
  | { type: 'summary'; summary: DiffSummary }
  | { type: 'rows'; requestId: number; filter: DiffFilter; offset: number; total: number; rows: DiffRow[] }
  | { type: 'preview'; requestId: number; preview: MergePreview }
  /** Apply is running (after the person confirmed in the editor's own dialog). */
  | { type: 'applying'; rows: number }
  | { type: 'applied'; outcome: MergeOutcome }
  /** Apply found rows that changed since the comparison: nothing was written. */
  | { type: 'conflict'; conflicts: MergeConflict[]; total: number }
  | { type: 'failed'; message: string; hint?: string }
  | { type: 'cancelled' };

/** Webview → extension. */
export type WebviewMessage =
  /** The page loaded and listens: the host (re)sends the state. */
  | { type: 'ready' }
  | { type: 'requestRows'; requestId: number; filter: DiffFilter; offset: number; limit: number }
  | { type: 'requestPreview'; requestId: number; selection: MergeSelection; options: MergeOptions }
  /** Asks the host to confirm with the person (modal, naming the target and the row count), then apply. */
  | { type: 'apply'; selection: MergeSelection; options: MergeOptions }
  | { type: 'cancel' }
  /** Compare again (after a conflict, or after an apply to see the tables equal). */
  | { type: 'recompare' };

/** A message the host will act on: the right type with fields of the right shape (nothing else is trusted). */
export function isWebviewMessage(value: unknown): value is WebviewMessage {
  if (!value || typeof value !== 'object') return false;
  const m = value as Record<string, unknown>;
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  switch (m.type) {
    case 'ready':
    case 'cancel':
    case 'recompare':
      return true;
    case 'requestRows':
      return count(m.requestId) && isFilter(m.filter) && count(m.offset) && count(m.limit);
    case 'requestPreview':
      return count(m.requestId) && isSelection(m.selection) && isOptions(m.options);
    case 'apply':
      return isSelection(m.selection) && isOptions(m.options);
    default:
      return false;
  }
}

const KINDS = ['onlyInBackup', 'onlyInProduction', 'changed'];

function isFilter(v: unknown): boolean {
  return v === 'all' || KINDS.includes(v as string);
}

function isIds(v: unknown): boolean {
  return Array.isArray(v) && v.every(id => Number.isInteger(id));
}

function isSelection(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  if (s.mode === 'ids') return isIds(s.ids) && (s.columns === undefined || (typeof s.columns === 'object' && s.columns !== null));
  return s.mode === 'all' && Array.isArray(s.kinds) && s.kinds.every(k => KINDS.includes(k as string)) && isIds(s.except) && (s.also === undefined || isIds(s.also));
}

function isOptions(v: unknown): boolean {
  return !!v && typeof v === 'object' && typeof (v as Record<string, unknown>).allowDelete === 'boolean';
}
