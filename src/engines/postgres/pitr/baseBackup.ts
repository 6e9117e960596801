import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackupWriter, MadeBackup } from '../../../core/backupWriter';
import type { ServerConnection } from '../../../core/connection';
import { LifeboatError, throwIfAborted } from '../../../core/errors';
import { formatBytes } from '../../../core/format';
import { elapsedMs, type JobContext } from '../../../core/job';
import { runTool } from '../../../core/processes';
import type { ServerAccess } from '../../access';
import { keepLogNamedBy, startDump } from '../../dumpLog';
import { connectPostgres } from '../connect';
import type { PostgresBackupOptions } from '../dumpOptions';
import { explainPostgresTool } from '../toolErrors';
import { connectionArgs, postgresToolEnv } from '../toolEnv';
import { findPostgresTools } from '../tools';
import { parseBackupManifest } from './baseTar';
import { isBaseBackup, readBackupManifest } from './baseVerify';
import { listBackups, type CatalogEntry } from '../../../core/catalog';
import { defaultLevel } from '../../../core/codec';
import type { PhasedProgress } from '../../../core/progress';
import { segmentName, parseLsn } from './walNames';

/** The manifest kind of a base backup: one tar stream, compressed by Lifeboat. */
export const BASE_BACKUP_KIND = 'pg_basebackup-tar';
export const BASE_PAYLOAD = 'base.tar.zst';
export const BASE_MANIFEST = 'backup_manifest';

/** What a base backup takes of PostgreSQL's backup options; the others are pg_dump's. */
const DUMP_ONLY: (keyof PostgresBackupOptions)[] = ['compressor', 'jobs', 'schemaOnly', 'dataOnly', 'schemas', 'excludeSchemas', 'tables', 'excludeTables', 'excludeTableData', 'noOwner', 'noPrivileges'];

interface ServerFacts {
  version: string;
  versionNum: number;
  walLevel: string;
  archiveMode: string;
  systemIdentifier: string;
  segmentBytes: number;
  clusterBytes: number;
  tablespaces: number;
  canReplicate: boolean;
  timezone: string;
  /** summarize_wal: "on", "off", or null before PostgreSQL 17 (no incremental backups). */
  summarizeWal: string | null;
}

/**
 * A physical copy of the whole cluster, the start of point-in-time recovery:
 *   pg_basebackup -D <scratch> -F tar -X fetch --checkpoint=fast --manifest-checksums=SHA256 --compress=client-zstd:2
 * exactly as a user would run it (bench/pitrRecovery.ts measures it beside the bare command):
 * base.tar.zst (the WAL that makes it consistent included) and the server's backup_manifest,
 * then hashed and moved into the destination (copied into every other). Checking each file
 * against the manifest costs a second pass (SHA-256 of the whole cluster, about as long as the
 * copy itself), so it is made by `lifeboat verify` and by every recovery as it unpacks
 * (baseTar.ts), never skipped there; at backup time the manifest's own checksum is checked.
 * Progress is pg_stat_progress_basebackup's bytes against the cluster's size. WAL goes to the
 * archive by the server's archive_command (lifeboat wal-push); the manifest records where in it
 * this backup starts and ends.
 */
export async function makeBaseBackup(connection: ServerConnection, access: ServerAccess, options: PostgresBackupOptions, writer: BackupWriter, ctx: JobContext): Promise<MadeBackup> {
  const given = DUMP_ONLY.filter(name => options[name] !== undefined && options[name] !== false);
  if (given.length > 0) throw new LifeboatError('usage', `A base backup copies the whole cluster: ${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply to it.`, 'Leave them out, or make a logical backup (--format custom) for chosen tables or schemas.');
  const { started, progress, scratch, logFile } = await startDump(writer, ctx, { prepare: 1, copy: 30, finish: 1 }, 'pg_basebackup.log');
  try {
    progress.report('prepare', 0, `Connecting to ${connection.host}:${connection.port}`);
    const facts = await serverFacts(connection, access.password);
    refuseUnfit(connection, facts);
    const tools = await findPostgresTools(facts.version, { binDir: access.postgresBinDir });
    const pgBasebackup = path.join(tools.dir, process.platform === 'win32' ? 'pg_basebackup.exe' : 'pg_basebackup');
    if (!fs.existsSync(pgBasebackup)) throw new LifeboatError('not-found', `${tools.dir} has pg_dump ${tools.version} but no pg_basebackup.`, 'Install the full PostgreSQL client tools of that version, or set lifeboat.postgres.binDir to a folder that has pg_basebackup.');
    throwIfAborted(ctx.signal, 'The backup');
    const env = await postgresToolEnv(connection, access.password, scratch);
    const inspectMs = elapsedMs(started);
    ctx.logger.info(`Base backup of ${connection.host}:${connection.port} (PostgreSQL ${facts.version}, about ${formatBytes(facts.clusterBytes)}) with pg_basebackup ${tools.version} from ${tools.dir}`);

    if (tools.major < 15) throw new LifeboatError('not-found', `pg_basebackup ${tools.version} in ${tools.dir} cannot compress with zstd (PostgreSQL 15+ can).`, 'Install the PostgreSQL 15 or newer client tools, or set lifeboat.postgres.binDir to them.');
    const parent = options.incremental ? await incrementalParent(connection, facts, tools, ctx) : undefined;
    const parentManifest = scratch.file('parent_backup_manifest');
    if (parent) await fs.promises.writeFile(parentManifest, await readBackupManifest(parent, ctx.destination, ctx.signal), { mode: 0o600 });
    const level = options.level ?? defaultLevel('zstd');
    await writer.open();
    const copyStarted = performance.now();
    const positions: { start?: string; timeline?: number; end?: string } = {};
    const onLine = (line: string) => {
      ctx.logger.debug(line);
      const start = /write-ahead log start point: (\S+) on timeline (\d+)/.exec(line);
      if (start) { positions.start = start[1]; positions.timeline = Number(start[2]); }
      const end = /write-ahead log end point: (\S+)/.exec(line);
      if (end) positions.end = end[1];
    };
    // pg_basebackup writes and compresses (client-side zstd) into scratch, as a user would run it;
    // Lifeboat then hashes the files and moves them in: no byte of the cluster passes through Node.
    const output = scratch.file('base');
    const watch = watchProgress(connection, access.password, facts.clusterBytes, progress);
    try {
      await runTool({
        label: `pg_basebackup of ${connection.host}:${connection.port}`, command: pgBasebackup,
        args: ['-D', output, '-F', 'tar', '-X', 'fetch', '--checkpoint=fast', '--manifest-checksums=SHA256', `--compress=client-zstd:${level}`, '--no-sync', '--verbose', '--label', `lifeboat ${writer.id}`,
          ...(parent ? [`--incremental=${parentManifest}`] : []), ...connectionArgs(connection)],
        env, signal: ctx.signal, onStderrLine: onLine, logFile, explain: explainBasebackup(connection, logFile),
      }).done;
    } finally {
      watch.stop();
    }
    const manifestText = await fs.promises.readFile(path.join(output, BASE_MANIFEST));
    const manifest = parseBackupManifest(manifestText);
    const range = (manifest['WAL-Ranges'] ?? []).at(-1);
    progress.report('finish', 0, 'Checksumming and storing the base backup');
    await writer.storeFinished(BASE_PAYLOAD, path.join(output, BASE_PAYLOAD), (read, total) => progress.report('finish', read / Math.max(1, total), `Checksumming and storing ${BASE_PAYLOAD}`), { codec: 'zstd' });
    await writer.storeFinished(BASE_MANIFEST, path.join(output, BASE_MANIFEST));
    const summary = { filesChecked: manifest.Files.length, bytes: manifest.Files.reduce((n, f) => n + f.Size, 0), walRanges: range ? [{ timeline: range.Timeline, startLsn: range['Start-LSN'], endLsn: range['End-LSN'] }] : [] };
    const copyMs = elapsedMs(copyStarted);
    progress.report('finish', 0, 'Recording where the backup ends');
    const walRange = summary.walRanges.at(-1);
    const startLsn = positions.start ?? walRange?.startLsn;
    const endLsn = positions.end ?? walRange?.endLsn;
    const timeline = positions.timeline ?? walRange?.timeline;
    if (!startLsn || !endLsn || timeline === undefined || parseLsn(startLsn) === undefined || parseLsn(endLsn) === undefined) {
      throw new LifeboatError('verification', 'pg_basebackup did not say where the backup starts and ends in the WAL.', `Nothing was kept. The tool's full output is in ${logFile}.`);
    }
    // A time at or after the backup's end: recovery to an earlier time would silently stop at
    // the end of the backup instead (recoveryWindow.ts refuses such a target).
    const endTime = await serverNow(connection, access.password);
    progress.report('finish', 1, 'Base backup stored and checked');
    return {
      parts: {
        kind: BASE_BACKUP_KIND,
        // An incremental backup restores only on top of its parent (and that one's): the chain
        // a recovery combines, and retention keeps whole.
        parent: parent?.manifest.id ?? null,
        server: { product: 'PostgreSQL', version: facts.version },
        tool: { name: 'pg_basebackup', version: tools.version },
        options: { format: 'tar', walMethod: 'fetch', checkpoint: 'fast', manifestChecksums: 'SHA256', compression: `client-zstd:${level}`, toolDir: tools.dir, ...(parent ? { incremental: true } : {}),
          verifiedBy: 'Lifeboat: every file of the tar against backup_manifest (SHA-256), by lifeboat verify and by every recovery as it unpacks; pg_verifybackup refuses the tar form' },
        consistency: {
          startLsn, endLsn, timeline,
          startSegment: segmentName(timeline, parseLsn(startLsn)!, facts.segmentBytes),
          walSegmentBytes: facts.segmentBytes,
          endTime,
          systemIdentifier: facts.systemIdentifier,
          serverVersionNum: facts.versionNum,
          archiveMode: facts.archiveMode,
          timezone: facts.timezone,
          databaseBytes: summary.bytes,
        },
        tables: [],
        timings: { inspectMs, copyMs },
        checks: [...(parent ? [{ name: 'incremental', ok: true, detail: `Only what changed since base backup ${parent.manifest.id} (pg_basebackup --incremental); a recovery combines the chain with pg_combinebackup` }] : []),
          { name: 'backup_manifest', ok: true, detail: `The server's backup_manifest checks against its own SHA-256: ${summary.filesChecked} files (${formatBytes(summary.bytes)}), WAL ${startLsn} to ${endLsn} on timeline ${timeline} included; verify and every recovery check each file against it` }],
      },
    };
  } catch (error) {
    throw await keepLogNamedBy(error, logFile, ctx, `backup-${writer.id}`);
  }
}

/**
 * The base backup an incremental one builds on: the newest of this cluster (same system
 * identifier). PostgreSQL 17+ only, with summarize_wal on (the server reads what changed from its
 * WAL summaries), and pg_basebackup 17+; each refusal says what to do.
 */
async function incrementalParent(connection: ServerConnection, facts: ServerFacts, tools: { major: number; version: string; dir: string }, ctx: JobContext): Promise<CatalogEntry> {
  const where = `${connection.host}:${connection.port}`;
  if (facts.versionNum < 170000) throw new LifeboatError('unsupported', `Incremental base backups need PostgreSQL 17 or newer; ${where} runs ${facts.version}.`, 'Take a full base backup (leave out --incremental).');
  if (tools.major < 17) throw new LifeboatError('not-found', `pg_basebackup ${tools.version} in ${tools.dir} cannot take incremental backups (17 and newer can).`, 'Install the PostgreSQL 17 or newer client tools, or set lifeboat.postgres.binDir to them.');
  if (facts.summarizeWal !== 'on') {
    throw new LifeboatError('unsupported', `${where} runs with summarize_wal = off, and an incremental backup is read from the server's WAL summaries.`,
      'Run ALTER SYSTEM SET summarize_wal = on; SELECT pg_reload_conf(); as a superuser (no restart), then take a full base backup: increments can follow it.');
  }
  const own = (await listBackups(ctx.destination, { connectionId: connection.id, logger: ctx.logger })).entries
    .filter(e => isBaseBackup(e) && String(e.manifest.consistency.systemIdentifier) === facts.systemIdentifier);
  const parent = own.sort((a, b) => b.manifest.completedAt.localeCompare(a.manifest.completedAt))[0];
  if (!parent) throw new LifeboatError('not-found', `There is no base backup of this cluster (${where}) for an incremental one to build on.`, 'Take a full base backup first (leave out --incremental).');
  return parent;
}

async function serverFacts(connection: ServerConnection, password: string | undefined): Promise<ServerFacts> {
  const client = await connectPostgres(connection, password);
  try {
    const row = (await client.query<Record<string, string>>(`SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS version_num,
        current_setting('wal_level') AS wal_level, current_setting('archive_mode') AS archive_mode, current_setting('TimeZone') AS timezone, current_setting('summarize_wal', true) AS summarize_wal,
        (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
        (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size') AS segment_bytes,
        (SELECT sum(pg_database_size(oid))::text FROM pg_database WHERE datallowconn) AS cluster_bytes,
        (SELECT count(*)::text FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')) AS tablespaces,
        (SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user) AS can_replicate`)).rows[0];
    return {
      version: row.version.split(' ')[0], versionNum: Number(row.version_num), walLevel: row.wal_level, archiveMode: row.archive_mode, timezone: row.timezone,
      systemIdentifier: row.system_identifier, segmentBytes: Number(row.segment_bytes), clusterBytes: Number(row.cluster_bytes ?? 0),
      tablespaces: Number(row.tablespaces), canReplicate: row.can_replicate === 'true', summarizeWal: row.summarize_wal ?? null,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function refuseUnfit(c: ServerConnection, facts: ServerFacts): void {
  if (facts.walLevel === 'minimal') throw new LifeboatError('unsupported', `${c.host}:${c.port} runs with wal_level = minimal, which allows no base backup.`, 'Set wal_level = replica (lifeboat pitr setup shows the statements) and restart the server.');
  if (!facts.canReplicate) throw new LifeboatError('connection', `User "${c.user}" may not take a base backup of ${c.host}:${c.port}: it has neither REPLICATION nor SUPERUSER.`, `Run ALTER ROLE "${c.user}" REPLICATION; as a superuser, and allow it a "replication" line in pg_hba.conf.`);
  if (facts.tablespaces > 0) throw new LifeboatError('unsupported', `${c.host}:${c.port} has ${facts.tablespaces} tablespace(s) besides the default ones; Lifeboat's base backups do not cover tablespaces yet.`, 'Use pg_basebackup or pgBackRest for this cluster, or logical backups.');
}

/** Real progress from the server: pg_stat_progress_basebackup's bytes streamed, against the cluster's size. */
function watchProgress(connection: ServerConnection, password: string | undefined, total: number, progress: PhasedProgress<'prepare' | 'copy' | 'finish'>): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const poll = async () => {
    try {
      const client = await connectPostgres(connection, password);
      try {
        while (!stopped) {
          const row = (await client.query<{ streamed: string | null; phase: string | null }>('SELECT backup_streamed::text AS streamed, phase FROM pg_stat_progress_basebackup LIMIT 1')).rows[0];
          if (row?.streamed) progress.report('copy', Number(row.streamed) / Math.max(1, total), `Copying the cluster: ${formatBytes(Number(row.streamed))} of about ${formatBytes(total)}${row.phase ? ` (${row.phase})` : ''}`);
          await new Promise<void>(resolve => { wake = resolve; timer = setTimeout(resolve, 500); });
        }
      } finally {
        await client.end().catch(() => undefined);
      }
    } catch {
      // Progress is a courtesy: the backup goes on without it.
    }
  };
  void poll();
  return { stop: () => { stopped = true; clearTimeout(timer); wake?.(); } };
}

async function serverNow(connection: ServerConnection, password: string | undefined): Promise<string> {
  const client = await connectPostgres(connection, password);
  try {
    return (await client.query<{ now: Date }>('SELECT now() AS now')).rows[0].now.toISOString();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg_basebackup's own failures in words a person can act on; the rest as pg_dump's are. */
function explainBasebackup(c: ServerConnection, logFile: string) {
  const general = explainPostgresTool('pg_basebackup', c, c.database, logFile);
  return (tail: string[], exitCode: number | null, signal: NodeJS.Signals | null): LifeboatError => {
    const text = tail.join('\n');
    if (/no pg_hba\.conf entry for replication connection/i.test(text)) {
      return new LifeboatError('connection', `${c.host}:${c.port} does not let "${c.user}" open a replication connection, which pg_basebackup needs.`, `Add a line such as "host replication ${c.user} <your address>/32 scram-sha-256" to pg_hba.conf and reload the server.`);
    }
    if (/number of requested standby connections exceeds max_wal_senders|max_wal_senders/i.test(text)) {
      return new LifeboatError('connection', `${c.host}:${c.port} has no free WAL sender for pg_basebackup (max_wal_senders).`, 'Raise max_wal_senders (it needs a restart), or try again when other replication connections are done.');
    }
    if (/WAL summaries are required|summaries .* not available|manifest requires WAL from/i.test(text)) {
      return new LifeboatError('unsupported', `The server cannot take this incremental backup: ${tail.filter(l => /summar|requires WAL/i.test(l))[0] ?? text}.`, 'summarize_wal must have been on since the base backup it builds on: take a full base backup now (leave out --incremental), and increments after it.');
    }
    if (/requested WAL segment .* has already been removed/i.test(text)) {
      return new LifeboatError('io', `The server removed WAL the backup needed before pg_basebackup fetched it: ${tail.filter(l => /removed/.test(l))[0]}.`, 'Turn on WAL archiving (lifeboat pitr setup), or raise wal_keep_size, and run the backup again.');
    }
    return general(tail, exitCode, signal);
  };
}
