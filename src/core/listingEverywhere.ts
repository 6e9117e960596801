import { listBackups, type CatalogEntry, type CatalogProblem } from './catalog';
import type { Destination } from './destination';
import { errorMessage } from './errors';
import type { Logger } from './logger';

/** A destination that has not answered its listing by then is named unreachable, so a listing
 *  never waits on a store that does not answer (the SDK sets no overall time limit). */
export const LISTING_TIMEOUT_MS = 30_000;

/** The label of the backup folder among the places a backup is found. */
export const LOCAL_LABEL = 'local';

/** A backup as found across the backup folder and the configured destinations: read from the
 *  first place that holds a copy (the backup folder if it does), with every place that holds one. */
export interface ListedBackup extends CatalogEntry {
  /** Where restore, verify and compare read it from. */
  from: Destination;
  /** "local" and each destination's name, in that order, for every complete copy found. */
  places: string[];
}

export interface ListedBackups {
  /** Newest first. */
  entries: ListedBackup[];
  /** The backup folder's manifests that cannot be read (a person can see and delete them there). */
  problems: CatalogProblem[];
  /** Destinations that could not be listed, by name, with why: their backups are missing from `entries`. */
  unreachable: { name: string; message: string }[];
}

/**
 * Every backup in the backup folder and in each named destination, listed from their manifests
 * (the storage is the catalog) and merged by backup. The folder must be readable (its failure is
 * the listing's); a destination that cannot be listed, or does not answer within `timeoutMs`, is
 * named in `unreachable` and the rest still shows. The editor's tree and `lifeboat status` list
 * this way, so they show the same copies.
 */
export async function listEverywhere(folder: Destination, destinations: readonly { name: string; destination: Destination }[], logger: Logger, timeoutMs = LISTING_TIMEOUT_MS): Promise<ListedBackups> {
  const others = destinations.filter(d => d.destination.location !== folder.location);
  const [local, ...listed] = await Promise.all([
    listBackups(folder, { logger }),
    ...others.map(d => withinTime(listBackups(d.destination, { logger }), timeoutMs, `${d.destination.location} did not answer within ${timeoutMs / 1000} s`)
      .catch((error: unknown) => error instanceof Error ? error : new Error(String(error)))),
  ]);
  const byPrefix = new Map<string, ListedBackup>();
  const add = (entries: CatalogEntry[], from: Destination, place: string) => {
    for (const entry of entries) {
      const known = byPrefix.get(entry.prefix);
      if (known) known.places.push(place);
      else byPrefix.set(entry.prefix, { ...entry, from, places: [place] });
    }
  };
  add(local.entries, folder, LOCAL_LABEL);
  const unreachable: ListedBackups['unreachable'] = [];
  listed.forEach((result, i) => {
    const { name, destination } = others[i];
    if (result instanceof Error) {
      logger.warn(`Cannot list the backups in ${name} (${destination.location}): ${errorMessage(result)}`);
      unreachable.push({ name, message: errorMessage(result) });
      return;
    }
    for (const problem of result.problems) logger.warn(`A manifest in ${name} cannot be read: ${problem.prefix}: ${problem.message}`);
    add(result.entries, destination, name);
  });
  const entries = [...byPrefix.values()].sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt));
  return { entries, problems: local.problems, unreachable };
}

/** `work`, or a rejection with `message` once `ms` have passed first. */
function withinTime<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
