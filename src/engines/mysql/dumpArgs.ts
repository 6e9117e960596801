import { LifeboatError } from '../../core/errors';
import { compareVersions } from '../../core/toolDiscovery';
import type { BinlogState } from './source';
import type { MysqlTools } from './tools';

/**
 * The dump tool's arguments (after `--defaults-extra-file`, which the caller puts first).
 * Always: one consistent InnoDB snapshot without locking (`--single-transaction`), routines,
 * events and triggers, binary values as hex (`--hex-blob`: no charset conversion can touch them),
 * rows streamed rather than buffered (`--quick`), utf8mb4, no tablespaces (which would need the
 * PROCESS privilege on MySQL 8), and `--verbose` for progress. Never `--compact` or
 * `--skip-comments`: they drop the UTC time-zone line and the completion line the checks rely on.
 * No `--databases`: the dump then holds no CREATE DATABASE / USE, so it restores under any name.
 */
export interface MysqlDumpOptions {
  tables?: string[];
  excludeTables?: string[];
  schemaOnly?: boolean;
  dataOnly?: boolean;
}

export function dumpArgs(tools: MysqlTools, database: string, binlog: BinlogState, options: MysqlDumpOptions): string[] {
  if (options.schemaOnly && options.dataOnly) throw new LifeboatError('usage', 'Schema only and data only together leave nothing to back up.', 'Choose one of them, or neither.');
  const args = ['--single-transaction', '--hex-blob', '--quick', '--default-character-set=utf8mb4', '--no-tablespaces', '--verbose'];
  if (options.dataOnly) {
    args.push('--no-create-info', '--skip-triggers');
  } else {
    args.push('--routines', '--events', '--triggers');
  }
  if (options.schemaOnly) args.push('--no-data');
  args.push(...positionArgs(tools, binlog));
  if (tools.flavour === 'MySQL') args.push('--skip-column-statistics');
  for (const table of options.excludeTables ?? []) args.push(`--ignore-table=${database}.${table}`);
  args.push(database, ...(options.tables ?? []));
  return args;
}

/**
 * The binary-log coordinates of the snapshot, as a comment in the dump's header, so a
 * point-in-time recovery can replay from exactly there. MariaDB reads them inside the snapshot
 * (no global lock); MySQL takes FLUSH TABLES WITH READ LOCK for a moment. With the binary log
 * off, asking fails the dump, so it is asked only when the log is on.
 */
function positionArgs(tools: MysqlTools, binlog: BinlogState): string[] {
  if (!binlog.on) return [];
  if (tools.flavour === 'MariaDB') return ['--master-data=2'];
  const sourceData = compareVersions(tools.version, '8.0.26') >= 0 ? '--source-data=2' : '--master-data=2';
  return [sourceData, `--set-gtid-purged=${binlog.gtidMode ? 'COMMENTED' : 'OFF'}`];
}
