import * as vscode from 'vscode';
import type { Logger } from '../../core/logger';
import { setAlertWebhooks } from '../alertWebhooks';
import { ReportPanel } from '../reportPanel';
import type { ScheduleRunner } from '../scheduleRunner';
import type { Services } from '../services';

export function registerScheduleCommands(s: Services, schedules: ScheduleRunner, secrets: vscode.SecretStorage, logger: Logger): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.runDueWork', () => schedules.check()),
    vscode.commands.registerCommand('lifeboat.stopScheduledWork', () => {
      if (!schedules.stop()) void vscode.window.showInformationMessage('Lifeboat: no scheduled work is running.');
    }),
    vscode.commands.registerCommand('lifeboat.setAlertWebhooks', () => setAlertWebhooks(secrets, logger)),
    vscode.commands.registerCommand('lifeboat.recoveryReport', () => ReportPanel.show(s)),
  ];
}
