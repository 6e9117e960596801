import * as vscode from 'vscode';
import type { Services } from '../services';

export function registerViewCommands(s: Services, showLog: () => void): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.refresh', () => s.catalog.refresh()),
    vscode.commands.registerCommand('lifeboat.showLog', showLog),
  ];
}
