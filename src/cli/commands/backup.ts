import type { Command } from 'commander';
import { describeBackupRun, failedCopies, runBackup } from '../../engines';
import { parseBackupRequest } from '../../engines/backupRequest';
import { accessFor, resolveConnection } from '../config';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { openDestination } from '../../storage/openDestination';
import { collect, parseLevel, parsePositive } from './options';

interface BackupFlags {
  compression?: string; level?: number; pagesPerStep?: number; format?: string; compressor?: string; jobs?: number;
  schemaOnly?: boolean; dataOnly?: boolean; schema?: string[]; excludeSchema?: string[]; table?: string[]; excludeTable?: string[];
  excludeTableData?: string[]; owner?: boolean; privileges?: boolean; sqliteFormat?: string; vacuum?: boolean; incremental?: boolean; copyTo?: string[]; encryptTo?: string[];
}

export function registerBackup(program: Command): void {
  program.command('backup')
    .description('Back up a database with a manifest: SQLite (online copy, integrity_check; a folder connection: every database in it), PostgreSQL (pg_dump in an exported snapshot, checked with pg_restore --list) or MySQL/MariaDB (mariadb-dump/mysqldump in one snapshot, with its binary-log position).')
    .argument('<connection>', 'connection id or name from the config file, or a SQLite file path / sqlite:// URI')
    .option('-c, --compression <codec>', 'zstd, gzip or none (default: the config file\'s, else zstd)')
    .option('-l, --level <n>', 'compression level (zstd 1–19, default 2; gzip 1–9, default 6)', parseLevel)
    .option('--sqlite-format <format>', 'SQLite: copy (the database file, default), sql (a SQL dump: schema, rows as INSERTs, PRAGMAs) or snapshot (incremental: only pages no earlier snapshot stored)')
    .option('--vacuum', 'SQLite, copy format: a compact copy made with VACUUM INTO (no free pages) instead of the online backup API')
    .option('--pages-per-step <n>', 'SQLite: pages per online-backup step (default: sized to about 20 ms per step)', parsePositive)
    .option('-F, --format <format>', 'PostgreSQL: auto (default: the faster of one stream compressed by Lifeboat, in the custom format, and parallel jobs, in the directory format, for this database), custom, directory, plain, or base (a physical base backup of the whole cluster with pg_basebackup, for point-in-time recovery: see lifeboat pitr)')
    .option('--incremental', 'PostgreSQL 17+, with --format base: copy only what changed since the newest base backup (pg_basebackup --incremental; needs summarize_wal = on). A recovery combines the chain (pg_combinebackup), and prune keeps it whole')
    .option('--compressor <who>', 'PostgreSQL: lifeboat (pg_dump writes uncompressed, Lifeboat compresses on another core; the default) or tool (pg_dump compresses, as pgAdmin does; always for directory)')
    .option('-j, --jobs <n>', 'PostgreSQL: parallel dump jobs (directory format; with auto, 1 means one stream)', parsePositive)
    .option('--schema-only', 'PostgreSQL, MySQL: definitions only, no data')
    .option('--data-only', 'PostgreSQL, MySQL: data only, no definitions')
    .option('-n, --schema <pattern>', 'PostgreSQL: only this schema (pg_dump pattern; repeatable)', collect)
    .option('-N, --exclude-schema <pattern>', 'PostgreSQL: not this schema (repeatable)', collect)
    .option('-t, --table <pattern>', 'only this table (PostgreSQL: a pg_dump pattern, e.g. public.orders or \'"My Schema"."Odd Name"\'; MySQL: the table\'s name; repeatable)', collect)
    .option('-T, --exclude-table <pattern>', 'PostgreSQL, MySQL: not this table (repeatable)', collect)
    .option('--exclude-table-data <pattern>', 'PostgreSQL: this table\'s definition but not its rows (repeatable)', collect)
    .option('--no-owner', 'PostgreSQL: do not record object owners')
    .option('--no-privileges', 'PostgreSQL: do not record GRANTs')
    .option('--encrypt-to <recipient>', 'encrypt every stored file (after compression) to this age recipient, age1… as age-keygen prints it (repeatable; default: the connection\'s encryptTo in the config file). `age -d -i key.txt` decrypts it without Lifeboat', collect)
    .option('--copy-to <location>', 'also write the same backup, checked the same way, to this folder, s3://bucket/prefix or configured destination (repeatable): each copy is complete on its own, and one that fails is named and removed while the others are kept', collect)
    .addHelpText('after', '\nExamples:\n  lifeboat backup /srv/app.db --backup-dir /var/backups/lifeboat --json\n  lifeboat backup /srv/app.db --sqlite-format snapshot\n  lifeboat backup crm --format directory --jobs 4\n  lifeboat backup crm -t public.orders -t public.customers --compression zstd')
    .action(action(async (ctx, reference: string, flags: BackupFlags) => {
      const cli = resolveConnection(ctx.config, reference);
      const request = parseBackupRequest({
        compression: flags.compression, level: flags.level, pagesPerStep: flags.pagesPerStep, format: flags.format, compressor: flags.compressor,
        jobs: flags.jobs, schemaOnly: flags.schemaOnly, dataOnly: flags.dataOnly, schemas: flags.schema, excludeSchemas: flags.excludeSchema,
        tables: flags.table, excludeTables: flags.excludeTable, excludeTableData: flags.excludeTableData,
        noOwner: flags.owner === false ? true : undefined, noPrivileges: flags.privileges === false ? true : undefined,
        sqliteFormat: flags.sqliteFormat, vacuum: flags.vacuum, incremental: flags.incremental, encryptTo: flags.encryptTo ?? cli.encryptTo,
      }, ctx.config, cli.connection.engine);
      const access = cli.connection.engine === 'sqlite' ? {} : accessFor(ctx.config, cli);
      const destinations = [ctx.job.destination, ...(flags.copyTo ?? []).map(location => openDestination(location, ctx.config.destinations))];
      const run = await runBackup(cli.connection, request, destinations, ctx.job, access);
      const described = run.backups.filter(b => b.copies.length > 0).map(b => {
        const { entry } = b.copies[0];
        return {
          id: entry.manifest.id, connection: entry.manifest.connection.id, location: `${b.copies[0].destination.location}/${entry.prefix}`,
          copies: b.copies.map(c => `${c.destination.location}/${c.entry.prefix}`), failedCopies: b.failures, manifest: entry.manifest,
        };
      });
      const failed = failedCopies(run);
      // One backup: { backup }; a folder group: { backups: [...] }, one per database.
      const result = cli.connection.engine === 'sqlite' && cli.connection.folder ? { ok: !failed, backups: described } : { ok: !failed, backup: described[0] };
      ctx.output.result(result, describeBackupRun(run));
      if (failed) {
        ctx.output.logger.error(failed.fullMessage);
        return EXIT.failed;
      }
    }));
}
