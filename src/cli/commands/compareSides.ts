import type { Command } from 'commander';
import { compareTables, parseTableRef, type TableComparison } from '../../diff';
import type { DiffKind } from '../../diff/types';
import { LifeboatError } from '../../core/errors';
import { readPassword, resolveConnection } from '../config';
import type { CommandContext } from '../context';

/** The flags `lifeboat diff` and `lifeboat merge` share: which tables, matched how. */
export interface CompareFlags {
  table: string;
  productionTable?: string;
  key?: string;
  mode?: string;
}

const MODES = ['auto', 'stream', 'bisect'] as const;

export async function compareFromFlags(ctx: CommandContext, backupRef: string, productionRef: string, flags: CompareFlags): Promise<TableComparison> {
  if (flags.mode && !(MODES as readonly string[]).includes(flags.mode)) {
    throw new LifeboatError('usage', `--mode ${flags.mode} is not a comparison mode.`, 'Use auto, stream or bisect.');
  }
  const backup = resolveConnection(ctx.config, backupRef);
  const production = resolveConnection(ctx.config, productionRef);
  let shown = 0;
  return compareTables({
    backup: { connection: backup.connection, password: readPassword(backup), table: parseTableRef(flags.table, backup.connection.engine) },
    production: { connection: production.connection, password: readPassword(production), table: parseTableRef(flags.productionTable ?? flags.table, production.connection.engine) },
    key: flags.key ? flags.key.split(',').map(k => k.trim()).filter(Boolean) : undefined,
    mode: (flags.mode ?? 'auto') as (typeof MODES)[number],
    signal: ctx.job.signal,
    logger: ctx.output.logger,
    // The bar never runs backwards: checksum levels have no fraction, the rows read after them do.
    onProgress: p => ctx.job.onProgress?.({ fraction: (shown = Math.max(shown, p.fraction ?? 0)), message: p.message }),
  });
}

/** --only missing,extra,changed → the kinds of differences (missing = only in the backup). */
export function parseKinds(value: string | undefined): DiffKind[] {
  if (!value) return ['onlyInBackup', 'onlyInProduction', 'changed'];
  const names: Record<string, DiffKind> = { missing: 'onlyInBackup', extra: 'onlyInProduction', changed: 'changed' };
  return value.split(',').map(v => {
    const kind = names[v.trim()];
    if (!kind) throw new LifeboatError('usage', `--only ${v} is not a kind of difference.`, 'Use missing (rows only in the backup), extra (rows only in production) or changed, comma-separated.');
    return kind;
  });
}

const COMPARE_HELP = {
  table: 'the table (PostgreSQL: schema.table, default schema public; MySQL, SQLite: its name)',
  productionTable: 'the production table, when its name differs',
  key: 'columns of a unique key to match rows by, comma-separated (default: the primary key; none: whole rows as multisets)',
  mode: 'auto (default: checksum bisection from 2,000,000 rows when both sides are PostgreSQL or both MySQL, else stream), stream (read both tables once, side by side) or bisect (checksums in the databases; only rows near differences are read)',
};

/** The two sides and how they are matched, as `diff` and `merge` both take them. */
export function withCompareArguments(command: Command, production: string): Command {
  return command
    .argument('<backup>', 'the restored copy: connection id or name from the config file, a URI (no password) or a SQLite path')
    .argument('<production>', production)
    .requiredOption('-t, --table <table>', COMPARE_HELP.table)
    .option('--production-table <table>', COMPARE_HELP.productionTable)
    .option('--key <columns>', COMPARE_HELP.key)
    .option('--mode <mode>', COMPARE_HELP.mode);
}
