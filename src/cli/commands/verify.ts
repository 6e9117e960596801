import type { Command } from 'commander';
import { formatDuration } from '../../core/format';
import { verifyBackup } from '../../engines';
import { serverTargetFor } from '../config';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { findEntry } from './findEntry';
import { parsePositive } from './options';

export function registerVerify(program: Command): void {
  program.command('verify')
    .description('Read a backup back: checksums of every file, then SQLite integrity_check and row counts, or PostgreSQL pg_restore --list; --deep adds a restore drill. The result is recorded in the backup\'s verification history (beside its manifest).')
    .argument('<backup>', 'backup id (or an unambiguous start of one)')
    .option('--quick', 'SQLite: only read every stored byte back and compare SHA-256s (a snapshot: also that its packs hold every page), without rebuilding the database and running integrity_check')
    .option('--deep', 'PostgreSQL: restore into a scratch database, compare every table\'s row count with the archive, record the restore time (RTO), drop it')
    .option('-j, --jobs <n>', 'PostgreSQL --deep: parallel restore jobs', parsePositive)
    .option('--server <connection>', 'PostgreSQL: the server for the drill (default: the backup\'s own connection)')
    .action(action(async (ctx, id: string, flags: { quick?: boolean; deep?: boolean; jobs?: number; server?: string }) => {
      const entry = await findEntry(ctx, id);
      // Only a drill needs the server (and its password); a quick verify reads the stored files.
      const server = flags.deep && entry.manifest.engine !== 'sqlite' ? serverTargetFor(ctx.config, entry.manifest, flags.server) : undefined;
      const jobs = flags.jobs ?? (flags.deep && entry.manifest.engine === 'postgres' && ctx.config.restoreJobs > 0 ? ctx.config.restoreJobs : undefined);
      const verification = await verifyBackup(entry, ctx.job, { quick: flags.quick, deep: flags.deep, jobs, postgresBinDir: ctx.config.postgresBinDir }, server);
      const lines = verification.checks.map(c => `  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`);
      ctx.output.result({ ok: verification.ok, backup: entry.manifest.id, verification }, [
        `Backup ${entry.manifest.id} ${verification.ok ? 'is intact' : 'is DAMAGED'} (${formatDuration(verification.durationMs)}${verification.restoreMs !== undefined ? `; restore drill took ${formatDuration(verification.restoreMs)}` : ''}):`,
        ...lines,
      ]);
      return verification.ok ? EXIT.ok : EXIT.verificationFailed;
    }));
}
