import * as path from 'node:path';
import type { ServerConnection } from '../../../core/connection';
import type { Destination } from '../../../core/destination';
import { LifeboatError } from '../../../core/errors';
import { fetchLog, listArchivedLogs, pushLog, type ArchivedLog, type LogArchiveKind, type PushResult } from '../../../core/logArchive';
import { isWalFileName } from './walNames';

/** PostgreSQL's archive in Lifeboat's log archive (core/logArchive.ts): "<connection>/wal/…". */
export const WAL_ARCHIVE: LogArchiveKind = { folder: 'wal', what: 'WAL file', validName: isWalFileName };

/**
 * archive_command = 'lifeboat wal-push --connection <id> %p': the file the server finished, by
 * its path (relative to the data folder, where the server runs the command). Its name is %f.
 */
export function walPush(connection: ServerConnection, file: string, destinations: Destination[], signal?: AbortSignal): Promise<PushResult> {
  return pushLog({ destinations, connectionId: connection.id, kind: WAL_ARCHIVE, name: path.basename(file), file, signal });
}

/** restore_command = 'lifeboat wal-fetch --connection <id> %f %p'. */
export function walFetch(connection: ServerConnection, name: string, target: string, destinations: Destination[], signal?: AbortSignal, onDamaged?: (message: string) => void) {
  return fetchLog({ destinations, connectionId: connection.id, kind: WAL_ARCHIVE, name, target, signal, onDamaged });
}

export function listWal(destination: Destination, connectionId: string): Promise<Map<string, ArchivedLog[]>> {
  return listArchivedLogs(destination, connectionId, WAL_ARCHIVE);
}

/** WAL holds every row written: a connection whose backups are encrypted must not have it stored in the clear. */
export function refuseEncryptedArchive(name: string, encryptTo: string[] | undefined): void {
  if (encryptTo?.length) {
    throw new LifeboatError('unsupported', `The backups of ${name} are encrypted, and Lifeboat does not encrypt archived WAL yet, so it does not archive it.`, 'Archive WAL with another tool for now, or remove encryptTo from this connection.');
  }
}
