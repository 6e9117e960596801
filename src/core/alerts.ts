import { LifeboatError, errorMessage } from './errors';
import type { Logger } from './logger';
import type { RunRecord } from './runLog';

/**
 * Webhooks told about scheduled work, by the editor and the CLI alike:
 *   slack         a Slack-compatible {"text": "…"} on a failure, a missed run, a connection over its RPO;
 *   generic       the event as JSON ({"event": "failed", "connection": …, "run": <the run record>}) on the same;
 *   healthchecks  healthchecks.io-style pings: <url>/start when a run starts, <url> when it
 *                 succeeds, <url>/fail when it fails (the service itself notices runs that never come).
 * A webhook URL can hold a secret (Slack's does), so it is kept like a password: the CLI reads
 * the list from a 0600 file, the editor from SecretStorage; never settings or logs (a URL is
 * logged by its host only).
 * Each call is tried at most ATTEMPTS times with a time limit and back-off between tries; one
 * that still fails is logged and never fails or holds up the work beyond that bound.
 */
export const WEBHOOK_KINDS = ['slack', 'generic', 'healthchecks'] as const;
export type WebhookKind = typeof WEBHOOK_KINDS[number];

export interface Webhook {
  kind: WebhookKind;
  url: string;
  /** Only these connections' events (default: every connection's). */
  connections?: string[];
}

export type AlertEvent =
  | { event: 'started'; connection: string; schedule: string }
  | { event: 'succeeded' | 'failed'; connection: string; schedule: string; run: RunRecord; message: string }
  | { event: 'missed' | 'rpo'; connection: string; schedule?: string; message: string };

export interface AlertOptions {
  attempts?: number;
  timeoutMs?: number;
  backoffMs?: number;
}

const ATTEMPTS = 3;
const TIMEOUT_MS = 5000;
const BACKOFF_MS = 500;

/**
 * Sends alerts without holding up the work: each call runs in the background, healthchecks pings
 * of one webhook in order (start before success or fail), the others at once; `drain` waits for
 * all of them, so the longest wait is one call's bound, however many alerts were sent.
 */
export class AlertDispatcher {
  private readonly pending = new Set<Promise<void>>();
  private readonly chains = new Map<Webhook, Promise<void>>();

  constructor(private readonly webhooks: readonly Webhook[], private readonly logger: Logger, private readonly options: AlertOptions = {}) {}

  send(event: AlertEvent): void {
    for (const webhook of this.webhooks) {
      if (webhook.connections && !webhook.connections.includes(event.connection)) continue;
      const request = requestFor(webhook, event);
      if (!request) continue;
      const call = async () => {
        const error = await withRetries(request, this.options);
        if (error) this.logger.warn(`The ${webhook.kind} webhook at ${hostOf(webhook.url)} was not reached for "${event.event}" of ${event.connection}: ${error}. The work itself is unaffected.`);
      };
      const done = webhook.kind === 'healthchecks' ? (this.chains.get(webhook) ?? Promise.resolve()).then(call) : call();
      if (webhook.kind === 'healthchecks') this.chains.set(webhook, done);
      this.pending.add(done);
      void done.finally(() => this.pending.delete(done));
    }
  }

  async drain(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}

function requestFor(webhook: Webhook, event: AlertEvent): { url: string; body?: string } | undefined {
  const problem = event.event === 'failed' || event.event === 'missed' || event.event === 'rpo';
  switch (webhook.kind) {
    case 'slack':
      return problem ? { url: webhook.url, body: JSON.stringify({ text: `Lifeboat: ${(event as { message: string }).message}` }) } : undefined;
    case 'generic':
      return problem ? { url: webhook.url, body: JSON.stringify({ source: 'lifeboat', ...event }) } : undefined;
    case 'healthchecks': {
      const base = webhook.url.replace(/\/+$/, '');
      if (event.event === 'started') return { url: `${base}/start` };
      if (event.event === 'succeeded') return { url: base };
      if (event.event === 'failed') return { url: `${base}/fail`, body: event.message };
      return undefined;
    }
  }
}

/** undefined when a try succeeded (a 2xx answer), else why the last one failed. */
async function withRetries(request: { url: string; body?: string }, options: AlertOptions): Promise<string | undefined> {
  const attempts = options.attempts ?? ATTEMPTS;
  let last = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise(resolve => setTimeout(resolve, (options.backoffMs ?? BACKOFF_MS) * 2 ** (attempt - 1)));
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': request.body?.startsWith('{') ? 'application/json' : 'text/plain; charset=utf-8', 'user-agent': 'lifeboat' },
        ...(request.body !== undefined ? { body: request.body } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? TIMEOUT_MS),
        redirect: 'error',
      });
      await response.body?.cancel();
      if (response.ok) return undefined;
      last = `it answered ${response.status}`;
    } catch (error) {
      last = (error as Error).name === 'TimeoutError' ? `no answer within ${(options.timeoutMs ?? TIMEOUT_MS) / 1000} s` : errorMessage((error as { cause?: unknown }).cause ?? error);
    }
  }
  return `${last} (${attempts} tries)`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(bad URL)';
  }
}

/** A list of webhooks as a 0600 file or SecretStorage holds it: {"webhooks": [{"kind": "slack", "url": "https://…"}]}. */
export function parseWebhooks(value: unknown, where: string): Webhook[] {
  const bad = (what: string) => new LifeboatError('usage', `${where} ${what}.`, 'Write it as {"webhooks": [{"kind": "slack", "url": "https://hooks.slack.com/…"}, {"kind": "healthchecks", "url": "https://hc-ping.com/<uuid>"}]}.');
  const list = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>).webhooks : undefined;
  if (!Array.isArray(list)) throw bad('does not hold a "webhooks" list');
  return list.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null) throw bad(`has a webhook ${i + 1} that is not an object`);
    const { kind, url, connections } = entry as Record<string, unknown>;
    if (typeof kind !== 'string' || !(WEBHOOK_KINDS as readonly string[]).includes(kind)) throw bad(`has a webhook ${i + 1} of unknown kind (one of ${WEBHOOK_KINDS.join(', ')})`);
    if (typeof url !== 'string' || !isHttpUrl(url)) throw bad(`has a webhook ${i + 1} whose "url" is not an http(s) URL`);
    if (connections !== undefined && (!Array.isArray(connections) || !connections.every(c => typeof c === 'string'))) throw bad(`has a webhook ${i + 1} whose "connections" is not a list of connection ids`);
    return { kind: kind as WebhookKind, url, ...(connections ? { connections: connections as string[] } : {}) };
  });
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
