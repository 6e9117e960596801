import type { EngineName } from '../core/connection';
import type { Engine, EngineEntry } from './engine';

/**
 * Every engine, registered once: what it is called, the options it takes (checked before it is
 * loaded, engineOptions.ts), and how to load it. pg and mysql2 are loaded on first use, not when
 * the extension activates.
 */
export const ENGINES: Record<EngineName, EngineEntry> = {
  sqlite: {
    name: 'sqlite',
    label: 'SQLite',
    backupOptions: ['codec', 'level', 'pagesPerStep', 'sqliteFormat', 'vacuum', 'encryptTo'],
    restoreOptions: ['target', 'overwrite'],
    load: async () => (await import('./sqlite/engine')).sqliteEngine as Engine,
  },
  postgres: {
    name: 'postgres',
    label: 'PostgreSQL',
    backupOptions: ['codec', 'level', 'format', 'compressor', 'jobs', 'schemaOnly', 'dataOnly', 'schemas', 'excludeSchemas', 'tables', 'excludeTables', 'excludeTableData', 'noOwner', 'noPrivileges', 'incremental', 'encryptTo'],
    restoreOptions: ['target', 'overwrite', 'tables', 'jobs', 'clean', 'noOwner', 'noPrivileges'],
    load: async () => (await import('./postgres/engine')).postgresEngine as Engine,
  },
  mysql: {
    name: 'mysql',
    label: 'MySQL/MariaDB',
    backupOptions: ['codec', 'level', 'schemaOnly', 'dataOnly', 'tables', 'excludeTables', 'encryptTo'],
    restoreOptions: ['target', 'overwrite', 'tables'],
    load: async () => (await import('./mysql/engine')).mysqlEngine as Engine,
  },
};
