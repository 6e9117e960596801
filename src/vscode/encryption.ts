import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newIdentity, parseIdentities, parseRecipient, recipientOf, type AgeIdentity } from '../core/ageFormat';
import { useIdentities } from '../core/ageKeys';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Manifest } from '../core/manifest';

const IDENTITY_SECRET = 'lifeboat.ageIdentity';
/** Set once a person has read what losing the key means (globalState). */
const ACKNOWLEDGED = 'lifeboat.encryptionAcknowledged';

const WARNING = 'Encrypted backups can be restored only with the identity (the secret key) of one of their recipients. ' +
  'Lose it and the backups are lost: nobody, Lifeboat included, can decrypt them. Keep a copy of the identity away from this machine ' +
  '(a password manager, a safe); `age -d -i key.txt` decrypts a backup file without Lifeboat.';

/**
 * Client-side encryption in the editor (age, src/core/ageFormat.ts): the recipients backups are
 * encrypted to are the setting lifeboat.encryptTo (public keys, nothing secret); the identity that
 * decrypts them is kept in SecretStorage and handed to the engine, which reads it only when a
 * backup needs decrypting. Turning encryption on first says what losing the key means and offers
 * to save a new identity to a file.
 */
export class EncryptionKeys implements vscode.Disposable {
  private identities: AgeIdentity[] = [];
  private readonly loaded: Promise<void>;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly memento: vscode.Memento, private readonly logger: Logger) {
    useIdentities(() => this.identities);
    this.loaded = this.load();
    this.subscription = secrets.onDidChange(e => {
      if (e.key === IDENTITY_SECRET) void this.load();
    });
  }

  /** Settles once the stored identity has been read (before a restore or verify needs it). */
  ready(): Promise<void> {
    return this.loaded;
  }

  /** The recipients to encrypt a new backup to, once the person has been told what losing the key
   *  means; undefined when they turned back. [] when encryption is off. */
  async recipientsForBackup(): Promise<string[] | undefined> {
    const recipients = encryptTo();
    if (recipients.length === 0 || this.memento.get<boolean>(ACKNOWLEDGED)) return recipients;
    const go = await vscode.window.showWarningMessage('Encrypt this backup (lifeboat.encryptTo)?', { modal: true, detail: WARNING }, 'Encrypt');
    if (go !== 'Encrypt') return undefined;
    await this.memento.update(ACKNOWLEDGED, true);
    return recipients;
  }

  /** Before reading an encrypted backup: an identity that can decrypt it, asked for (an identity
   *  file, remembered in SecretStorage) when none is held. False when the person turned back. */
  async canRead(manifest: Manifest): Promise<boolean> {
    await this.ready();
    if (!manifest.encryption || manifest.encryption.to.includes('passphrase')) return true;
    const held = new Set(this.identities.flatMap(i => i.kind === 'x25519' ? [recipientOf(i)] : []));
    if (manifest.encryption.to.some(r => held.has(r))) return true;
    const choose = await vscode.window.showWarningMessage(`Backup ${manifest.id} is encrypted to ${manifest.encryption.to.join(', ')}, and this editor holds no identity for it.`,
      { modal: true, detail: 'Choose the identity file of one of its recipients (AGE-SECRET-KEY-1… lines, as age-keygen writes them). It is kept in the editor\'s secret storage.' }, 'Choose Identity File…');
    if (!choose) return false;
    return this.importIdentityFile();
  }

  /** Asks for an identity file and keeps its identities (beside those held already). */
  async importIdentityFile(): Promise<boolean> {
    const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, openLabel: 'Use This Identity', title: 'The age identity file' });
    if (!picked?.[0]) return false;
    try {
      const text = fs.readFileSync(picked[0].fsPath, 'utf8');
      parseIdentities(text, picked[0].fsPath);
      await this.keep(text);
      return true;
    } catch (error) {
      void vscode.window.showErrorMessage(errorMessage(error));
      return false;
    }
  }

  /** Lifeboat: Turn On Encryption…: what losing the key means, then a new identity saved to a file
   *  (mode 0600) and kept here, or a recipient of the person's own; lifeboat.encryptTo is set. */
  async turnOn(): Promise<void> {
    const how = await vscode.window.showWarningMessage('Turn on encrypted backups?', { modal: true, detail: `${WARNING}\n\nLifeboat can make a new identity and save it to a file you choose, or use a recipient (age1…) of a key you already have.` },
      'Make a New Identity…', 'Use My Own Recipient…');
    if (!how) return;
    let recipient: string;
    let saved = '';
    if (how === 'Make a New Identity…') {
      const made = newIdentity();
      const target = await vscode.window.showSaveDialog({ title: 'Save the new age identity (keep a copy away from this machine)', saveLabel: 'Save Identity', defaultUri: vscode.Uri.file(path.join(os.homedir(), 'lifeboat-identity.txt')) });
      if (!target) return;
      const text = `# created: ${new Date().toISOString()} by Lifeboat\n# public key: ${made.recipient}\n${made.identity}\n`;
      try {
        fs.writeFileSync(target.fsPath, text, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        void vscode.window.showErrorMessage(`The identity was not saved to ${target.fsPath}: ${errorMessage(error)}. Encryption stays off.`);
        return;
      }
      await this.keep(text);
      recipient = made.recipient;
      saved = ` The identity is saved in ${target.fsPath}: keep a copy away from this machine.`;
      this.logger.info(`A new age identity was saved to ${target.fsPath}; backups are encrypted to ${recipient}`);
    } else {
      const given = await vscode.window.showInputBox({ title: 'Encrypt backups to', prompt: 'An age recipient (age1…): the public key of an identity you keep', ignoreFocusOut: true,
        validateInput: v => { try { parseRecipient(v.trim()); return undefined; } catch (error) { return errorMessage(error); } } });
      if (!given) return;
      recipient = given.trim();
    }
    await this.memento.update(ACKNOWLEDGED, true);
    await vscode.workspace.getConfiguration('lifeboat').update('encryptTo', [recipient], vscode.ConfigurationTarget.Global);
    void vscode.window.showInformationMessage(`New backups are encrypted to ${recipient} (lifeboat.encryptTo).${saved}`);
  }

  private async keep(text: string): Promise<void> {
    const held = (await this.secrets.get(IDENTITY_SECRET)) ?? '';
    await this.secrets.store(IDENTITY_SECRET, `${held}${held && !held.endsWith('\n') ? '\n' : ''}${text}`);
    await this.load();
  }

  private async load(): Promise<void> {
    const text = await this.secrets.get(IDENTITY_SECRET);
    try {
      this.identities = text ? parseIdentities(text, 'The identity in the editor\'s secret storage') : [];
    } catch (error) {
      this.identities = [];
      this.logger.warn(`${errorMessage(error)}: choose the identity file again when a backup needs it.`);
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** lifeboat.encryptTo: the age recipients new backups are encrypted to; [] (off) by default. */
export function encryptTo(): string[] {
  const value = vscode.workspace.getConfiguration('lifeboat').get<unknown>('encryptTo');
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map(v => v.trim()) : [];
}
