import { listBackups } from '../../../core/catalog';
import { createScratch } from '../../../core/scratch';
import type { JobContext } from '../../../core/job';
import { describeWindow } from './baseChoice';
import { describeStretch, planWindow, type DescribedStretch, type RecoveryWindow, type WalGap } from './recoveryWindow';
import { findServerTools } from './serverTools';
import { listWal } from './walArchive';
import { scanStretchEnds } from './windowScan';

/**
 * The recoverable window of a connection, as `lifeboat pitr window` and the editor show it: each
 * stretch from a base backup's end to its last archived commit, the gaps, and how far the
 * archive has got. The ends of the stretches are read from the WAL with pg_waldump of the
 * backups' major version; without it, the window is given from the listing alone and says so.
 */
export interface WindowReport {
  connection: string;
  stretches: DescribedStretch[];
  gaps: WalGap[];
  unusable: RecoveryWindow['unusable'];
  lastArchived: { name: string; at: string } | null;
  /** Why the ends were not read from the WAL, when they were not. */
  unscanned?: string;
  text: string;
}

export async function windowReport(connectionId: string, ctx: JobContext, serverBinDir?: string): Promise<WindowReport> {
  const window = planWindow((await listBackups(ctx.destination, { connectionId, logger: ctx.logger })).entries, await listWal(ctx.destination, connectionId));
  let unscanned: string | undefined;
  if (window.stretches.some(s => s.segments.length > 0)) {
    const scratch = await createScratch(ctx.scratchParent);
    try {
      const major = Number(window.stretches[0].base.entry.manifest.server.version.split('.')[0]);
      const tools = await findServerTools(major, serverBinDir);
      await scanStretchEnds(window, ctx.destination, scratch.path, tools.pgWaldump, ctx.signal);
    } catch (error) {
      if (ctx.signal?.aborted) throw error;
      unscanned = (error as Error).message;
    } finally {
      await scratch.dispose();
    }
  }
  return {
    connection: connectionId,
    stretches: window.stretches.map(describeStretch),
    gaps: window.gaps,
    unusable: window.unusable,
    lastArchived: window.lastArchived ? { name: window.lastArchived.name, at: window.lastArchived.at.toISOString() } : null,
    ...(unscanned ? { unscanned } : {}),
    text: window.stretches.length === 0 ? 'No base backup to recover from.' : describeWindow(window),
  };
}
