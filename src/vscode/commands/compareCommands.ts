import * as vscode from 'vscode';
import { DiffPanel } from '../diff/diffPanel';
import { pickConnection } from '../pickers';
import type { Services } from '../services';
import type { ConnectionItem } from '../tree/items';
import { compareTablesFlow, compareWithProductionFlow } from './compareFlows';

/** The partial-restore drill's last step: compare a restored table with production, in the diff panel. */
export function registerCompareCommands(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('lifeboat.compareWithProduction', async (item?: ConnectionItem) => {
      const restored = item?.connection ?? await pickConnection(s.store, 'Compare a table of which restored copy with production?', c => !(c.engine === 'sqlite' && c.folder));
      if (!restored) return;
      const sides = await compareWithProductionFlow(s, restored);
      if (sides) DiffPanel.open(s, sides);
    }),
    vscode.commands.registerCommand('lifeboat.compareTables', async () => {
      const sides = await compareTablesFlow(s);
      if (sides) DiffPanel.open(s, sides);
    }),
  ];
}
