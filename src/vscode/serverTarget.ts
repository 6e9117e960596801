import type { ServerConnection } from '../core/connection';
import { toolAccess, type ServerAccess } from '../engines/access';
import type { ServerTarget } from '../engines';
import type { Services } from './services';
import { readSettings } from './settings';

/** A server connection's password (SecretStorage) and the tools folder setting. */
export async function accessFor(s: Services, connection: ServerConnection): Promise<ServerAccess> {
  const password = await s.store.password(connection.id);
  return toolAccess(password, readSettings(s.globalStorage));
}

export async function serverTarget(s: Services, connection: ServerConnection): Promise<ServerTarget> {
  return { connection, access: await accessFor(s, connection) };
}
