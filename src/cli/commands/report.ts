import type { Command } from 'commander';
import { buildRecoveryReport, reportMarkdown } from '../../core/recoveryReport';
import { action } from '../context';
import { cliStatusInputs } from './connectionStatus';

export function registerReport(program: Command): void {
  program.command('report')
    .description('The recovery report: every connection\'s tier, RPO/RTO and 3-2-1 state, recent runs and failures, backup sizes and durations, and the storage each place uses, as Markdown (for a wiki page or a ticket) or with --json as data. The editor\'s Lifeboat: Recovery Report shows the same.')
    .option('--markdown', 'Markdown (the default without --json)')
    .action(action(async ctx => {
      const now = new Date();
      const { statuses, listing, runs } = await cliStatusInputs(ctx, now);
      const report = buildRecoveryReport(statuses, listing, runs, now);
      ctx.output.document({ ok: true, report }, reportMarkdown(report));
    }));
}
