import type { EngineName } from '../core/connection';
import { LifeboatError } from '../core/errors';

/**
 * Which backup and restore options each engine takes, in one place. An option another engine
 * takes is refused by name, never silently ignored: `--table` on a SQLite backup would otherwise
 * make a full backup that the user believes holds one table.
 */
const BACKUP_OPTIONS: Record<EngineName, readonly string[]> = {
  sqlite: ['codec', 'level', 'pagesPerStep', 'sqliteFormat', 'vacuum'],
  postgres: ['codec', 'level', 'format', 'compressor', 'jobs', 'schemaOnly', 'dataOnly', 'schemas', 'excludeSchemas', 'tables', 'excludeTables', 'excludeTableData', 'noOwner', 'noPrivileges'],
  mysql: ['codec', 'level', 'schemaOnly', 'dataOnly', 'tables', 'excludeTables'],
};

const RESTORE_OPTIONS: Record<EngineName, readonly string[]> = {
  sqlite: ['target', 'overwrite'],
  postgres: ['target', 'overwrite', 'tables', 'jobs', 'clean', 'noOwner', 'noPrivileges'],
  mysql: ['target', 'overwrite', 'tables'],
};

const LABELS: Record<EngineName, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL/MariaDB' };

/** How each option is written on the command line, so the refusal names what the user typed. */
const FLAGS: Record<string, string> = {
  codec: '--compression', level: '--level', pagesPerStep: '--pages-per-step', sqliteFormat: '--sqlite-format', vacuum: '--vacuum',
  format: '--format', compressor: '--compressor', jobs: '--jobs', schemaOnly: '--schema-only', dataOnly: '--data-only',
  schemas: '--schema', excludeSchemas: '--exclude-schema', tables: '--table', excludeTables: '--exclude-table',
  excludeTableData: '--exclude-table-data', noOwner: '--no-owner', noPrivileges: '--no-privileges', clean: '--clean',
};

/** Throws a usage error naming every given option (not undefined, not false) `engine` does not take. */
export function refuseInapplicable(engine: EngineName, operation: 'backup' | 'restore', options: object): void {
  const takes = (operation === 'backup' ? BACKUP_OPTIONS : RESTORE_OPTIONS)[engine];
  const given = Object.entries(options).filter(([name, value]) => value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0) && !takes.includes(name)).map(([name]) => name);
  if (given.length === 0) return;
  const named = given.map(name => FLAGS[name] ? `${name} (${FLAGS[name]})` : name).join(', ');
  throw new LifeboatError('usage', `${named} ${given.length === 1 ? 'does' : 'do'} not apply to ${LABELS[engine]} ${operation === 'backup' ? 'backups' : 'restores'}.`,
    `Leave ${given.length === 1 ? 'it' : 'them'} out for this connection; ${LABELS[engine]} ${operation === 'backup' ? 'backups' : 'restores'} take: ${takes.map(name => FLAGS[name] ?? name).join(', ')}.`);
}

/** Whether `engine`'s backups take `option` (so an editor or task default is only applied there). */
export function takesBackupOption(engine: EngineName, option: string): boolean {
  return BACKUP_OPTIONS[engine].includes(option);
}
