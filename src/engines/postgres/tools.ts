import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LifeboatError } from '../../core/errors';
import { candidateFolders, pickNewest, probeToolFolders, type ToolFolder } from '../../core/toolDiscovery';
import type { ServerConnection } from '../../core/connection';
import type { ServerAccess } from '../access';
import { connectPostgres } from './connect';

/**
 * pg_dump refuses a server newer than itself ("server version mismatch") and pg_restore cannot read
 * archives from a newer pg_dump, so the tools must be at least the server's major version; the
 * newest found is used, since newer tools read and dump every older server.
 */
export interface PostgresTools extends ToolFolder {
  pgDump: string;
  pgRestore: string;
  psql: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

export function usualPostgresPlaces(): string[] {
  if (process.platform === 'win32') {
    const programFiles = [process.env.ProgramFiles, process.env['ProgramFiles(x86)']].filter((p): p is string => !!p);
    return programFiles.map(p => path.join(p, 'PostgreSQL', '*', 'bin'));
  }
  return [
    '/usr/lib/postgresql/*/bin',                                   // Debian, Ubuntu
    '/usr/pgsql-*/bin',                                            // RHEL, Fedora (PGDG)
    '/opt/homebrew/opt/postgresql@*/bin', '/usr/local/opt/postgresql@*/bin', // Homebrew
    '/opt/homebrew/opt/libpq/bin', '/usr/local/opt/libpq/bin',
    '/Applications/Postgres.app/Contents/Versions/*/bin',
    path.join(os.homedir(), '.local', 'share', 'lifeboat', 'postgres', '*', 'bin'),
  ];
}

export interface FindToolsOptions {
  /** `lifeboat.postgres.binDir`, or the CLI's --pg-bin-dir. */
  binDir?: string;
  /** Searched instead of the usual places (tests). */
  places?: string[];
}

/**
 * The pg_dump/pg_restore/psql folder for a server of `serverVersion` ("15.4"): the one the user
 * set, if it is new enough, else the newest found. `atLeast` raises the floor (pg_restore cannot
 * read archives of a newer pg_dump).
 */
export async function findPostgresTools(serverVersion: string, options: FindToolsOptions & { atLeast?: string } = {}): Promise<PostgresTools> {
  const serverMajor = Math.max(Number(serverVersion.split('.')[0]), options.atLeast ? Number(options.atLeast.split('.')[0]) : 0);
  const folders = await probeToolFolders('pg_dump', candidateFolders('pg_dump', options.binDir, options.places ?? usualPostgresPlaces()));
  const complete = folders.filter(f => ['pg_restore', 'psql'].every(tool => fs.existsSync(path.join(f.dir, tool + EXE))));
  const configured = complete.find(f => f.source === 'setting' && f.major >= serverMajor);
  const chosen = configured ?? pickNewest(complete, serverMajor);
  if (chosen) {
    return { ...chosen, pgDump: path.join(chosen.dir, 'pg_dump' + EXE), pgRestore: path.join(chosen.dir, 'pg_restore' + EXE), psql: path.join(chosen.dir, 'psql' + EXE) };
  }
  const seen = folders.length === 0 ? 'no pg_dump at all'
    : folders.map(f => `pg_dump ${f.version} in ${f.dir}${f.source === 'setting' ? ' (the folder you set)' : ''}`).join(', ');
  return Promise.reject(new LifeboatError('not-found',
    `The PostgreSQL server is version ${serverVersion}, and Lifeboat found ${seen}; it needs pg_dump, pg_restore and psql of version ${serverMajor} or newer` +
    `${serverMajor > Number(serverVersion.split('.')[0]) ? ` (the backup was written by pg_dump ${options.atLeast})` : ''}.`,
    `Install the PostgreSQL ${serverMajor} client tools (Debian/Ubuntu: postgresql-client-${serverMajor} from apt.postgresql.org; RHEL: postgresql${serverMajor}; macOS: brew install postgresql@${serverMajor}; Windows: the EDB installer), ` +
    'or set lifeboat.postgres.binDir (CLI: --pg-bin-dir) to the folder that holds them.'));
}

/** Asks the server its version, then finds tools for it (and, for a restore, for the archive). */
export async function toolsForServer(c: ServerConnection, access: ServerAccess, atLeast?: string): Promise<PostgresTools & { serverVersion: string }> {
  const client = await connectPostgres(c, access.password);
  let serverVersion: string;
  try {
    serverVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v.split(' ')[0];
  } finally {
    await client.end().catch(() => undefined);
  }
  return { ...await findPostgresTools(serverVersion, { binDir: access.postgresBinDir, atLeast }), serverVersion };
}
