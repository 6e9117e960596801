import type { Command } from 'commander';
import { findBackups, type CatalogProblem } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import { formatBytes } from '../../core/format';
import { totalStoredBytes } from '../../core/manifest';
import { deleteBackup, type CollectResult } from '../../core/backupDeletion';
import { action, type CommandContext } from '../context';
import { ambiguous } from './findEntry';

export function registerDelete(program: Command): void {
  program.command('delete')
    .description('Delete a backup: its manifest first, then its files, then the incremental snapshot blocks that no remaining backup uses (blocks a newer snapshot needs are kept). '
      + 'A backup whose manifest cannot be read ("unreadable" in lifeboat list) is deleted by its folder, as list shows it, with --yes.')
    .argument('<backup>', 'the backup\'s whole id, or <connection>/<folder> as lifeboat list shows it (no abbreviation: deleting cannot be undone)')
    .option('--yes', 'confirm deleting an unreadable backup: its folder is removed as it is, unread')
    .addHelpText('after', '\nExamples:\n  lifeboat delete 2026-11-25T14-38-15-123Z-3fa9\n  lifeboat delete shop/2026-11-25T14-38-15-123Z-3fa9 --yes   # unreadable: its folder')
    .action(action(async (ctx, id: string, flags: { yes?: boolean }) => {
      const { entries, unreadable } = await findBackups(ctx.job.destination, id, ctx.job.logger);
      if (entries.length === 0 && unreadable.length > 0) return deleteUnreadable(ctx, id, unreadable, !!flags.yes);
      if (entries.length === 0) {
        throw new LifeboatError('not-found', `No backup "${id}" in ${ctx.job.destination.location}.`, 'Run "lifeboat list" to see the backups and their folders.');
      }
      if (entries.length > 1) throw ambiguous(id, entries.map(e => e.manifest.id));
      const entry = entries[0];
      if (entry.manifest.id !== id && entry.prefix !== id) {
        throw new LifeboatError('usage', `"${id}" is only the start of ${entry.manifest.id}; deleting needs the whole id.`, `Run: lifeboat delete ${entry.manifest.id}`);
      }
      const result = await deleteBackup(ctx.job.destination, entry.prefix, ctx.job.logger);
      const m = entry.manifest;
      ctx.output.result({ ok: true, deleted: m.id, ...sharedOutcome(result) },
        `Deleted ${m.id} of ${m.connection.name} (${formatBytes(totalStoredBytes(m))} in its folder)${describeShared(result)}.`);
    }));
}

/** An unreadable backup is known only by its folder: its manifest cannot say what it holds, so
 *  the whole folder name is needed, and --yes. */
async function deleteUnreadable(ctx: CommandContext, id: string, matches: CatalogProblem[], confirmed: boolean): Promise<void> {
  const exact = matches.filter(p => p.prefix === id || p.prefix.endsWith(`/${id}`));
  if (exact.length === 0) {
    throw new LifeboatError('usage', `"${id}" is only the start of the unreadable backup ${matches[0].prefix}; deleting needs its whole folder name.`, `Run: lifeboat delete ${matches[0].prefix} --yes`);
  }
  if (exact.length > 1) {
    throw new LifeboatError('usage', `"${id}" names the folder of ${exact.length} unreadable backups: ${exact.map(p => p.prefix).join(', ')}.`, 'Give it as <connection>/<folder>.');
  }
  const { prefix, message } = exact[0];
  if (!confirmed) {
    throw new LifeboatError('usage', `The backup ${prefix} is unreadable (${message}). Deleting it removes its folder ${ctx.job.destination.location}/${prefix} as it is; this cannot be undone.`,
      `To confirm, run: lifeboat delete ${prefix} --yes`);
  }
  const result = await deleteBackup(ctx.job.destination, prefix, ctx.job.logger);
  ctx.output.result({ ok: true, deleted: prefix.slice(prefix.indexOf('/') + 1), prefix, unreadable: true, ...sharedOutcome(result) },
    `Deleted the unreadable backup ${prefix} (its folder, as it was)${describeShared(result)}.`);
}

function sharedOutcome(result: CollectResult): { sharedRemoved: string[]; sharedKeptBecause?: string } {
  return { sharedRemoved: result.removed, ...(result.skipped ? { sharedKeptBecause: result.skipped } : {}) };
}

function describeShared(result: CollectResult): string {
  return (result.removed.length > 0 ? `, and ${result.removed.length} shared block file(s) no other backup used` : '') +
    (result.skipped ? `; unused blocks are kept for now: ${result.skipped}` : '');
}
