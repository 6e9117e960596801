import type { Command } from 'commander';
import { copyBackup, copyProgress } from '../../core/backupCopy';
import { formatBytes } from '../../core/format';
import { openDestination } from '../../storage/openDestination';
import { action } from '../context';
import { findEntry } from './findEntry';

export function registerCopy(program: Command): void {
  program.command('copy')
    .description('Add a copy of an existing backup to another folder or bucket: every stored file is streamed across and checked against the manifest\'s SHA-256 (the shared blocks of an incremental snapshot go along where the target lacks them), then the manifest is written there, naming every copy. The source is only read; a copy cut short leaves nothing.')
    .argument('<backup>', 'backup id (or an unambiguous start of one), in --backup-dir')
    .requiredOption('--to <location>', 'where the copy goes: a folder, s3://bucket/prefix, or a destination named in the config file')
    .addHelpText('after', '\nExamples:\n  lifeboat copy 2026-12-02T14-38 --to offsite\n  lifeboat --backup-dir offsite copy 2026-12-02T14-38 --to /mnt/usb/lifeboat')
    .action(action(async (ctx, id: string, flags: { to: string }) => {
      const entry = await findEntry(ctx, id);
      const to = openDestination(flags.to, ctx.config.destinations);
      const copied = await copyBackup(entry, ctx.job.destination, to, {
        signal: ctx.job.signal, logger: ctx.job.logger,
        onBytes: copyProgress(ctx.job.onProgress),
      });
      const m = copied.entry.manifest;
      ctx.output.result({ ok: true, backup: { id: m.id, from: ctx.job.destination.location, to: to.location, bytes: copied.bytes, sharedReused: copied.sharedReused, copies: m.copies } },
        `Copied ${m.id} of ${m.connection.name} to ${to.location}: ${formatBytes(copied.bytes)}, every byte checked against its manifest${copied.sharedReused ? ` (${copied.sharedReused} shared files were there already, and checked)` : ''}.`);
    }));
}
