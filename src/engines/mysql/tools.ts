import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LifeboatError } from '../../core/errors';
import { candidateFolders, compareVersions, probeToolFolders, type ToolFolder } from '../../core/toolDiscovery';
import type { MysqlProduct } from './source';

/**
 * The dump tool and the client for a MySQL or MariaDB server. The flavour matters more than the
 * version: MySQL 8's mysqldump fails against MariaDB (it asks for COLUMN_STATISTICS), and
 * MariaDB's mariadb-dump knows neither MySQL 8.4's `--source-data` nor its GTID options. So a
 * MariaDB server gets MariaDB's tools (any 10.x or newer), a MySQL server MySQL's of at least its
 * major.minor version (8.4 dumps what 8.0 cannot parse back), the newest found.
 */
export interface MysqlTools extends ToolFolder {
  flavour: MysqlProduct;
  dump: string;
  client: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

/** "mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB" / "mariadb-dump from 11.4.2-MariaDB, client 10.19"
 *  / "mysqldump  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)". */
export function parseDumpBanner(banner: string): { flavour: MysqlProduct; version: string } | undefined {
  const maria = /(?:Distrib|from)\s+(\d+\.\d+\.\d+)-MariaDB/i.exec(banner);
  if (maria) return { flavour: 'MariaDB', version: maria[1] };
  const mysql = /\bVer\s+(\d+\.\d+\.\d+)/.exec(banner);
  return mysql ? { flavour: 'MySQL', version: mysql[1] } : undefined;
}

export function usualMysqlPlaces(): string[] {
  if (process.platform === 'win32') {
    const programFiles = [process.env.ProgramFiles, process.env['ProgramFiles(x86)']].filter((p): p is string => !!p);
    return programFiles.flatMap(p => [path.join(p, 'MySQL', 'MySQL Server *', 'bin'), path.join(p, 'MariaDB *', 'bin')]);
  }
  return [
    '/usr/bin', '/usr/local/bin', '/usr/local/mysql/bin',
    '/opt/homebrew/opt/mysql-client/bin', '/usr/local/opt/mysql-client/bin',
    '/opt/homebrew/opt/mariadb/bin', '/usr/local/opt/mariadb/bin', '/opt/homebrew/bin',
    path.join(os.homedir(), '.local', 'share', 'lifeboat', 'mysql', '*', 'bin'),
  ];
}

export interface FindMysqlToolsOptions {
  /** `lifeboat.mysql.binDir`, or the CLI's --mysql-bin-dir. */
  binDir?: string;
  /** Searched instead of the usual places (tests). */
  places?: string[];
}

export async function findMysqlTools(product: MysqlProduct, serverVersion: string, options: FindMysqlToolsOptions = {}): Promise<MysqlTools> {
  const places = options.places ?? usualMysqlPlaces();
  // MariaDB ships both names (mysqldump is a link to mariadb-dump); MySQL only the old ones.
  const probed = (await Promise.all(['mariadb-dump', 'mysqldump'].map(async dumpName => {
    const folders = await probeToolFolders(dumpName, candidateFolders(dumpName, options.binDir, places), banner => parseDumpBanner(banner)?.version);
    return folders.map(folder => ({ folder, dumpName }));
  }))).flat();
  const usable = probed.flatMap(({ folder, dumpName }) => {
    const parsed = parseDumpBanner(folder.banner);
    const clientName = ['mariadb', 'mysql'].find(name => (dumpName === 'mysqldump' || name === 'mariadb') && fs.existsSync(path.join(folder.dir, name + EXE)));
    if (!parsed || !clientName) return [];
    return [{ ...folder, flavour: parsed.flavour, dump: path.join(folder.dir, dumpName + EXE), client: path.join(folder.dir, clientName + EXE) } satisfies MysqlTools];
  });
  const fits = (t: MysqlTools) => t.flavour === product && (product === 'MariaDB' || compareVersions(t.version, minorOf(serverVersion)) >= 0);
  const candidates = usable.filter(fits);
  const chosen = candidates.find(t => t.source === 'setting')
    ?? candidates.reduce<MysqlTools | undefined>((best, t) => !best || compareVersions(t.version, best.version) > 0 ? t : best, undefined);
  if (chosen) return chosen;
  const seen = usable.length === 0 ? 'no mariadb-dump or mysqldump with a client beside it'
    : [...new Map(usable.map(t => [t.dump, `${path.basename(t.dump)} ${t.version} (${t.flavour}) in ${t.dir}${t.source === 'setting' ? ' (the folder you set)' : ''}`])).values()].join(', ');
  const install = product === 'MariaDB'
    ? 'Install the MariaDB client (Debian/Ubuntu: apt install mariadb-client; RHEL: dnf install mariadb; macOS: brew install mariadb; Windows: the MariaDB MSI)'
    : `Install the MySQL ${minorOf(serverVersion)} client (Debian/Ubuntu: mysql-client from the MySQL APT repository; RHEL: mysql-community-client; macOS: brew install mysql-client; Windows: the MySQL installer)`;
  throw new LifeboatError('not-found',
    `The server is ${product} ${serverVersion}, and Lifeboat found ${seen}; it needs ${product === 'MariaDB' ? 'MariaDB\'s mariadb-dump and mariadb client' : `MySQL's mysqldump and mysql client, version ${minorOf(serverVersion)} or newer`}` +
    ` (${product === 'MariaDB' ? 'MySQL 8\'s mysqldump fails against MariaDB' : 'MariaDB\'s tools do not know MySQL 8\'s options'}).`,
    `${install}, or set lifeboat.mysql.binDir (CLI: --mysql-bin-dir) to the folder that holds them.`);
}

/** mariadb-binlog, which comes with the client (point-in-time recovery reads and replays binary logs with it). */
export function binlogToolOf(tools: MysqlTools): string {
  const tool = path.join(tools.dir, 'mariadb-binlog' + EXE);
  if (!fs.existsSync(tool)) throw new LifeboatError('not-found', `mariadb-binlog is not beside ${tools.client}.`, 'Install the whole MariaDB client (Debian/Ubuntu: mariadb-client).');
  return tool;
}

function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}
