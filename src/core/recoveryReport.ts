import { formatAge, formatBytes, formatDuration } from './format';
import type { ListedBackups } from './listingEverywhere';
import { MERGE_UNDO_KIND, totalStoredBytes } from './manifest';
import { formatObjective } from './policy';
import type { ConnectionStatus } from './protectionStatus';
import type { RunLogRecord, RunRecord } from './runLog';

/**
 * The Recovery Report: every connection's tier, RPO/RTO state, 3-2-1 state, recent runs and
 * failures, and its backups' sizes and durations over time, plus the storage each place uses.
 * One model for the editor's page and `lifeboat report --markdown` (a wiki page, a ticket).
 */
export interface RecoveryReport {
  at: string;
  connections: ConnectionReport[];
  /** Bytes stored per place (the backup folder is "local"), over every connection's backups. */
  storage: { place: string; bytes: number; backups: number }[];
}

export interface ConnectionReport {
  status: ConnectionStatus;
  /** Newest first. */
  recentRuns: RunRecord[];
  /** Failed runs in the last 30 days. */
  failures30d: number;
  /** Oldest first: what the chart draws. */
  history: { id: string; completedAt: string; bytes: number; durationMs: number | null }[];
}

const RECENT_RUNS = 10;
const HISTORY = 30;

export function buildRecoveryReport(statuses: readonly ConnectionStatus[], listing: ListedBackups, runs: readonly RunLogRecord[], now: Date): RecoveryReport {
  const storage = new Map<string, { bytes: number; backups: number }>();
  for (const entry of listing.entries) {
    for (const place of entry.places) {
      const s = storage.get(place) ?? { bytes: 0, backups: 0 };
      s.bytes += totalStoredBytes(entry.manifest);
      s.backups++;
      storage.set(place, s);
    }
  }
  const runRecords = runs.filter((r): r is RunRecord => r.type === 'run');
  const monthAgo = now.getTime() - 30 * 86_400_000;
  return {
    at: now.toISOString(),
    connections: statuses.map(status => {
      const own = runRecords.filter(r => r.connection === status.connection);
      const history = listing.entries.filter(e => e.manifest.connection.id === status.connection && e.manifest.kind !== MERGE_UNDO_KIND).slice(0, HISTORY).reverse()
        .map(e => ({ id: e.manifest.id, completedAt: e.manifest.completedAt, bytes: totalStoredBytes(e.manifest), durationMs: typeof e.manifest.timings.totalMs === 'number' ? e.manifest.timings.totalMs : null }));
      return {
        status, history,
        recentRuns: own.slice(-RECENT_RUNS).reverse(),
        failures30d: own.filter(r => !r.ok && Date.parse(r.endedAt) >= monthAgo).length,
      };
    }),
    storage: [...storage].map(([place, s]) => ({ place, ...s })).sort((a, b) => b.bytes - a.bytes),
  };
}

const HEALTH_WORD = { ok: 'OK', warn: 'needs attention', bad: 'AT RISK' } as const;

/** The report as Markdown; names and messages from backups are escaped so they cannot make markup. */
export function reportMarkdown(report: RecoveryReport): string {
  const now = new Date(report.at);
  const lines = [`# Lifeboat recovery report`, '', `Made ${report.at}.`, '', '| connection | tier | state | newest verified | RPO | 3-2-1 | last drill | RTO | next run |', '|---|---|---|---|---|---|---|---|---|'];
  for (const { status: s } of report.connections) {
    lines.push(`| ${md(s.name)} | ${s.tier} | ${HEALTH_WORD[s.health]} | ${s.newestVerified ? formatAge(new Date(s.newestVerified.completedAt), now) : 'none'} | ${formatObjective(s.rpoMs)} ${mark(s.rpo)} | ${s.copies.count} ${s.copies.count === 1 ? 'copy' : 'copies'}, ${s.copies.media.length} media, ${s.copies.offsite} off-site ${mark(s.copies.health)} | ${s.drill ? formatDuration(s.drill.restoreMs) : 'none'} | ${formatObjective(s.rtoMs)} ${s.drill ? mark(s.drill.health) : '?'} | ${s.nextRun ? `${md(s.nextRun.schedule)} ${s.nextRun.at}` : 'none'} |`);
  }
  for (const c of report.connections) {
    const s = c.status;
    lines.push('', `## ${md(s.name)} (${md(s.connection)})`, '');
    if (s.problems.length) lines.push(...s.problems.map(p => `- ${md(p)}`), '');
    lines.push(`Failed runs in the last 30 days: ${c.failures30d}.`, '');
    if (c.recentRuns.length) {
      lines.push('| run | slot | result | took | bytes |', '|---|---|---|---|---|');
      for (const r of c.recentRuns) lines.push(`| ${md(r.schedule)} (${r.action}) | ${r.slot} | ${r.ok ? 'ok' : `failed: ${md(r.error ?? '')}`} | ${formatDuration(r.durationMs)} | ${r.bytes !== undefined ? formatBytes(r.bytes) : ''} |`);
      lines.push('');
    }
    if (c.history.length) {
      lines.push('| backup | size | took |', '|---|---|---|');
      for (const h of [...c.history].reverse().slice(0, 10)) lines.push(`| ${h.completedAt} | ${formatBytes(h.bytes)} | ${h.durationMs !== null ? formatDuration(h.durationMs) : ''} |`);
    }
  }
  lines.push('', '## Storage', '', '| place | backups | bytes |', '|---|---|---|', ...report.storage.map(s => `| ${md(s.place)} | ${s.backups} | ${formatBytes(s.bytes)} |`));
  return lines.join('\n') + '\n';
}

function mark(health: 'ok' | 'warn' | 'bad'): string {
  return health === 'ok' ? '✓' : health === 'warn' ? '!' : '✗';
}

/** Text inside a Markdown table cell: no markup, no line break, no cell boundary. */
function md(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}
