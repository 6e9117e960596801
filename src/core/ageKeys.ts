import type { Transform } from 'node:stream';
import { ageDecrypt, ageEncrypt, parseRecipient, recipientText, type AgeIdentity, type AgeRecipient } from './ageFormat';
import { LifeboatError } from './errors';
import type { FileEncryption } from './manifest';

/**
 * What a backup is encrypted to, and the identities this process may decrypt with. Keys never
 * reach a manifest, a log or argv: a backup records only its recipients' public keys (or the word
 * "passphrase"); the identities are given to the process (the CLI's --identity file, the
 * editor's SecretStorage) and kept here, the way passwords are kept out of child processes.
 */
export interface EncryptionPlan {
  recipients: AgeRecipient[];
  /** For the manifest: each recipient's "age1…", or "passphrase". */
  to: string[];
}

/** The plan for recipients given as "age1…" strings, or for a passphrase. */
export function encryptionPlan(options: { recipients?: string[]; passphrase?: string }): EncryptionPlan {
  if (options.passphrase !== undefined) {
    if (options.recipients?.length) throw new LifeboatError('usage', 'A backup is encrypted either to recipients or with a passphrase, not both (the age format allows a passphrase alone).');
    if (options.passphrase.length < 8) throw new LifeboatError('usage', 'The passphrase is shorter than 8 characters.', 'Use a long passphrase, or age recipients (age-keygen).');
    return { recipients: [{ kind: 'scrypt', passphrase: options.passphrase }], to: ['passphrase'] };
  }
  // As age writes them (lower case), once each: the manifest's grammar takes only that form.
  const byText = new Map((options.recipients ?? []).map(text => {
    const recipient = parseRecipient(text) as { kind: 'x25519'; publicKey: Buffer };
    return [recipientText(recipient), recipient] as const;
  }));
  if (byText.size === 0) throw new LifeboatError('usage', 'Encryption needs at least one recipient (age1…).');
  return { recipients: [...byText.values()], to: [...byText.keys()] };
}

/** File keys of what this process encrypted, by the SHA-256 of the stored bytes: it reads its own
 *  output back (the checks a backup makes before its manifest) without anyone's secret key. */
const ownFileKeys = new Map<string, Buffer>();

/** The encrypting stage; `stored(sha256)` is called once the stored bytes' hash is known. */
export function encryptor(plan: EncryptionPlan): Transform & { remember(storedSha256: string): void } {
  const stream = ageEncrypt(plan.recipients);
  return Object.assign(stream, { remember: (storedSha256: string) => { ownFileKeys.set(storedSha256, stream.fileKey); } });
}

export function describeEncryption(plan: EncryptionPlan): FileEncryption {
  return { format: 'age', to: [...plan.to] };
}

let given: () => AgeIdentity[] = () => [];
let loaded: AgeIdentity[] | undefined;

/** The identities (age secret keys, or a passphrase) this process decrypts backups with, or how
 *  to read them when a backup first needs them (so a key file is read only by work that uses it). */
export function useIdentities(list: AgeIdentity[] | (() => AgeIdentity[])): void {
  given = typeof list === 'function' ? list : () => list;
  loaded = undefined;
}

function identities(): AgeIdentity[] {
  loaded ??= given();
  return loaded;
}

/** Whether this process can decrypt `file`: it holds identities, or wrote the file itself. */
export function canDecrypt(file: { sha256: string }): boolean {
  return ownFileKeys.has(file.sha256) || identities().length > 0;
}

/** The decrypting stage for `file` (encrypted as its `encryption` says); a clear error when this
 *  process was given nothing to decrypt it with. */
export function decryptor(file: { sha256: string; encryption: FileEncryption }): Transform {
  const own = ownFileKeys.get(file.sha256);
  if (own) return ageDecrypt([{ kind: 'file-key', fileKey: own }]);
  const { encryption } = file;
  if (identities().length === 0) {
    const passphrase = encryption.to.includes('passphrase');
    throw new LifeboatError('usage', `The backup is encrypted ${passphrase ? 'with a passphrase' : `to ${encryption.to.join(', ')}`}, and no ${passphrase ? 'passphrase' : 'identity'} was given to decrypt it.`,
      passphrase ? 'Decrypt it with the age command (age -d, which asks for the passphrase): the CLI takes identity files only, so far.' : 'Give the identity file of one of its recipients (--identity key.txt, mode 0600, as age-keygen writes it).');
  }
  return ageDecrypt(identities());
}
