import { LifeboatError } from './errors';

/**
 * The one grammar of object keys every destination accepts (destination.ts): a relative path of
 * non-empty parts joined by '/', none of them "." or "..", no NUL, and no folder part that starts
 * with "." (such folders are the backend's own: scratch space, logs, uploads in progress). Keys
 * come from manifests, which are input from outside, so this is checked before anything is
 * touched. Returns the parts.
 */
export function objectKeyParts(key: string): string[] {
  const parts = key.split('/');
  if (!key || key.includes('\0') || parts.some(p => p === '' || p === '.' || p === '..') || parts.slice(0, -1).some(p => p.startsWith('.'))) {
    throw invalidKey(key);
  }
  return parts;
}

export function invalidKey(key: string): LifeboatError {
  return new LifeboatError('usage', `${JSON.stringify(key)} is not a valid object key.`);
}
