import type { Manifest } from '../core/manifest';

/** "crm_restored_20261125_1438": a new database name that says what it is and when it is from. */
export function proposeDatabaseName(manifest: Manifest): string {
  const source = manifest.connection.source.split('/').pop() || manifest.connection.name;
  const at = manifest.completedAt.replace(/[-:]/g, '').replace('T', '_').slice(0, 13);
  return `${source.slice(0, 40)}_restored_${at}`;
}
