import { parseCodec } from '../core/codec';
import { LifeboatError } from '../core/errors';
import type { Codec } from '../core/manifest';
import type { BackupOptions } from '.';
import { SQLITE_FORMATS } from './sqlite/payloads';

/**
 * Backup options as people write them (CLI flags, a tasks.json task, the editor's remembered
 * choices) checked and turned into the engine's options, in one place so every entry point
 * accepts the same names and values:
 *   format, compression, level, compressor, jobs, schemaOnly, dataOnly, schemas, excludeSchemas,
 *   tables, excludeTables, excludeTableData, noOwner, noPrivileges, pagesPerStep, sqliteFormat, vacuum
 * `format` is PostgreSQL's archive format and `sqliteFormat` SQLite's (copy, sql, snapshot): each
 * engine's values mean nothing to the other, and a task or config that names both for a group of
 * connections stays valid for each.
 */
export const BACKUP_OPTION_NAMES = ['format', 'compression', 'level', 'compressor', 'jobs', 'schemaOnly', 'dataOnly', 'schemas', 'excludeSchemas',
  'tables', 'excludeTables', 'excludeTableData', 'noOwner', 'noPrivileges', 'pagesPerStep', 'sqliteFormat', 'vacuum'] as const;

/** `defaults.jobs` (lifeboat.postgres.backupJobs) applies only when the format is left to Lifeboat. */
export function parseBackupRequest(raw: Record<string, unknown>, defaults: { codec: Codec; level?: number; jobs?: number }): BackupOptions {
  const bad = (name: string, want: string) => new LifeboatError('usage', `Backup option "${name}" must be ${want} (got ${JSON.stringify(raw[name])}).`);
  const pick = <T>(name: string, check: (v: unknown) => v is T, want: string): T | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) throw bad(name, want);
    return value;
  };
  const isString = (v: unknown): v is string => typeof v === 'string';
  const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  const isList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
  const oneOf = <T extends string>(values: readonly T[]) => (v: unknown): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);
  for (const key of Object.keys(raw)) {
    if (!(BACKUP_OPTION_NAMES as readonly string[]).includes(key)) throw new LifeboatError('usage', `Unknown backup option "${key}".`, `Known options: ${BACKUP_OPTION_NAMES.join(', ')}.`);
  }
  const compression = pick('compression', isString, 'a codec name');
  const format = automatic(pick('format', oneOf(['auto', 'custom', 'directory', 'plain'] as const), 'auto, custom, directory or plain'));
  const options: BackupOptions = {
    codec: compression ? parseCodec(compression) : defaults.codec,
    level: pick('level', (v): v is number => typeof v === 'number', 'a number') ?? (compression ? undefined : defaults.level),
    format,
    compressor: pick('compressor', oneOf(['lifeboat', 'tool'] as const), 'lifeboat or tool'),
    jobs: pick('jobs', isCount, 'a whole number of at least 1') ?? (format === undefined ? defaults.jobs : undefined),
    schemaOnly: pick('schemaOnly', isBool, 'true or false'),
    dataOnly: pick('dataOnly', isBool, 'true or false'),
    schemas: pick('schemas', isList, 'a list of names'),
    excludeSchemas: pick('excludeSchemas', isList, 'a list of names'),
    tables: pick('tables', isList, 'a list of names'),
    excludeTables: pick('excludeTables', isList, 'a list of names'),
    excludeTableData: pick('excludeTableData', isList, 'a list of names'),
    noOwner: pick('noOwner', isBool, 'true or false'),
    noPrivileges: pick('noPrivileges', isBool, 'true or false'),
    pagesPerStep: pick('pagesPerStep', isCount, 'a whole number of at least 1'),
    sqliteFormat: pick('sqliteFormat', oneOf(SQLITE_FORMATS), SQLITE_FORMATS.join(', ').replace(/, (\w+)$/, ' or $1')),
    vacuum: pick('vacuum', isBool, 'true or false'),
  };
  for (const key of Object.keys(options) as (keyof BackupOptions)[]) if (options[key] === undefined) delete options[key];
  return options;
}

/** "auto" is the format left out: Lifeboat chooses (engines/postgres/dumpOptions.ts resolveFormat). */
function automatic<T extends string>(format: T | 'auto' | undefined): T | undefined {
  return format === 'auto' ? undefined : format;
}
