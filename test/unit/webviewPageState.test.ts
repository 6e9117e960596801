import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiffSummary } from '../../src/diff/types';
import { comparisonId, savedFor, type PageState } from '../../webview/pageState';
import { Selection } from '../../webview/selection';

const side = (connection: string) => ({ engine: 'sqlite' as const, connection, table: 'customers', rowsRead: 100, rows: 100, unmatchedColumns: [] });
const summary = (elapsedMs: number): DiffSummary => ({
  columns: [], keyColumns: ['id'], keySource: 'primary-key', mode: 'stream', backup: side('restored'), production: side('production'),
  counts: { onlyInBackup: 3, onlyInProduction: 1, changed: 2 }, same: 94, elapsedMs,
});

describe('the page state kept while the editor hides the page', () => {
  const selection = new Selection();
  selection.setAll('onlyInBackup', true);
  selection.toggle({ id: 4, kind: 'onlyInBackup' });
  selection.toggle({ id: 9, kind: 'changed' });
  const state: PageState = { comparison: comparisonId(summary(120)), filter: 'changed', allowDelete: true, selection: selection.snapshot() };
  const stored = JSON.parse(JSON.stringify(state)) as unknown;

  it('comes back for the same comparison, with the same selection', () => {
    const restored = savedFor(stored, summary(120));
    assert.ok(restored);
    const again = new Selection();
    again.restore(restored.selection);
    assert.deepEqual(again.toMergeSelection(), { mode: 'all', kinds: ['onlyInBackup'], except: [4], also: [9] });
    assert.deepEqual([restored.filter, restored.allowDelete], ['changed', true]);
  });

  it('is ignored for another comparison, or when it is not what the page saved', () => {
    assert.equal(savedFor(stored, summary(121)), undefined, 'a new run of the same tables');
    assert.equal(savedFor(undefined, summary(120)), undefined);
    assert.equal(savedFor({ ...state, filter: 'everything' }, summary(120)), undefined);
    assert.equal(savedFor({ ...state, selection: { ...state.selection, changed: { all: false, ids: ['9'] } } }, summary(120)), undefined);
  });
});
