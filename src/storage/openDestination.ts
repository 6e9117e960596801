import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Destination } from '../core/destination';
import { LifeboatError } from '../core/errors';
import { LocalFolderDestination } from './local';

/**
 * The destination a location names, for every caller (the CLI's backup folder, the editor's
 * setting, a folder picked for one backup): a folder path, or a file:// URL of one. Each backend
 * is chosen here and nowhere else, so a new kind of location (s3://…) is one more case below.
 */
export function openDestination(location: string): Destination {
  const text = location.trim();
  if (!text) throw new LifeboatError('usage', 'No backup location was given.', 'Give a folder (a path or a file:// URL).');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFolderDestination(path.resolve(text));
  if (scheme === 'file') {
    try {
      return new LocalFolderDestination(fileURLToPath(text));
    } catch (error) {
      throw new LifeboatError('usage', `"${text}" is not a file:// URL of a local folder (${(error as Error).message}).`, 'Write it as file:///absolute/path, or give the path itself.');
    }
  }
  throw new LifeboatError('unsupported', `"${scheme}://" backup locations are not supported by this version of Lifeboat.`, 'Use a folder (a path or a file:// URL).');
}
