import { after, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ageDecrypt, ageEncrypt, newIdentity, parseIdentities, parseRecipient, recipientOf, recipientText, type AgeIdentity, type AgeRecipient } from '../../src/core/ageFormat';
import { LifeboatError } from '../../src/core/errors';
import { tempFolder } from '../support/temp';

// The age format (age-encryption.org/v1) as Lifeboat writes and reads it, checked against the
// age command itself (Debian package age, which scripts/setup.sh installs): each decrypts what
// the other encrypted, at every chunk boundary, with keys and with a passphrase; and any change
// to an encrypted file is damage, never other content.

const AGE = ['/usr/bin/age', '/usr/local/bin/age'].find(f => fs.existsSync(f));
function noAge(t: TestContext): boolean {
  if (!AGE) t.skip('no age command installed (apt-get install age)');
  return !AGE;
}

async function encrypt(data: Buffer, recipients: AgeRecipient[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks(data, 100_000)), ageEncrypt(recipients), new Writable({ write(c: Buffer, _e, d) { out.push(c); d(); } }));
  return Buffer.concat(out);
}

async function decrypt(data: Buffer, identities: AgeIdentity[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks(data, 77_777)), ageDecrypt(identities), new Writable({ write(c: Buffer, _e, d) { out.push(c); d(); } }));
  return Buffer.concat(out);
}

function chunks(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}

function content(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
  return data;
}

/** `age` reads a passphrase from its terminal: run it under script(1), which gives it one. */
function agePassphrase(args: string[], passphrase: string): void {
  const result = spawnSync('script', ['-qec', [AGE!, ...args].map(a => `'${a}'`).join(' '), '/dev/null'], { input: `${passphrase}\n${passphrase}\n`, timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr?.toString());
}

describe('the age format', () => {
  const tmp = tempFolder('lifeboat-age');
  after(() => tmp.dispose());
  const { identity, recipient } = newIdentity();
  const keyFile = tmp.file('key.txt');
  fs.writeFileSync(keyFile, `# test key\n${identity}\n`, { mode: 0o600 });
  const identities = parseIdentities(fs.readFileSync(keyFile, 'utf8'), 'key.txt');
  const SIZES = [0, 1, 65535, 65536, 65537, 2 * 65536, 2 * 65536 + 5, 1_000_003];

  it('keys read and written as age-keygen does', async t => {
    if (noAge(t)) return;
    assert.equal(execFileSync('age-keygen', ['-y', keyFile]).toString().trim(), recipient);
    const generated = execFileSync('age-keygen').toString();
    const secret = parseIdentities(generated, 'age-keygen');
    assert.equal(recipientOf(secret[0] as { secretKey: Buffer }), /public key: (age1\S+)/.exec(generated)![1]);
    for (const bad of ['', 'age1', 'age1qqqq', recipient.slice(0, -1), recipient.toUpperCase().slice(0, 10) + recipient.slice(10), `x${recipient}`]) {
      assert.throws(() => parseRecipient(bad), (e: LifeboatError) => e.code === 'usage', bad);
    }
    assert.throws(() => parseIdentities('# only a comment\n', 'x'), /holds no age identity/);
    assert.throws(() => parseIdentities(`${identity}x\n`, 'x'), /not an age identity/);
  });

  it('age decrypts what Lifeboat encrypted, and Lifeboat what age encrypted, at every chunk boundary', async t => {
    if (noAge(t)) return;
    for (const size of SIZES) {
      const data = content(size);
      const ours = tmp.file(`ours-${size}.age`);
      fs.writeFileSync(ours, await encrypt(data, [parseRecipient(recipient)]));
      assert.ok(execFileSync(AGE!, ['-d', '-i', keyFile, ours], { maxBuffer: 1 << 26 }).equals(data), `age -d of Lifeboat's ${size} bytes`);
      const plain = tmp.file(`plain-${size}`);
      fs.writeFileSync(plain, data);
      const theirs = tmp.file(`theirs-${size}.age`);
      execFileSync(AGE!, ['-e', '-r', recipient, '-o', theirs, plain]);
      assert.ok((await decrypt(fs.readFileSync(theirs), identities)).equals(data), `Lifeboat's decryption of age's ${size} bytes`);
    }
  });

  it('several recipients: each one\'s identity opens it alone', async t => {
    if (noAge(t)) return;
    const other = newIdentity();
    const data = content(200_000);
    const sealed = await encrypt(data, [parseRecipient(other.recipient), parseRecipient(recipient)]);
    assert.ok((await decrypt(sealed, identities)).equals(data));
    assert.ok((await decrypt(sealed, parseIdentities(other.identity, 'other'))).equals(data));
    const file = tmp.file('two.age');
    fs.writeFileSync(file, sealed);
    assert.ok(execFileSync(AGE!, ['-d', '-i', keyFile, file]).equals(data));
  });

  it('a passphrase, both ways (scrypt stanza)', async t => {
    if (noAge(t)) return;
    const data = content(150_000);
    const ours = tmp.file('pass-ours.age');
    fs.writeFileSync(ours, await encrypt(data, [{ kind: 'scrypt', passphrase: 'correct horse battery' }]));
    const out = tmp.file('pass-ours.out');
    agePassphrase(['-d', '-o', out, ours], 'correct horse battery');
    assert.ok(fs.readFileSync(out).equals(data), 'age -d with the passphrase');
    const plain = tmp.file('pass-plain');
    fs.writeFileSync(plain, data);
    const theirs = tmp.file('pass-theirs.age');
    agePassphrase(['-p', '-o', theirs, plain], 'another long passphrase');
    assert.ok((await decrypt(fs.readFileSync(theirs), [{ kind: 'scrypt', passphrase: 'another long passphrase' }])).equals(data));
    await assert.rejects(decrypt(fs.readFileSync(theirs), [{ kind: 'scrypt', passphrase: 'wrong' }]), (e: LifeboatError) => e.code === 'usage');
  });

  it('any change is damage: a flipped byte in the header or a chunk, a cut, an added byte; the wrong key is a usage error', async () => {
    const data = content(3 * 65536 + 100);
    const sealed = await encrypt(data, [parseRecipient(recipient)]);
    const headerEnd = sealed.indexOf('\n--- ') + 5;
    const damage: [string, Buffer][] = [
      ['a byte of the header MAC', flip(sealed, headerEnd + 3)],
      ['a byte of the nonce', flip(sealed, sealed.indexOf('\n', headerEnd) + 4)],
      ['a byte of the first chunk', flip(sealed, sealed.length - 100 - 3 * (65536 + 16) + 10)],
      ['a byte of the last chunk', flip(sealed, sealed.length - 5)],
      ['the last chunk cut off', sealed.subarray(0, sealed.length - 116)],
      ['cut inside a chunk', sealed.subarray(0, sealed.length - 50)],
      ['one byte added', Buffer.concat([sealed, Buffer.from([0])])],
      ['cut inside the header', sealed.subarray(0, headerEnd - 10)],
    ];
    for (const [what, bytes] of damage) {
      await assert.rejects(decrypt(bytes, identities), (e: LifeboatError) => e instanceof LifeboatError && e.code === 'verification', what);
    }
    await assert.rejects(decrypt(sealed, parseIdentities(newIdentity().identity, 'other')), (e: LifeboatError) => e.code === 'usage' && /X25519/.test(e.message));
    await assert.rejects(decrypt(Buffer.from('not an age file at all, just some text\n'.repeat(10)), identities), (e: LifeboatError) => e.code === 'verification' && /not in the age format/.test(e.message));
    // A header that never ends is refused once it is longer than any real one, not read on.
    const endless = Buffer.concat([sealed.subarray(0, headerEnd), Buffer.alloc(2 * 1024 * 1024, 0x41)]);
    await assert.rejects(decrypt(endless, identities), (e: LifeboatError) => e.code === 'verification' && /header is longer/.test(e.message));
  });

  it('recipients are recorded as age writes them; a secret key given as a recipient is not repeated', () => {
    assert.equal(recipientText(parseRecipient(recipient.toUpperCase()) as { publicKey: Buffer }), recipient);
    assert.throws(() => parseRecipient(identity), (e: LifeboatError) => e.code === 'usage' && !e.message.includes(identity.slice(20)) && /secret key, not shown/.test(e.message));
  });
});

function flip(data: Buffer, at: number): Buffer {
  const copy = Buffer.from(data);
  copy[at] ^= 0x01;
  return copy;
}
