import { randomBytes } from 'node:crypto';

/**
 * Backup ids sort by time as text ("2026-11-25T14-38-15-123Z-3fa9"), are safe as folder and S3
 * key names, and carry a random tail so two backups in the same millisecond never collide.
 */
export function newBackupId(now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

/** Where a backup's files live inside a destination. */
export function backupPrefix(connectionId: string, backupId: string): string {
  return `${connectionId}/${backupId}`;
}
