import type { Command } from 'commander';
import { LifeboatError } from '../../core/errors';
import { applyPrune, planPrune } from '../../core/pruning';
import { LOCAL_LABEL } from '../../core/listingEverywhere';
import { retentionFor } from '../../core/policy';
import { folderDestination } from '../../storage/destinationSettings';
import { parseDuration, type RetentionPolicy } from '../../core/retention';
import { resolveConnection } from '../config';
import { action } from '../context';
import { applyWalPrune, planWalPrune } from '../../engines/postgres/pitr/walRetention';

interface PruneFlags {
  keepLast?: string; keepHourly?: string; keepDaily?: string; keepWeekly?: string; keepMonthly?: string; keepYearly?: string;
  keepWithin?: string; timeZone?: string; dryRun?: boolean;
}

/**
 * lifeboat prune: retention (src/core/retention.ts) applied to the backups of one destination,
 * per connection: which go and why each kept one stays, then (without --dry-run) the deletions,
 * oldest first, each as `lifeboat delete` does it. A merge's undo backups are left out: they are
 * undone, not restored, and go with Undo Merge or by hand.
 */
export function registerPrune(program: Command): void {
  program.command('prune')
    .description('Delete the backups a retention policy does not keep, in --backup-dir, for each connection (restic\'s rules, ORed): never the newest verified backup or any newer one until verified, nor one being restored, verified or copied right now, nor one dated in the future (reported). Try --dry-run first.')
    .argument('[connection]', 'only this connection\'s backups (default: every connection in the folder)')
    .option('--keep-last <n>', 'the n newest')
    .option('--keep-hourly <n>', 'the newest of each of the last n hours that have backups')
    .option('--keep-daily <n>', 'the newest of each of the last n days that have backups')
    .option('--keep-weekly <n>', 'the newest of each of the last n weeks (from Monday 00:00) that have backups')
    .option('--keep-monthly <n>', 'the newest of each of the last n months that have backups')
    .option('--keep-yearly <n>', 'the newest of each of the last n years that have backups')
    .option('--keep-within <duration>', 'every backup made within this long of the newest one: 36h, 14d, 8w, 1w3d')
    .option('--time-zone <zone>', 'the zone hours, days, weeks, months and years are counted in (IANA, default UTC)')
    .option('--dry-run', 'say what would be deleted and why each kept backup is kept; delete nothing')
    .addHelpText('after', '\nExamples:\n  lifeboat prune --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --dry-run\n  lifeboat --backup-dir offsite prune crm --keep-last 30 --time-zone Europe/Berlin')
    .action(action(async (ctx, reference: string | undefined, flags: PruneFlags) => {
      // The flags' policy for every connection, or else each connection's own from the config file.
      const given = policyFrom(flags);
      // The place pruned: a destination of the config file by its name, else the backup folder ("local").
      const place = folderDestination(ctx.config.destinations, ctx.config.backupFolder, ctx.job.destination.location)?.name ?? LOCAL_LABEL;
      const configured = new Map(ctx.config.connections.flatMap(c => {
        const rules = retentionFor(c.policy, place);
        return rules ? [[c.connection.id, rules] as const] : [];
      }));
      if (!given && configured.size === 0) {
        throw new LifeboatError('usage', 'The retention policy keeps nothing: it has no rule.', 'Give --keep-last, --keep-daily, … (for example --keep-last 7 --keep-daily 14 --keep-monthly 12), or a "retention" for the connection in the config file.');
      }
      const connectionId = reference ? resolveConnection(ctx.config, reference).connection.id : undefined;
      const destination = ctx.job.destination;
      const prunes = await planPrune(destination, connection => given ?? configured.get(connection), { ...(connectionId ? { connectionId } : {}), logger: ctx.job.logger, now: new Date() });
      const results = [];
      const human: string[] = [];
      for (const prune of prunes) {
        const { connection, policy, plan, doomed } = prune;
        if (!policy || !plan) {
          human.push(`${connection}: no retention policy in the config file; left alone`);
          results.push({ connection, skipped: 'no retention policy' });
          continue;
        }
        const { deleted, heldNow } = flags.dryRun ? { deleted: [], heldNow: [] } : await applyPrune(destination, prune, ctx.job.logger, ctx.job.signal);
        const gone = flags.dryRun ? doomed : deleted;
        // Archived WAL older than the oldest base backup still kept (PostgreSQL point-in-time recovery).
        const keptEntries = prune.entries.filter(e => !gone.includes(e.manifest.id));
        const wal = await planWalPrune(destination, connection, keptEntries);
        const walGone = flags.dryRun ? wal.doomed.length : await applyWalPrune(destination, wal, ctx.job.signal);
        results.push({
          connection, policy, kept: plan.decisions.filter(d => d.keep).map(d => ({ id: d.id, reasons: d.reasons })), [flags.dryRun ? 'wouldDelete' : 'deleted']: gone, ...(heldNow.length ? { keptInUse: heldNow } : {}), futureDated: plan.futureDated,
          ...(wal.oldestBase ? { wal: { [flags.dryRun ? 'wouldDelete' : 'deleted']: walGone, keptFrom: wal.oldestBase.startSegment, oldestBase: wal.oldestBase.id } } : {}),
        });
        human.push(`${connection}: ${flags.dryRun ? 'would delete' : 'deleted'} ${gone.length}, kept ${plan.decisions.length - gone.length}`);
        if (wal.oldestBase && walGone > 0) human.push(`  ${flags.dryRun ? 'would delete' : 'deleted'} ${walGone} archived WAL file(s) before ${wal.oldestBase.startSegment}, where the oldest kept base backup (${wal.oldestBase.id}) starts`);
        for (const d of plan.decisions.filter(x => !heldNow.includes(x.id))) human.push(`  ${d.keep ? 'keep  ' : flags.dryRun ? 'delete' : 'gone  '} ${d.id}${d.keep ? `  (${d.reasons.join('; ')})` : ''}`);
        for (const id of heldNow) human.push(`  keep   ${id}  (a reader started on it while pruning: kept, pruned next time)`);
        for (const id of plan.futureDated) human.push(`  keep   ${id}  (dated in the future: check this machine's clock and the one that wrote it)`);
      }
      if (results.length === 0) human.push(`No backups in ${destination.location}${connectionId ? ` for ${connectionId}` : ''}.`);
      ctx.output.result({ ok: true, dryRun: !!flags.dryRun, folder: destination.location, connections: results }, human);
    }));
}

/** The policy the flags give, or undefined when they give no rule (--time-zone alone is none). */
function policyFrom(flags: PruneFlags): RetentionPolicy | undefined {
  const count = (value: string | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new LifeboatError('usage', `--keep-${name} needs a whole number (got "${value}").`);
    return Number(value);
  };
  const policy: RetentionPolicy = {
    last: count(flags.keepLast, 'last'), hourly: count(flags.keepHourly, 'hourly'), daily: count(flags.keepDaily, 'daily'),
    weekly: count(flags.keepWeekly, 'weekly'), monthly: count(flags.keepMonthly, 'monthly'), yearly: count(flags.keepYearly, 'yearly'),
    withinMs: flags.keepWithin === undefined ? undefined : parseDuration(flags.keepWithin),
    timeZone: flags.timeZone,
  };
  for (const key of Object.keys(policy) as (keyof RetentionPolicy)[]) if (policy[key] === undefined) delete policy[key];
  return Object.keys(policy).some(key => key !== 'timeZone') ? policy : undefined;
}
