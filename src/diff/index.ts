/**
 * The table diff engine's public face, used by the editor's diff panel and by `lifeboat diff` /
 * `lifeboat merge`. No `vscode` import here or below.
 *
 *   const comparison = await compareTables({ backup, production, onProgress, signal });
 *   comparison.summary;                       // counts first
 *   comparison.rows('onlyInBackup', 0, 200);  // then rows, page by page
 *   comparison.preview(selection, options);   // the SQL a merge would run
 *   await comparison.apply(selection, options, job); // one transaction, re-checked, undo backup first
 *   await comparison.close();
 */
export { compareTables } from './compare';
export type { CompareRequest, TableComparison, TableSideSpec } from './compare';
export { undoMerge } from './undo';
export { MergeConflictError } from './conflictError';
export { diffPanelHtml, newNonce } from './panelHtml';
export { listTables, describeTable, parseTableRef, tableKeys } from './open';
export * from './types';
