import * as vscode from 'vscode';
import { listBackups, type CatalogEntry, type CatalogListing } from '../core/catalog';
import type { Logger } from '../core/logger';
import { openDestination } from '../storage/openDestination';
import type { Destination } from '../core/destination';
import { readSettings } from './settings';

/**
 * The editor's view of the backup folder: one listing, cached until something changes it (a
 * command that writes, Refresh, or a settings change). The folder itself stays the catalog.
 */
export class BackupCatalog implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private listing?: Promise<CatalogListing>;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly globalStorage: vscode.Uri, private readonly logger: Logger) {
    this.subscription = vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration('lifeboat.backupFolder')) this.refresh();
    });
  }

  destination(): Destination {
    return openDestination(readSettings(this.globalStorage).backupFolder);
  }

  /** lifeboat.scratchFolder, when set. */
  scratchFolder(): string | undefined {
    return readSettings(this.globalStorage).scratchFolder;
  }

  listAll(): Promise<CatalogListing> {
    this.listing ??= listBackups(this.destination(), { logger: this.logger }).catch(error => {
      this.listing = undefined;
      throw error;
    });
    return this.listing;
  }

  async forConnection(connectionId: string): Promise<CatalogListing> {
    const { entries, problems } = await this.listAll();
    return {
      entries: entries.filter(e => e.manifest.connection.id === connectionId),
      problems: problems.filter(p => p.prefix.startsWith(`${connectionId}/`)),
    };
  }

  async find(prefix: string): Promise<CatalogEntry | undefined> {
    return (await this.listAll()).entries.find(e => e.prefix === prefix);
  }

  refresh(): void {
    this.listing = undefined;
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
