import * as fs from 'node:fs';
import * as path from 'node:path';
import { LifeboatError } from '../../../core/errors';
import { candidateFolders, pickNewest, probeToolFolders } from '../../../core/toolDiscovery';
import { usualPostgresPlaces } from '../tools';

/**
 * The server binaries a recovery sandbox runs: postgres and pg_ctl of the backup's major version
 * exactly (a data folder is only read by its own major), found like the client tools: the
 * folder set (lifeboat.postgres.serverBinDir, the CLI's --pg-server-bin-dir), PATH, the usual
 * install folders. pg_waldump, which reads only WAL of its own major, too.
 */
export interface ServerTools {
  dir: string;
  version: string;
  postgres: string;
  pgCtl: string;
  pgWaldump: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

export async function findServerTools(major: number, binDir?: string): Promise<ServerTools> {
  const folders = await probeToolFolders('postgres', candidateFolders('postgres', binDir, usualPostgresPlaces()));
  const complete = folders.filter(f => f.major === major && ['pg_ctl', 'pg_waldump'].every(tool => fs.existsSync(path.join(f.dir, tool + EXE))));
  const chosen = complete.find(f => f.source === 'setting') ?? pickNewest(complete, major);
  if (chosen) {
    return { dir: chosen.dir, version: chosen.version, postgres: path.join(chosen.dir, 'postgres' + EXE), pgCtl: path.join(chosen.dir, 'pg_ctl' + EXE), pgWaldump: path.join(chosen.dir, 'pg_waldump' + EXE) };
  }
  const seen = folders.length === 0 ? 'no PostgreSQL server at all' : folders.map(f => `PostgreSQL ${f.version} in ${f.dir}`).join(', ');
  throw new LifeboatError('not-found', `Recovering this backup needs the PostgreSQL ${major} server (postgres, pg_ctl and pg_waldump of version ${major}); Lifeboat found ${seen}.`,
    `Install the PostgreSQL ${major} server (Debian/Ubuntu: postgresql-${major}; RHEL: postgresql${major}-server; macOS: brew install postgresql@${major}), or set lifeboat.postgres.serverBinDir (CLI: --pg-server-bin-dir) to the folder that holds it.`);
}
