import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Destination } from '../core/destination';
import { LifeboatError } from '../core/errors';
import { howToReach, type DestinationSettings } from './destinationSettings';
import { LocalFolderDestination } from './local';
import { openS3Destination, parseS3Location } from './s3Location';

/**
 * The destination a location names, for every caller (the CLI's backup folder, the editor's
 * setting, a folder picked for one backup): the name of a configured destination, a folder path,
 * a file:// URL of one, or s3://bucket/prefix (with the settings configured for it, if any; else
 * AWS itself and the default credential chain). Each backend is chosen here and nowhere else.
 */
export function openDestination(location: string, configured: readonly DestinationSettings[] = []): Destination {
  const given = location.trim();
  if (!given) throw new LifeboatError('usage', 'No backup location was given.', 'Give a folder (a path or a file:// URL), s3://bucket/prefix, or the name of a configured destination.');
  const named = configured.find(d => d.name === given);
  const text = named?.location ?? given;
  const settings = named ?? configured.find(d => d.location === text);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) return new LocalFolderDestination(path.resolve(text));
  if (scheme === 'file') {
    try {
      return new LocalFolderDestination(fileURLToPath(text));
    } catch (error) {
      throw new LifeboatError('usage', `"${text}" is not a file:// URL of a local folder (${(error as Error).message}).`, 'Write it as file:///absolute/path, or give the path itself.');
    }
  }
  if (scheme === 's3') {
    return openS3Destination({ ...howToReach(settings), ...parseS3Location(text) });
  }
  throw new LifeboatError('unsupported', `"${scheme}://" backup locations are not supported by this version of Lifeboat.`, 'Use a folder (a path or a file:// URL) or s3://bucket/prefix.');
}
