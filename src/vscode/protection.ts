import type { Connection } from '../core/connection';
import { protectionStatus, type ConnectionStatus } from '../core/protectionStatus';
import { readRunLog, runStateFolder } from '../core/runLog';
import { placesFor } from '../storage/destinationSettings';
import { readPolicies } from './policies';
import type { Services } from './services';

/** The connections whose status the editor shows: each one but a SQLite folder group (whose
 *  backups are its members'). */
export function protectedConnections(s: Pick<Services, 'store'>): Connection[] {
  return s.store.list().filter(c => !(c.engine === 'sqlite' && c.folder));
}

/** Each connection's status (core/protectionStatus.ts) as `lifeboat status` computes it: from the
 *  backup folder and every configured destination, the destinations' declared media, and the run log. */
export async function editorStatus(s: Pick<Services, 'store' | 'catalog' | 'destinations' | 'logger'>, now = new Date()): Promise<ConnectionStatus[]> {
  const { policyOf } = readPolicies(s.logger);
  const folder = s.catalog.destination();
  const [listing, log] = await Promise.all([s.catalog.listAll(), readRunLog(runStateFolder(folder), s.logger)]);
  const connections = protectedConnections(s).map(c => ({ id: c.id, name: c.name, policy: policyOf(c.id) }));
  return protectionStatus(connections, listing, placesFor(folder.location, s.destinations.settings()), log.records, now);
}
