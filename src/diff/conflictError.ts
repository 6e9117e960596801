import { LifeboatError } from '../core/errors';
import type { MergeConflict } from './types';

/** Apply found production rows that are no longer what the comparison showed; nothing was written. */
export class MergeConflictError extends LifeboatError {
  static override readonly brand: string = 'MergeConflictError';
  constructor(readonly conflicts: MergeConflict[], readonly total: number) {
    super('conflict',
      `${total} ${total === 1 ? 'row' : 'rows'} changed in production since the comparison, so the merge wrote nothing.`,
      'Compare again to see the table as it is now, then choose the rows to merge.');
  }
}
