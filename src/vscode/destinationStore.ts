import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Destination } from '../core/destination';
import { errorMessage } from '../core/errors';
import type { Logger } from '../core/logger';
import { parseCredentials, parseDestinationSettings, type DestinationSettings, type S3Keys } from '../storage/destinationSettings';
import { openDestination } from '../storage/openDestination';
import { expandHome } from './settings';

const SECRET_PREFIX = 'lifeboat.destinationKeys/';

/** A folder destination's location with ~ expanded; a relative one is refused, as the editor has
 *  no folder it could be relative to. s3:// and file:// locations are left as they are. */
function folderLocation(location: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return location;
  const expanded = expandHome(location);
  if (!path.isAbsolute(expanded)) throw new Error(`the location "${location}" is a relative folder: give an absolute path, ~/…, or s3://bucket/prefix`);
  return path.normalize(expanded);
}

/** A destination of lifeboat.destinations, opened: its settings (label, media, off-site) and the store. */
export interface ConfiguredDestination {
  settings: DestinationSettings;
  destination: Destination;
}

/**
 * Destinations configured once per editor: where they are in the user's settings
 * (lifeboat.destinations, machine scope, ignored in Restricted Mode), their keys in SecretStorage
 * under the destination's name. A destination with no keys stored uses the AWS default chain
 * (environment, shared config and credentials files and profiles, SSO, container and instance
 * roles), as the CLI does. Keys never reach settings, manifests or the log.
 */
export class DestinationStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly secrets: vscode.SecretStorage, private readonly logger: Logger) {
    this.subscriptions = [
      vscode.workspace.onDidChangeConfiguration(e => {
        if (e.affectsConfiguration('lifeboat.destinations')) this.changed.fire();
      }),
      secrets.onDidChange(e => {
        if (e.key.startsWith(SECRET_PREFIX)) this.changed.fire();
      }),
    ];
  }

  /** The valid entries, names unique; an invalid one is logged and left out rather than breaking the others. */
  settings(): DestinationSettings[] {
    const raw = vscode.workspace.getConfiguration('lifeboat').get<unknown>('destinations') ?? [];
    const result: DestinationSettings[] = [];
    for (const [i, item] of (Array.isArray(raw) ? raw : []).entries()) {
      try {
        const { settings, credentialsFile } = parseDestinationSettings(item, `#${i + 1} in lifeboat.destinations`);
        if (credentialsFile) this.logger.warn(`lifeboat.destinations: "${settings.name}" names a credentialsFile, which is the CLI's; the editor keeps keys in its secret storage (Lifeboat: Set Destination Keys…).`);
        if (result.some(d => d.name === settings.name)) throw new Error(`two destinations are named "${settings.name}"`);
        result.push({ ...settings, location: folderLocation(settings.location) });
      } catch (error) {
        this.logger.warn(`Skipping a destination in lifeboat.destinations: ${errorMessage(error)}`);
      }
    }
    return result;
  }

  /** Every configured destination opened, with the keys stored for it (read now, from SecretStorage). */
  async openAll(): Promise<ConfiguredDestination[]> {
    return Promise.all(this.settings().map(settings => this.open(settings)));
  }

  async open(settings: DestinationSettings): Promise<ConfiguredDestination> {
    const keys = await this.keys(settings.name);
    return { settings, destination: openDestination(settings.name, [{ ...settings, ...(keys ? { credentials: keys } : {}) }]) };
  }

  async hasKeys(name: string): Promise<boolean> {
    return (await this.keys(name)) !== undefined;
  }

  async setKeys(name: string, keys: S3Keys): Promise<void> {
    await this.secrets.store(SECRET_PREFIX + name, JSON.stringify(keys));
  }

  async clearKeys(name: string): Promise<void> {
    await this.secrets.delete(SECRET_PREFIX + name);
  }

  private async keys(name: string): Promise<S3Keys | undefined> {
    const stored = await this.secrets.get(SECRET_PREFIX + name);
    if (!stored) return undefined;
    try {
      return parseCredentials(stored, `The keys stored for destination "${name}"`);
    } catch (error) {
      this.logger.warn(`${errorMessage(error)}: set them again (Lifeboat: Set Destination Keys…).`);
      return undefined;
    }
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
    this.changed.dispose();
  }
}
