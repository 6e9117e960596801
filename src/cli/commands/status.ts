import type { Command } from 'commander';
import { LifeboatError } from '../../core/errors';
import { formatAge, formatDuration } from '../../core/format';
import { formatObjective } from '../../core/policy';
import { action } from '../context';
import { cliConnectionStatus } from './connectionStatus';

export function registerStatus(program: Command): void {
  program.command('status')
    .description('Every connection\'s state: the age of its newest verified backup against its RPO, the 3-2-1 rule for its copies (the live database, the backup folder, each configured destination), its last drill\'s restore time against its RTO, its next and last scheduled runs, and in words what is missing. The editor\'s tree shows the same.')
    .option('--fail-on <health>', 'exit with status 1 when a connection is at least this bad: warn or bad (for monitoring)')
    .action(action(async (ctx, flags: { failOn?: string }) => {
      if (flags.failOn !== undefined && flags.failOn !== 'warn' && flags.failOn !== 'bad') {
        throw new LifeboatError('usage', `--fail-on takes warn or bad (got "${flags.failOn}").`);
      }
      const now = new Date();
      const statuses = await cliConnectionStatus(ctx, now);
      const human = statuses.length === 0 ? ['No connections in the config file.'] : statuses.flatMap(s => [
        `${s.health === 'ok' ? 'ok  ' : s.health === 'warn' ? 'WARN' : 'BAD '}  ${s.name} (${s.connection}, ${s.tier}: RPO ${formatObjective(s.rpoMs)}, RTO ${formatObjective(s.rtoMs)})`,
        `      ${s.summary}`,
        `      newest verified backup: ${s.newestVerified ? `${s.newestVerified.id}, ${formatAge(new Date(s.newestVerified.completedAt), now)}, in ${s.copies.places.join(' + ')}` : 'none'}`,
        ...(s.drill ? [`      last drill: ${formatDuration(s.drill.restoreMs)} (${s.drill.at})`] : []),
        ...(s.lastRun ? [`      last run: "${s.lastRun.schedule}" ${s.lastRun.ok ? 'succeeded' : 'FAILED'} ${s.lastRun.endedAt}`] : []),
        ...s.problems.map(p => `      - ${p}`),
      ]);
      ctx.output.result({ ok: true, folder: ctx.job.destination.location, at: now.toISOString(), connections: statuses }, human);
      const worst = statuses.some(s => s.health === 'bad') ? 'bad' : statuses.some(s => s.health === 'warn') ? 'warn' : 'ok';
      if (flags.failOn && (worst === 'bad' || (worst === 'warn' && flags.failOn === 'warn'))) return 1;
    }));
}
