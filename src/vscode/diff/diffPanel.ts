import * as vscode from 'vscode';
import { sweepDeadWriters } from '../../core/catalog';
import { LifeboatError, errorMessage, isCancelled } from '../../core/errors';
import { formatDuration } from '../../core/format';
import {
  MergeConflictError, compareTables, describeTable, diffPanelHtml, newNonce,
  type DiffFilter, type DiffProgress, type MergeOptions, type MergePreview, type MergeSelection, type TableComparison, type TableSideSpec,
} from '../../diff';
import { isWebviewMessage, type HostMessage, type WebviewMessage } from '../../diff/protocol';
import { notificationJobContext } from '../jobs';
import type { Services } from '../services';

/** The two tables a panel compares: the restored copy (source of a merge) and production (its target). */
export interface DiffSides {
  backup: TableSideSpec;
  production: TableSideSpec;
  /** A unique key the person chose for a table without a primary key (absent: the primary key, or whole rows). */
  key?: string[];
}

/** Rows one 'requestRows' may ask for: the grid asks for a screenful or a few, never the table. */
const MAX_PAGE_ROWS = 2000;
/** Statements the SQL preview shows before it says "and n more". */
const PREVIEW_STATEMENTS = 500;

type Operation = { kind: 'compare' | 'apply'; controller: AbortController; done: Promise<void> };

/**
 * The editor tab that hosts the diff webview (webview/, bundled to dist/webview/) for one pair of
 * tables. The state lives here, not in the page (retainContextWhenHidden is off): the page asks
 * for it with 'ready' each time it loads and gets the messages that rebuild it, then asks for
 * rows and previews as it needs them. Production is written only after the person confirmed in
 * the editor's own modal dialog, which names the target table, its connection and the row count.
 */
export class DiffPanel {
  static readonly viewType = 'lifeboat.diff';

  private readonly panel: vscode.WebviewPanel;
  private readonly subscriptions: vscode.Disposable[] = [];
  private comparison: TableComparison | undefined;
  private running: Operation | undefined;
  /** What the page needs to rebuild itself after a reload, in the order it was posted. */
  private replay: HostMessage[] = [];
  private pageReady = false;
  /** The merge's modal is open: a second Apply waits for its answer. */
  private confirming = false;
  private disposed = false;
  /** Bumped by every (re)compare and by dispose, so a superseded comparison's result is dropped. */
  private generation = 0;

  static open(s: Services, sides: DiffSides): DiffPanel {
    const panel = new DiffPanel(s, sides);
    void panel.compare();
    return panel;
  }

  private constructor(private readonly s: Services, private readonly sides: DiffSides) {
    const [backupTable, productionTable] = [describeTable(sides.backup.table), describeTable(sides.production.table)];
    const title = backupTable === productionTable ? `Compare ${productionTable}` : `Compare ${backupTable} with ${productionTable}`;
    this.panel = vscode.window.createWebviewPanel(DiffPanel.viewType, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [this.webviewRoot()],
      retainContextWhenHidden: false,
    });
    this.panel.iconPath = vscode.Uri.joinPath(s.extensionUri, 'media', 'lifeboat.svg');
    this.panel.webview.html = this.html();
    this.subscriptions.push(
      this.panel.webview.onDidReceiveMessage(raw => this.receive(raw)),
      this.panel.onDidChangeViewState(({ webviewPanel }) => {
        if (webviewPanel.visible) return;
        // A hidden webview is torn down; it loads again (with a fresh nonce) when shown, and
        // says 'ready' once it listens.
        this.pageReady = false;
        this.panel.webview.html = this.html();
      }),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  private webviewRoot(): vscode.Uri {
    return vscode.Uri.joinPath(this.s.extensionUri, 'dist', 'webview');
  }

  private html(): string {
    const webview = this.panel.webview;
    const root = this.webviewRoot();
    return diffPanelHtml({
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.css')).toString(),
      cspSource: webview.cspSource,
      nonce: newNonce(),
      title: this.panel.title,
    });
  }

  private receive(raw: unknown): void {
    if (!isWebviewMessage(raw)) {
      this.s.logger.warn(`Diff panel: ignored a message that is not part of the protocol: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    this.handle(raw).catch(error => this.fail('The diff panel', error));
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.pageReady = true;
        for (const state of this.replay) void this.panel.webview.postMessage(state);
        return;
      case 'requestRows':
        return this.answerRows(message.requestId, message.filter, message.offset, message.limit);
      case 'requestPreview':
        return this.answerPreview(message.requestId, message.selection, message.options);
      case 'apply':
        return this.apply(message.selection, message.options);
      case 'cancel':
        this.running?.controller.abort();
        return;
      case 'recompare':
        if (this.running?.kind === 'apply') {
          void vscode.window.showInformationMessage('The merge is still running: compare again when it has finished.');
          return;
        }
        return this.compare();
      default: {
        const unhandled: never = message;
        this.s.logger.warn(`Diff panel: no handler for ${JSON.stringify(unhandled)}`);
      }
    }
  }

  /** Posts a message now if the page listens, and keeps what the page needs after a reload. */
  private send(message: HostMessage): void {
    switch (message.type) {
      case 'comparing':
        this.replay = [message];
        break;
      case 'progress':
      case 'summary':
        this.replay = [...this.replay.filter(m => m.type !== 'progress'), message];
        break;
      case 'applying':
      case 'applied':
      case 'conflict':
      case 'failed':
      case 'cancelled':
        this.replay = [...this.replay.filter(m => !OUTCOMES.has(m.type)), message];
        break;
      case 'rows':
      case 'preview':
        // Answers: a reloaded page asks again.
        break;
      default: {
        const unknown: never = message;
        throw new Error(`Unknown host message ${JSON.stringify(unknown)}`);
      }
    }
    if (this.pageReady && !this.disposed) void this.panel.webview.postMessage(message);
  }

  private labels() {
    const { backup, production } = this.sides;
    return {
      backup: `"${describeTable(backup.table)}" on "${backup.connection.name}"`,
      production: `"${describeTable(production.table)}" on "${production.connection.name}"`,
    };
  }

  /** Compares (again): the previous comparison is closed first, its scratch files removed. */
  private async compare(): Promise<void> {
    const generation = ++this.generation;
    this.running?.controller.abort();
    await this.running?.done;
    if (generation !== this.generation) return;
    const previous = this.comparison;
    this.comparison = undefined;
    await previous?.close().catch(error => this.s.logger.warn(`Closing the previous comparison failed: ${errorMessage(error)}`));
    if (generation !== this.generation) return;

    const { backup, production } = this.sides;
    const labels = this.labels();
    this.send({
      type: 'comparing',
      title: this.panel.title,
      backupLabel: labels.backup, productionLabel: labels.production, targetLabel: labels.production,
    });
    this.s.logger.info(`Comparing ${labels.backup} (restored copy) with ${labels.production} (production)`);
    const controller = new AbortController();
    const operation = this.track('compare', controller, async () => {
      try {
        const comparison = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Lifeboat: Comparing ${describeTable(production.table)}`, cancellable: true },
          async (progress, token) => {
            const cancel = token.onCancellationRequested(() => controller.abort());
            const forward = progressForwarder(update => {
              if (generation === this.generation) this.send({ type: 'progress', progress: update });
            }, progress);
            try {
              return await compareTables({ backup, production, ...(this.sides.key ? { key: this.sides.key } : {}), mode: 'auto', signal: controller.signal, onProgress: forward.report, logger: this.s.logger });
            } finally {
              forward.stop();
              cancel.dispose();
            }
          });
        if (generation !== this.generation) {
          await comparison.close();
          return;
        }
        this.comparison = comparison;
        const { counts, elapsedMs, mode } = comparison.summary;
        this.s.logger.info(`Compared ${labels.backup} with ${labels.production} in ${formatDuration(elapsedMs)} (${mode}): ` +
          `${counts.onlyInBackup} only in the backup, ${counts.onlyInProduction} only in production, ${counts.changed} changed`);
        this.send({ type: 'summary', summary: comparison.summary });
      } catch (error) {
        if (generation !== this.generation) return;
        if (controller.signal.aborted || isCancelled(error)) {
          this.s.logger.warn(`Comparing ${labels.production}: cancelled`);
          this.send({ type: 'cancelled' });
          return;
        }
        this.fail(`Comparing ${labels.backup} with ${labels.production}`, error);
      }
    });
    await operation;
  }

  private answerRows(requestId: number, filter: DiffFilter, offset: number, limit: number): void {
    const comparison = this.comparison;
    if (!comparison) return;
    const start = Math.max(0, Math.floor(Number(offset) || 0));
    const count = Math.min(MAX_PAGE_ROWS, Math.max(0, Math.floor(Number(limit) || 0)));
    this.send({ type: 'rows', requestId, filter, offset: start, total: comparison.count(filter), rows: comparison.rows(filter, start, count) });
  }

  private answerPreview(requestId: number, selection: MergeSelection, options: MergeOptions): void {
    const comparison = this.comparison;
    if (!comparison) return;
    this.send({ type: 'preview', requestId, preview: comparison.preview(selection, options, PREVIEW_STATEMENTS) });
  }

  /** Confirms with the person (a modal naming the target and the row count), then merges. */
  private async apply(selection: MergeSelection, options: MergeOptions): Promise<void> {
    const comparison = this.comparison;
    if (!comparison) return;
    if (this.running || this.confirming) {
      void vscode.window.showInformationMessage(`Wait until the ${this.running?.kind === 'compare' ? 'comparison' : 'merge'} has finished.`);
      return;
    }
    const preview = comparison.preview(selection, options, 0);
    const rows = preview.inserts + preview.updates + preview.deletes;
    const target = this.labels().production;
    if (rows === 0) {
      void vscode.window.showInformationMessage(`Nothing to merge into ${target}: ${preview.skipped > 0 ? 'the rows chosen are only in production, and deleting them was not chosen' : 'no rows are chosen'}.`);
      return;
    }
    this.confirming = true;
    const answer = await vscode.window.showWarningMessage(
      `Merge ${plural(rows, 'row')} into ${target}?`,
      { modal: true, detail: `Lifeboat saves the rows it changes as a backup first, then writes in one transaction: ${describePlan(preview)}.` },
      'Merge').then(choice => choice, () => undefined);
    this.confirming = false;
    if (answer !== 'Merge' || this.disposed || comparison !== this.comparison) return;

    this.s.logger.info(`Merging into ${target}: ${describePlan(preview)}`);
    this.send({ type: 'applying', rows });
    const controller = new AbortController();
    let undoBackupId: string | undefined;
    await this.track('apply', controller, async () => {
      try {
        const outcome = await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Lifeboat: Merging ${plural(rows, 'row')} into ${target}`, cancellable: true },
          async (progress, token) => {
            const cancel = token.onCancellationRequested(() => controller.abort());
            const ctx = notificationJobContext(this.s.catalog.destination(), this.s.logger, controller.signal, progress, this.s.catalog.scratchFolder());
            try {
              await sweepDeadWriters(ctx);
              return await comparison.apply(selection, options, ctx);
            } finally {
              cancel.dispose();
            }
          });
        const done = `${outcome.inserted} inserted, ${outcome.updated} updated, ${outcome.deleted} deleted in ${formatDuration(outcome.elapsedMs)}`;
        this.s.logger.info(`Merged into ${target}: ${done}; the rows it changed were saved first as backup ${outcome.undoBackupId}`);
        this.send({ type: 'applied', outcome });
        void vscode.window.showInformationMessage(
          `Merged into ${target}: ${done}. The rows it changed were saved first as backup ${outcome.undoBackupId}, listed under ${this.sides.production.connection.name}: Undo Merge… on it puts them back.`);
        undoBackupId = outcome.undoBackupId;
      } catch (error) {
        if (error instanceof MergeConflictError) {
          this.s.logger.warn(`Merge into ${target}: ${error.message}`);
          this.send({ type: 'conflict', conflicts: error.conflicts, total: error.total });
        } else if (isCancelled(error)) {
          this.s.logger.warn(`Merge into ${target}: cancelled; nothing was written`);
          this.send({ type: 'cancelled' });
        } else {
          this.fail(`Merging into ${target}`, error);
        }
      } finally {
        // The undo backup is listed under the production connection.
        this.s.catalog.refresh();
      }
    });
    if (undoBackupId) await this.revealUndoBackup(undoBackupId);
  }

  /** Selects the merge's undo backup in the tree (when the tree is open), where Undo Merge… is. */
  private async revealUndoBackup(backupId: string): Promise<void> {
    try {
      const connectionId = this.sides.production.connection.id;
      const entry = (await this.s.catalog.forConnection(connectionId)).entries.find(e => e.manifest.id === backupId);
      const item = entry && await this.s.tree.findBackup(connectionId, entry.prefix);
      if (item && this.s.treeView.visible) await this.s.treeView.reveal(item, { select: true, focus: false });
    } catch (error) {
      this.s.logger.warn(`Showing the undo backup ${backupId} in the tree failed: ${errorMessage(error)}`);
    }
  }

  private track(kind: Operation['kind'], controller: AbortController, work: () => Promise<void>): Promise<void> {
    const done = work().finally(() => {
      if (this.running?.controller === controller) this.running = undefined;
    });
    this.running = { kind, controller, done };
    return done;
  }

  private fail(what: string, error: unknown): void {
    this.s.logger.error(`${what} failed: ${errorMessage(error)}`);
    if (!(error instanceof LifeboatError) && error instanceof Error && error.stack) this.s.logger.error(error.stack);
    const hint = error instanceof LifeboatError ? error.hint : undefined;
    this.send({ type: 'failed', message: error instanceof LifeboatError ? error.message : errorMessage(error), ...(hint ? { hint } : {}) });
  }

  /** Closing the tab stops a comparison; a merge the person confirmed runs to its end (it is one
   *  transaction either way), and the comparison's scratch files are removed after it. */
  private dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.generation++;
    const running = this.running;
    if (running?.kind === 'compare') running.controller.abort();
    const comparison = this.comparison;
    this.comparison = undefined;
    void (async () => {
      await running?.done;
      await comparison?.close();
    })().catch(error => this.s.logger.warn(`Closing the comparison failed: ${errorMessage(error)}`));
    for (const subscription of this.subscriptions) subscription.dispose();
    this.panel.dispose();
  }
}

const OUTCOMES = new Set<HostMessage['type']>(['applying', 'applied', 'conflict', 'failed', 'cancelled']);

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? word : `${word}s`}`;
}

function describePlan(preview: MergePreview): string {
  const parts = [
    preview.inserts > 0 ? `${plural(preview.inserts, 'row')} inserted` : '',
    preview.updates > 0 ? `${plural(preview.updates, 'row')} updated` : '',
    preview.deletes > 0 ? `${plural(preview.deletes, 'row')} deleted` : '',
  ].filter(Boolean);
  const skipped = preview.skipped > 0 ? `; ${plural(preview.skipped, 'chosen row')} only in production left alone (deleting was not chosen)` : '';
  return `${parts.join(', ')}${skipped}`;
}

/**
 * A comparison's progress to the page and to the editor's notification, at most every 100 ms
 * (the last update is delivered when the interval is over, unless a newer one came first).
 */
function progressForwarder(toPage: (update: DiffProgress) => void, notification: vscode.Progress<{ message?: string; increment?: number }>) {
  let reported = 0;
  let last = -Infinity;
  let pending: DiffProgress | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deliver = (update: DiffProgress) => {
    last = performance.now();
    pending = undefined;
    toPage(update);
    if (update.fraction === null) {
      notification.report({ message: update.message });
      return;
    }
    const percent = Math.floor(Math.min(1, Math.max(0, update.fraction)) * 100);
    notification.report({ increment: Math.max(0, percent - reported), message: `${percent}% · ${update.message}` });
    reported = Math.max(reported, percent);
  };
  return {
    report(update: DiffProgress): void {
      if (performance.now() - last >= 100) {
        deliver(update);
        return;
      }
      pending = update;
      timer ??= setTimeout(() => {
        timer = undefined;
        if (pending) deliver(pending);
      }, 100);
    },
    stop(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = undefined;
    },
  };
}
