import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { setAlertWebhooks } from '../alertWebhooks';
import type { ScheduleRunner } from '../scheduleRunner';

export function registerScheduleCommands(schedules: ScheduleRunner, secrets: vscode.SecretStorage, logger: Logger): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.runDueWork', () => schedules.check()),
    vscode.commands.registerCommand('lifeboat.setAlertWebhooks', () => setAlertWebhooks(secrets, logger)),
  ];
}
