import type { Transform } from 'node:stream';
import { ageDecrypt, ageEncrypt, parseRecipient, type AgeIdentity, type AgeRecipient } from './ageFormat';
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
  const to = [...new Set((options.recipients ?? []).map(r => r.trim()))];
  if (to.length === 0) throw new LifeboatError('usage', 'Encryption needs at least one recipient (age1…).');
  return { recipients: to.map(parseRecipient), to };
}

export function encryptor(plan: EncryptionPlan): Transform {
  return ageEncrypt(plan.recipients);
}

export function describeEncryption(plan: EncryptionPlan): FileEncryption {
  return { format: 'age', to: [...plan.to] };
}

let identities: AgeIdentity[] = [];

/** The identities (age secret keys, or a passphrase) this process decrypts backups with. */
export function useIdentities(list: AgeIdentity[]): void {
  identities = [...list];
}

/** Whether this process was given anything to decrypt with. */
export function hasIdentities(): boolean {
  return identities.length > 0;
}

/** The decrypting stage for a file encrypted as `encryption`; a clear error when this process
 *  was given nothing to decrypt it with. */
export function decryptor(encryption: FileEncryption): Transform {
  if (identities.length === 0) {
    const passphrase = encryption.to.includes('passphrase');
    throw new LifeboatError('usage', `The backup is encrypted ${passphrase ? 'with a passphrase' : `to ${encryption.to.join(', ')}`}, and no ${passphrase ? 'passphrase' : 'identity'} was given to decrypt it.`,
      passphrase ? 'Decrypt it with the age command (age -d, which asks for the passphrase): the CLI takes identity files only, so far.' : 'Give the identity file of one of its recipients (--identity key.txt, mode 0600, as age-keygen writes it).');
  }
  return ageDecrypt(identities);
}
