import { Readable } from 'node:stream';
import { LifeboatError } from './errors';
import type { Manifest, Verification } from './manifest';
import { writerTag } from './orphans';
import { parseVerification, writableVerification } from './verificationRecord';
import type { Destination } from './destination';

/**
 * A backup's verification history. The manifest is written once, by the backup (with the check
 * made at backup time); each later verification is an object of its own beside it,
 * "<connection>/<backup>/verifications/<time>-<host>-<pid>-<random>.json", written whole and
 * never rewritten. Concurrent verifies (several machines, no locks: an S3 bucket) cannot lose one
 * another's records the way a read-modify-write of the manifest did. Reading a backup merges them
 * into `manifest.verifications`, ordered by time. Deleting a backup removes its whole folder.
 */
export const VERIFICATIONS_FOLDER = 'verifications';

/** Only names Lifeboat writes are read; anything else in the folder is not a record. */
const RECORD_NAME = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[A-Za-z0-9_]{1,255}-\d{1,10}-[0-9a-f]{8}\.json$/;
/** A record is a few hundred bytes; this bounds what a hostile folder can make a listing read. */
const MAX_RECORD_BYTES = 256 * 1024;

/** Whether a key (as listed) is one of a backup's verification records. */
export function isVerificationRecordKey(key: string): boolean {
  const parts = key.split('/');
  return parts.length === 4 && parts[2] === VERIFICATIONS_FOLDER && RECORD_NAME.test(parts[3]);
}

/** Stores a verification as an object of its own; returns its key. */
export async function writeVerificationRecord(destination: Destination, prefix: string, verification: Verification): Promise<string> {
  const record = writableVerification(verification);
  const key = `${prefix}/${VERIFICATIONS_FOLDER}/${record.at.replace(/[:.]/g, '-')}-${writerTag()}.json`;
  await destination.write(key, Readable.from([Buffer.from(JSON.stringify(record, null, 2) + '\n')]));
  return key;
}

/**
 * The manifest with its whole history: the records inside it (older backups, and the check at
 * backup time) and those beside it, each validated, ordered by time. `recordKeys` are the
 * records' keys when the caller has listed them already (a catalog listing), else they are listed.
 */
export async function withVerificationRecords(destination: Destination, prefix: string, manifest: Manifest, where: string, recordKeys?: string[]): Promise<Manifest> {
  const inline = (manifest.verifications as unknown[]).map((v, i) => parseVerification(v, `${i + 1} in ${where}`));
  const keys = recordKeys ?? await listRecordKeys(destination, prefix);
  const stored: Verification[] = [];
  for (const key of [...keys].sort()) stored.push(parseVerification(await readRecord(destination, key), key));
  const verifications = [...inline, ...stored].map((v, order) => ({ v, order, time: Date.parse(v.at) }))
    .sort((a, b) => a.time - b.time || a.order - b.order).map(({ v }) => v);
  return { ...manifest, verifications };
}

async function listRecordKeys(destination: Destination, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of destination.list(`${prefix}/${VERIFICATIONS_FOLDER}/`)) {
    if (isVerificationRecordKey(object.key)) keys.push(object.key);
  }
  return keys;
}

async function readRecord(destination: Destination, key: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const stream = await destination.read(key);
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    if (bytes > MAX_RECORD_BYTES) {
      stream.destroy();
      throw new LifeboatError('verification', `The verification record ${key} is larger than ${MAX_RECORD_BYTES / 1024} KiB, which no record Lifeboat writes is.`,
        'The backup\'s history cannot be trusted; delete the record, or the backup.');
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (error) {
    throw new LifeboatError('verification', `The verification record ${key} is not valid JSON.`, 'The backup\'s history cannot be trusted; delete the record, or the backup.', { cause: error });
  }
}
