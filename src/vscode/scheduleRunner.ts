import * as vscode from 'vscode';
import { sweepDeadWriters } from '../core/catalog';
import { LifeboatError, errorMessage } from '../core/errors';
import { formatDuration } from '../core/format';
import { jobContext, linkedController } from '../core/job';
import { runStateFolder } from '../core/runLog';
import { runDueWork, type ScheduledWork } from '../core/scheduledRunner';
import { readWebhooks } from './alertWebhooks';
import { readPolicies } from './policies';
import { editorStatus, protectedConnections } from './protection';
import { performInEditor } from './editorScheduledWork';
import type { Services } from './services';
import { readSettings } from './settings';

/**
 * Runs the schedules of lifeboat.policies while the editor is open, through the same runner as
 * `lifeboat run --due` (core/scheduledRunner.ts): its lock in the backup folder keeps one runner
 * across windows, editors and CLI processes, and its run log is the history both show. Work runs
 * in the background, shown in a status-bar item (running work, the next run, failures; a click
 * opens the log); a failure, a missed run and a connection over its RPO are notified.
 */
const CHECK_MS = 30_000;

export class ScheduleRunner implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('lifeboat.schedules', vscode.StatusBarAlignment.Left, 10);
  private readonly timer: NodeJS.Timeout;
  private readonly controller = new AbortController();
  private running?: Promise<void>;
  /** The run under way, which Stop Scheduled Work cancels. */
  private current?: AbortController;
  private stoppedByUser = false;

  constructor(private readonly s: Services, private readonly secrets: vscode.SecretStorage, private readonly onRecorded: () => void) {
    this.item.name = 'Lifeboat Schedules';
    this.item.command = 'lifeboat.showLog';
    this.timer = setInterval(() => void this.check(), CHECK_MS);
    void this.check();
  }

  /** Runs what is due now (also "Lifeboat: Run Due Scheduled Work Now"); resolves when it is done. */
  check(): Promise<void> {
    this.running ??= this.runDue().finally(() => { this.running = undefined; });
    return this.running;
  }

  /** Cancels the work under way: the engine stops and removes what it wrote; the run is recorded
   *  as stopped, so its slot is done and the next one runs as usual. */
  stop(): boolean {
    if (!this.current) return false;
    this.s.logger.warn('Scheduled work: stopped by the user');
    this.stoppedByUser = true;
    this.current.abort();
    return true;
  }

  private work(): ScheduledWork[] {
    const { policyOf } = readPolicies(this.s.logger);
    return protectedConnections(this.s).flatMap(c => policyOf(c.id).schedules.map(schedule => ({ connection: c.id, schedule })));
  }

  private async runDue(): Promise<void> {
    const work = this.work();
    if (work.length === 0) {
      this.item.hide();
      return;
    }
    const s = this.s;
    const destination = s.catalog.destination();
    const settings = readSettings(s.globalStorage);
    const { controller: current, dispose } = linkedController(this.controller.signal);
    this.current = current;
    this.stoppedByUser = false;
    try {
      const result = await runDueWork({
        stateFolder: runStateFolder(destination), work, by: 'VS Code', logger: s.logger, signal: current.signal,
        webhooks: await readWebhooks(this.secrets, s.logger),
        recordCancelled: () => this.stoppedByUser,
        status: async () => (await editorStatus(s)).filter(st => work.some(w => w.connection === st.connection)),
        perform: async item => {
          const connection = s.store.list().find(c => c.id === item.connection);
          if (!connection) throw new LifeboatError('not-found', `The connection "${item.connection}" was removed while its schedule was due.`);
          this.show(`$(sync~spin) Lifeboat: ${item.schedule.run} ${connection.name}`, `Running "${item.schedule.name}" of ${connection.name}. Lifeboat: Stop Scheduled Work cancels it.`);
          const ctx = jobContext(destination, s.logger, {
            signal: current.signal, ...(settings.scratchFolder ? { scratchFolder: settings.scratchFolder } : {}),
            onProgress: u => { this.item.text = `$(sync~spin) Lifeboat: ${item.schedule.run} ${connection.name} ${Math.floor(u.fraction * 100)}%`; },
          });
          await sweepDeadWriters(ctx);
          return performInEditor(s, item.schedule, connection, ctx);
        },
      });
      if (result.runs.length || result.alerts.length) {
        s.catalog.refresh();
        this.onRecorded();
      }
      for (const run of result.runs) {
        s.logger.info(`Scheduled ${run.action} "${run.schedule}" of ${run.connection}: ${run.ok ? 'succeeded' : `failed: ${run.error}`} in ${formatDuration(run.durationMs)}`);
        if (run.stopped) void vscode.window.showInformationMessage(`Lifeboat: scheduled ${run.action} "${run.schedule}" of ${run.connection} stopped. Nothing partial was kept; the next slot runs as usual.`);
        else if (!run.ok) void s.jobs.showError(`Lifeboat: scheduled ${run.action} "${run.schedule}" of ${run.connection} failed: ${run.error}`);
      }
      for (const alert of result.alerts) void this.warn(alert.message);
    } catch (error) {
      s.logger.error(`Scheduled work could not run: ${errorMessage(error)}`);
    } finally {
      this.current = undefined;
      dispose();
    }
    await this.showNext();
  }

  private async showNext(): Promise<void> {
    const statuses = await editorStatus(this.s).catch(() => []);
    const failed = statuses.filter(st => st.lastRun && !st.lastRun.ok && !st.lastRun.stopped);
    const next = statuses.map(st => st.nextRun).filter(n => n !== null).sort((a, b) => a.at.localeCompare(b.at))[0];
    if (failed.length) {
      this.show(`$(error) Lifeboat: ${failed.length} failed`, failed.map(st => `${st.name}: "${st.lastRun!.schedule}" failed: ${st.lastRun!.error ?? ''}`).join('\n'), 'statusBarItem.errorBackground');
    } else if (next) {
      const at = new Date(next.at);
      this.show(`$(clock) Lifeboat: next ${at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`, `Next scheduled run: "${next.schedule}" at ${at.toLocaleString()}. Click for the log.`);
    } else {
      this.item.hide();
    }
  }

  private show(text: string, tooltip: string, background?: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.show();
  }

  private async warn(message: string): Promise<void> {
    if ((await vscode.window.showWarningMessage(`Lifeboat: ${message}`, 'Show Log')) === 'Show Log') await vscode.commands.executeCommand('lifeboat.showLog');
  }

  dispose(): void {
    clearInterval(this.timer);
    this.controller.abort();
    this.item.dispose();
  }
}
