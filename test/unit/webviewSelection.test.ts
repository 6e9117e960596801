import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiffKind, DiffRow } from '../../src/diff/types';
import { PAGE_SIZE, RowPages } from '../../webview/rowPages';
import { Selection } from '../../webview/selection';

const counts: Record<DiffKind, number> = { onlyInBackup: 3000, onlyInProduction: 2000, changed: 1500 };
const row = (id: number, kind: DiffKind) => ({ id, kind });

describe('the webview selection', () => {
  it('sends ticked rows by id, sorted', () => {
    const selection = new Selection();
    selection.toggle(row(9, 'changed'));
    selection.toggle(row(2, 'onlyInBackup'));
    selection.toggle(row(5, 'onlyInBackup'));
    selection.toggle(row(5, 'onlyInBackup'));
    assert.deepEqual(selection.toMergeSelection(), { mode: 'ids', ids: [2, 9] });
    assert.equal(selection.count(counts), 2);
    assert.equal(selection.tickState('onlyInBackup', counts), 'some');
  });

  it('sends select-all of a filter as its kinds, with the rows unticked after it as exceptions', () => {
    const selection = new Selection();
    selection.toggle(row(2, 'onlyInBackup'));
    selection.setAll('onlyInBackup', true);
    assert.equal(selection.tickState('onlyInBackup', counts), 'all');
    selection.toggle(row(7, 'onlyInBackup'));
    selection.toggle(row(4, 'onlyInBackup'));
    assert.deepEqual(selection.toMergeSelection(), { mode: 'all', kinds: ['onlyInBackup'], except: [4, 7] });
    assert.equal(selection.count(counts), 2998);
    assert.equal(selection.isSelected(row(4, 'onlyInBackup')), false);
    assert.equal(selection.isSelected(row(5, 'onlyInBackup')), true);
    assert.equal(selection.tickState('all', counts), 'some');
  });

  it('adds rows of other kinds ticked one by one as also', () => {
    const selection = new Selection();
    selection.setAll('onlyInBackup', true);
    selection.toggle(row(11, 'changed'));
    selection.toggle(row(3, 'onlyInProduction'));
    assert.deepEqual(selection.toMergeSelection(), { mode: 'all', kinds: ['onlyInBackup'], except: [], also: [3, 11] });
    assert.equal(selection.count(counts), 3002);
  });

  it('select-all of "all" covers every kind, and unticking it clears them', () => {
    const selection = new Selection();
    selection.setAll('all', true);
    assert.deepEqual(selection.toMergeSelection(), { mode: 'all', kinds: ['onlyInBackup', 'onlyInProduction', 'changed'], except: [] });
    assert.equal(selection.count(counts), 6500);
    selection.setAll('changed', false);
    assert.deepEqual(selection.toMergeSelection(), { mode: 'all', kinds: ['onlyInBackup', 'onlyInProduction'], except: [] });
    selection.setAll('all', false);
    assert.deepEqual(selection.toMergeSelection(), { mode: 'ids', ids: [] });
    assert.equal(selection.tickState('all', counts), 'none');
  });
});

describe('the webview row pages', () => {
  const rows = (offset: number, n: number, kind: DiffKind = 'changed'): DiffRow[] =>
    Array.from({ length: n }, (_, i) => ({ id: offset + i + 1, kind, key: [String(offset + i)], backup: null, production: null, changed: [], count: 1 }));

  it('asks once for each page in view, and holds what arrives', () => {
    const pages = new RowPages();
    pages.reset('changed', 1500);
    const requests = pages.requestsFor(150, 450);
    assert.deepEqual(requests.map(r => [r.filter, r.offset, r.limit]), [['changed', 0, PAGE_SIZE], ['changed', 200, PAGE_SIZE], ['changed', 400, PAGE_SIZE]]);
    assert.deepEqual(pages.requestsFor(150, 450), [], 'pages awaited are not asked for again');
    assert.equal(pages.accept({ ...requests[1], total: 1500, rows: rows(200, 200) }), true);
    assert.equal(pages.row(250)?.key[0], '250');
    assert.equal(pages.row(150), undefined);
    assert.deepEqual(pages.requestsFor(1400, 2000).map(r => r.offset), [1400], 'never past the end');
  });

  it('drops answers to superseded requests, of another filter, or at another offset', () => {
    const pages = new RowPages();
    pages.reset('onlyInProduction', 2000);
    const [old] = pages.requestsFor(0, 10);
    pages.reset('changed', 1500);
    const [current] = pages.requestsFor(0, 10);
    assert.equal(pages.accept({ ...old, total: 2000, rows: rows(0, 200, 'onlyInProduction') }), false);
    assert.equal(pages.accept({ ...old, filter: 'changed', total: 1500, rows: rows(0, 200, 'onlyInProduction') }), false);
    assert.equal(pages.accept({ ...current, offset: 200, total: 1500, rows: rows(200, 200) }), false);
    assert.equal(pages.row(0), undefined);
    assert.equal(pages.accept({ ...current, total: 1500, rows: rows(0, 200) }), true);
    assert.equal(pages.accept({ ...current, total: 1500, rows: rows(0, 200) }), false, 'an answer counts once');
    assert.equal(pages.row(0)?.kind, 'changed');
  });
});
