import type { Command } from 'commander';
import { formatDuration } from '../../core/format';
import type { DiffRow, DiffSummary } from '../../diff/types';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { compareFromFlags, parseKinds, withCompareArguments, type CompareFlags } from './compareSides';
import { parsePositive } from './options';

interface DiffFlags extends CompareFlags {
  limit?: number;
  sql?: boolean;
  delete?: boolean;
  only?: string;
  exitCode?: boolean;
}

export function registerDiff(program: Command): void {
  withCompareArguments(program.command('diff'), 'the live database, given the same ways')
    .description('Compare a table of a restored copy with production: rows only in the backup (missing from production), only in production, and changed rows with the changed columns. Reads nothing but the two tables; writes nothing.')
    .option('--limit <n>', 'differences to list (default 100; the counts are always complete)', parsePositive)
    .option('--sql', 'print the SQL a merge of the differences would run, instead of the differences (nothing is run)')
    .option('--only <kinds>', 'with --sql: missing, extra and/or changed, comma-separated (default: all)')
    .option('--delete', 'with --sql: delete rows that are only in production (left alone otherwise)')
    .option('--exit-code', 'exit with status 1 when the tables differ (as diff(1) does)')
    .addHelpText('after', '\nExamples:\n  lifeboat diff shop_restored shop -t public.orders\n  lifeboat diff /tmp/app-restored.db /srv/app.db -t users --json --limit 1000\n  lifeboat diff shop_restored shop -t public.orders --sql --only missing > put-back.sql')
    .action(action(async (ctx, backupRef: string, productionRef: string, flags: DiffFlags) => {
      const comparison = await compareFromFlags(ctx, backupRef, productionRef, flags);
      try {
        const { summary } = comparison;
        const differences = comparison.count('all');
        if (flags.sql) {
          const preview = comparison.preview({ mode: 'all', kinds: parseKinds(flags.only), except: [] }, { allowDelete: !!flags.delete }, Number.MAX_SAFE_INTEGER);
          ctx.output.document({ ok: true, summary, preview }, preview.sql);
        } else {
          const limit = flags.limit ?? 100;
          const rows = comparison.rows('all', 0, limit);
          ctx.output.result({ ok: true, summary, rows, truncated: differences > rows.length }, describe(summary, rows, differences));
        }
        return flags.exitCode && differences > 0 ? EXIT.failed : EXIT.ok;
      } finally {
        await comparison.close();
      }
    }));
}

const LABELS = { onlyInBackup: 'only in backup', onlyInProduction: 'only in production', changed: 'changed' } as const;

function describe(summary: DiffSummary, rows: DiffRow[], total: number): string[] {
  const key = summary.keyColumns ? `key (${summary.keyColumns.join(', ')})` : 'no key: whole rows compared as multisets';
  const lines = [
    `${summary.backup.connection} · ${summary.backup.table}  vs  ${summary.production.connection} · ${summary.production.table}  (${key}, ${summary.mode}, ${formatDuration(summary.elapsedMs)})`,
    `  ${summary.counts.onlyInBackup} only in the backup (missing from production), ${summary.counts.onlyInProduction} only in production, ${summary.counts.changed} changed` +
      (summary.same !== null ? `, ${summary.same} equal` : '') + `; rows read ${summary.backup.rowsRead} + ${summary.production.rowsRead}`,
  ];
  for (const side of [summary.backup, summary.production]) {
    if (side.unmatchedColumns.length) lines.push(`  ${side.connection} has columns the other lacks (not compared): ${side.unmatchedColumns.join(', ')}`);
  }
  const names = summary.columns.map(c => c.name);
  for (const row of rows) {
    const copies = row.count > 1 ? ` ×${row.count}` : '';
    if (row.kind === 'changed') {
      const cells = row.changed.map(i => `${names[i]}: ${show(row.production![i])} → ${show(row.backup![i])}`).join('; ');
      lines.push(`  ~ (${row.key.map(show).join(', ')})  ${cells}`);
    } else {
      const values = (row.backup ?? row.production)!;
      lines.push(`  ${row.kind === 'onlyInBackup' ? '+' : '-'} ${LABELS[row.kind]}${copies}: ${values.map((v, i) => `${names[i]}=${show(v)}`).join(', ')}`);
    }
  }
  if (total > rows.length) lines.push(`  … ${total - rows.length} more (--limit, or --json for all fields)`);
  return lines;
}

function show(cell: string | null): string {
  if (cell === null) return 'NULL';
  const text = JSON.stringify(cell);
  return text.length > 60 ? text.slice(0, 57) + '…"' : text;
}
