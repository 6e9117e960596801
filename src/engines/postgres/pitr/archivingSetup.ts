import type { Client } from 'pg';
import type { ServerConnection } from '../../../core/connection';
import { LifeboatError } from '../../../core/errors';
import { formatDuration } from '../../../core/format';
import { connectPostgres } from '../connect';

/**
 * Continuous archiving for a connection, as `lifeboat pitr setup` and the editor's "Set Up
 * Continuous Archiving…" do it: the exact ALTER SYSTEM statements (and whether the server must
 * restart for them), applied only when asked, then checked by switching to a new WAL file and
 * watching it arrive in the archive. The archiving state (pg_stat_archiver, the .ready backlog)
 * is what `pitr status` reports and alerts on: a failing archive_command keeps every WAL file on
 * the server's disk until it fills (openlibrary #13549: 887 GB of pg_wal).
 */
export interface ArchivingPlan {
  /** The statements, in order, as they would be typed in psql. */
  statements: string[];
  /** Settings that change only at a restart (wal_level, archive_mode), and are changing. */
  restartFor: string[];
  /** Settings as the server has them now. */
  current: Record<string, string>;
  archiveCommand: string;
}

export interface ArchivingState {
  settings: Record<string, string>;
  /** Whether the running server archives with this command. */
  configured: boolean;
  pendingRestart: string[];
  archivedCount: number;
  lastArchivedWal: string | null;
  lastArchivedAt: string | null;
  failedCount: number;
  lastFailedWal: string | null;
  lastFailedAt: string | null;
  /** WAL files waiting for archive_command (.ready in pg_wal/archive_status), when the user may see them. */
  readyCount: number | null;
  /** The current WAL file, and how long ago the last one was archived. */
  currentWal: string | null;
  lagMs: number | null;
}

const WATCHED = ['wal_level', 'archive_mode', 'archive_command', 'archive_timeout', 'max_wal_senders'];

/** The words of a command for `sh -c` (the server runs archive_command with a shell): each quoted. */
export function shellWords(words: string[]): string {
  return words.map(w => /^[A-Za-z0-9_./%:=@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
}

export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** archive_command for `connection`: this Node and this Lifeboat, its config and backup folder. */
export function archiveCommandFor(lifeboat: string[], connectionId: string, copyTo: string[] = []): string {
  return shellWords([...lifeboat, 'wal-push', '--connection', connectionId, ...copyTo.flatMap(c => ['--copy-to', c]), '%p']);
}

async function withClient<T>(c: ServerConnection, password: string | undefined, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connectPostgres(c, password);
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readSettings(client: Client): Promise<Record<string, string>> {
  const rows = (await client.query<{ name: string; setting: string; unit: string | null }>('SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1)', [WATCHED])).rows;
  return Object.fromEntries(rows.map(r => [r.name, r.unit === 's' ? `${r.setting}s` : r.setting]));
}

export async function planArchiving(c: ServerConnection, password: string | undefined, archiveCommand: string, archiveTimeoutS: number): Promise<ArchivingPlan> {
  return withClient(c, password, async client => {
    const current = await readSettings(client);
    const statements: string[] = [];
    const restartFor: string[] = [];
    if (current.wal_level === 'minimal') { statements.push("ALTER SYSTEM SET wal_level = 'replica';"); restartFor.push('wal_level'); }
    if (current.archive_mode !== 'on' && current.archive_mode !== 'always') { statements.push("ALTER SYSTEM SET archive_mode = 'on';"); restartFor.push('archive_mode'); }
    if (current.archive_command !== archiveCommand) statements.push(`ALTER SYSTEM SET archive_command = ${sqlLiteral(archiveCommand)};`);
    if (current.archive_timeout !== `${archiveTimeoutS}s`) statements.push(`ALTER SYSTEM SET archive_timeout = '${archiveTimeoutS}s';`);
    if (Number(current.max_wal_senders) < 2) { statements.push("ALTER SYSTEM SET max_wal_senders = '4';"); restartFor.push('max_wal_senders'); }
    if (statements.length > 0) statements.push('SELECT pg_reload_conf();');
    return { statements, restartFor, current, archiveCommand };
  });
}

/** Runs the plan's statements (a superuser's), returning what still waits for a restart. */
export async function applyArchiving(c: ServerConnection, password: string | undefined, plan: ArchivingPlan): Promise<string[]> {
  return withClient(c, password, async client => {
    for (const statement of plan.statements) {
      try {
        await client.query(statement);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === '42501') throw new LifeboatError('connection', `User "${c.user}" may not change server settings (ALTER SYSTEM needs a superuser, or GRANT ALTER SYSTEM on PostgreSQL 15+).`, 'Run the statements shown as a superuser (psql), or connect as one.', { cause: error });
        throw new LifeboatError('io', `${statement} failed: ${(error as Error).message}`, undefined, { cause: error });
      }
    }
    const pending = (await client.query<{ name: string }>('SELECT name FROM pg_settings WHERE pending_restart')).rows.map(r => r.name);
    return pending;
  });
}

export async function archivingState(c: ServerConnection, password: string | undefined, archiveCommand?: string): Promise<ArchivingState> {
  return withClient(c, password, async client => {
    const settings = await readSettings(client);
    const pendingRestart = (await client.query<{ name: string }>('SELECT name FROM pg_settings WHERE pending_restart')).rows.map(r => r.name);
    const a = (await client.query<Record<string, string | number | Date | null>>(`SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, last_failed_time,
        CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS current_wal FROM pg_stat_archiver`)).rows[0];
    let readyCount: number | null = null;
    try {
      readyCount = Number((await client.query<{ n: string }>("SELECT count(*)::text AS n FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'")).rows[0].n);
    } catch {
      // pg_ls_archive_statusdir needs pg_monitor or a superuser; the backlog is then unknown.
    }
    const lastArchivedAt = a.last_archived_time instanceof Date ? a.last_archived_time : null;
    const on = settings.archive_mode === 'on' || settings.archive_mode === 'always';
    return {
      settings,
      configured: on && !pendingRestart.includes('archive_mode') && (archiveCommand === undefined || settings.archive_command === archiveCommand),
      pendingRestart,
      archivedCount: Number(a.archived_count), lastArchivedWal: (a.last_archived_wal as string | null) ?? null, lastArchivedAt: lastArchivedAt?.toISOString() ?? null,
      failedCount: Number(a.failed_count), lastFailedWal: (a.last_failed_wal as string | null) ?? null,
      lastFailedAt: a.last_failed_time instanceof Date ? a.last_failed_time.toISOString() : null,
      readyCount, currentWal: (a.current_wal as string | null) ?? null,
      lagMs: lastArchivedAt ? Date.now() - lastArchivedAt.getTime() : null,
    };
  });
}

/**
 * Switches to a new WAL file and waits for the old one to be archived: the proof that
 * archive_command works, end to end. Fails with the server's count of failures when it does not.
 */
export async function proveArchiving(c: ServerConnection, password: string | undefined, timeoutMs = 30_000, signal?: AbortSignal): Promise<string> {
  return withClient(c, password, async client => {
    const before = (await client.query<{ failed: string }>('SELECT failed_count::text AS failed FROM pg_stat_archiver')).rows[0];
    // A fresh record first: pg_switch_wal does nothing on a WAL file that holds none since the last switch.
    const switched = (await client.query<{ name: string }>("SELECT pg_walfile_name(pg_switch_wal()) AS name FROM (SELECT pg_logical_emit_message(false, 'lifeboat', 'archiving check')) AS m")).rows[0].name;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !signal?.aborted) {
      const row = (await client.query<{ last: string | null; failed: string; last_failed: string | null }>('SELECT last_archived_wal AS last, failed_count::text AS failed, last_failed_wal AS last_failed FROM pg_stat_archiver')).rows[0];
      if (row.last && row.last >= switched) return switched;
      if (Number(row.failed) > Number(before.failed)) {
        throw new LifeboatError('io', `The server could not archive ${row.last_failed ?? switched}: archive_command failed (${row.failed} failures so far).`, 'The server\'s log has the command\'s own error (the lines "archive command failed"): check that the server\'s account can run Lifeboat and write to the backup folder.');
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    throw new LifeboatError('io', `${switched} was not archived within ${Math.round(timeoutMs / 1000)} s.`, 'Check the server\'s log for "archive command failed", and that archive_mode is on (it needs a restart).');
  });
}

/** What is wrong with archiving, in words, for the status and its alerts. */
export function archivingProblems(state: ArchivingState, rpoMs: number): string[] {
  const problems: string[] = [];
  if (!state.configured) problems.push('WAL archiving is not on (lifeboat pitr setup shows how).');
  const failingNow = state.lastFailedAt !== null && (state.lastArchivedAt === null || state.lastFailedAt > state.lastArchivedAt);
  if (failingNow) problems.push(`archive_command fails: ${state.lastFailedWal} could not be archived (at ${state.lastFailedAt}); WAL piles up on the server until it does.`);
  if (state.readyCount !== null && state.readyCount > 10) problems.push(`${state.readyCount} WAL files are waiting to be archived.`);
  if (rpoMs > 0 && state.lagMs !== null && state.lagMs > rpoMs && (state.readyCount ?? 1) > 0) problems.push(`The last WAL file was archived ${formatDuration(state.lagMs)} ago, longer than the RPO (${formatDuration(rpoMs)}).`);
  return problems;
}
