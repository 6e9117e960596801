import * as vscode from 'vscode';
import { listBackups, type CatalogEntry, type CatalogProblem } from '../core/catalog';
import type { Destination } from '../core/destination';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import { openDestination } from '../storage/openDestination';
import type { DestinationStore } from './destinationStore';
import { readSettings } from './settings';

/** A destination that has not answered its listing by then is named unreachable, so the tree
 *  never waits on a store that does not answer (the SDK sets no overall time limit). */
const LISTING_TIMEOUT_MS = 30_000;

/** The label of the backup folder among the places a backup is found. */
export const LOCAL_LABEL = 'local';

/** A backup as the editor lists it: read from the first place that holds a copy (the backup
 *  folder if it does), with every place that holds one. */
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
 * The editor's view of the backups: the backup folder and every destination of
 * lifeboat.destinations, each listed from its manifests (the storage is the catalog), merged by
 * backup, cached until something changes them (a command that writes, Refresh, a settings or keys
 * change). A backup found only in a bucket is listed as well as one in the folder.
 */
export class BackupCatalog implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private listing?: Promise<ListedBackups>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly globalStorage: vscode.Uri, private readonly destinations: DestinationStore, private readonly logger: Logger) {
    this.subscriptions = [
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('lifeboat.backupFolder')) this.refresh();
      }),
      destinations.onDidChange(() => this.refresh()),
    ];
  }

  /** The backup folder (lifeboat.backupFolder). */
  destination(): Destination {
    return openDestination(readSettings(this.globalStorage).backupFolder);
  }

  /** lifeboat.scratchFolder, when set. */
  scratchFolder(): string | undefined {
    return readSettings(this.globalStorage).scratchFolder;
  }

  listAll(): Promise<ListedBackups> {
    this.listing ??= this.list().catch(error => {
      this.listing = undefined;
      throw error;
    });
    return this.listing;
  }

  async forConnection(connectionId: string): Promise<ListedBackups> {
    const { entries, problems, unreachable } = await this.listAll();
    return {
      entries: entries.filter(e => e.manifest.connection.id === connectionId),
      problems: problems.filter(p => p.prefix.startsWith(`${connectionId}/`)),
      unreachable,
    };
  }

  async find(prefix: string): Promise<ListedBackup | undefined> {
    return (await this.listAll()).entries.find(e => e.prefix === prefix);
  }

  refresh(): void {
    this.listing = undefined;
    this.changed.fire();
  }

  /** The folder must be readable (its failure is the listing's); a destination that cannot be
   *  listed is named in `unreachable` and the rest still shows. */
  private async list(): Promise<ListedBackups> {
    const folder = this.destination();
    const configured = (await this.destinations.openAll()).filter(d => d.destination.location !== folder.location);
    const [local, ...others] = await Promise.all([
      listBackups(folder, { logger: this.logger }),
      ...configured.map(d => withinTime(listBackups(d.destination, { logger: this.logger }), LISTING_TIMEOUT_MS, `${d.destination.location} did not answer within ${LISTING_TIMEOUT_MS / 1000} s`)
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
    others.forEach((listed, i) => {
      const { settings, destination } = configured[i];
      if (listed instanceof Error) {
        this.logger.warn(`Cannot list the backups in ${settings.name} (${destination.location}): ${errorMessage(listed)}`);
        unreachable.push({ name: settings.name, message: errorMessage(listed) });
        return;
      }
      for (const problem of listed.problems) this.logger.warn(`A manifest in ${settings.name} cannot be read: ${problem.prefix}: ${problem.message}`);
      add(listed.entries, destination, settings.name);
    });
    const entries = [...byPrefix.values()].sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt));
    return { entries, problems: local.problems, unreachable };
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
    this.changed.dispose();
  }
}

/** `work`, or a rejection with `message` once `ms` have passed first. */
function withinTime<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
