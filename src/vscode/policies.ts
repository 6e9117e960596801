import * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import { DEFAULT_POLICY, parsePolicy, type ConnectionPolicy } from '../core/policy';

/**
 * lifeboat.policies: each connection's tier, objectives, schedules and retention, by connection
 * id, written as the CLI's config file writes them (core/policy.ts). One that cannot be read is
 * named in the log and its connection held to the default (the normal tier, no schedule), so a
 * typo never runs work nobody asked for.
 */
export function readPolicies(logger: Logger): { policyOf(connectionId: string): ConnectionPolicy; errors: Map<string, string> } {
  const raw = vscode.workspace.getConfiguration('lifeboat').get<unknown>('policies') ?? {};
  const policies = new Map<string, ConnectionPolicy>();
  const errors = new Map<string, string>();
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [id, value] of Object.entries(raw as Record<string, unknown>)) {
      try {
        policies.set(id, parsePolicy(value, `connection "${id}" in lifeboat.policies`));
      } catch (error) {
        errors.set(id, (error as Error).message);
        logOnce(logger, `${(error as Error).message} It is held to the normal tier with no schedule until this is fixed.`);
      }
    }
  } else {
    logOnce(logger, 'lifeboat.policies must be an object of policies by connection id: {"app": {"tier": "important", "schedules": […]}}.');
  }
  return { policyOf: id => policies.get(id) ?? DEFAULT_POLICY, errors };
}

/** The setting is read on every tree render and runner check: each problem is logged once. */
const logged = new Set<string>();
function logOnce(logger: Logger, message: string): void {
  if (logged.has(message)) return;
  logged.add(message);
  logger.error(message);
}
