import * as vscode from 'vscode';
import type { Destination } from '../core/destination';
import { LOCAL_LABEL, listEverywhere, type ListedBackup, type ListedBackups } from '../core/listingEverywhere';
import type { Logger } from '../core/logger';
import { openDestination } from '../storage/openDestination';
import type { DestinationStore } from './destinationStore';
import { readSettings } from './settings';

export { LOCAL_LABEL, type ListedBackup, type ListedBackups } from '../core/listingEverywhere';

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

  /** The backup folder ("local") and every configured destination, by name, opened. */
  async places(): Promise<{ name: string; destination: Destination }[]> {
    const configured = await this.destinations.openAll();
    return [{ name: LOCAL_LABEL, destination: this.destination() }, ...configured.map(d => ({ name: d.settings.name, destination: d.destination }))];
  }

  private async list(): Promise<ListedBackups> {
    const [folder, ...others] = await this.places();
    return listEverywhere(folder.destination, others, this.logger);
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
    this.changed.dispose();
  }
}

