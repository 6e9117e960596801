import * as vscode from 'vscode';
import type { Connection } from '../../core/connection';
import { formatObjective, TIERS, type TierName } from '../../core/policy';
import { parseSchedule } from '../../core/schedule';
import { pickConnection } from '../pickers';
import { readPolicies } from '../policies';
import type { Services } from '../services';
import type { ConnectionItem } from '../tree/items';

/**
 * Lifeboat: Set Tier and Schedule… on a connection: its tier from the field guide's table, a
 * backup schedule (a preset that meets the tier's RPO, or any cron expression, checked and shown
 * with its next runs), and whether to add a weekly restore drill; written to lifeboat.policies,
 * where the rest of a policy (retention, more schedules, request options) is edited by hand.
 */
const PRESETS: Record<Exclude<TierName, 'custom'>, { cron: string; label: string }> = {
  critical: { cron: '*/5 * * * *', label: 'every 5 minutes' },
  important: { cron: '*/10 * * * *', label: 'every 10 minutes' },
  normal: { cron: '*/30 * * * *', label: 'every 30 minutes' },
  dev: { cron: '15 2 * * *', label: 'daily at 02:15' },
};

export function registerPolicyCommand(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand('lifeboat.setPolicy', async (item?: ConnectionItem) => {
    const connection = item?.connection ?? await pickConnection(s.store, 'Set the tier and schedule of which connection?');
    if (connection) await setPolicy(s, connection);
  });
}

async function setPolicy(s: Services, connection: Connection): Promise<void> {
  const current = readPolicies(s.logger).policyOf(connection.id);
  const title = `Lifeboat: Tier and Schedule of ${connection.name}`;
  const tier = await vscode.window.showQuickPick((Object.keys(TIERS) as (keyof typeof TIERS)[]).map(name => ({
    label: name, description: `RPO ${formatObjective(TIERS[name].rpoMs)} · RTO ${formatObjective(TIERS[name].rtoMs)}${current.tier === name ? ' · current' : ''}`,
    detail: name === 'critical' ? 'RPO 0 needs continuous archiving (point-in-time recovery); backups alone do not meet it' : undefined, name,
  })), { title, placeHolder: 'How much may be lost, and how long may a restore take?', ignoreFocusOut: true });
  if (!tier) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const preset = PRESETS[tier.name];
  const choice = await vscode.window.showQuickPick([
    { label: `Back up ${preset.label}`, description: preset.cron, cron: preset.cron },
    { label: 'Another cron expression…', description: 'five fields: minute hour day-of-month month day-of-week', cron: undefined },
    ...(current.schedules.length ? [{ label: 'Keep the current schedules', description: current.schedules.map(x => x.cron).join(', '), cron: 'keep' }] : []),
    { label: 'No schedule', description: 'backups only by hand', cron: 'none' },
  ], { title, placeHolder: `When to back up (read in ${zone})`, ignoreFocusOut: true });
  if (!choice) return;
  let cron = choice.cron;
  if (cron === undefined) {
    cron = await vscode.window.showInputBox({
      title, prompt: `A cron expression, read in ${zone}`, value: preset.cron, ignoreFocusOut: true,
      validateInput: text => {
        try {
          const runs = parseSchedule({ cron: text, timeZone: zone }).nextRuns(3);
          return { message: `Next: ${runs.map(r => r.toLocaleString()).join(' · ')}`, severity: vscode.InputBoxValidationSeverity.Info };
        } catch (error) {
          return (error as Error).message;
        }
      },
    });
    if (!cron) return;
  }
  const drill = cron === 'keep' ? undefined : await vscode.window.showQuickPick([
    { label: 'Add a weekly restore drill', description: 'Sundays 04:00: restores the newest backup into scratch and measures the RTO', add: true },
    { label: 'No drill', add: false },
  ], { title, placeHolder: 'A drill proves a backup restores, and how fast', ignoreFocusOut: true });
  if (cron !== 'keep' && !drill) return;
  const schedules = cron === 'keep' ? current.schedules : [
    ...(cron === 'none' ? [] : [{ name: 'backup', cron: cron.trim(), timeZone: zone }]),
    ...(drill?.add ? [{ name: 'weekly drill', cron: '0 4 * * 0', timeZone: zone, run: 'drill' }] : []),
  ];
  const config = vscode.workspace.getConfiguration('lifeboat');
  const all = { ...(config.get<Record<string, unknown>>('policies') ?? {}) };
  const existing = (all[connection.id] ?? {}) as Record<string, unknown>;
  all[connection.id] = { ...existing, tier: tier.name, schedules };
  delete (all[connection.id] as Record<string, unknown>).rpo;
  delete (all[connection.id] as Record<string, unknown>).rto;
  await config.update('policies', all, vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(`${connection.name}: ${tier.name} tier${schedules.length ? `, ${schedules.map(x => `${x.name} ${x.cron}`).join(' and ')} (${zone})` : ', no schedule'}.`);
}
