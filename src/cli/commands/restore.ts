import type { Command } from 'commander';
import { formatBytes, formatDuration } from '../../core/format';
import { restoreBackup } from '../../engines';
import { action } from '../context';
import { findEntry } from './findEntry';

export function registerRestore(program: Command): void {
  program.command('restore')
    .description('Restore a backup into a new file (checked: SHA-256, integrity_check, row counts) before it is put in place.')
    .argument('<backup>', 'backup id (or an unambiguous start of one)')
    .requiredOption('-t, --to <file>', 'the file to create')
    .option('--overwrite', 'replace the file if it exists (the old file is kept aside until the restore succeeded)')
    .action(action(async (ctx, id: string, options: { to: string; overwrite?: boolean }) => {
      const entry = await findEntry(ctx, id);
      const result = await restoreBackup(entry, { target: options.to, overwrite: !!options.overwrite }, ctx.job);
      ctx.output.result({ ok: true, backup: entry.manifest.id, restore: result },
        `Restored ${entry.manifest.id} into ${result.target} (${formatBytes(result.bytes)}, ${result.tables.length} tables, SHA-256 as backed up) in ${formatDuration(result.durationMs)}.` +
        (result.replacedExisting ? ' The previous file was replaced.' : ''));
    }));
}
