import * as vscode from 'vscode';
import { isHttpUrl, parseWebhooks, WEBHOOK_KINDS, type Webhook, type WebhookKind } from '../core/alerts';
import type { Logger } from '../core/logger';

/** The webhooks scheduled work alerts, in SecretStorage: their URLs hold secrets (Slack's does),
 *  so they are never in settings. */
const KEY = 'lifeboat.alertWebhooks';

export async function readWebhooks(secrets: vscode.SecretStorage, logger: Logger): Promise<Webhook[]> {
  const text = await secrets.get(KEY);
  if (!text) return [];
  try {
    return parseWebhooks(JSON.parse(text), 'The stored alert webhooks');
  } catch (error) {
    logger.error(`${(error as Error).message} Set them again with Lifeboat: Set Alert Webhooks….`);
    return [];
  }
}

const DESCRIPTIONS: Record<WebhookKind, string> = {
  slack: 'Slack (or Mattermost, Rocket.Chat): {"text": …} on a failure, a missed run, a connection over its RPO',
  generic: 'Any URL: the event as JSON, with the run record',
  healthchecks: 'healthchecks.io or compatible: start, success and fail pings for every run',
};

/** Lifeboat: Set Alert Webhooks…: add one (its URL typed into a password box), or remove them all. */
export async function setAlertWebhooks(secrets: vscode.SecretStorage, logger: Logger): Promise<void> {
  const current = await readWebhooks(secrets, logger);
  const picked = await vscode.window.showQuickPick([
    ...WEBHOOK_KINDS.map(kind => ({ label: `$(add) Add a ${kind} webhook`, description: DESCRIPTIONS[kind], webhook: kind })),
    ...(current.length ? [{ label: `$(trash) Remove the ${current.length} webhook${current.length > 1 ? 's' : ''} set`, description: current.map(w => `${w.kind} ${new URL(w.url).host}`).join(', '), webhook: undefined }] : []),
  ], { title: 'Lifeboat: Alert Webhooks', placeHolder: current.length ? `${current.length} set` : 'None set yet' });
  if (!picked) return;
  if (!picked.webhook) {
    await secrets.delete(KEY);
    void vscode.window.showInformationMessage('Lifeboat: alert webhooks removed.');
    return;
  }
  const url = await vscode.window.showInputBox({
    title: `Lifeboat: ${picked.webhook} webhook URL`, password: true, ignoreFocusOut: true,
    prompt: 'Kept in the editor\'s secret storage, never in settings or logs.',
    validateInput: v => isHttpUrl(v.trim()) ? undefined : 'An http(s) URL',
  });
  if (!url) return;
  await secrets.store(KEY, JSON.stringify({ webhooks: [...current, { kind: picked.webhook, url: url.trim() }] }));
  void vscode.window.showInformationMessage(`Lifeboat: ${picked.webhook} webhook at ${new URL(url.trim()).host} added.`);
}
