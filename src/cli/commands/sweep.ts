import type { Command } from 'commander';
import { sweepDestination } from '../../core/catalog';
import type { Destination } from '../../core/destination';
import { openDestination } from '../../storage/openDestination';
import { action } from '../context';
import { collect } from './options';

export function registerSweep(program: Command): void {
  program.command('sweep')
    .description('Remove what interrupted runs left behind in a destination: partial files, unfinished backups (no manifest, their writer gone) and, in a bucket, the multipart uploads of dead writers. '
      + 'Every command does this for its --backup-dir first; sweep also takes other folders and buckets (a --copy-to target), or every configured destination with --all. Complete backups are never touched.')
    .option('--to <location>', 'also sweep this folder, s3://bucket/prefix or configured destination (repeatable)', collect)
    .option('--all', 'also sweep every destination named in the config file')
    .addHelpText('after', '\nExamples:\n  lifeboat sweep --to offsite\n  lifeboat --config /etc/lifeboat.json sweep --all   # from cron, after backups that may have been killed')
    .action(action(async (ctx, flags: { to?: string[]; all?: boolean }) => {
      const named = [...(flags.to ?? []), ...(flags.all ? ctx.config.destinations.map(d => d.name) : [])];
      const destinations: Destination[] = [ctx.job.destination];
      for (const location of named) {
        const destination = openDestination(location, ctx.config.destinations);
        if (!destinations.some(d => d.location === destination.location)) destinations.push(destination);
      }
      // The backup folder was swept as the command started (context.ts): a second pass finds
      // what it left, which is nothing unless a writer died meanwhile.
      const swept: { location: string; removed: string[] }[] = [];
      for (const destination of destinations) swept.push({ location: destination.location, removed: await sweepDestination(destination, ctx.job.logger) });
      ctx.output.result({ ok: true, swept }, swept.map(s => `${s.location}: ${s.removed.length === 0 ? 'nothing left behind' : `removed ${s.removed.length}: ${s.removed.join(', ')}`}`));
    }));
}
