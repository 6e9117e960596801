import * as vscode from 'vscode';
import { sweepDeadWriters } from '../core/catalog';
import { errorMessage, isCancelled, LifeboatError } from '../core/errors';
import { jobContext } from '../core/job';
import { escapeControl } from '../core/terminalText';
import type { Logger } from '../core/logger';
import { describeBackupRun, runBackup, verifyBackup } from '../engines';
import type { Services } from './services';
import { readSettings } from './settings';
import { parseBackupRequest } from '../engines/backupRequest';
import { accessFor, serverTarget } from './serverTarget';
import { readPolicies } from './policies';
import { performInEditor } from './editorScheduledWork';

/**
 * Tasks of type "lifeboat", so tasks.json can run a backup:
 *   { "type": "lifeboat", "action": "backup", "connection": "app" }
 *   { "type": "lifeboat", "action": "backup", "connection": "crm", "options": { "format": "directory", "jobs": 4 } }
 * The task runs the same engine in the extension host and writes its progress and log to the
 * task's terminal; closing the terminal cancels it.
 */
export interface LifeboatTaskDefinition extends vscode.TaskDefinition {
  type: 'lifeboat';
  action: 'backup' | 'verify-latest' | 'scheduled';
  /** Connection id or name. */
  connection: string;
  /** Backup options, as the CLI's (see engines/backupRequest.ts). */
  options?: Record<string, unknown>;
  /** verify-latest of a server backup: a restore drill. */
  deep?: boolean;
  /** scheduled: the name of one of the connection's schedules (lifeboat.policies), run now. */
  schedule?: string;
}

export const TASK_TYPE = 'lifeboat';

export class LifeboatTaskProvider implements vscode.TaskProvider {
  constructor(private readonly s: Services) {}

  provideTasks(): vscode.Task[] {
    const { policyOf } = readPolicies(this.s.logger);
    return this.s.store.list().flatMap(c => [
      this.createTask({ type: TASK_TYPE, action: 'backup', connection: c.id }, vscode.TaskScope.Workspace),
      // Each schedule as a task: its work now, outside its schedule (not recorded as a slot's run).
      ...policyOf(c.id).schedules.map(schedule => this.createTask({ type: TASK_TYPE, action: 'scheduled', connection: c.id, schedule: schedule.name }, vscode.TaskScope.Workspace)),
    ]);
  }

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition as LifeboatTaskDefinition;
    if (definition.type !== TASK_TYPE || !definition.connection) return undefined;
    return this.createTask(definition, task.scope ?? vscode.TaskScope.Workspace);
  }

  private createTask(definition: LifeboatTaskDefinition, scope: vscode.TaskScope | vscode.WorkspaceFolder): vscode.Task {
    const action = definition.action ?? 'backup';
    // No problem matchers: the output is progress and a result, not compiler diagnostics (and
    // saying so spares the user VS Code's "scan the task output?" question).
    const label = action === 'scheduled' ? `${definition.schedule ?? '?'} (${definition.connection})` : `${action} ${definition.connection}`;
    const task = new vscode.Task(definition, scope, label, TASK_TYPE,
      new vscode.CustomExecution(async () => new LifeboatTaskTerminal(this.s, { ...definition, action })), []);
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  }
}

class LifeboatTaskTerminal implements vscode.Pseudoterminal {
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly closer = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writer.event;
  readonly onDidClose = this.closer.event;
  private readonly controller = new AbortController();

  constructor(private readonly s: Services, private readonly definition: LifeboatTaskDefinition) {}

  open(): void {
    void this.run().then(code => this.closer.fire(code));
  }

  close(): void {
    this.controller.abort();
  }

  private line(text: string): void {
    // A task's terminal interprets escape sequences like any other: names from backups are escaped.
    this.writer.fire(`${escapeControl(text)}\r\n`);
  }

  private async run(): Promise<number> {
    const { connection: reference, action } = this.definition;
    const connection = this.s.store.list().find(c => c.id === reference || c.name === reference);
    if (!connection) {
      this.line(`lifeboat: no connection "${reference}". Known: ${this.s.store.list().map(c => c.id).join(', ') || 'none'}.`);
      return 2;
    }
    const destination = this.s.catalog.destination();
    const log: Logger = {
      debug: () => {},
      info: m => { this.s.logger.info(m); this.line(m); },
      warn: m => { this.s.logger.warn(m); this.line(`warning: ${m}`); },
      error: m => { this.s.logger.error(m); this.line(`error: ${m}`); },
    };
    let lastDecile = -1;
    const scratchFolder = this.s.catalog.scratchFolder();
    const ctx = jobContext(destination, log, {
      signal: this.controller.signal,
      ...(scratchFolder ? { scratchFolder } : {}),
      onProgress: u => {
        const decile = Math.floor(u.fraction * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          this.line(`${String(decile * 10).padStart(3)}%  ${u.message}`);
        }
      },
    });
    try {
      await sweepDeadWriters(ctx);
      if (action === 'scheduled') {
        const schedule = readPolicies(this.s.logger).policyOf(connection.id).schedules.find(x => x.name === this.definition.schedule);
        if (!schedule) throw new LifeboatError('not-found', `"${connection.name}" has no schedule "${this.definition.schedule ?? ''}" in lifeboat.policies.`);
        const done = await performInEditor(this.s, schedule, connection, ctx);
        this.line(`${schedule.run} "${schedule.name}" done${done.backupId ? `: backup ${done.backupId}` : ''}${done.restoreMs !== undefined ? `, restore drill ${done.restoreMs} ms` : ''}`);
        return 0;
      }
      if (action === 'verify-latest') {
        const entry = (await this.s.catalog.forConnection(connection.id)).entries[0];
        if (!entry) throw new LifeboatError('not-found', `"${connection.name}" has no backups to verify.`);
        const deep = !!this.definition.deep;
        const server = deep && connection.engine !== 'sqlite' ? await serverTarget(this.s, connection) : undefined;
        const v = await verifyBackup(entry, ctx, { deep, postgresBinDir: readSettings(this.s.globalStorage).postgresBinDir }, server);
        this.line(`${v.ok ? 'Intact' : 'DAMAGED'}: ${v.checks.map(c => `${c.name}: ${c.detail}`).join('; ')}`);
        return v.ok ? 0 : 3;
      }
      const request = parseBackupRequest(this.definition.options ?? {}, readSettings(this.s.globalStorage), connection.engine);
      const access = connection.engine === 'sqlite' ? {} : await accessFor(this.s, connection);
      const run = await runBackup(connection, request, [destination], ctx, access);
      for (const line of describeBackupRun(run)) this.line(line);
      return 0;
    } catch (error) {
      this.line(isCancelled(error) ? 'Cancelled; nothing partial was kept.' : `lifeboat: error: ${errorMessage(error)}`);
      return isCancelled(error) ? 130 : 1;
    } finally {
      this.s.catalog.refresh();
    }
  }
}
