import * as vscode from 'vscode';
import type { Services } from '../services';

/** Turning encryption on (with what losing the key means), and giving the identity that decrypts. */
export function registerEncryptionCommands(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.turnOnEncryption', () => s.encryption.turnOn()),
    vscode.commands.registerCommand('lifeboat.setEncryptionIdentity', async () => {
      if (await s.encryption.importIdentityFile()) void vscode.window.showInformationMessage('The identity is kept in the editor\'s secret storage: encrypted backups to its recipient restore here.');
    }),
  ];
}
