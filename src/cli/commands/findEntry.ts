import { findBackups, type CatalogEntry } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import type { CommandContext } from '../context';

export async function findEntry(ctx: CommandContext, id: string): Promise<CatalogEntry> {
  const found = await findBackups(ctx.job.destination, id, ctx.job.logger);
  if (found.length === 0) {
    throw new LifeboatError('not-found', `No backup "${id}" in ${ctx.job.destination.location}.`, 'Run "lifeboat list" to see the backups (an unambiguous start of an id is enough).');
  }
  if (found.length > 1) {
    throw new LifeboatError('usage', `"${id}" is the start of ${found.length} backups: ${found.slice(0, 4).map(e => e.manifest.id).join(', ')}${found.length > 4 ? ', …' : ''}.`, 'Give more of the id.');
  }
  return found[0];
}
