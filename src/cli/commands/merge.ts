import type { Command } from 'commander';
import { formatDuration } from '../../core/format';
import { MergeConflictError } from '../../diff';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { compareFromFlags, parseKinds, withCompareArguments, type CompareFlags } from './compareSides';

interface MergeFlags extends CompareFlags {
  only?: string;
  delete?: boolean;
  yes?: boolean;
}

export function registerMerge(program: Command): void {
  withCompareArguments(program.command('merge'), 'the live database the rows are written into')
    .description('Compare a table of a restored copy with production, then write the differences into production in one transaction: insert rows only in the backup, update changed rows, and (with --delete) delete rows only in production. Each target row is locked and re-checked first; if one changed since, nothing is written (exit status 6). The rows it changes are saved first as a backup, which undo-merge puts back.')
    .option('--only <kinds>', 'merge only these differences: missing (rows only in the backup), changed, extra (rows only in production, with --delete); comma-separated (default: all)')
    .option('--delete', 'delete rows that are only in production (without it they are left alone)')
    .option('--yes', 'write into production (without it, merge prints the SQL it would run and writes nothing)')
    .addHelpText('after', '\nExamples:\n  lifeboat merge shop_restored shop -t public.orders --only missing        # shows the SQL\n  lifeboat merge shop_restored shop -t public.orders --only missing --yes  # runs it')
    .action(action(async (ctx, backupRef: string, productionRef: string, flags: MergeFlags) => {
      const comparison = await compareFromFlags(ctx, backupRef, productionRef, flags);
      try {
        const selection = { mode: 'all' as const, kinds: parseKinds(flags.only), except: [] };
        const options = { allowDelete: !!flags.delete };
        const preview = comparison.preview(selection, options, Number.MAX_SAFE_INTEGER);
        const rows = preview.inserts + preview.updates + preview.deletes;
        if (rows === 0) {
          ctx.output.result({ ok: true, summary: comparison.summary, merged: null }, `Nothing to merge: ${comparison.count('all') === 0 ? 'the tables are equal' : `the ${preview.skipped} differences are rows only in production (add --delete to delete them)`}.`);
          return EXIT.ok;
        }
        if (!flags.yes) {
          ctx.output.document({ ok: false, summary: comparison.summary, preview, error: { code: 'usage', message: 'merge writes into production only with --yes' } },
            `${preview.sql}\n-- Nothing was written. Run again with --yes to apply these ${rows} row changes to ${preview.target.connection} · ${preview.target.table}.`);
          return EXIT.usage;
        }
        try {
          const outcome = await comparison.apply(selection, options, ctx.job);
          ctx.output.result({ ok: true, summary: comparison.summary, merged: outcome }, [
            `Merged into ${outcome.target.connection} · ${outcome.target.table} in ${formatDuration(outcome.elapsedMs)}: ${outcome.inserted} inserted, ${outcome.updated} updated, ${outcome.deleted} deleted.`,
            `The rows it changed were saved first as backup ${outcome.undoBackupId}; lifeboat undo-merge ${outcome.undoBackupId} --yes puts them back.`,
          ]);
          return EXIT.ok;
        } catch (error) {
          if (!(error instanceof MergeConflictError)) throw error;
          const listed = error.conflicts.map(c => `  ${c.action} (${c.key.join(', ')}): expected ${JSON.stringify(c.expected)}, found ${JSON.stringify(c.found)}`);
          ctx.output.result({ ok: false, error: { code: error.code, message: error.message, hint: error.hint }, conflicts: error.conflicts, total: error.total },
            [error.message, ...listed, error.hint ?? '']);
          return EXIT.conflict;
        }
      } finally {
        await comparison.close();
      }
    }));
}
