import * as vscode from 'vscode';
import type { Connection } from '../../core/connection';
import { retentionFor } from '../../core/policy';
import { applyPrune, planPrune, type ConnectionPrune } from '../../core/pruning';
import { pickConnection } from '../pickers';
import { readPolicies } from '../policies';
import type { Services } from '../services';
import type { ConnectionItem } from '../tree/items';

/**
 * Lifeboat: Apply Retention… on a connection: its "retention" from lifeboat.policies (or the place's
 * own in "retentionByDestination") applied to the backup folder and to each configured
 * destination, each on its own, as `lifeboat prune`
 * does (core/pruning.ts). The dry run comes first and always: every backup with what happens to
 * it and why a kept one stays; only then, on purpose, the deletions.
 */
export function registerRetentionCommand(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('lifeboat.applyRetention', async (item?: ConnectionItem) => {
    const connection = item?.connection ?? await pickConnection(s.store, 'Apply the retention of which connection?');
    if (connection) await applyRetention(s, connection);
  });
}

async function applyRetention(s: Services, connection: Connection): Promise<void> {
  const connectionPolicy = readPolicies(s.logger).policyOf(connection.id);
  if (!connectionPolicy.retention && !connectionPolicy.retentionByDestination) {
    const open = await vscode.window.showInformationMessage(`${connection.name} has no retention in lifeboat.policies: add one such as "retention": {"daily": 14, "monthly": 12} under "${connection.id}".`, 'Open Settings');
    if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'lifeboat.policies');
    return;
  }
  const places = await s.catalog.places();
  const plans = await s.jobs.run(`Lifeboat: Planning retention for ${connection.name}`, async ctx => Promise.all(places.map(async place => {
    try {
      const rules = retentionFor(connectionPolicy, place.name);
      if (!rules) return { place, none: true };
      const [prune] = await planPrune(place.destination, () => rules, { connectionId: connection.id, logger: ctx.logger, now: new Date() });
      return { place, prune };
    } catch (error) {
      return { place, error: (error as Error).message };
    }
  })));
  if (!plans) return;
  const doomed = plans.reduce((n, p) => n + (p.prune?.doomed.length ?? 0), 0);
  type Row = vscode.QuickPickItem & { apply?: boolean };
  const rows: Row[] = [
    doomed > 0
      ? { label: `$(trash) Delete ${doomed} backup${doomed > 1 ? 's' : ''}…`, description: 'as listed below; asks once more', apply: true }
      : { label: '$(check) Nothing to delete', description: 'every backup is kept by a rule or a protection' },
  ];
  for (const { place, prune, error, none } of plans) {
    rows.push({ label: place.name, kind: vscode.QuickPickItemKind.Separator });
    if (none) {
      rows.push({ label: '$(info) No retention for this place: nothing is deleted here' });
      continue;
    }
    if (error) {
      rows.push({ label: `$(warning) Cannot be planned: ${error}` });
      continue;
    }
    if (!prune?.plan) {
      rows.push({ label: '$(info) No backups here' });
      continue;
    }
    for (const d of prune.plan.decisions) rows.push(d.keep ? { label: `$(pass) keep ${d.id}`, description: d.reasons.join('; ') } : { label: `$(trash) delete ${d.id}`, description: 'no rule keeps it' });
    for (const id of prune.plan.futureDated) rows.push({ label: `$(warning) keep ${id}`, description: 'dated in the future: check the clocks' });
  }
  const picked = await vscode.window.showQuickPick(rows, { title: `Lifeboat: Retention of ${connection.name} (dry run)`, placeHolder: 'What the policy would delete, and why each kept backup stays', matchOnDescription: true, ignoreFocusOut: true });
  if (!picked?.apply) return;
  const sure = await vscode.window.showWarningMessage(`Delete ${doomed} backup${doomed > 1 ? 's' : ''} of ${connection.name}?`, { modal: true, detail: 'Each backup is deleted whole. A backup someone starts reading meanwhile is kept.' }, 'Delete');
  if (sure !== 'Delete') return;
  const done = await s.jobs.run(`Lifeboat: Applying retention to ${connection.name}`, async ctx => {
    const results = [];
    for (const { place, prune } of plans) if (prune?.doomed.length) results.push({ place: place.name, ...await applyPrune(place.destination, prune as ConnectionPrune, ctx.logger, ctx.signal) });
    return results;
  });
  if (!done) return;
  const deleted = done.reduce((n, r) => n + r.deleted.length, 0);
  const held = done.reduce((n, r) => n + r.heldNow.length, 0);
  s.logger.info(`Retention of ${connection.name}: deleted ${done.map(r => `${r.deleted.length} in ${r.place}`).join(', ')}${held ? `; ${held} kept because a reader started on them` : ''}`);
  void vscode.window.showInformationMessage(`Retention of ${connection.name}: ${deleted} backup${deleted === 1 ? '' : 's'} deleted${held ? `, ${held} kept (being read)` : ''}.`);
}
