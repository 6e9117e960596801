import type { Command } from 'commander';
import { formatDuration } from '../../core/format';
import { verifyBackup } from '../../engines';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { findEntry } from './findEntry';

export function registerVerify(program: Command): void {
  program.command('verify')
    .description('Read a backup back: checksums of every file, decompress, integrity_check, row counts against the manifest. The result is recorded in the manifest.')
    .argument('<backup>', 'backup id (or an unambiguous start of one)')
    .action(action(async (ctx, id: string) => {
      const entry = await findEntry(ctx, id);
      const verification = await verifyBackup(entry, ctx.job);
      const lines = verification.checks.map(c => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`).join('\n');
      ctx.output.result({ ok: verification.ok, backup: entry.manifest.id, verification },
        `Backup ${entry.manifest.id} ${verification.ok ? 'is intact' : 'is DAMAGED'} (${formatDuration(verification.durationMs)}):\n${lines}`);
      return verification.ok ? EXIT.ok : EXIT.verificationFailed;
    }));
}
