import { findBackup, type CatalogEntry } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import type { CommandContext } from '../context';

export async function findEntry(ctx: CommandContext, id: string): Promise<CatalogEntry> {
  const entry = await findBackup(ctx.job.destination, id, ctx.job.logger);
  if (!entry) {
    throw new LifeboatError('not-found', `No backup "${id}" in ${ctx.job.destination.location}.`, 'Run "lifeboat list" to see the backups (an unambiguous start of an id is enough).');
  }
  return entry;
}
