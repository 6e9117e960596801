import { deleteBackup } from './backupDeletion';
import { heldBackups } from './backupHolds';
import { listBackups, type CatalogEntry } from './catalog';
import type { Destination } from './destination';
import { throwIfAborted } from './errors';
import type { Logger } from './logger';
import { MERGE_UNDO_KIND, verificationState } from './manifest';
import { planRetention, type RetentionPlan, type RetentionPolicy } from './retention';

/**
 * Retention applied to one destination's backups, for `lifeboat prune` and the editor's Apply
 * Retention alike: first the plan per connection (what goes, and why each kept backup stays;
 * backups being read right now by any process are held), then, asked for separately, the
 * deletions, oldest first, each backup whole or not at all. A merge's undo backups are left out:
 * they are undone, not restored.
 */
export interface ConnectionPrune {
  connection: string;
  /** Undefined: the connection has no policy and is left alone. */
  policy?: RetentionPolicy;
  plan?: RetentionPlan;
  /** Oldest first. */
  doomed: string[];
  prefixOf: Map<string, string>;
  /** The connection's backups in this destination (what remains after the doomed go is the rest). */
  entries: CatalogEntry[];
}

export async function planPrune(destination: Destination, policyOf: (connection: string) => RetentionPolicy | undefined, options: { connectionId?: string; logger: Logger; now: Date }): Promise<ConnectionPrune[]> {
  const listing = await listBackups(destination, { ...(options.connectionId ? { connectionId: options.connectionId } : {}), logger: options.logger });
  const byConnection = new Map<string, CatalogEntry[]>();
  for (const entry of listing.entries) {
    if (entry.manifest.kind === MERGE_UNDO_KIND) continue;
    byConnection.set(entry.manifest.connection.id, [...(byConnection.get(entry.manifest.connection.id) ?? []), entry]);
  }
  const held = await heldBackups(destination, options.connectionId);
  return [...byConnection].map(([connection, entries]) => {
    const prefixOf = new Map(entries.map(e => [e.manifest.id, e.prefix]));
    const policy = policyOf(connection);
    if (!policy) return { connection, doomed: [], prefixOf, entries };
    const holds = new Set(entries.filter(e => held.has(e.prefix)).map(e => e.manifest.id));
    const plan = planRetention(entries.map(e => ({ id: e.manifest.id, completedAt: e.manifest.completedAt, verified: verificationState(e.manifest) === 'verified', ...(e.manifest.parent ? { needs: [e.manifest.parent] } : {}) })), policy, { now: options.now, holds });
    return { connection, policy, plan, doomed: plan.decisions.filter(d => !d.keep).map(d => d.id).reverse(), prefixOf, entries };
  });
}

/** Deletes what the plan dooms. A reader may have started since the plan was made, so each
 *  backup's folder is looked at again right before it goes; one held then is kept (`heldNow`). */
export async function applyPrune(destination: Destination, prune: ConnectionPrune, logger: Logger, signal?: AbortSignal): Promise<{ deleted: string[]; heldNow: string[] }> {
  const deleted: string[] = [];
  const heldNow: string[] = [];
  for (const id of prune.doomed) {
    // Cancel stops between deletions: each backup is deleted whole or not at all.
    throwIfAborted(signal, 'Pruning');
    const prefix = prune.prefixOf.get(id)!;
    if ((await heldBackups(destination, prefix)).size > 0) {
      heldNow.push(id);
      continue;
    }
    await deleteBackup(destination, prefix, logger);
    deleted.push(id);
  }
  return { deleted, heldNow };
}
