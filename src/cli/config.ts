import { DEFAULT_POLICY, parsePolicy, type ConnectionPolicy } from '../core/policy';
import { parseWebhooks, type Webhook } from '../core/alerts';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerSecretVariable } from '../core/childEnv';
import { parseConnectionUri, validateConnection, type Connection } from '../core/connection';
import { LifeboatError } from '../core/errors';
import { parseIdentities, type AgeIdentity } from '../core/ageFormat';
import { defaultCodec, parseCodec } from '../core/codec';
import type { Manifest } from '../core/manifest';
import { toolAccess, type ServerAccess } from '../engines/access';
import type { ServerTarget } from '../engines';
import type { BackupSettings } from '../engines/backupRequest';
import { parseCredentials, parseDestinationSettings, type DestinationSettings, type S3Keys } from '../storage/destinationSettings';

/**
 * The CLI's config file (JSON): where backups go and which connections exist. Passwords are never
 * in it: a connection names an environment variable (`passwordEnv`) or a file readable only by its
 * owner (`passwordFile`, mode 0600) that holds the password.
 *
 *   { "backupFolder": "/var/backups/lifeboat", "compression": "gzip", "compressionLevel": 6,
 *     "backupJobs": 0, "restoreJobs": 0, "scratchFolder": "/var/tmp/lifeboat",
 *     "connections": [ { "id": "app", "name": "App", "engine": "sqlite", "path": "/srv/app.db" },
 *                      { "id": "crm", "name": "CRM", "engine": "postgres", "host": "db", "port": 5432,
 *                        "user": "backup", "database": "crm", "passwordEnv": "CRM_PASSWORD" } ],
 *     "destinations": [ { "name": "offsite", "location": "s3://backups/lifeboat", "endpoint": "https://…",
 *                         "region": "auto", "credentialsFile": "/etc/lifeboat/offsite.json" } ] }
 *
 * A destination is used by its name (--backup-dir offsite, --copy-to offsite). Its keys are in the
 * 0600 credentials file it names ({"accessKeyId": …, "secretAccessKey": …}), or come from the AWS
 * default chain; never in the config file itself.
 */
export interface CliConnection {
  connection: Connection;
  passwordEnv?: string;
  passwordFile?: string;
  /** age recipients ("age1…") every backup of it is encrypted to. */
  encryptTo?: string[];
  /** Its tier (RPO, RTO), schedules and retention (what lifeboat prune keeps when no --keep-… flag
   *  is given): the connection's "tier", "rpo", "rto", "schedules", "retention" and
   *  "retentionByDestination". */
  policy: ConnectionPolicy;
}

export interface CliConfig extends BackupSettings {
  file?: string;
  /** Where backups go and are listed from: a folder (or a file:// URL of one), s3://bucket/prefix,
   *  or the name of one of `destinations`. */
  backupFolder: string;
  /** Destinations configured by name (S3 buckets and their settings, with their keys read). */
  destinations: DestinationSettings[];
  connections: CliConnection[];
  /** PostgreSQL restore jobs when --jobs is not given: 0 automatic (lifeboat.postgres.restoreJobs). */
  restoreJobs: number;
  /** Where jobs keep their intermediate files; default: beside the backups (core/job.ts). */
  scratchFolder?: string;
  /** Where pg_dump/pg_restore/psql are, if not where Lifeboat looks by itself. */
  postgresBinDir?: string;
  /** Where mariadb-dump/mysqldump and the client are. */
  mysqlBinDir?: string;
  /** Where the PostgreSQL server binaries (postgres, pg_ctl, pg_waldump) for recovery sandboxes are. */
  postgresServerBinDir?: string;
  /** Where the MariaDB server binaries (mariadbd, mariadb-install-db) for recovery sandboxes are. */
  mysqlServerBinDir?: string;
  /** Where recovery sandboxes are made (default: defaultSandboxFolder()). */
  sandboxFolder?: string;
  /** The account a sandbox server runs as when Lifeboat runs as root (default: postgres; mysql for MariaDB). */
  sandboxUser?: string;
  /** An age identity file (0600) that encrypted backups are decrypted with. */
  identityFile?: string;
  /** A 0600 file of the webhooks scheduled work alerts ({"webhooks": [{"kind": "slack", "url": …}]}):
   *  their URLs can hold secrets, so they are not in the config file itself. */
  alertsFile?: string;
}

export function defaultConfigPaths(): string[] {
  const configHome = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return [path.resolve('lifeboat.json'), path.join(configHome, 'lifeboat', 'config.json')];
}

export function defaultBackupFolder(): string {
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'lifeboat', 'backups');
}

export function loadConfig(options: { config?: string; backupDir?: string; pgBinDir?: string; mysqlBinDir?: string; scratchDir?: string; identity?: string }): CliConfig {
  const explicit = options.config ?? process.env.LIFEBOAT_CONFIG;
  const file = explicit ? path.resolve(explicit) : defaultConfigPaths().find(p => fs.existsSync(p));
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      throw new LifeboatError('usage', `The config file ${file} cannot be read.`, 'Check the --config path (or LIFEBOAT_CONFIG).');
    }
    try {
      raw = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new LifeboatError('usage', `The config file ${file} is not valid JSON: ${(error as Error).message}.`);
    }
  }
  const base = file ? path.dirname(file) : process.cwd();
  const connections = Array.isArray(raw.connections) ? raw.connections.map(c => readConnection(c, base)) : [];
  const destinations = readDestinations(raw.destinations, base, file);
  const named = (location: string, from: string) => destinations.some(d => d.name === location) ? location : resolveLocation(from, location);
  const folder = options.backupDir ?? process.env.LIFEBOAT_BACKUP_DIR ?? (typeof raw.backupFolder === 'string' ? named(raw.backupFolder, base) : defaultBackupFolder());
  const scratch = options.scratchDir ?? (typeof raw.scratchFolder === 'string' ? path.resolve(base, raw.scratchFolder) : undefined);
  return {
    ...(file ? { file } : {}),
    backupFolder: named(folder, process.cwd()),
    destinations,
    compression: typeof raw.compression === 'string' ? parseCodec(raw.compression) : defaultCodec(),
    ...(raw.compressionLevel !== undefined && raw.compressionLevel !== null ? { compressionLevel: whole(raw.compressionLevel, 'compressionLevel', 1, 22) } : {}),
    backupJobs: raw.backupJobs === undefined ? 0 : whole(raw.backupJobs, 'backupJobs', 0, 64),
    restoreJobs: raw.restoreJobs === undefined ? 0 : whole(raw.restoreJobs, 'restoreJobs', 0, 64),
    ...(scratch ? { scratchFolder: path.resolve(scratch) } : {}),
    connections,
    ...(options.pgBinDir ? { postgresBinDir: path.resolve(options.pgBinDir) }
      : typeof raw.postgresBinDir === 'string' ? { postgresBinDir: path.resolve(base, raw.postgresBinDir) } : {}),
    ...(options.mysqlBinDir ? { mysqlBinDir: path.resolve(options.mysqlBinDir) }
      : typeof raw.mysqlBinDir === 'string' ? { mysqlBinDir: path.resolve(base, raw.mysqlBinDir) } : {}),
    ...(typeof raw.alertsFile === 'string' ? { alertsFile: path.resolve(base, raw.alertsFile) } : {}),
    ...(typeof raw.postgresServerBinDir === 'string' ? { postgresServerBinDir: path.resolve(base, raw.postgresServerBinDir) } : {}),
    ...(typeof raw.mysqlServerBinDir === 'string' ? { mysqlServerBinDir: path.resolve(base, raw.mysqlServerBinDir) } : {}),
    ...(typeof raw.sandboxFolder === 'string' ? { sandboxFolder: path.resolve(base, raw.sandboxFolder) } : {}),
    ...(typeof raw.sandboxUser === 'string' ? { sandboxUser: raw.sandboxUser } : {}),
    ...(options.identity ?? process.env.LIFEBOAT_AGE_IDENTITY_FILE ? { identityFile: path.resolve(options.identity ?? process.env.LIFEBOAT_AGE_IDENTITY_FILE!) }
      : typeof raw.identityFile === 'string' ? { identityFile: path.resolve(base, raw.identityFile) } : {}),
  };
}

/** A folder relative to the config file, or a location with a scheme (file://…) as it is. */
function resolveLocation(base: string, location: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location : path.resolve(base, location);
}

/** The "destinations" list: each entry checked, names unique, keys read from its 0600 file. */
function readDestinations(value: unknown, base: string, file: string | undefined): DestinationSettings[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new LifeboatError('usage', `"destinations" in ${file ?? 'the config file'} must be a list.`);
  const seen = new Set<string>();
  return value.map((entry, i) => {
    const { settings, credentialsFile } = parseDestinationSettings(entry, `#${i + 1} in ${file ?? 'the config file'}`);
    if (seen.has(settings.name)) throw new LifeboatError('usage', `Two destinations in ${file ?? 'the config file'} are named "${settings.name}".`);
    seen.add(settings.name);
    const location = resolveLocation(base, settings.location);
    if (!credentialsFile) return { ...settings, location };
    const keys = path.resolve(base, credentialsFile);
    // Read when the destination is first used: a file that cannot be read fails that destination
    // only, not every command (one that backs up to a folder, say).
    let read: Promise<S3Keys> | undefined;
    const credentials = () => read ??= Promise.resolve().then(() => parseCredentials(readPrivateFile(keys, `credentials file of destination "${settings.name}"`), `The credentials file ${keys}`));
    return { ...settings, location, credentials };
  });
}

function whole(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LifeboatError('usage', `"${name}" in the config file must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)}).`);
  }
  return value;
}

function readConnection(value: unknown, base: string): CliConnection {
  const { passwordEnv, passwordFile, encryptTo, retention, retentionByDestination, tier, rpo, rto, schedules, ...rest } = value as Record<string, unknown>;
  if (encryptTo !== undefined && (!Array.isArray(encryptTo) || !encryptTo.every(r => typeof r === 'string'))) {
    throw new LifeboatError('usage', `"encryptTo" of connection ${JSON.stringify(rest.id ?? rest.name)} must be a list of age recipients (age1…).`);
  }
  if (rest.engine === 'sqlite' && typeof rest.path === 'string') rest.path = path.resolve(base, rest.path);
  const connection = validateConnection(rest);
  const written = Object.fromEntries(Object.entries({ tier, rpo, rto, schedules, retention, retentionByDestination }).filter(([, v]) => v !== undefined));
  const policy = Object.keys(written).length ? parsePolicy(written, `connection ${JSON.stringify(connection.id)}`) : DEFAULT_POLICY;
  // The variable holds a password: Lifeboat reads it, no child process gets it.
  if (typeof passwordEnv === 'string') registerSecretVariable(passwordEnv);
  return {
    connection,
    ...(typeof passwordEnv === 'string' ? { passwordEnv } : {}),
    ...(typeof passwordFile === 'string' ? { passwordFile: path.resolve(base, passwordFile) } : {}),
    ...(encryptTo ? { encryptTo: encryptTo as string[] } : {}),
    policy,
  };
}

/**
 * A connection by id or name from the config, or else a URI / SQLite path given on the command
 * line (which must not carry a password: argv is visible to every user of the machine).
 */
export function resolveConnection(config: CliConfig, reference: string): CliConnection {
  const found = config.connections.find(c => c.connection.id === reference) ?? config.connections.find(c => c.connection.name === reference);
  if (found) return found;
  let parsed;
  try {
    parsed = parseConnectionUri(reference);
  } catch {
    const known = config.connections.map(c => c.connection.id).join(', ') || 'none';
    throw new LifeboatError('usage', `No connection "${reference}" in ${config.file ?? 'the config (no config file found)'}.`,
      `Known connections: ${known}. Or give a SQLite path or a connection URI.`);
  }
  if (parsed.password !== undefined) {
    throw new LifeboatError('usage', 'A password on the command line is visible to every user of this machine; Lifeboat refuses it.',
      'Put the connection in the config file with "passwordEnv" or "passwordFile".');
  }
  const connection = parsed.connection;
  // Two files of the same name in different folders must not share a backup folder.
  if (connection.engine === 'sqlite') connection.id = `${connection.id.slice(0, 40)}-${createHash('sha256').update(connection.path).digest('hex').slice(0, 6)}`;
  return { connection, policy: DEFAULT_POLICY };
}

/** What a server engine needs to log in and find its tools. */
export function accessFor(config: CliConfig, c: CliConnection): ServerAccess {
  const password = readPassword(c);
  return toolAccess(password, config);
}

/** The server a backup is restored into or drilled on: `reference` if given, else the backup's own
 *  connection from the config. */
export function serverTargetFor(config: CliConfig, manifest: Manifest, reference?: string): ServerTarget | undefined {
  const c = reference ? resolveConnection(config, reference) : config.connections.find(x => x.connection.id === manifest.connection.id);
  if (!c) return undefined;
  if (c.connection.engine !== manifest.engine || c.connection.engine === 'sqlite') {
    throw new LifeboatError('usage', `"${c.connection.name}" is a ${c.connection.engine} connection; backup ${manifest.id} is of ${manifest.engine}.`);
  }
  return { connection: c.connection, access: accessFor(config, c) };
}

/** The password from the named environment variable or 0600 file; undefined when none is set. */
export function readPassword(c: CliConnection): string | undefined {
  if (c.passwordEnv) {
    const value = process.env[c.passwordEnv];
    if (value === undefined) {
      throw new LifeboatError('usage', `The environment variable ${c.passwordEnv} (password of "${c.connection.name}") is not set.`, `Export ${c.passwordEnv} before running lifeboat.`);
    }
    return value;
  }
  if (c.passwordFile) return readPrivateFile(c.passwordFile, `password file of "${c.connection.name}"`).replace(/\r?\n$/, '');
  return undefined;
}

/** The webhooks of `config.alertsFile` (0600), or none. */
export function readWebhooks(config: CliConfig): Webhook[] {
  if (!config.alertsFile) return [];
  const text = readPrivateFile(config.alertsFile, 'alerts file');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LifeboatError('usage', `The alerts file ${config.alertsFile} is not JSON.`);
  }
  return parseWebhooks(value, `The alerts file ${config.alertsFile}`);
}

/** A file that holds a secret, refused unless only its owner can read it (0600). */
function readPrivateFile(file: string, what: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new LifeboatError('usage', `The ${what} (${file}) does not exist.`);
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new LifeboatError('usage', `The ${what} (${file}) can be read by other users (mode ${(stat.mode & 0o777).toString(8)}).`, `Run: chmod 600 ${file}`);
  }
  return fs.readFileSync(file, 'utf8');
}

/** The age identities of `config.identityFile` (0600, as age-keygen writes it), or none. */
export function readIdentities(config: CliConfig): AgeIdentity[] {
  if (!config.identityFile) return [];
  return parseIdentities(readPrivateFile(config.identityFile, 'age identity file'), `The identity file ${config.identityFile}`);
}
