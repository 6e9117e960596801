import type { Command } from 'commander';
import { formatBytes, formatDuration } from '../../core/format';
import { LifeboatError, errorMessage } from '../../core/errors';
import type { Webhook } from '../../core/alerts';
import { runStateFolder } from '../../core/runLog';
import type { Destination } from '../../core/destination';
import { LOCAL_LABEL } from '../../core/listingEverywhere';
import { runDueWork } from '../../core/scheduledRunner';
import { performScheduledWork } from '../../engines/scheduledWork';
import { openDestination } from '../../storage/openDestination';
import { folderDestination } from '../../storage/destinationSettings';
import { accessFor, readWebhooks, type CliConfig } from '../config';
import { action } from '../context';
import { EXIT } from '../exitCodes';
import { cliConnectionStatus } from './connectionStatus';

export function registerRun(program: Command): void {
  program.command('run')
    .description('Run the scheduled work that is due (each connection\'s "schedules" in the config file), record each run in the run log beside the backups, and alert the webhooks of the config file\'s alertsFile on failure, on a missed run and when a connection is over its RPO. Safe to call every minute from cron or a systemd timer: a second runner at the same time runs nothing, and slots missed while no runner was up run once.')
    .requiredOption('--due', 'run what is due now (the one mode so far)')
    .option('--at <time>', 'judge what is due at this time (ISO 8601) instead of now: to try a schedule out')
    .addHelpText('after', '\nExamples:\n  * * * * *  lifeboat --config /etc/lifeboat/config.json run --due --quiet\n  lifeboat schedule print systemd   # a service and timer that call it')
    .action(action(async (ctx, flags: { due: boolean; at?: string }) => {
      const at = flags.at === undefined ? undefined : Date.parse(flags.at);
      if (at !== undefined && Number.isNaN(at)) throw new LifeboatError('usage', `--at "${flags.at}" is not a time.`, 'Give it as ISO 8601: 2026-12-03T02:15:00Z.');
      const { config, job } = ctx;
      const work = config.connections.flatMap(c => c.policy.schedules.map(schedule => ({ connection: c.connection.id, schedule })));
      // Backups matter more than their alerts: an alerts file that cannot be read is reported
      // (and fails the command, so cron mails it), and the work still runs.
      let webhooks: Webhook[] = [];
      let alertsProblem: string | undefined;
      try {
        webhooks = readWebhooks(config);
      } catch (error) {
        alertsProblem = `${errorMessage(error)} No webhook is called until it is fixed; the scheduled work still runs.`;
        ctx.output.logger.error(alertsProblem);
      }
      const result = await runDueWork({
        stateFolder: runStateFolder(job.destination), work, by: 'lifeboat run --due', logger: job.logger, signal: job.signal,
        webhooks,
        // RPO alerts for the connections that have schedules: the others are backed up by hand.
        status: async () => (await cliConnectionStatus(ctx)).filter(s => work.some(w => w.connection === s.connection)),
        ...(at !== undefined ? { now: () => new Date(at) } : {}),
        perform: async item => {
          const cli = config.connections.find(c => c.connection.id === item.connection)!;
          const access = cli.connection.engine === 'sqlite' ? {} : accessFor(config, cli);
          // A drill restores into the connection's own server, as `lifeboat verify --deep` does.
          const server = cli.connection.engine === 'sqlite' ? undefined : { connection: cli.connection, access };
          return performScheduledWork(item.schedule, cli.connection, job, {
            settings: config, access,
            copyTo: (item.schedule.destinations ?? []).map(name => configuredDestination(config, name)),
            ...(server ? { server } : {}), ...(config.restoreJobs ? { restoreJobs: config.restoreJobs } : {}),
            ...(config.postgresBinDir ? { postgresBinDir: config.postgresBinDir } : {}),
            ...(item.schedule.run === 'prune' ? { policy: cli.policy, places: prunablePlaces(config, job.destination) } : {}),
            ...(item.schedule.run === 'archive-check' ? { policy: cli.policy } : {}),
          });
        },
      });
      if (result.heldBy) {
        const h = result.heldBy;
        ctx.output.result({ ok: true, ran: [], heldBy: h }, `Another runner holds the lock (${h.by}, pid ${h.pid} on ${h.host}, since ${h.since}): nothing run.`);
        return;
      }
      const human = [
        ...result.registered.map(r => `new schedule ${r}: counted from now`),
        ...result.runs.map(r => `${r.ok ? 'ok    ' : 'FAILED'} ${r.connection} "${r.schedule}" (${r.action}, slot ${r.slot}${r.missed ? `, ${r.missed} missed` : ''}) in ${formatDuration(r.durationMs)}${r.bytes !== undefined ? `, ${formatBytes(r.bytes)}` : ''}${r.error ? `: ${r.error}` : ''}`),
        ...result.alerts.map(a => `alert  ${a.kind}: ${a.message}`),
      ];
      if (human.length === 0) human.push('Nothing is due.');
      if (alertsProblem) human.push(`alerts: ${alertsProblem}`);
      const ok = result.runs.every(r => r.ok) && !alertsProblem;
      ctx.output.result({ ok, ran: result.runs, registered: result.registered, alerts: result.alerts, ...(alertsProblem ? { alertsProblem } : {}) }, human);
      return ok ? EXIT.ok : EXIT.failed;
    }));
}

/** A schedule's destination by its configured name; never a folder of that name by accident. */
function configuredDestination(config: CliConfig, name: string) {
  if (!config.destinations.some(d => d.name === name)) {
    throw new LifeboatError('usage', `The schedule names a destination "${name}" that is not in "destinations" of ${config.file ?? 'the config file'}.`, `Known: ${config.destinations.map(d => d.name).join(', ') || 'none'}.`);
  }
  return openDestination(name, config.destinations);
}

/** The backup folder (by its destination name when it is one, else "local") and every other
 *  configured destination: where a "prune" schedule applies the connection's rules. */
function prunablePlaces(config: CliConfig, folder: Destination): { name: string; destination: Destination }[] {
  const own = folderDestination(config.destinations, config.backupFolder, folder.location);
  return [
    { name: own?.name ?? LOCAL_LABEL, destination: folder },
    ...config.destinations.filter(d => d !== own).map(d => ({ name: d.name, destination: openDestination(d.name, config.destinations) })),
  ];
}
