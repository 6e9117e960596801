import * as vscode from 'vscode';
import type { BackupCatalog } from '../backupCatalog';
import type { SqliteConnection } from '../../core/connection';
import { sqliteFolderMembers } from '../../engines/sqlite/folderGroup';
import type { ConnectionStore } from '../connectionStore';
import { readSettings } from '../settings';
import type { ConnectionStatus } from '../../core/protectionStatus';
import { binlogWindowItems, pitrWindowItems } from './pitrWindowItems';
import { BackupItem, ConnectionItem, DetachedConnectionItem, MessageItem, UnreadableBackupItem, type TreeNode } from './items';

/**
 * Connections and their backups. Holds no backup logic: it asks the store for connections and
 * the catalog for backups, and maps both to items.
 */
export class ConnectionsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private readonly nodes = new Map<string, TreeNode>();
  /** Folder groups' members as the last listing of the top level found them (not read twice). */
  private readonly groupMembers = new Map<string, SqliteConnection[]>();

  constructor(private readonly store: ConnectionStore, private readonly catalog: BackupCatalog, private readonly globalStorage: vscode.Uri,
    private readonly statuses: () => Promise<ConnectionStatus[]>) {
    this.subscriptions = [
      store.onDidChange(() => this.changed.fire(undefined)), catalog.onDidChange(() => this.changed.fire(undefined)),
      vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('lifeboat.policies')) this.changed.fire(undefined); }),
    ];
  }

  /** Shows the connections' status anew (ages grow, runs are recorded) without listing again. */
  refreshStatus(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node;
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const children = await this.childrenOf(node);
    for (const child of children) if (child.id) this.nodes.set(child.id, child);
    return children;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node instanceof BackupItem || node instanceof UnreadableBackupItem || node instanceof MessageItem) return this.nodes.get(node.parentId);
    if (node instanceof ConnectionItem && node.groupId) return this.nodes.get(node.groupId);
    return undefined;
  }

  /** The tree item of a backup, once its connection has been expanded (for reveal). */
  async findBackup(connectionId: string, prefix: string): Promise<BackupItem | undefined> {
    const parent = (await this.getChildren()).find(n => (n instanceof ConnectionItem && n.connection.id === connectionId) || (n instanceof DetachedConnectionItem && n.connectionId === connectionId));
    const children = parent ? await this.getChildren(parent) : [];
    return children.find((n): n is BackupItem => n instanceof BackupItem && n.entry.prefix === prefix);
  }

  private async childrenOf(node?: TreeNode): Promise<TreeNode[]> {
    const settings = readSettings(this.globalStorage);
    if (!node) {
      const connections = this.store.list();
      const { entries } = await this.catalog.listAll().catch(() => ({ entries: [] }));
      const statuses = new Map((await this.statuses().catch(() => [])).map(st => [st.connection, st]));
      // A folder group's backups are its members'; the members are found in the folder each time.
      const members = this.groupMembers;
      members.clear();
      for (const c of connections) if (c.engine === 'sqlite' && c.folder) members.set(c.id, await sqliteFolderMembers(c).catch(() => []));
      const items: TreeNode[] = connections.map(c => {
        const ids = new Set([c.id, ...(members.get(c.id) ?? []).map(m => m.id)]);
        const own = entries.filter(e => ids.has(e.manifest.connection.id));
        return new ConnectionItem(c, own.length, own[0]?.manifest, settings.backupFolder, members.get(c.id)?.length, undefined, statuses.get(c.id));
      });
      const configured = new Set([...connections.map(c => c.id), ...[...members.values()].flat().map(m => m.id)]);
      const detached = new Map<string, { name: string; count: number }>();
      for (const e of entries) {
        if (configured.has(e.manifest.connection.id)) continue;
        const d = detached.get(e.manifest.connection.id) ?? { name: e.manifest.connection.name, count: 0 };
        d.count++;
        detached.set(e.manifest.connection.id, d);
      }
      // With nothing configured the welcome view shows; detached backups appear once a
      // connection exists, or through the palette's Restore/Verify.
      if (connections.length === 0) return [];
      for (const [id, d] of detached) items.push(new DetachedConnectionItem(id, d.name, d.count));
      return items;
    }
    if (node instanceof ConnectionItem && node.connection.engine === 'sqlite' && node.connection.folder) {
      const members = this.groupMembers.get(node.connection.id) ?? await sqliteFolderMembers(node.connection).catch(() => []);
      if (members.length === 0) return [new MessageItem('No SQLite database in this folder', node.id!, node.connection.path)];
      const { entries } = await this.catalog.listAll().catch(() => ({ entries: [] }));
      return members.map(m => {
        const own = entries.filter(e => e.manifest.connection.id === m.id);
        return new ConnectionItem(m, own.length, own[0]?.manifest, settings.backupFolder, undefined, node.id);
      });
    }
    if (node instanceof ConnectionItem || node instanceof DetachedConnectionItem) {
      const connectionId = node instanceof ConnectionItem ? node.connection.id : node.connectionId;
      const parentId = node.id!;
      let listing;
      try {
        listing = await this.catalog.forConnection(connectionId);
      } catch (error) {
        return [new MessageItem(`Cannot read the backup folder: ${(error as Error).message}`, parentId)];
      }
      const items: TreeNode[] = [];
      if (node instanceof ConnectionItem && node.connection.engine === 'postgres') {
        items.push(...await pitrWindowItems(listing.entries, this.catalog.destination(), connectionId, parentId).catch(() => []));
      }
      if (node instanceof ConnectionItem && node.connection.engine === 'mysql') {
        items.push(...await binlogWindowItems(listing.entries, this.catalog.destination(), connectionId, parentId).catch(() => []));
      }
      items.push(...listing.entries.map(e => new BackupItem(e, parentId)));
      items.push(...listing.problems.map(p => new UnreadableBackupItem(p.prefix, p.message, parentId)));
      // A destination that cannot be listed says so where its backups would be.
      items.push(...listing.unreachable.map(u => new MessageItem(`Cannot list ${u.name}`, parentId, u.message, { key: `unreachable:${u.name}`, warning: true })));
      if (items.length === 0) return [new MessageItem('No backups yet', parentId, `Run "Backup Database" to make one. Backups go to ${settings.backupFolder}`)];
      return items;
    }
    return [];
  }

  dispose(): void {
    this.subscriptions.forEach(s => s.dispose());
    this.changed.dispose();
  }
}
