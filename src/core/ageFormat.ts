import { createCipheriv, createDecipheriv, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, scryptSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LifeboatError } from './errors';

/**
 * The age file format (age-encryption.org/v1, the C2SP spec), written and read with node:crypto's
 * X25519, HKDF-SHA256, HMAC-SHA256, scrypt and ChaCha20-Poly1305, so that a backup Lifeboat
 * encrypted is decrypted by the `age` command alone (`age -d -i key.txt file.age`), and a file
 * `age` encrypted is read by Lifeboat. Written here rather than with the npm package
 * age-encryption, which computes in JavaScript: node:crypto's native ChaCha20-Poly1305 keeps up with
 * any dump (bench: see CHANGELOG).
 *
 *   header:  "age-encryption.org/v1\n", one stanza per recipient ("-> X25519 <share>\n<body>\n",
 *            or one "-> scrypt <salt> <log2 N>\n<body>\n"), then "--- <HMAC of the header>\n"
 *   payload: a 16-byte nonce, then the content in 64 KiB chunks, each sealed with
 *            ChaCha20-Poly1305 under a key derived from the file key and the nonce, with a
 *            12-byte nonce of the chunk's counter and a last-chunk flag.
 */

const INTRO = 'age-encryption.org/v1';
const CHUNK = 64 * 1024;
/** The longest header read (with the nonce): far more than 64 recipients' stanzas. */
const MAX_HEADER = 64 * 1024;
const TAG = 16;
/** The work factor Lifeboat writes for a passphrase (age's own default: 2^18). */
const SCRYPT_LOG_N = 18;
/** The most Lifeboat will spend reading one (age's own limit is 2^22 by default). */
const SCRYPT_MAX_LOG_N = 22;

export type AgeRecipient = { kind: 'x25519'; publicKey: Buffer } | { kind: 'scrypt'; passphrase: string };
export type AgeIdentity = { kind: 'x25519'; secretKey: Buffer } | { kind: 'scrypt'; passphrase: string }
  /** The file key itself, as the process that encrypted a file knows it (it can read its own
   *  output back, for the checks at backup time, without anyone's secret key). */
  | { kind: 'file-key'; fileKey: Buffer };

// --- keys: "age1…" recipients and "AGE-SECRET-KEY-1…" identities are Bech32 ----------------

const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

function polymod(values: number[]): number {
  const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GEN[i];
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  return [...hrp].map(c => c.charCodeAt(0) >> 5).concat([0], [...hrp].map(c => c.charCodeAt(0) & 31));
}

function convertBits(data: Iterable<number>, from: number, to: number, pad: boolean): number[] | undefined {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const max = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & max);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & max);
  } else if (bits >= from || ((acc << (to - bits)) & max) !== 0) {
    return undefined;
  }
  return out;
}

function bech32Encode(hrp: string, bytes: Buffer): string {
  const data = convertBits(bytes, 8, 5, true)!;
  const mod = polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const checksum = [0, 1, 2, 3, 4, 5].map(i => (mod >>> (5 * (5 - i))) & 31);
  return `${hrp}1${[...data, ...checksum].map(d => BECH32[d]).join('')}`;
}

function bech32Decode(text: string): { hrp: string; bytes: Buffer } | undefined {
  if (text !== text.toLowerCase() && text !== text.toUpperCase()) return undefined;
  const lower = text.toLowerCase();
  const sep = lower.lastIndexOf('1');
  if (sep < 1 || sep + 7 > lower.length) return undefined;
  const hrp = lower.slice(0, sep);
  const data = [...lower.slice(sep + 1)].map(c => BECH32.indexOf(c));
  if (data.some(d => d < 0) || polymod([...hrpExpand(hrp), ...data]) !== 1) return undefined;
  const bytes = convertBits(data.slice(0, -6), 5, 8, false);
  return bytes ? { hrp, bytes: Buffer.from(bytes) } : undefined;
}

/** "age1…" → the recipient's X25519 public key; throws 'usage' for anything else. */
export function parseRecipient(text: string): AgeRecipient {
  const decoded = bech32Decode(text.trim());
  if (!decoded || decoded.hrp !== 'age' || decoded.bytes.length !== 32) {
    // A secret key given where a public one belongs is not repeated back into logs.
    const shown = /^age-secret-key-/i.test(text.trim()) ? 'an AGE-SECRET-KEY (a secret key, not shown)' : `"${text.trim().slice(0, 80)}"`;
    throw new LifeboatError('usage', `${shown} is not an age recipient.`, 'Give a public key as age-keygen prints it (age1…, 62 characters); age-keygen -y key.txt prints the one of a key file.');
  }
  return { kind: 'x25519', publicKey: decoded.bytes };
}

/** A recipient as age writes it: lower-case Bech32 "age1…", whatever case it was given in. */
export function recipientText(recipient: { publicKey: Buffer }): string {
  return bech32Encode('age', recipient.publicKey);
}

/** The identities in an age identity file (age-keygen's output: comments and AGE-SECRET-KEY-1… lines). */
export function parseIdentities(text: string, where: string): AgeIdentity[] {
  const identities: AgeIdentity[] = [];
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const decoded = bech32Decode(trimmed);
    if (!decoded || decoded.hrp !== 'age-secret-key-' || decoded.bytes.length !== 32) {
      throw new LifeboatError('usage', `${where} holds a line that is not an age identity.`, 'An identity file holds AGE-SECRET-KEY-1… lines, as age-keygen writes them (and # comments).');
    }
    identities.push({ kind: 'x25519', secretKey: decoded.bytes });
  }
  if (identities.length === 0) throw new LifeboatError('usage', `${where} holds no age identity.`, 'Write one with age-keygen -o key.txt.');
  return identities;
}

/** The recipient ("age1…") of an identity, as age-keygen -y prints it. */
export function recipientOf(identity: { secretKey: Buffer }): string {
  return bech32Encode('age', rawPublic(createPublicKey(x25519Private(identity.secretKey))));
}

/** A new identity, as age-keygen makes one: its file text and its recipient. */
export function newIdentity(): { identity: string; recipient: string } {
  const { privateKey } = generateKeyPairSync('x25519');
  const secret = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
  return { identity: bech32Encode('age-secret-key-', secret).toUpperCase(), recipient: recipientOf({ secretKey: secret }) };
}

function x25519Private(secret: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]), format: 'der', type: 'pkcs8' });
}

function x25519Public(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), raw]), format: 'der', type: 'spki' });
}

function rawPublic(key: KeyObject): Buffer {
  return Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url');
}

// --- the header ---------------------------------------------------------------------------

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function unb64(text: string): Buffer {
  // The spec's base64 is canonical and unpadded: reject padding and anything that does not round-trip.
  if (!/^[A-Za-z0-9+/]*$/.test(text)) throw damaged('a stanza holds invalid base64');
  const bytes = Buffer.from(text, 'base64');
  if (b64(bytes) !== text) throw damaged('a stanza holds non-canonical base64');
  return bytes;
}

function hkdf(ikm: Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

function seal(key: Buffer, nonce: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function open(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < TAG) return undefined;
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}

const ZERO_NONCE = Buffer.alloc(12);

/** A stanza's body, wrapped at 64 columns; the last line is shorter than 64 (empty if need be). */
function stanza(args: string[], body: Buffer): string {
  const text = b64(body);
  const lines: string[] = [];
  for (let i = 0; i <= text.length; i += 64) lines.push(text.slice(i, i + 64));
  return `-> ${args.join(' ')}\n${lines.join('\n')}\n`;
}

function wrapFor(recipient: AgeRecipient, fileKey: Buffer): string {
  if (recipient.kind === 'scrypt') {
    const salt = randomBytes(16);
    const key = scryptSync(Buffer.from(recipient.passphrase, 'utf8'), Buffer.concat([Buffer.from('age-encryption.org/v1/scrypt'), salt]), 32,
      { N: 2 ** SCRYPT_LOG_N, r: 8, p: 1, maxmem: 512 * 1024 * 1024 });
    return stanza(['scrypt', b64(salt), String(SCRYPT_LOG_N)], seal(key, ZERO_NONCE, fileKey));
  }
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const share = rawPublic(publicKey);
  const shared = diffieHellman({ privateKey, publicKey: x25519Public(recipient.publicKey) });
  const key = hkdf(shared, Buffer.concat([share, recipient.publicKey]), 'age-encryption.org/v1/X25519');
  return stanza(['X25519', b64(share)], seal(key, ZERO_NONCE, fileKey));
}

function headerMac(fileKey: Buffer, headerUpToDashes: string): Buffer {
  return createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerUpToDashes).digest();
}

interface Stanza { type: string; args: string[]; body: Buffer }

/** Unwraps the file key from the stanzas with one of `identities`, or undefined. */
function unwrap(stanzas: Stanza[], identities: AgeIdentity[]): Buffer | undefined {
  for (const identity of identities) {
    // Checked by the header MAC like any other: a wrong one fails there.
    if (identity.kind === 'file-key') return identity.fileKey;
    for (const s of stanzas) {
      if (identity.kind === 'scrypt' && s.type === 'scrypt') {
        if (stanzas.length !== 1) throw damaged('an scrypt stanza must be the only one');
        const [salt, logN] = [unb64(s.args[0] ?? ''), Number(s.args[1])];
        if (salt.length !== 16 || !/^[1-9]\d?$/.test(s.args[1] ?? '') || s.args.length !== 2) throw damaged('its scrypt stanza is malformed');
        if (logN > SCRYPT_MAX_LOG_N) throw new LifeboatError('verification', `The backup's passphrase work factor (2^${logN}) is above what Lifeboat accepts (2^${SCRYPT_MAX_LOG_N}).`, 'Decrypt it with the age command.');
        const key = scryptSync(Buffer.from(identity.passphrase, 'utf8'), Buffer.concat([Buffer.from('age-encryption.org/v1/scrypt'), salt]), 32,
          { N: 2 ** logN, r: 8, p: 1, maxmem: 2 * 128 * 8 * 2 ** logN + 16 * 1024 * 1024 });
        const fileKey = open(key, ZERO_NONCE, s.body);
        if (fileKey?.length === 16) return fileKey;
      }
      if (identity.kind === 'x25519' && s.type === 'X25519') {
        const share = unb64(s.args[0] ?? '');
        if (share.length !== 32 || s.args.length !== 1 || s.body.length !== 32) throw damaged('its X25519 stanza is malformed');
        const ours = x25519Private(identity.secretKey);
        const publicKey = rawPublic(createPublicKey(ours));
        let shared: Buffer;
        try {
          shared = diffieHellman({ privateKey: ours, publicKey: x25519Public(share) });
        } catch {
          continue;
        }
        if (shared.every(b => b === 0)) throw damaged('its X25519 share is a low-order point');
        const fileKey = open(hkdf(shared, Buffer.concat([share, publicKey]), 'age-encryption.org/v1/X25519'), ZERO_NONCE, s.body);
        if (fileKey?.length === 16) return fileKey;
      }
    }
  }
  return undefined;
}

// --- the streams ---------------------------------------------------------------------------

function chunkNonce(counter: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(counter, 5, 6);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/**
 * Bytes waiting to be sealed or opened, as the buffers they came in: a chunk is taken as a view
 * of one buffer where it lies inside one, and copied only where it spans two.
 */
class ByteQueue {
  private parts: Buffer[] = [];
  length = 0;

  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  take(n: number): Buffer {
    const first = this.parts[0];
    let out: Buffer;
    if (first && first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.parts.shift();
      else this.parts[0] = first.subarray(n);
    } else {
      out = Buffer.alloc(Math.min(n, this.length));
      let at = 0;
      while (at < out.length) {
        const part = this.parts[0];
        const used = Math.min(part.length, out.length - at);
        part.copy(out, at, 0, used);
        at += used;
        if (used === part.length) this.parts.shift();
        else this.parts[0] = part.subarray(used);
      }
    }
    this.length -= out.length;
    return out;
  }
}

/** Seals `plaintext` as one STREAM chunk, into `out` (ciphertext, then tag: no copy of its own). */
function sealChunk(key: Buffer, nonce: Buffer, plaintext: Buffer, out: Buffer[]): void {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  out.push(cipher.update(plaintext));
  cipher.final();
  out.push(cipher.getAuthTag());
}

/** Encrypts a stream to `recipients` in the age format. */
export function ageEncrypt(recipients: AgeRecipient[]): Transform & { readonly fileKey: Buffer } {
  if (recipients.length === 0) throw new LifeboatError('usage', 'Encryption needs at least one recipient.');
  if (recipients.some(r => r.kind === 'scrypt') && recipients.length > 1) throw new LifeboatError('usage', 'A passphrase cannot be combined with other recipients (the age format allows it alone).');
  const fileKey = randomBytes(16);
  const nonce = randomBytes(16);
  const payloadKey = hkdf(fileKey, nonce, 'payload');
  const upToDashes = `${INTRO}\n${recipients.map(r => wrapFor(r, fileKey)).join('')}---`;
  const header = Buffer.concat([Buffer.from(`${upToDashes} ${b64(headerMac(fileKey, upToDashes))}\n`), nonce]);
  const held = new ByteQueue();
  let counter = 0;
  let headerSent = false;
  const sealed = (): Buffer[] => {
    const out = headerSent ? [] : [header];
    headerSent = true;
    return out;
  };
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      held.push(chunk);
      const out = sealed();
      // A full chunk is sealed only once more content follows it: the last one carries the flag.
      while (held.length > CHUNK) sealChunk(payloadKey, chunkNonce(counter++, false), held.take(CHUNK), out);
      if (out.length > 0) this.push(out.length === 1 ? out[0] : Buffer.concat(out));
      done();
    },
    flush(done: TransformCallback) {
      const out = sealed();
      sealChunk(payloadKey, chunkNonce(counter++, true), held.take(held.length), out);
      this.push(Buffer.concat(out));
      done();
    },
  });
  return Object.assign(stream, { fileKey });
}

/**
 * Decrypts an age stream with one of `identities`. Damage (a changed byte anywhere, a truncated
 * or extended file) is a 'verification' error; no identity that fits is a 'usage' error naming
 * what the file was encrypted to.
 */
export function ageDecrypt(identities: AgeIdentity[]): Transform {
  let header: Buffer | undefined = Buffer.alloc(0);
  const held = new ByteQueue();
  let payloadKey: Buffer | undefined;
  let counter = 0;
  const SEALED = CHUNK + TAG;
  const openChunk = (bytes: Buffer, last: boolean): Buffer => {
    const plain = open(payloadKey!, chunkNonce(counter++, last), bytes);
    if (!plain) throw damaged(last ? 'its last chunk does not authenticate (truncated or changed)' : 'a chunk does not authenticate');
    return plain;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        if (header) {
          header = Buffer.concat([header, chunk]);
          const parsed = readHeader(header, identities);
          if (!parsed) return done();
          payloadKey = parsed.payloadKey;
          chunk = header.subarray(parsed.length);
          header = undefined;
        }
        held.push(chunk);
        const out: Buffer[] = [];
        // The last sealed chunk stays until the end: one byte more says it is not the last.
        while (held.length > SEALED) out.push(openChunk(held.take(SEALED), false));
        if (out.length > 0) this.push(out.length === 1 ? out[0] : Buffer.concat(out));
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        if (header || !payloadKey) throw damaged('it ends inside its header');
        const plain = openChunk(held.take(held.length), true);
        if (plain.length === 0 && counter > 1) throw damaged('its last chunk is empty');
        this.push(plain);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

/** Parses the header once it is all in `bytes` (undefined until then): the payload key and the header's length with the nonce. */
function readHeader(bytes: Buffer, identities: AgeIdentity[]): { payloadKey: Buffer; length: number } | undefined {
  if (bytes.length >= INTRO.length + 1 && !bytes.subarray(0, INTRO.length + 1).equals(Buffer.from(`${INTRO}\n`))) throw notAge();
  const end = bytes.indexOf('\n--- ');
  const macEnd = end < 0 ? -1 : bytes.indexOf('\n', end + 5);
  if (macEnd < 0 || bytes.length < macEnd + 1 + 16) {
    // Bounded, whether or not the end of the header was seen: a file that never ends its header
    // is damage, not a reason to keep reading it into memory.
    if (bytes.length > MAX_HEADER) throw damaged('its header is longer than any Lifeboat writes or reads');
    return undefined;
  }
  const text = bytes.subarray(0, macEnd).toString('latin1');
  const lines = text.split('\n');
  if (lines[0] !== INTRO) throw notAge();
  const stanzas: Stanza[] = [];
  let i = 1;
  while (i < lines.length && lines[i].startsWith('-> ')) {
    const [type, ...args] = lines[i].slice(3).split(' ');
    i++;
    let body = '';
    for (;;) {
      const line = lines[i++] ?? '';
      if (line.length > 64) throw damaged('a stanza line is longer than 64 columns');
      body += line;
      if (line.length < 64) break;
    }
    stanzas.push({ type, args, body: unb64(body) });
  }
  if (!lines[i]?.startsWith('--- ') || i !== lines.length - 1) throw damaged('its header is malformed');
  const fileKey = unwrap(stanzas, identities);
  if (!fileKey) {
    const kinds = [...new Set(stanzas.map(s => s.type))].join(', ');
    throw new LifeboatError('usage', `None of the given age identities opens this backup (it is encrypted to: ${kinds}).`,
      stanzas.some(s => s.type === 'scrypt') ? 'Give the passphrase it was encrypted with.' : 'Give the identity file (AGE-SECRET-KEY-1…) of one of its recipients.');
  }
  const upToDashes = text.slice(0, end + 4);
  const mac = unb64(lines[i].slice(4));
  if (mac.length !== 32 || !timingSafeEqual(mac, headerMac(fileKey, upToDashes))) throw damaged('its header does not authenticate');
  const nonce = bytes.subarray(macEnd + 1, macEnd + 17);
  return { payloadKey: hkdf(fileKey, Buffer.from(nonce), 'payload'), length: macEnd + 17 };
}

function damaged(why: string): LifeboatError {
  return new LifeboatError('verification', `The encrypted file is damaged: ${why}.`, 'Restore from another copy of the backup.');
}

function notAge(): LifeboatError {
  return new LifeboatError('verification', 'The file is not in the age format (age-encryption.org/v1).', 'Restore from another copy of the backup.');
}
