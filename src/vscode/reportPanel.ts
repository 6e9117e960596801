import * as vscode from 'vscode';
import { buildRecoveryReport } from '../core/recoveryReport';
import { readRunLog, runStateFolder } from '../core/runLog';
import { editorStatus } from './protection';
import { reportHtml } from './reportHtml';
import type { Services } from './services';

/** Lifeboat: Recovery Report: one panel, redrawn when the backups change while it is open. */
export class ReportPanel {
  private static current?: ReportPanel;
  private readonly panel: vscode.WebviewPanel;
  private readonly subscription: vscode.Disposable;

  static async show(s: Services): Promise<void> {
    if (ReportPanel.current) {
      ReportPanel.current.panel.reveal();
      await ReportPanel.current.render();
      return;
    }
    ReportPanel.current = new ReportPanel(s);
    await ReportPanel.current.render();
  }

  private constructor(private readonly s: Services) {
    const media = vscode.Uri.joinPath(s.extensionUri, 'media');
    // No script runs in it: enableScripts stays off.
    this.panel = vscode.window.createWebviewPanel('lifeboat.recoveryReport', 'Recovery Report', vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [media] });
    this.panel.iconPath = vscode.Uri.joinPath(media, 'lifeboat.svg');
    this.subscription = s.catalog.onDidChange(() => void this.render());
    this.panel.onDidDispose(() => {
      this.subscription.dispose();
      ReportPanel.current = undefined;
    });
  }

  private async render(): Promise<void> {
    const now = new Date();
    const [statuses, listing, log] = await Promise.all([editorStatus(this.s, now), this.s.catalog.listAll(), readRunLog(runStateFolder(this.s.catalog.destination()), this.s.logger)]);
    const webview = this.panel.webview;
    webview.html = reportHtml(buildRecoveryReport(statuses, listing, log.records, now), {
      cspSource: webview.cspSource,
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.s.extensionUri, 'media', 'report.css')).toString(),
    });
  }
}
