import * as vscode from 'vscode';
import { ENGINE_LABELS, describeConnection, type Connection } from '../../core/connection';
import { formatAge, formatBytes, formatDuration } from '../../core/format';
import { LOCAL_LABEL, type ListedBackup } from '../backupCatalog';
import { formatObjective } from '../../core/policy';
import type { ConnectionStatus } from '../../core/protectionStatus';
import { MERGE_UNDO_KIND, describeStored, verificationState, type Manifest, type Verification } from '../../core/manifest';

/**
 * Tree items carry a contextValue that package.json's `when` clauses match, so which commands a
 * node offers is declared in the manifest, not decided in code:
 *   connection.sqlite | connection.postgres | connection.mysql | connection.member | connection.detached
 *   backup.verified | backup.unverified | backup.failed | backup.unreadable
 */
export class ConnectionItem extends vscode.TreeItem {
  readonly kind = 'connection';

  /** `memberCount`: a SQLite folder group's databases; `groupId`: the group node a member is under. */
  constructor(readonly connection: Connection, backupCount: number, newest: Manifest | undefined, backupFolder: string, memberCount?: number, readonly groupId?: string, status?: ConnectionStatus) {
    super(groupId ? connection.name.split(' / ').at(-1)! : connection.name, vscode.TreeItemCollapsibleState.Expanded);
    this.id = `connection:${connection.id}`;
    // A folder group's member can be backed up and tested, not removed (the folder decides).
    this.contextValue = groupId ? 'connection.member' : `connection.${connection.engine}`;
    const folder = connection.engine === 'sqlite' && connection.folder;
    this.iconPath = new vscode.ThemeIcon(folder ? 'file-submodule' : connection.engine === 'sqlite' ? 'database' : 'server');
    const newestText = newest ? ` · newest ${formatAge(new Date(newest.completedAt))}` : '';
    const kind = folder ? `SQLite folder · ${memberCount === 1 ? '1 database' : `${memberCount ?? 0} databases`}` : groupId ? 'SQLite' : ENGINE_LABELS[connection.engine];
    const count = backupCount === 1 ? '1 backup' : `${backupCount} backups`;
    this.description = status ? `${kind} · ${count} · ${status.summary}` : `${kind} · ${count}${newestText}`;
    // The icon's colour is the connection's protection at a glance: green, amber, red.
    if (status) this.iconPath = new vscode.ThemeIcon(this.iconPath.id, new vscode.ThemeColor(HEALTH_COLOURS[status.health]));
    this.tooltip = new vscode.MarkdownString(
      `**${escape(connection.name)}**\n\n${escape(describeConnection(connection))}\n\nBackups are stored in \`${backupFolder}\`${status ? `\n\n${protectionTooltip(status, backupCount)}` : ''}`, true);
  }
}

const HEALTH_COLOURS = { ok: 'testing.iconPassed', warn: 'list.warningForeground', bad: 'list.errorForeground' } as const;

/** The status in words: tier and objectives, the newest verified backup and its copies, the last
 *  drill, the next run, and what is missing. */
function protectionTooltip(s: ConnectionStatus, backupCount: number): string {
  const lines = [
    `**Protection** · ${s.health === 'ok' ? 'meets its objectives' : s.health === 'warn' ? 'needs attention' : 'at risk'} (${escape(s.tier)} tier: RPO ${formatObjective(s.rpoMs)}, RTO ${formatObjective(s.rtoMs)})`,
    `- ${backupCount === 1 ? '1 backup' : `${backupCount} backups`}; newest verified: ${s.newestVerified ? `${formatAge(new Date(s.newestVerified.completedAt))}, in ${escape(s.copies.places.join(' + '))}` : 'none'}`,
    `- 3-2-1: ${s.copies.count} copies counting the live database, ${s.copies.media.length} kind${s.copies.media.length === 1 ? '' : 's'} of media, ${s.copies.offsite} off-site`,
    `- last drill: ${s.drill ? `${formatDuration(s.drill.restoreMs)} (${formatAge(new Date(s.drill.at))})` : 'none measured'}`,
    ...(s.nextRun ? [`- next run: ${escape(s.nextRun.schedule)}, ${new Date(s.nextRun.at).toLocaleString()}`] : []),
    ...(s.lastRun ? [`- last run: ${escape(s.lastRun.schedule)} ${s.lastRun.ok ? 'succeeded' : 'failed'} ${formatAge(new Date(s.lastRun.endedAt))}`] : []),
  ];
  return [...lines, ...(s.problems.length ? ['', '**Missing**', '', ...s.problems.map(p => `- $(warning) ${escape(p)}`)] : [])].join('\n');
}

/** Backups in the folder whose connection is not configured here (another machine, the CLI, or
 *  a removed connection): they can still be verified and restored. */
export class DetachedConnectionItem extends vscode.TreeItem {
  readonly kind = 'detached';

  constructor(readonly connectionId: string, name: string, backupCount: number) {
    super(name, vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `detached:${connectionId}`;
    this.contextValue = 'connection.detached';
    this.iconPath = new vscode.ThemeIcon('database', new vscode.ThemeColor('disabledForeground'));
    this.description = `not configured · ${backupCount} backups`;
    this.tooltip = `Backups of "${name}" (${connectionId}) are in the backup folder, but no connection with that id is configured here.`;
  }
}

export class BackupItem extends vscode.TreeItem {
  readonly kind = 'backup';

  constructor(readonly entry: ListedBackup, readonly parentId: string) {
    const m = entry.manifest;
    const completed = new Date(m.completedAt);
    super(formatTimestamp(completed), vscode.TreeItemCollapsibleState.None);
    const state = verificationState(m);
    this.id = `backup:${entry.prefix}`;
    // A merge's undo backup is undone, not restored: its own context value keeps Restore off it.
    this.contextValue = m.kind === MERGE_UNDO_KIND ? `backup.mergeUndo.${state}` : `backup.${state}`;
    // The last restore drill's time is the recovery time this backup is known to give.
    const drill = [...m.verifications].reverse().find(v => v.restoreMs !== undefined && v.ok);
    const kind = m.kind === MERGE_UNDO_KIND ? `rows a merge into ${String(m.options.table)} changed (${m.tables[0]?.rows ?? 0}) · ` : m.engine === 'postgres' ? (m.kind === 'pg_basebackup-tar' ? (m.options.incremental ? 'incremental base backup (PITR) · ' : 'base backup (PITR) · ') : `${String(m.options.format ?? '')} · `) : m.engine === 'mysql' ? 'SQL dump · '
      : m.engine === 'sqlite' ? (m.options.vacuum ? 'compact copy · ' : SQLITE_KINDS[m.kind] ?? '') : '';
    // Where its copies are ("in local + offsite-r2"), once there is more than the backup folder's
    // (descriptions show no icons); a backup found only in a bucket says so.
    const places = entry.places.length > 1 || entry.places[0] !== LOCAL_LABEL ? ` · in ${entry.places.join(' + ')}` : '';
    this.description = `${kind}${describeStored(m)} · ${formatAge(completed)}${drill ? ` · RTO ${formatDuration(drill.restoreMs!)}` : ''}${places}`;
    this.iconPath = STATE_ICONS[state];
    this.tooltip = manifestSummary(m, state, entry);
    this.accessibilityInformation = { label: `Backup ${m.id}, ${state}, ${this.description}` };
  }
}

export class UnreadableBackupItem extends vscode.TreeItem {
  readonly kind = 'unreadable';

  constructor(readonly prefix: string, message: string, readonly parentId: string) {
    super(prefix.split('/')[1] ?? prefix, vscode.TreeItemCollapsibleState.None);
    this.id = `unreadable:${prefix}`;
    this.contextValue = 'backup.unreadable';
    this.description = 'manifest unreadable';
    this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    this.tooltip = message;
  }
}

export class MessageItem extends vscode.TreeItem {
  readonly kind = 'message';

  /** `key`: tells apart two messages under one parent; `warning`: a warning icon instead of info. */
  constructor(label: string, readonly parentId: string, tooltip?: string, options: { key?: string; warning?: boolean } = {}) {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = `message:${parentId}${options.key ? `:${options.key}` : ''}`;
    this.iconPath = options.warning ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('info');
    if (tooltip) this.tooltip = tooltip;
  }
}

export type TreeNode = ConnectionItem | DetachedConnectionItem | BackupItem | UnreadableBackupItem | MessageItem;

/** How a SQLite backup's description starts; a snapshot's own text says "incremental …". */
const SQLITE_KINDS: Record<string, string> = { 'sqlite-sql-dump': 'SQL dump · ', 'sqlite-snapshot': '' };

const STATE_ICONS = {
  verified: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  unverified: new vscode.ThemeIcon('circle-large-outline', new vscode.ThemeColor('testing.iconQueued')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
};

/** Local time as the tree writes it: 2026-12-03 18:14:18. */
export function formatTimestamp(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

function manifestSummary(m: Manifest, state: string, entry: ListedBackup): vscode.MarkdownString {
  const rows = m.tables.reduce((n, t) => n + (t.rows ?? 0), 0);
  const lines = [
    `**Backup ${m.id}** — ${state}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Source | ${escape(m.connection.name)} (${escape(m.connection.source)}) |`,
    `| Kind | ${m.kind} |`,
    `| Server | ${m.server.product} ${m.server.version} |`,
    `| Tool | ${m.tool.name} ${m.tool.version} |`,
    `| Tables | ${m.tables.length} tables, ${rows.toLocaleString('en')} rows |`,
    ...m.files.map(f => `| ${escape(f.name)} | ${formatBytes(f.size)}${f.contentSize === undefined ? '' : ` (${formatBytes(f.contentSize)} raw)`}, SHA-256 \`${f.sha256.slice(0, 16)}…\` |`),
    `| Took | ${formatDuration(m.timings.totalMs ?? 0)} |`,
    `| Copies | ${entry.places.map(escape).join(', ')} (read from ${escape(entry.from.location)}) |`,
  ];
  if (m.consistency.snapshotLsn) lines.push(`| Snapshot | WAL ${escape(String(m.consistency.snapshotLsn))} |`);
  if (m.consistency.binlogFile) lines.push(`| Binary log | ${escape(`${String(m.consistency.binlogFile)}:${String(m.consistency.binlogPosition)}`)}${m.consistency.gtid ? `, GTID ${escape(String(m.consistency.gtid))}` : ''} |`);
  if (m.shared) lines.push(`| Incremental | ${escape(describeStored(m))}; blocks in ${m.shared.filter(f => f.name.endsWith('.pack')).length} pack(s) shared with other snapshots |`);
  if (m.options.vacuum) lines.push('| Copy | compact (VACUUM INTO) |');
  for (const v of m.verifications.slice(-3)) {
    const drill = v.restoreMs !== undefined ? ` (restore took ${formatDuration(v.restoreMs)})` : '';
    lines.push(`| ${VERIFICATION_LABELS[v.kind]} | ${v.ok ? '✓' : '✗'} ${new Date(v.at).toLocaleString()}: ${v.checks.map(c => `${c.name} ${c.ok ? 'ok' : 'FAILED'}`).join(', ')}${drill} |`);
  }
  return new vscode.MarkdownString(lines.join('\n'));
}

const VERIFICATION_LABELS: Record<Verification['kind'], string> = {
  'at-backup': 'Checked at backup', full: 'Verified', quick: 'Verified (quick)', 'restore-drill': 'Restore drill',
};

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
