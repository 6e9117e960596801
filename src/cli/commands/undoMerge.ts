import type { Command } from 'commander';
import { LifeboatError } from '../../core/errors';
import { undoMerge } from '../../diff';
import { readPassword, resolveConnection } from '../config';
import { action } from '../context';
import { findEntry } from './findEntry';

/** `lifeboat undo-merge`: puts back what a merge changed, from the backup it took first. */
export function registerUndoMerge(program: Command): void {
  program.command('undo-merge')
    .description('Put back the rows a merge changed, from the backup it took before writing: delete what it inserted, restore what it updated or deleted, in one transaction. If production changed those rows since, nothing is changed.')
    .argument('<backup>', 'the merge\'s backup id (printed by merge; listed by lifeboat list)')
    .option('--connection <connection>', 'the production connection (default: the backup\'s own connection from the config file)')
    .option('--yes', 'write into production (required)')
    .action(action(async (ctx, id: string, flags: { connection?: string; yes?: boolean }) => {
      const entry = await findEntry(ctx, id);
      const reference = flags.connection ?? entry.manifest.connection.id;
      const cli = flags.connection ? resolveConnection(ctx.config, reference) : ctx.config.connections.find(c => c.connection.id === reference);
      if (!cli) throw new LifeboatError('usage', `Backup ${entry.manifest.id} belongs to connection "${reference}", which is not in the config file.`, 'Name the production database with --connection.');
      if (!flags.yes) throw new LifeboatError('usage', `undo-merge writes into ${cli.connection.name}; run it again with --yes.`);
      const result = await undoMerge(entry, { connection: cli.connection, password: readPassword(cli) }, ctx.job);
      ctx.output.result({ ok: true, backup: entry.manifest.id, ...result }, `Undid merge ${entry.manifest.id}: ${result.restored} rows put back, ${result.removed} removed.`);
    }));
}
