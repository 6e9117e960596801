import { parseCodec } from '../core/codec';
import { LifeboatError } from '../core/errors';
import type { Codec } from '../core/manifest';
import type { EngineName } from '../core/connection';
import { defaultParallelJobs } from '../core/parallelism';
import type { BackupOptions } from './engine';
import { SQLITE_FORMATS } from './sqlite/payloads';

/**
 * Backup options as people write them (CLI flags, a tasks.json task, the editor's answers, a
 * schedule) checked and turned into the engine's options, in one place so every entry point
 * accepts the same names and values, and gets the same defaults:
 *   format, compression, level, compressor, jobs, schemaOnly, dataOnly, schemas, excludeSchemas,
 *   tables, excludeTables, excludeTableData, noOwner, noPrivileges, pagesPerStep, sqliteFormat, vacuum,
 *   incremental (PostgreSQL, with format base),
 *   encryptTo (age recipients, "age1…")
 * `format` is PostgreSQL's archive format and `sqliteFormat` SQLite's (copy, sql, snapshot); an
 * option the connection's engine does not take is refused by name (engineOptions.ts).
 */
export const BACKUP_OPTION_NAMES = ['format', 'compression', 'level', 'compressor', 'jobs', 'schemaOnly', 'dataOnly', 'schemas', 'excludeSchemas',
  'tables', 'excludeTables', 'excludeTableData', 'noOwner', 'noPrivileges', 'pagesPerStep', 'sqliteFormat', 'vacuum', 'incremental', 'encryptTo'] as const;

/** A request as people write it, before it is checked: what parseBackupRequest reads (the
 *  engine's options by the same names, with the codec named as text: `compression`). */
export type BackupRequest = Partial<Omit<BackupOptions, 'codec' | 'format' | 'pagesPerStep'>> & {
  format?: 'auto' | 'custom' | 'directory' | 'plain' | 'base';
  compression?: string;
  pagesPerStep?: number;
};

/** The settings a request's defaults come from: the editor's lifeboat.* settings, or the CLI
 *  config file's same-named fields. */
export interface BackupSettings {
  /** lifeboat.compression / "compression". */
  compression: Codec;
  /** lifeboat.compressionLevel / "compressionLevel": the level of that codec when none is asked for. */
  compressionLevel?: number;
  /** lifeboat.postgres.backupJobs / "backupJobs": 0 automatic, 1 one stream, more: that many jobs. */
  backupJobs: number;
}

/**
 * The request of `raw` for a connection of `engine`, with the defaults filled in:
 *  - compression: the setting's codec; its level applies when the codec asked for is that codec;
 *  - PostgreSQL jobs: with the format left to Lifeboat, backupJobs when set (else Lifeboat weighs
 *    one stream against parallel jobs); with the directory format, backupJobs when more than 1,
 *    else one job per core (at most 4); none for other formats.
 */
export function parseBackupRequest(request: BackupRequest | Record<string, unknown>, settings: BackupSettings, engine: EngineName): BackupOptions {
  const raw = request as Record<string, unknown>;
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
  const format = automatic(pick('format', oneOf(['auto', 'custom', 'directory', 'plain', 'base'] as const), 'auto, custom, directory, plain or base'));
  const codec = compression ? parseCodec(compression) : settings.compression;
  const options: BackupOptions = {
    codec,
    level: pick('level', (v): v is number => typeof v === 'number', 'a number') ?? (codec === settings.compression ? settings.compressionLevel : undefined),
    format,
    compressor: pick('compressor', oneOf(['lifeboat', 'tool'] as const), 'lifeboat or tool'),
    jobs: pick('jobs', isCount, 'a whole number of at least 1') ?? defaultJobs(format, settings, engine),
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
    incremental: pick('incremental', isBool, 'true or false'),
    encryptTo: pick('encryptTo', isList, 'a list of age recipients (age1…)'),
  };
  for (const key of Object.keys(options) as (keyof BackupOptions)[]) if (options[key] === undefined) delete options[key];
  return options;
}

function defaultJobs(format: string | undefined, settings: BackupSettings, engine: EngineName): number | undefined {
  if (engine !== 'postgres') return undefined;
  if (format === undefined) return settings.backupJobs > 0 ? settings.backupJobs : undefined;
  if (format === 'directory') return settings.backupJobs > 1 ? settings.backupJobs : defaultParallelJobs();
  return undefined;
}

/** "auto" is the format left out: Lifeboat chooses (engines/postgres/dumpOptions.ts resolveFormat). */
function automatic<T extends string>(format: T | 'auto' | undefined): T | undefined {
  return format === 'auto' ? undefined : format;
}
