import { LifeboatError } from '../../core/errors';
import { CODEC_SUFFIX, defaultLevel, validateLevel } from '../../core/codec';
import type { Codec } from '../../core/manifest';
import { chooseDumpStrategy, type StrategyInput } from './dumpStrategy';

/**
 * What a PostgreSQL backup can be asked for, the pg_dump arguments it becomes, and the checks
 * that refuse contradictions before anything runs.
 *
 * Compression happens in one of two places: "lifeboat" (pg_dump writes uncompressed to a pipe
 * and Lifeboat compresses on another thread while pg_dump goes on) or "tool" (pg_dump compresses
 * itself, as pgAdmin runs it; needed for the directory format, whose files pg_dump writes).
 */
export type PgFormat = 'custom' | 'directory' | 'plain';
export type Compressor = 'lifeboat' | 'tool';

export interface PostgresBackupOptions {
  /** Left out: Lifeboat chooses the faster way for this database (see resolveFormat). 'base': a
   *  physical base backup of the cluster (pitr/baseBackup.ts) instead of pg_dump. */
  format?: PgFormat | 'base';
  codec: Codec;
  level?: number;
  compressor?: Compressor;
  /** Parallel dump jobs (directory format only). */
  jobs?: number;
  schemaOnly?: boolean;
  dataOnly?: boolean;
  /** pg_dump patterns (psql rules: quote for exact names; see exactPattern). */
  schemas?: string[];
  excludeSchemas?: string[];
  tables?: string[];
  excludeTables?: string[];
  excludeTableData?: string[];
  noOwner?: boolean;
  noPrivileges?: boolean;
  /** With format 'base': only what changed since the newest base backup (PostgreSQL 17+, summarize_wal). */
  incremental?: boolean;
}

/** The options of a pg_dump backup (a base backup is made elsewhere). */
export type DumpOptions = PostgresBackupOptions & { format?: PgFormat };

export interface DumpPlan {
  format: PgFormat;
  compressor: Compressor;
  codec: Codec;
  level?: number;
  /** Parallel pg_dump jobs (directory format). */
  jobs?: number;
  /** The file name stored (custom/plain) or the folder pg_dump writes (directory). */
  payload: string;
  /** pg_dump arguments after the connection ones (no output file: the caller adds it). */
  args: string[];
}

/** The options with the format (and jobs) settled, and why, when Lifeboat chose them. */
export interface ResolvedOptions {
  options: DumpOptions & { format: PgFormat };
  /** Set when the user left the format to Lifeboat: what it chose and why, for the log and manifest. */
  chosen?: string;
}

/**
 * The format a backup uses. What the user chose is kept; jobs alone mean the directory format
 * (the only one pg_dump runs in parallel); a compressor alone means the custom format. With none
 * of these, Lifeboat picks the faster of one compressed stream and parallel jobs for this
 * database's shape (dumpStrategy.ts); a schema-only dump is small, so it is one stream.
 */
export function resolveFormat(options: DumpOptions & { encryptTo?: string[] }, shape: Omit<StrategyInput, 'codec' | 'jobs'>): ResolvedOptions {
  if (options.format) return { options: { ...options, format: options.format } };
  if (options.encryptTo?.length) {
    // An encrypted archive is one stream: a directory archive is read in place, so it cannot be
    // encrypted yet (runBackup refuses it when asked for by name).
    const single = { ...options, format: 'custom' as const, compressor: options.compressor ?? 'lifeboat' as const };
    delete single.jobs;
    return { options: single, chosen: 'chosen by Lifeboat: one stream in the custom format, which an encrypted backup needs' };
  }
  if (options.jobs !== undefined && options.jobs > 1) return { options: { ...options, format: 'directory' } };
  if (options.compressor || options.schemaOnly) return { options: { ...options, format: 'custom' } };
  const strategy = chooseDumpStrategy({ ...shape, codec: options.codec, ...(options.jobs ? { jobs: options.jobs } : {}) });
  const chosen = `chosen by Lifeboat: ${strategy.reason}`;
  return strategy.kind === 'parallel'
    ? { options: { ...options, format: 'directory', jobs: strategy.jobs }, chosen }
    : { options: { ...options, format: 'custom', compressor: 'lifeboat' }, chosen };
}

const FORMAT_FLAG: Record<PgFormat, string> = { custom: 'c', directory: 'd', plain: 'p' };
const PAYLOAD: Record<PgFormat, string> = { custom: 'database.dump', directory: 'database.dir', plain: 'database.sql' };

/** `pgDumpMajor` decides what the tool can compress with: gzip only before 16. */
export function planDump(options: DumpOptions, pgDumpMajor: number, snapshot: string | null): DumpPlan {
  const format = options.format ?? 'custom';
  const compressor: Compressor = format === 'directory' ? 'tool' : options.compressor ?? 'lifeboat';
  const { codec } = options;
  if (options.schemaOnly && options.dataOnly) throw new LifeboatError('usage', 'A backup cannot be both schema only and data only.', 'Choose one, or neither for the whole database.');
  if (options.jobs !== undefined && options.jobs > 1 && format !== 'directory') {
    throw new LifeboatError('usage', `Parallel dump jobs need the directory format (asked for ${format}).`, 'Choose --format directory, or leave jobs at 1.');
  }
  if (options.compressor === 'tool' && format === 'plain' && options.codec !== 'none') {
    throw new LifeboatError('usage', 'A plain SQL backup is compressed by Lifeboat, as it streams.', 'Leave the compressor at lifeboat (the default), or choose the custom format for pg_dump\'s own compression.');
  }
  if (options.compressor === 'lifeboat' && format === 'directory') {
    throw new LifeboatError('usage', 'In the directory format pg_dump writes the files, so it compresses them itself.', 'Use --compressor tool (the default for directory), or the custom format.');
  }
  if (compressor === 'lifeboat') validateLevel(codec, options.level);
  else validateToolCompression(codec, options.level, pgDumpMajor);
  // The manifest records the level that ran, also when it was the default.
  const level = options.level ?? (codec === 'none' ? undefined : defaultLevel(codec));

  const args = [`--format=${FORMAT_FLAG[format]}`, '--verbose', `--compress=${compressFlag(compressor, codec, level, pgDumpMajor)}`];
  if (snapshot) args.push(`--snapshot=${snapshot}`);
  if (format === 'directory' && options.jobs && options.jobs > 1) args.push(`--jobs=${options.jobs}`);
  if (options.schemaOnly) args.push('--schema-only');
  if (options.dataOnly) args.push('--data-only');
  for (const p of options.schemas ?? []) args.push(`--schema=${p}`);
  for (const p of options.excludeSchemas ?? []) args.push(`--exclude-schema=${p}`);
  for (const p of options.tables ?? []) args.push(`--table=${p}`);
  for (const p of options.excludeTables ?? []) args.push(`--exclude-table=${p}`);
  for (const p of options.excludeTableData ?? []) args.push(`--exclude-table-data=${p}`);
  if (options.noOwner) args.push('--no-owner');
  if (options.noPrivileges) args.push('--no-privileges');
  const payload = PAYLOAD[format] + (compressor === 'lifeboat' ? CODEC_SUFFIX[codec] : '');
  return { format, compressor, codec, level, payload, args, ...(options.jobs && options.jobs > 1 ? { jobs: options.jobs } : {}) };
}

function compressFlag(compressor: Compressor, codec: Codec, level: number | undefined, major: number): string {
  if (compressor === 'lifeboat' || codec === 'none') return '0';
  const chosen = level ?? defaultLevel(codec);
  return major < 16 ? String(chosen) : `${codec}:${chosen}`;
}

function validateToolCompression(codec: Codec, level: number | undefined, major: number): void {
  if (codec === 'zstd' && major < 16) {
    throw new LifeboatError('unsupported', `pg_dump ${major} compresses only with gzip; zstd needs pg_dump 16 or newer.`,
      'Let Lifeboat compress (--compressor lifeboat, the default for custom and plain), use gzip, or install newer client tools.');
  }
  if (level === undefined || codec === 'none') return;
  const max = codec === 'gzip' ? 9 : 22;
  if (!Number.isInteger(level) || level < 1 || level > max) {
    throw new LifeboatError('usage', `pg_dump's ${codec} level ${level} does not exist.`, `Use 1 to ${max}.`);
  }
}

/** A pg_dump pattern matching exactly one schema-qualified name, whatever characters it has
 *  (inside double quotes pattern characters are literal; a quote is doubled). */
export function exactPattern(schema: string, name?: string): string {
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return name === undefined ? quote(schema) : `${quote(schema)}.${quote(name)}`;
}

/** The plan in a few words, for the log: "custom format, zstd 2 by Lifeboat". */
export function describePlan(plan: Pick<DumpPlan, 'format' | 'compressor' | 'codec' | 'level' | 'jobs'>): string {
  const compression = plan.codec === 'none' ? 'no compression' : `${plan.codec}${plan.level === undefined ? '' : ` ${plan.level}`} by ${plan.compressor === 'tool' ? 'pg_dump' : 'Lifeboat'}`;
  return `${plan.format} format${plan.jobs ? ` with ${plan.jobs} jobs` : ''}, ${compression}`;
}

/** How the manifest describes the options (arrays and scalars only). */
export function describeOptions(plan: DumpPlan, options: DumpOptions, chosen?: string): Record<string, string | number | boolean | string[]> {
  const described: Record<string, string | number | boolean | string[]> = {
    format: plan.format, compressor: plan.compressor, codec: plan.codec,
  };
  if (chosen) described.chosen = chosen;
  if (plan.level !== undefined) described.level = plan.level;
  if (plan.jobs) described.jobs = plan.jobs;
  for (const key of ['schemaOnly', 'dataOnly', 'noOwner', 'noPrivileges'] as const) if (options[key]) described[key] = true;
  for (const key of ['schemas', 'excludeSchemas', 'tables', 'excludeTables', 'excludeTableData'] as const) {
    const list = options[key];
    if (list && list.length > 0) described[key] = list;
  }
  return described;
}
