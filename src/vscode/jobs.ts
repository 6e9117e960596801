import * as vscode from 'vscode';
import { sweepDeadWriters } from '../core/catalog';
import { LifeboatError, errorMessage, isCancelled } from '../core/errors';
import { jobContext, type JobContext } from '../core/job';
import type { Logger } from '../core/logger';
import { throttleProgress } from '../core/progress';
import type { BackupCatalog } from './backupCatalog';
import type { Destination } from '../core/destination';

/**
 * Runs an engine job under a cancellable progress notification: the engine's fraction becomes
 * the notification's percent, Cancel aborts the job's signal (the engine then kills its checker
 * and removes partial files), and failures are shown in words with a way to the log.
 */
export class JobRunner implements vscode.Disposable {
  /** Jobs still running; aborted if the extension is deactivated (window closed, reload). */
  private readonly running = new Set<AbortController>();

  constructor(private readonly catalog: BackupCatalog, private readonly logger: Logger, private readonly showLog: () => void) {}

  async run<T>(title: string, work: (ctx: JobContext) => Promise<T>, destination: Destination = this.catalog.destination()): Promise<T | undefined> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      this.running.add(controller);
      const cancel = token.onCancellationRequested(() => {
        this.logger.warn(`${title}: cancelled by the user`);
        controller.abort();
      });
      const ctx = notificationJobContext(destination, this.logger, controller.signal, progress, this.catalog.scratchFolder());
      try {
        await sweepDeadWriters(ctx);
        return await work(ctx);
      } catch (error) {
        if (isCancelled(error)) {
          void vscode.window.showInformationMessage(`${title}: cancelled. Nothing partial was kept.`);
          return undefined;
        }
        this.logger.error(`${title} failed: ${errorMessage(error)}`);
        if (!(error instanceof LifeboatError) && error instanceof Error && error.stack) this.logger.error(error.stack);
        void this.showError(`${title} failed: ${errorMessage(error)}`);
        return undefined;
      } finally {
        this.running.delete(controller);
        cancel.dispose();
        this.catalog.refresh();
      }
    });
  }

  dispose(): void {
    for (const controller of this.running) controller.abort();
  }

  async showError(message: string): Promise<void> {
    if ((await vscode.window.showErrorMessage(message, 'Show Log')) === 'Show Log') this.showLog();
  }
}

/** A job context whose progress drives a withProgress notification: the engine's fraction as its percent. */
export function notificationJobContext(destination: Destination, logger: Logger, signal: AbortSignal, progress: vscode.Progress<{ message?: string; increment?: number }>,
  scratchFolder?: string): JobContext {
  let reported = 0;
  return jobContext(destination, logger, {
    signal,
    ...(scratchFolder ? { scratchFolder } : {}),
    onProgress: throttleProgress(update => {
      const percent = Math.floor(update.fraction * 100);
      progress.report({ increment: percent - reported, message: `${percent}% · ${update.message}` });
      reported = percent;
    }, 100),
  });
}
