import { findBackups, type CatalogEntry, type CatalogProblem } from '../../core/catalog';
import { LifeboatError } from '../../core/errors';
import type { CommandContext } from '../context';

export async function findEntry(ctx: CommandContext, id: string): Promise<CatalogEntry> {
  const { entries, unreadable } = await findBackups(ctx.job.destination, id, ctx.job.logger);
  if (entries.length === 0 && unreadable.length === 1) throw unreadableBackup(unreadable[0]);
  if (entries.length === 0 && unreadable.length > 1) throw ambiguous(id, unreadable.map(p => p.prefix));
  if (entries.length === 0) {
    throw new LifeboatError('not-found', `No backup "${id}" in ${ctx.job.destination.location}.`, 'Run "lifeboat list" to see the backups (an unambiguous start of an id is enough).');
  }
  if (entries.length > 1) throw ambiguous(id, entries.map(e => e.manifest.id));
  return entries[0];
}

/** The backup is there, but its manifest cannot be trusted: damaged (exit 3), not missing. */
export function unreadableBackup(problem: CatalogProblem): LifeboatError {
  return new LifeboatError('verification', `The backup ${problem.prefix} cannot be used: ${problem.message}`, `To remove it, run: lifeboat delete ${problem.prefix} --yes`);
}

export function ambiguous(id: string, names: string[]): LifeboatError {
  return new LifeboatError('usage', `"${id}" is the start of ${names.length} backups: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}.`, 'Give more of the id.');
}
