import type { Command } from 'commander';
import { parseCodec } from '../../core/codec';
import { formatBytes, formatDuration } from '../../core/format';
import { totalStoredBytes } from '../../core/manifest';
import { backupDatabase } from '../../engines';
import { resolveConnection } from '../config';
import { action } from '../context';
import { parseLevel, parsePositive } from './options';

export function registerBackup(program: Command): void {
  program.command('backup')
    .description('Back up a database: copy, check (integrity, row counts), compress, checksum, store with a manifest.')
    .argument('<connection>', 'connection id or name from the config file, or a SQLite file path / sqlite:// URI')
    .option('-c, --compression <codec>', 'gzip or none (default: the config file\'s, else gzip)')
    .option('-l, --level <n>', 'compression level (gzip: 1 fastest … 9 smallest, default 6; ignored with none)', parseLevel)
    .option('--pages-per-step <n>', 'SQLite: pages per online-backup step (default: sized to about 20 ms per step)', parsePositive)
    .addHelpText('after', '\nExample:\n  lifeboat backup /srv/app.db --backup-dir /var/backups/lifeboat --json')
    .action(action(async (ctx, reference: string, options: { compression?: string; level?: number; pagesPerStep?: number }) => {
      const { connection } = resolveConnection(ctx.config, reference);
      const codec = options.compression ? parseCodec(options.compression) : ctx.config.compression;
      const entry = await backupDatabase(connection, { codec, level: options.level, pagesPerStep: options.pagesPerStep }, ctx.job);
      const m = entry.manifest;
      ctx.output.result({ ok: true, backup: { id: m.id, connection: m.connection.id, location: `${ctx.job.destination.location}/${entry.prefix}`, manifest: m } },
        `Backup ${m.id} of ${m.connection.name}: ${formatBytes(totalStoredBytes(m))} stored in ${ctx.job.destination.location}/${entry.prefix}, ` +
        `verified (integrity_check ok, ${m.tables.length} tables), ${formatDuration(m.timings.totalMs)}.`);
    }));
}
