import { randomBytes } from 'node:crypto';
import { CONNECTION_ID_PATTERN } from './connection';
import { LifeboatError } from './errors';

/**
 * Backup ids sort by time as text ("2026-11-25T14-38-15-123Z-3fa9"), are safe as folder and S3
 * key names, and carry a random tail so two backups in the same millisecond never collide.
 */
export function newBackupId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

/** Where a backup's files live inside a destination. A connection id that the catalog would not
 *  accept when reading the backup back is refused here, before anything is written: the backup
 *  would be stored and then never listed. */
export function backupPrefix(connectionId: string, backupId: string): string {
  if (!CONNECTION_ID_PATTERN.test(connectionId)) {
    throw new LifeboatError('usage', `"${connectionId}" is not a connection id Lifeboat can store backups under.`, 'Connection ids are lowercase letters, digits and dashes (up to 64), starting with a letter or digit.');
  }
  return `${connectionId}/${backupId}`;
}
