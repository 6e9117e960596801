import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Destination } from '../../src/core/destination';
import type { ListedBackup } from '../../src/core/listingEverywhere';
import { parsePolicy } from '../../src/core/policy';
import { protectionStatus } from '../../src/core/protectionStatus';
import { buildRecoveryReport, reportMarkdown } from '../../src/core/recoveryReport';
import type { RunRecord } from '../../src/core/runLog';
import { placesFor } from '../../src/storage/destinationSettings';
import { reportHtml } from '../../src/vscode/reportHtml';
import { sampleId, sampleManifest } from '../support/manifests';

// The Recovery Report's model, its Markdown and its page: storage per place, runs and failures,
// a chart once there are backups to draw, and names from a backup folder that cannot make markup.

const now = new Date('2026-12-03T12:00:00Z');
const hostile = 'App <img src=x onerror=alert(1)> | *bold*';

function backup(n: number, hoursAgo: number, places: string[], bytes: number): ListedBackup {
  const at = new Date(now.getTime() - hoursAgo * 3600_000).toISOString();
  const manifest = sampleManifest({ id: sampleId(n), completedAt: at, timings: { totalMs: 1000 * n },
    files: [{ name: 'database.sqlite.gz', size: bytes, sha256: 'a'.repeat(64), codec: 'gzip' }] });
  return { prefix: `app/${manifest.id}`, manifest, from: {} as Destination, places };
}

describe('recovery report', () => {
  const entries = [backup(3, 1, ['local', 'offsite'], 3000), backup(2, 25, ['local'], 2000), backup(1, 49, ['local'], 1000)];
  const listing = { entries, problems: [], unreachable: [] };
  const failed: RunRecord = { type: 'run', connection: 'app', schedule: 'nightly', action: 'backup', slot: '2026-12-02T02:00:00.000Z', missed: 0,
    startedAt: '2026-12-02T02:00:00.000Z', endedAt: '2026-12-02T02:00:05.000Z', durationMs: 5000, ok: false, error: 'disk <full>', by: 'test' };
  const statuses = protectionStatus([{ id: 'app', name: hostile, policy: parsePolicy({ tier: 'dev', schedules: [{ name: 'nightly', cron: '0 2 * * *' }] }, 'x') }],
    listing, placesFor('/b', [{ name: 'offsite', location: 's3://b/p' }]), [failed], now);
  const report = buildRecoveryReport(statuses, listing, [failed], now);

  it('counts storage per place and the last month\'s failures; history oldest first', () => {
    assert.deepEqual(report.storage, [{ place: 'local', bytes: 6000, backups: 3 }, { place: 'offsite', bytes: 3000, backups: 1 }]);
    assert.equal(report.connections[0].failures30d, 1);
    assert.deepEqual(report.connections[0].history.map(h => h.bytes), [1000, 2000, 3000]);
  });

  it('the page draws a bar per backup, runs no script, and escapes every name and message', () => {
    const html = reportHtml(report, { cspSource: 'vscode-webview://x', styleUri: 'vscode-webview://x/report.css' });
    assert.equal((html.match(/<rect class="bar"/g) ?? []).length, 3);
    assert.match(html, /default-src 'none'; style-src vscode-webview:\/\/x; img-src/);
    assert.doesNotMatch(html, /<script|<img/);
    assert.match(html, /App &lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /failed: disk &lt;full&gt;/);
  });

  it('the Markdown is tables a wiki renders; a name cannot break out of its cell', () => {
    const text = reportMarkdown(report);
    assert.match(text, /^# Lifeboat recovery report\n/);
    const row = text.split('\n').find(l => l.includes('onerror'))!;
    assert.equal(row.split(/(?<!\\)\|/).length, 11, `nine cells: ${row}`);
    assert.match(row, /App \\<img src=x onerror=alert\\\(1\\\)\\> \\\| \\\*bold\\\*/);
    assert.match(text, /\| nightly \(backup\) \| 2026-12-02T02:00:00\.000Z \| failed: disk \\<full\\> \|/);
  });
});
