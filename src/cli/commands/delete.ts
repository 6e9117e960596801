import type { Command } from 'commander';
import { LifeboatError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { totalStoredBytes } from '../../core/manifest';
import { removeBackup } from '../../core/sharedGarbage';
import { action } from '../context';
import { findEntry } from './findEntry';

export function registerDelete(program: Command): void {
  program.command('delete')
    .description('Delete a backup: its manifest first, then its files, then the incremental snapshot blocks that no remaining backup uses (blocks a newer snapshot needs are kept).')
    .argument('<backup>', 'the backup\'s whole id (no abbreviation: deleting cannot be undone)')
    .action(action(async (ctx, id: string) => {
      const entry = await findEntry(ctx, id);
      if (entry.manifest.id !== id) {
        throw new LifeboatError('usage', `"${id}" is only the start of ${entry.manifest.id}; deleting needs the whole id.`, `Run: lifeboat delete ${entry.manifest.id}`);
      }
      const result = await removeBackup(ctx.job.destination, entry.prefix, ctx.job.logger);
      const m = entry.manifest;
      ctx.output.result({ ok: true, deleted: m.id, sharedRemoved: result.removed, ...(result.skipped ? { sharedKeptBecause: result.skipped } : {}) },
        `Deleted ${m.id} of ${m.connection.name} (${formatBytes(totalStoredBytes(m))} in its folder)` +
        (result.removed.length > 0 ? `, and ${result.removed.length} shared block file(s) no other backup used` : '') +
        (result.skipped ? `; unused blocks are kept for now: ${result.skipped}` : '') + '.');
    }));
}
