import { LifeboatError } from '../../core/errors';
import { CODEC_SUFFIX, validateLevel } from '../../core/codec';
import type { Codec } from '../../core/manifest';

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
  format?: PgFormat;
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
}

export interface DumpPlan {
  format: PgFormat;
  compressor: Compressor;
  codec: Codec;
  level?: number;
  /** The file name stored (custom/plain) or the folder pg_dump writes (directory). */
  payload: string;
  /** pg_dump arguments after the connection ones (no output file: the caller adds it). */
  args: string[];
}

const FORMAT_FLAG: Record<PgFormat, string> = { custom: 'c', directory: 'd', plain: 'p' };
const PAYLOAD: Record<PgFormat, string> = { custom: 'database.dump', directory: 'database.dir', plain: 'database.sql' };

/** `pgDumpMajor` decides what the tool can compress with: gzip only before 16. */
export function planDump(options: PostgresBackupOptions, pgDumpMajor: number, snapshot: string | null): DumpPlan {
  const format = options.format ?? 'custom';
  const compressor: Compressor = format === 'directory' ? 'tool' : options.compressor ?? 'lifeboat';
  const { codec, level } = options;
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
  if (compressor === 'lifeboat') validateLevel(codec, level);
  else validateToolCompression(codec, level, pgDumpMajor);

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
  return { format, compressor, codec, level, payload, args };
}

function compressFlag(compressor: Compressor, codec: Codec, level: number | undefined, major: number): string {
  if (compressor === 'lifeboat' || codec === 'none') return '0';
  if (major < 16) return String(level ?? 6);
  return level === undefined ? codec : `${codec}:${level}`;
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

/** How the manifest describes the options (arrays and scalars only). */
export function describeOptions(plan: DumpPlan, options: PostgresBackupOptions): Record<string, string | number | boolean | string[]> {
  const described: Record<string, string | number | boolean | string[]> = {
    format: plan.format, compressor: plan.compressor, codec: plan.codec,
  };
  if (plan.level !== undefined) described.level = plan.level;
  if (options.jobs) described.jobs = options.jobs;
  for (const key of ['schemaOnly', 'dataOnly', 'noOwner', 'noPrivileges'] as const) if (options[key]) described[key] = true;
  for (const key of ['schemas', 'excludeSchemas', 'tables', 'excludeTables', 'excludeTableData'] as const) {
    const list = options[key];
    if (list && list.length > 0) described[key] = list;
  }
  return described;
}
