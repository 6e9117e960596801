import { formatAge, formatBytes, formatDuration } from '../core/format';
import { escapeAttribute as a, escapeText as t } from '../core/htmlText';
import { formatObjective } from '../core/policy';
import type { Health } from '../core/protectionStatus';
import type { ConnectionReport, RecoveryReport } from '../core/recoveryReport';

/**
 * The Recovery Report page. It runs no script at all, so its Content-Security-Policy is stricter
 * than the diff page's: nothing loads but its stylesheet from the extension's own origin; every
 * text from a backup folder (names, messages) is escaped. The charts are inline SVG drawn here.
 */
export function reportHtml(report: RecoveryReport, page: { cspSource: string; styleUri: string }): string {
  const csp = ["default-src 'none'", `style-src ${page.cspSource}`, `img-src ${page.cspSource} data:`].join('; ');
  const now = new Date(report.at);
  const rows = report.connections.map(({ status: s }) => `<tr class="${s.health}">
  <td><span class="dot ${s.health}" aria-label="${s.health}"></span>${t(s.name)}</td><td>${t(s.tier)}</td>
  <td class="${s.rpo}">${s.newestVerified ? t(formatAge(new Date(s.newestVerified.completedAt), now)) : 'none'} / ${formatObjective(s.rpoMs)}</td>
  <td class="${s.copies.health}">${s.copies.count} ${s.copies.count === 1 ? "copy" : "copies"} · ${s.copies.media.length} media · ${s.copies.offsite} off-site</td>
  <td class="${s.drill?.health ?? 'warn'}">${s.drill ? formatDuration(s.drill.restoreMs) : 'untested'} / ${formatObjective(s.rtoMs)}</td>
  <td>${s.nextRun ? `${t(s.nextRun.schedule)}, ${t(new Date(s.nextRun.at).toLocaleString())}` : 'none'}</td></tr>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${a(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${a(page.styleUri)}">
<title>Recovery Report</title>
</head>
<body>
<h1>Recovery Report</h1>
<p class="muted">Made ${t(now.toLocaleString())}. Green meets its objective, amber is near it or missing something, red is over it.</p>
<table class="summary"><thead><tr><th>connection</th><th>tier</th><th>newest verified / RPO</th><th>3-2-1</th><th>last drill / RTO</th><th>next run</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${report.connections.map(c => connectionSection(c)).join('\n')}
<h2>Storage</h2>
<table><thead><tr><th>place</th><th>backups</th><th>stored</th></tr></thead><tbody>
${report.storage.map(s => `<tr><td>${t(s.place)}</td><td>${s.backups}</td><td>${formatBytes(s.bytes)}</td></tr>`).join('\n')}
</tbody></table>
</body>
</html>
`;
}

function connectionSection(c: ConnectionReport): string {
  const s = c.status;
  return `<section>
<h2><span class="dot ${s.health}"></span>${t(s.name)} <span class="muted">${t(s.connection)} · ${healthWord(s.health)}</span></h2>
${s.problems.length ? `<ul class="problems">${s.problems.map(p => `<li>${t(p)}</li>`).join('')}</ul>` : '<p>Meets its objectives.</p>'}
${c.history.length > 1 ? chart(c) : ''}
<p class="muted">Failed runs in the last 30 days: ${c.failures30d}.</p>
${c.recentRuns.length ? `<table><thead><tr><th>run</th><th>slot</th><th>result</th><th>took</th><th>bytes</th></tr></thead><tbody>
${c.recentRuns.map(r => `<tr class="${r.ok ? 'ok' : 'bad'}"><td>${t(r.schedule)} (${r.action})</td><td>${t(r.slot)}</td><td>${r.ok ? 'ok' : `failed: ${t(r.error ?? '')}`}</td><td>${formatDuration(r.durationMs)}</td><td>${r.bytes !== undefined ? formatBytes(r.bytes) : ''}</td></tr>`).join('\n')}
</tbody></table>` : '<p class="muted">No scheduled runs recorded yet.</p>'}
</section>`;
}

/** Bars: each backup's stored size; dots on a line: how long it took. */
function chart(c: ConnectionReport): string {
  const width = 600;
  const height = 140;
  const pad = 24;
  const n = c.history.length;
  const maxBytes = Math.max(...c.history.map(h => h.bytes), 1);
  const durations = c.history.map(h => h.durationMs ?? 0);
  const maxMs = Math.max(...durations, 1);
  const step = (width - 2 * pad) / n;
  const bars = c.history.map((h, i) => {
    const barHeight = Math.max(1, (h.bytes / maxBytes) * (height - 2 * pad));
    const barWidth = Math.min(step * 0.7, 24);
    return `<rect class="bar" x="${(pad + (i + 0.5) * step - barWidth / 2).toFixed(1)}" y="${(height - pad - barHeight).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${barHeight.toFixed(1)}"><title>${t(h.completedAt)}: ${formatBytes(h.bytes)}${h.durationMs !== null ? `, ${formatDuration(h.durationMs)}` : ''}</title></rect>`;
  }).join('');
  const points = durations.map((ms, i) => `${(pad + (i + 0.5) * step).toFixed(1)},${(height - pad - (ms / maxMs) * (height - 2 * pad)).toFixed(1)}`);
  return `<figure><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="Backup sizes (bars, up to ${formatBytes(maxBytes)}) and durations (line, up to ${formatDuration(maxMs)}) of the last ${n} backups">
${bars}<polyline class="line" points="${points.join(' ')}"/>${points.map(p => `<circle class="point" cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5"/>`).join('')}
<text class="axis" x="${pad}" y="14">size up to ${formatBytes(maxBytes)} (bars) · time up to ${formatDuration(maxMs)} (line)</text>
</svg><figcaption class="muted">The last ${n} backups, oldest on the left.</figcaption></figure>`;
}

function healthWord(health: Health): string {
  return health === 'ok' ? 'meets its objectives' : health === 'warn' ? 'needs attention' : 'at risk';
}
