import type { EngineName } from '../core/connection';
import { LifeboatError } from '../core/errors';
import { ENGINES } from './registry';

/**
 * The one place where an option an engine does not take is refused by name, never silently
 * ignored (`--table` on a SQLite backup would otherwise make a full backup that the user
 * believes holds one table). What each engine takes is in its registry entry (registry.ts).
 */

/** How each option is written on the command line, so the refusal names what the user typed. */
const FLAGS: Record<string, string> = {
  codec: '--compression', level: '--level', pagesPerStep: '--pages-per-step', sqliteFormat: '--sqlite-format', vacuum: '--vacuum',
  format: '--format', compressor: '--compressor', jobs: '--jobs', schemaOnly: '--schema-only', dataOnly: '--data-only',
  schemas: '--schema', excludeSchemas: '--exclude-schema', tables: '--table', excludeTables: '--exclude-table',
  excludeTableData: '--exclude-table-data', noOwner: '--no-owner', noPrivileges: '--no-privileges', clean: '--clean', encryptTo: '--encrypt-to', incremental: '--incremental',
};

/** Throws a usage error naming every given option (not undefined, not false) `engine` does not take. */
export function refuseInapplicable(engine: EngineName, operation: 'backup' | 'restore', options: object): void {
  const entry = ENGINES[engine];
  const takes = operation === 'backup' ? entry.backupOptions : entry.restoreOptions;
  const given = Object.entries(options).filter(([name, value]) => value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0) && !takes.includes(name)).map(([name]) => name);
  if (given.length === 0) return;
  const named = given.map(name => FLAGS[name] ? `${name} (${FLAGS[name]})` : name).join(', ');
  const what = operation === 'backup' ? 'backups' : 'restores';
  throw new LifeboatError('usage', `${named} ${given.length === 1 ? 'does' : 'do'} not apply to ${entry.label} ${what}.`,
    `Leave ${given.length === 1 ? 'it' : 'them'} out for this connection; ${entry.label} ${what} take: ${takes.map(name => FLAGS[name] ?? name).join(', ')}.`);
}
