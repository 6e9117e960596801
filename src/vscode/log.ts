import * as vscode from 'vscode';
import type { Logger } from '../core/logger';

/** The "Lifeboat" log channel, and the engine's Logger on top of it. */
export function createLog(): { channel: vscode.LogOutputChannel; logger: Logger } {
  const channel = vscode.window.createOutputChannel('Lifeboat', { log: true });
  const logger: Logger = {
    debug: message => channel.debug(message),
    info: message => channel.info(message),
    warn: message => channel.warn(message),
    error: message => channel.error(message),
  };
  return { channel, logger };
}
