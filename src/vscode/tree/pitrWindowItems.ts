import type { CatalogEntry } from '../../core/catalog';
import type { Destination } from '../../core/destination';
import { formatAge } from '../../core/format';
import { isBaseBackup } from '../../engines/postgres/pitr/baseVerify';
import { planWindow } from '../../engines/postgres/pitr/recoveryWindow';
import { listWal } from '../../engines/postgres/pitr/walArchive';
import { inSequence, listBinlogs } from '../../engines/mysql/pitr/binlogArchive';
import { isDumpBase, planBinlogWindow } from '../../engines/mysql/pitr/binlogWindow';
import { MessageItem, formatTimestamp } from './items';

/**
 * The rows a PostgreSQL connection with base backups (a MariaDB one with dumps and archived
 * binary logs: binlogWindowItems) shows above them: its recoverable window
 * from the listing alone (the earliest base backup's end, how far the WAL archive has got and
 * when its last file arrived), and each gap in the archived WAL as a warning. The exact end (the
 * last commit, read with pg_waldump) is what Restore to a Point in Time… shows.
 */
export async function pitrWindowItems(entries: CatalogEntry[], destination: Destination, connectionId: string, parentId: string): Promise<MessageItem[]> {
  if (!entries.some(isBaseBackup)) return [];
  // A backup listed from several places (the folder and a bucket) is one base backup.
  const unique = [...new Map(entries.map(e => [e.manifest.id, e])).values()];
  const window = planWindow(unique, await listWal(destination, connectionId));
  const first = window.stretches[0];
  if (!first) return [];
  // The date once, the time alone where it is the same day.
  const from = formatTimestamp(first.base.endTime);
  const time = (d: Date) => formatTimestamp(d).startsWith(from.slice(0, 10)) ? formatTimestamp(d).slice(11) : formatTimestamp(d);
  const archived = window.lastArchived ? `WAL archived up to ${time(window.lastArchived.at)} (${formatAge(window.lastArchived.at)})` : 'no WAL archived yet';
  const row = new MessageItem(`Point in time from ${from}`, parentId,
    `The recoverable window: from the end of the earliest base backup to the last archived commit; ${archived}. Right-click the connection → Restore to a Point in Time…`, { key: 'pitr-window' });
  row.description = archived;
  const items = [row];
  for (const gap of window.gaps) {
    items.push(new MessageItem(`WAL missing: ${gap.from}${gap.to !== gap.from ? `…${gap.to}` : ''} (timeline ${gap.timeline})`, parentId,
      'Nothing after this gap can be recovered from the base backups before it: check archive_command (lifeboat pitr status), and take a new base backup.', { key: `pitr-gap:${gap.timeline}:${gap.from}`, warning: true }));
  }
  return items;
}

/** MariaDB's: from the earliest usable dump's end, binary logs archived up to the newest file (when it arrived), and each gap. */
export async function binlogWindowItems(entries: CatalogEntry[], destination: Destination, connectionId: string, parentId: string): Promise<MessageItem[]> {
  if (!entries.some(isDumpBase)) return [];
  const unique = [...new Map(entries.map(e => [e.manifest.id, e])).values()];
  const archived = await listBinlogs(destination, connectionId);
  const window = planBinlogWindow(unique, archived);
  const first = window.stretches[0];
  if (!first) return [];
  const newest = inSequence(archived.keys()).at(-1);
  const arrived = newest ? archived.get(newest)![0].modified : undefined;
  const from = formatTimestamp(first.base.completedAt);
  const state = newest && arrived ? `binary logs archived up to ${newest} (${formatAge(arrived)})` : 'no binary log archived yet';
  const row = new MessageItem(`Point in time from ${from}`, parentId,
    `The recoverable window: from the end of the earliest full backup with a binary-log position to the last archived transaction; ${state}. Right-click the connection → Restore to a Point in Time…`, { key: 'pitr-window' });
  row.description = state;
  const items = [row];
  for (const gap of new Set(window.stretches.map(st => st.gapAt).filter(g => g !== undefined))) {
    items.push(new MessageItem(`Binary log missing: ${gap}`, parentId,
      'Nothing after this gap can be recovered from the backups before it: check that lifeboat pitr capture runs, and make a new full backup.', { key: `pitr-gap:${gap}`, warning: true }));
  }
  return items;
}
