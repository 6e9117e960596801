import type * as vscode from 'vscode';
import type { Logger } from '../core/logger';
import type { BackupCatalog } from './backupCatalog';
import type { ConnectionStore } from './connectionStore';
import type { DestinationStore } from './destinationStore';
import type { EncryptionKeys } from './encryption';
import type { JobRunner } from './jobs';
import type { ConnectionsTreeProvider } from './tree/connectionsTree';
import type { TreeNode } from './tree/items';

/** What commands need, created once in activate(). */
export interface Services {
  store: ConnectionStore;
  destinations: DestinationStore;
  encryption: EncryptionKeys;
  catalog: BackupCatalog;
  jobs: JobRunner;
  logger: Logger;
  tree: ConnectionsTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  globalStorage: vscode.Uri;
  /** Where the extension is installed: the diff webview's bundle is under dist/webview/. */
  extensionUri: vscode.Uri;
  /** Remembered choices (the last backup options per connection). */
  memento: vscode.Memento;
}
