import { listEverywhere, type ListedBackups } from '../../core/listingEverywhere';
import { protectionStatus, type ConnectionStatus } from '../../core/protectionStatus';
import { readRunLog, runStateFolder, type RunLogRecord } from '../../core/runLog';
import { openDestination } from '../../storage/openDestination';
import { placesFor } from '../../storage/destinationSettings';
import type { CommandContext } from '../context';

/** Every configured connection's status (core/protectionStatus.ts) from the backup folder, each
 *  configured destination and the run log: what `lifeboat status` prints and the editor's tree shows. */
export async function cliConnectionStatus(ctx: CommandContext, now = new Date()): Promise<ConnectionStatus[]> {
  return (await cliStatusInputs(ctx, now)).statuses;
}

/** The statuses with the listing and run log they were computed from (the report needs both). */
export async function cliStatusInputs(ctx: CommandContext, now = new Date()): Promise<{ statuses: ConnectionStatus[]; listing: ListedBackups; runs: RunLogRecord[] }> {
  const { config, job } = ctx;
  const destinations = config.destinations.map(d => ({ name: d.name, destination: openDestination(d.name, config.destinations) }));
  const [listing, log] = await Promise.all([
    listEverywhere(job.destination, destinations, job.logger),
    readRunLog(runStateFolder(job.destination), job.logger),
  ]);
  const connections = config.connections.map(c => ({ id: c.connection.id, name: c.connection.name, policy: c.policy }));
  return { statuses: protectionStatus(connections, listing, placesFor(job.destination.location, config.destinations), log.records, now), listing, runs: log.records };
}
