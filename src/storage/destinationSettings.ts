import { LifeboatError } from '../core/errors';
import { LOCAL_LABEL } from '../core/listingEverywhere';
import type { PlaceInfo } from '../core/protectionStatus';

/**
 * A destination configured once (the CLI's config file, later the editor's lifeboat.destinations)
 * and used by its name: where it is, and for an S3 bucket how to reach it. Credentials are never
 * part of the settings people write: the caller fills them in from a 0600 file or SecretStorage,
 * or leaves them out for the AWS default chain (environment, shared config and credentials files,
 * SSO, container and instance roles).
 */
export interface DestinationSettings {
  /** The label people use: "offsite-r2". */
  name: string;
  /** "s3://bucket/prefix", or a folder. */
  location: string;
  /** S3-compatible stores: their endpoint URL. */
  endpoint?: string;
  region?: string;
  /** Path-style addressing; on by default for a custom endpoint. */
  pathStyle?: boolean;
  storageClass?: string;
  serverSideEncryption?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** What kind of media holds it, for the 3-2-1 rule (two kinds of media); by default an object
   *  store for s3://, a local disk for a folder. */
  media?: MediaKind;
  /** Whether it is away from the database's site (the "1" of 3-2-1); by default true for s3://. */
  offsite?: boolean;
  /** Keys, or how to read them when the destination is first used (a credentials file that
   *  cannot be read then fails that destination only, not every command). */
  credentials?: S3Keys | (() => Promise<S3Keys>);
}

export const MEDIA_KINDS = ['local-disk', 'network-share', 'object-store', 'removable'] as const;
export type MediaKind = typeof MEDIA_KINDS[number];

/** A destination's media and whether it is off-site, as configured or by its location's kind. */
export function placeOf(settings: Pick<DestinationSettings, 'location' | 'media' | 'offsite'>): { media: MediaKind; offsite: boolean } {
  const bucket = /^s3:\/\//i.test(settings.location);
  return { media: settings.media ?? (bucket ? 'object-store' : 'local-disk'), offsite: settings.offsite ?? bucket };
}

/** The places the 3-2-1 rule counts: the backup folder (as listEverywhere labels it) and each
 *  configured destination, with their media and whether they are off-site. */
export function placesFor(folderLocation: string, destinations: readonly DestinationSettings[]): PlaceInfo[] {
  const folder = folderDestination(destinations, folderLocation);
  return [
    { name: LOCAL_LABEL, ...placeOf(folder ?? { location: folderLocation }) },
    ...destinations.filter(d => d !== folder).map(d => ({ name: d.name, ...placeOf(d) })),
  ];
}

/** The configured destination that is the backup folder, when it is one: named by, or at, any of
 *  `folder` (the folder as configured, and where it opened). */
export function folderDestination(destinations: readonly DestinationSettings[], ...folder: string[]): DestinationSettings | undefined {
  return destinations.find(d => folder.includes(d.name) || folder.includes(d.location));
}

export interface S3Keys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A destination's settings without what names and places it: how to reach it. */
export function howToReach(settings: DestinationSettings | undefined): Omit<DestinationSettings, 'name' | 'location' | 'media' | 'offsite'> {
  const reach: Partial<DestinationSettings> = { ...settings };
  delete reach.name;
  delete reach.location;
  delete reach.media;
  delete reach.offsite;
  return reach;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const STORAGE_CLASS = /^[A-Z_]{2,40}$/;

/** One entry of a "destinations" list, checked field by field; `where` names it in errors. The
 *  credentials file it may name is returned apart, for the caller to read. */
export function parseDestinationSettings(value: unknown, where: string): { settings: DestinationSettings; credentialsFile?: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(where, 'must be an object');
  const v = value as Record<string, unknown>;
  const known = new Set(['name', 'location', 'endpoint', 'region', 'pathStyle', 'storageClass', 'serverSideEncryption', 'kmsKeyId', 'media', 'offsite', 'credentialsFile']);
  for (const key of Object.keys(v)) {
    if (/secret|accessKey|password|token/i.test(key)) throw bad(where, `holds "${key}": keys are never kept in settings; name a credentialsFile (mode 0600) or use the AWS default chain`);
    if (!known.has(key)) throw bad(where, `has an unknown field "${key}" (known: ${[...known].join(', ')})`);
  }
  const text = (key: string, test?: RegExp): string | undefined => {
    const field = v[key];
    if (field === undefined) return undefined;
    if (typeof field !== 'string' || !field.trim() || (test && !test.test(field))) throw bad(where, `has an invalid "${key}": ${JSON.stringify(field)}`);
    return field.trim();
  };
  const name = text('name', NAME);
  if (!name) throw bad(where, 'needs a "name" (letters, digits, ".", "_", "-")');
  const location = text('location');
  if (!location) throw bad(where, 'needs a "location" (s3://bucket/prefix or a folder)');
  const endpoint = text('endpoint');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/@]+(\/[^\s@]*)?$/i.test(endpoint)) throw bad(where, 'has an endpoint that is not an http(s) URL without user or password (keys go in the credentialsFile)');
  if (v.pathStyle !== undefined && typeof v.pathStyle !== 'boolean') throw bad(where, 'has a "pathStyle" that is not true or false');
  const sse = text('serverSideEncryption');
  if (sse !== undefined && sse !== 'AES256' && sse !== 'aws:kms') throw bad(where, 'has a "serverSideEncryption" other than "AES256" (SSE-S3) or "aws:kms" (SSE-KMS)');
  const kmsKeyId = text('kmsKeyId');
  if (kmsKeyId && sse !== 'aws:kms') throw bad(where, 'names a kmsKeyId without "serverSideEncryption": "aws:kms"');
  const region = text('region', /^[a-z0-9-]{2,40}$/);
  const media = text('media');
  if (media !== undefined && !(MEDIA_KINDS as readonly string[]).includes(media)) throw bad(where, `has a "media" other than ${MEDIA_KINDS.map(m => `"${m}"`).join(', ')}`);
  if (v.offsite !== undefined && typeof v.offsite !== 'boolean') throw bad(where, 'has an "offsite" that is not true or false');
  const storageClass = text('storageClass', STORAGE_CLASS);
  const credentialsFile = text('credentialsFile');
  return {
    settings: {
      name, location,
      ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(typeof v.pathStyle === 'boolean' ? { pathStyle: v.pathStyle } : {}),
      ...(storageClass ? { storageClass } : {}), ...(sse ? { serverSideEncryption: sse } : {}), ...(kmsKeyId ? { kmsKeyId } : {}),
      ...(media ? { media: media as MediaKind } : {}), ...(typeof v.offsite === 'boolean' ? { offsite: v.offsite } : {}),
    },
    ...(credentialsFile ? { credentialsFile } : {}),
  };
}

/** The keys of a credentials file: JSON with accessKeyId and secretAccessKey (and sessionToken). */
export function parseCredentials(text: string, where: string): S3Keys {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new LifeboatError('usage', `${where} is not JSON.`, 'Write it as {"accessKeyId": "…", "secretAccessKey": "…"}.');
  }
  const { accessKeyId, secretAccessKey, sessionToken } = value;
  if (typeof accessKeyId !== 'string' || !accessKeyId || typeof secretAccessKey !== 'string' || !secretAccessKey || (sessionToken !== undefined && typeof sessionToken !== 'string')) {
    throw new LifeboatError('usage', `${where} does not hold an accessKeyId and a secretAccessKey.`, 'Write it as {"accessKeyId": "…", "secretAccessKey": "…"} (and "sessionToken" for temporary keys).');
  }
  return { accessKeyId, secretAccessKey, ...(typeof sessionToken === 'string' ? { sessionToken } : {}) };
}

function bad(where: string, what: string): LifeboatError {
  return new LifeboatError('usage', `The destination ${where} ${what}.`);
}
