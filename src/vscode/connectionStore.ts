import * as vscode from 'vscode';
import { validateConnection, type Connection } from '../core/connection';
import type { Logger } from '../core/logger';

const SECRET_PREFIX = 'lifeboat.password/';

/**
 * Connections live in the user's settings (lifeboat.connections) without passwords; passwords
 * live in SecretStorage under the connection's id.
 */
export class ConnectionStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage, private readonly logger: Logger) {
    this.subscription = vscode.workspace.onDidChangeConfiguration(e => {
      if (e.affectsConfiguration('lifeboat.connections')) this.changed.fire();
    });
  }

  /** Valid connections; invalid entries are logged and skipped rather than breaking the view. */
  list(): Connection[] {
    const raw = vscode.workspace.getConfiguration('lifeboat').get<unknown[]>('connections') ?? [];
    const result: Connection[] = [];
    for (const item of raw) {
      try {
        result.push(validateConnection(item));
      } catch (error) {
        this.logger.warn(`Skipping a connection in lifeboat.connections: ${(error as Error).message}`);
      }
    }
    return result;
  }

  get(id: string): Connection | undefined {
    return this.list().find(c => c.id === id);
  }

  async add(connection: Connection, password?: string): Promise<void> {
    // A connection without a password must not inherit one stored earlier under the same id.
    if (password) await this.secrets.store(SECRET_PREFIX + connection.id, password);
    else await this.secrets.delete(SECRET_PREFIX + connection.id);
    await this.write([...this.list().filter(c => c.id !== connection.id), connection]);
  }

  async remove(id: string): Promise<void> {
    await this.write(this.list().filter(c => c.id !== id));
    await this.secrets.delete(SECRET_PREFIX + id);
  }

  password(id: string): Thenable<string | undefined> {
    return this.secrets.get(SECRET_PREFIX + id);
  }

  private async write(connections: Connection[]): Promise<void> {
    await vscode.workspace.getConfiguration('lifeboat').update('connections', connections, vscode.ConfigurationTarget.Global);
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
