import * as fs from 'node:fs';
import type { Client } from 'pg';
import type { ServerConnection } from '../../../core/connection';
import { CancelledError, LifeboatError } from '../../../core/errors';
import type { LocalAccount } from '../../../core/localAccount';
import { pidFromFile } from '../../../core/sandboxFolder';
import { runTool } from '../../../core/processes';
import { connectPostgres } from '../connect';
import type { SandboxLayout } from './sandboxConfig';
import type { ServerTools } from './serverTools';

/**
 * Starting, watching and stopping a sandbox server. pg_ctl starts it without waiting (-W):
 * `pg_ctl start -w` returns 0 as soon as a recovering server accepts connections, before a
 * recovery that then ends in FATAL (measured here: a time target with no commit after it). So
 * Lifeboat itself polls, until the server has promoted (pg_is_in_recovery() is false) or its
 * process is gone, and then reports the server's own FATAL line from its log.
 */
export interface ReplayState {
  inRecovery: boolean;
  replayLsn?: string;
  replayTime?: Date;
}

const POLL_MS = 100;
/** pg_ctl -W has forked the postmaster; one that has not written its pid file by then is not coming. */
const START_TIMEOUT_MS = 60_000;

export function pgCtl(tools: ServerTools, layout: SandboxLayout, args: string[], owner: LocalAccount | undefined, signal?: AbortSignal) {
  return runTool({
    label: `pg_ctl ${args[args.length - 1]} of the sandbox in ${layout.dir}`, command: tools.pgCtl, args: ['-D', layout.dataDir, ...args],
    env: { LC_MESSAGES: 'C' }, cwd: layout.dir, signal, ...(owner ? { as: owner } : {}),
  }).done;
}

export async function startSandbox(tools: ServerTools, layout: SandboxLayout, owner: LocalAccount | undefined): Promise<void> {
  await pgCtl(tools, layout, ['-l', layout.logFile, '-W', 'start'], owner);
}

/** Immediate shutdown: a sandbox given up (Cancel, a failure) holds nothing to keep. */
export async function stopSandbox(tools: ServerTools, layout: SandboxLayout, owner: LocalAccount | undefined, mode: 'fast' | 'immediate' = 'immediate'): Promise<void> {
  if (!fs.existsSync(`${layout.dataDir}/postmaster.pid`)) return;
  await pgCtl(tools, layout, ['-m', mode, '-w', '-t', '60', 'stop'], owner).catch(() => undefined);
}

/** The postmaster's pid while it runs (postmaster.pid's first line, and the process is there). */
export function serverPid(layout: SandboxLayout): number | undefined {
  return pidFromFile(`${layout.dataDir}/postmaster.pid`);
}

/**
 * Waits until the sandbox has promoted, reporting replay progress. Rejects with the server's own
 * words when it stops on the way (FATAL, PANIC), or with CancelledError when `signal` aborts.
 */
export async function waitForPromotion(layout: SandboxLayout, connection: ServerConnection, onState: (state: ReplayState) => void, signal?: AbortSignal): Promise<ReplayState> {
  let client: Client | undefined;
  let started = false;
  const startBy = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (signal?.aborted) throw new CancelledError('The recovery');
      const pid = serverPid(layout);
      if (pid === undefined && started) throw await serverStopped(layout);
      if (pid !== undefined) started = true;
      if (pid === undefined && !started) {
        // pg_ctl -W returned before the postmaster wrote its pid file, or it never started.
        await delay(POLL_MS);
        if (serverPid(layout) === undefined && ((fs.existsSync(layout.logFile) && /FATAL|PANIC/.test(await fs.promises.readFile(layout.logFile, 'utf8'))) || Date.now() > startBy)) throw await serverStopped(layout);
        continue;
      }
      try {
        client ??= await connectPostgres(connection, undefined, { connectionTimeoutMillis: 2_000 });
        const row = (await client.query<{ in_recovery: boolean; lsn: string | null; at: Date | null }>(
          'SELECT pg_is_in_recovery() AS in_recovery, pg_last_wal_replay_lsn()::text AS lsn, pg_last_xact_replay_timestamp() AS at')).rows[0];
        const state: ReplayState = { inRecovery: row.in_recovery, ...(row.lsn ? { replayLsn: row.lsn } : {}), ...(row.at ? { replayTime: row.at } : {}) };
        onState(state);
        if (!state.inRecovery) return state;
      } catch (error) {
        // Not yet consistent ("the database system is starting up"), or going down: ask again.
        await client?.end().catch(() => undefined);
        client = undefined;
        if (error instanceof LifeboatError && error.code !== 'connection') throw error;
      }
      await delay(POLL_MS);
    }
  } finally {
    await client?.end().catch(() => undefined);
  }
}

async function serverStopped(layout: SandboxLayout): Promise<LifeboatError> {
  const log = fs.existsSync(layout.logFile) ? await fs.promises.readFile(layout.logFile, 'utf8') : '';
  const lines = log.split('\n');
  const fatal = lines.filter(l => /\b(FATAL|PANIC):/.test(l)).at(-1) ?? lines.filter(Boolean).at(-1) ?? 'no log';
  const hint = /recovery ended before configured recovery target was reached/.test(log)
    ? 'The archived WAL ends before the target: choose an earlier one, or --end (lifeboat pitr window shows what can be reached).'
    : /could not (open|read|find|locate)|invalid (record|magic|checkpoint)|incorrect resource manager data checksum|contrecord|unexpected pageaddr/i.test(fatal)
      ? 'A WAL file the recovery needs is missing or damaged: check the archive with lifeboat pitr window.'
      : `The server's log is in ${layout.logFile}.`;
  return new LifeboatError('io', `The sandbox server stopped during recovery: ${fatal.replace(/^.*?\b(FATAL|PANIC):\s*/, '$1: ')}`, hint);
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}
