import * as path from 'node:path';
import { LifeboatError } from './errors';

/**
 * What Lifeboat knows about a database it backs up. Passwords are never part of it: the editor
 * keeps them in SecretStorage, the CLI reads them from an environment variable or a 0600 file.
 */
export type EngineName = 'sqlite' | 'postgres' | 'mysql';

export const ENGINE_LABELS: Record<EngineName, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  mysql: 'MySQL / MariaDB',
};

interface ConnectionBase {
  /** Stable key: names the connection's folder in every backup destination. */
  id: string;
  name: string;
}

export interface SqliteConnection extends ConnectionBase {
  engine: 'sqlite';
  /** Absolute path of the database file (of the folder, for a folder group). */
  path: string;
  /** A folder group: every SQLite database directly in the folder `path`, backed up in one run,
   *  each as its own member connection (engines/sqlite/folderGroup.ts). */
  folder?: true;
}

export type SslMode = 'disable' | 'prefer' | 'require' | 'verify-full';

export interface ServerConnection extends ConnectionBase {
  engine: 'postgres' | 'mysql';
  /** Host name or address; for PostgreSQL a path starting with '/' is a socket directory. */
  host: string;
  port: number;
  database: string;
  user: string;
  ssl?: SslMode;
}

export type Connection = SqliteConnection | ServerConnection;

export const DEFAULT_PORTS = { postgres: 5432, mysql: 3306 } as const;

/** A connection and, if the URI carried one, its password (to be stored as a secret). */
export interface ParsedConnection {
  connection: Connection;
  password?: string;
}

const SQLITE_EXTENSIONS = /\.(sqlite3?|db3?|s3db|sl3)$/i;

/**
 * Parses `postgres://user:pass@host:5432/db?sslmode=require`, `mysql://` or `mariadb://…`,
 * `sqlite:///abs/path.db`, `file:///abs/path.db`, or a bare absolute path to a SQLite file.
 * `existingIds` keeps the generated id unique.
 */
export function parseConnectionUri(text: string, options: { name?: string; existingIds?: Iterable<string> } = {}): ParsedConnection {
  const input = text.trim();
  if (!input) throw new LifeboatError('usage', 'The connection URI is empty.', 'Paste something like postgres://user@host:5432/db or sqlite:///path/to/file.db.');

  const sqlitePath = sqlitePathFromUri(input);
  if (sqlitePath !== undefined) {
    const name = options.name ?? path.basename(sqlitePath);
    return { connection: { engine: 'sqlite', id: connectionIdFor('sqlite', name, options.existingIds), name, path: sqlitePath } };
  }

  let url: URL;
  try {
    // libpq allows an empty host ("postgres://me@/db?host=/var/run/postgresql"); WHATWG URL does
    // not when credentials are present, so parse it with a stand-in host that ?host= replaces.
    url = new URL(input.replace(/^([a-z]+:\/\/(?:[^@/]*@)?)(?=\/)/i, '$1localhost'));
  } catch {
    throw new LifeboatError('usage', `"${redactUri(input)}" is not a connection URI Lifeboat understands.`,
      'Use postgres://…, mysql://…, mariadb://…, sqlite:///path or an absolute path to a SQLite file.');
  }
  const scheme = url.protocol.replace(/:$/, '').toLowerCase();
  const engine = scheme === 'postgres' || scheme === 'postgresql' ? 'postgres'
    : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : undefined;
  if (!engine) {
    throw new LifeboatError('usage', `Unknown connection scheme "${scheme}:".`, 'Use postgres://, mysql://, mariadb:// or sqlite://.');
  }
  const params = url.searchParams;
  const host = params.get('host') ?? decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) ?? '';
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || params.get('dbname') || '';
  const user = decodeURIComponent(url.username) || params.get('user') || '';
  const password = url.password ? decodeURIComponent(url.password) : params.get('password') ?? undefined;
  const port = url.port ? Number(url.port) : params.get('port') ? Number(params.get('port')) : DEFAULT_PORTS[engine];
  const sslParam = params.get('sslmode') ?? params.get('ssl-mode') ?? params.get('ssl');
  const connection: ServerConnection = {
    engine,
    id: '',
    name: '',
    host: host || 'localhost',
    port,
    database,
    user,
  };
  const ssl = parseSslMode(sslParam);
  if (ssl) connection.ssl = ssl;
  connection.name = options.name ?? `${database || engine}@${connection.host}`;
  connection.id = connectionIdFor(engine, connection.name, options.existingIds);
  validateConnection(connection);
  return password === undefined ? { connection } : { connection, password };
}

function sqlitePathFromUri(input: string): string | undefined {
  if (/^sqlite:/i.test(input)) {
    const rest = input.replace(/^sqlite:(\/\/)?/i, '');
    return path.resolve(decodeURIComponent(rest));
  }
  if (/^file:/i.test(input)) return path.resolve(decodeURIComponent(new URL(input).pathname));
  if (path.isAbsolute(input) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) return path.resolve(input);
  if (SQLITE_EXTENSIONS.test(input) && !input.includes('://')) return path.resolve(input);
  return undefined;
}

function parseSslMode(value: string | null): SslMode | undefined {
  if (value === null) return undefined;
  const v = value.toLowerCase();
  // libpq's names and MySQL's (ssl-mode=DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY).
  if (v === 'disable' || v === 'disabled' || v === 'false' || v === '0') return 'disable';
  if (v === 'prefer' || v === 'allow' || v === 'preferred') return 'prefer';
  if (v === 'require' || v === 'required' || v === 'true' || v === '1') return 'require';
  if (v === 'verify-full' || v === 'verify-ca' || v === 'verify_identity' || v === 'verify_ca') return 'verify-full';
  throw new LifeboatError('usage', `Unknown SSL mode "${value}".`, 'Use disable, prefer, require or verify-full.');
}

/** A URI with its password replaced, safe for messages and logs. */
export function redactUri(text: string): string {
  return text.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/([?&]password=)[^&]*/i, '$1***');
}

/** A folder-safe, readable, unique id made from a connection's name. */
export function makeConnectionId(name: string, existingIds: Iterable<string> = []): string {
  const base = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'connection';
  const taken = new Set(existingIds);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

/**
 * The id of a connection given as a URI on the command line, made from its name. A server
 * connection's starts with its engine: postgres://u@h/shop and mysql://u@h/shop are both named
 * "shop@h", and with the same id their backups would share a folder and be listed as one
 * connection's. SQLite ids stay as they were (their names are file names, which no server
 * connection shares), so existing backup folders still match. The editor names connections
 * itself and keeps their ids unique among them (makeConnectionId with the ids it has).
 */
export function connectionIdFor(engine: EngineName, name: string, existingIds: Iterable<string> = []): string {
  return makeConnectionId(engine === 'sqlite' ? name : `${engine} ${name}`, existingIds);
}

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Checks a connection read from settings or a config file; throws a message naming the field. */
export function validateConnection(value: unknown): Connection {
  const c = value as Partial<Connection> & Record<string, unknown>;
  const where = typeof c?.name === 'string' ? `Connection "${c.name}"` : 'A connection';
  const fail = (what: string) => new LifeboatError('usage', `${where} ${what}.`, 'Fix it in lifeboat.connections (settings) or the CLI config file.');
  if (!c || typeof c !== 'object') throw fail('is not an object');
  if (typeof c.name !== 'string' || !c.name.trim()) throw fail('has no name');
  if (typeof c.id !== 'string' || !ID_PATTERN.test(c.id)) throw fail('needs an id of lowercase letters, digits and dashes');
  if ('password' in c) throw fail('holds a password; passwords belong in the secret store or an environment variable, never in settings');
  switch (c.engine) {
    case 'sqlite':
      if (typeof c.path !== 'string' || !path.isAbsolute(c.path)) throw fail(`needs an absolute "path" to the SQLite ${c.folder === true ? 'folder' : 'file'}`);
      if (c.folder !== undefined && c.folder !== true) throw fail('has "folder" set to something other than true');
      return { engine: 'sqlite', id: c.id, name: c.name, path: c.path, ...(c.folder ? { folder: true as const } : {}) };
    case 'postgres':
    case 'mysql': {
      const s = c as Partial<ServerConnection>;
      if (typeof s.host !== 'string' || !s.host) throw fail('needs a "host"');
      if (typeof s.port !== 'number' || !Number.isInteger(s.port) || s.port < 1 || s.port > 65535) throw fail('needs a "port" between 1 and 65535');
      if (typeof s.user !== 'string' || !s.user) throw fail('needs a "user"');
      if (typeof s.database !== 'string' || !s.database) throw fail('needs a "database"');
      const result: ServerConnection = { engine: c.engine, id: c.id, name: c.name, host: s.host, port: s.port, database: s.database, user: s.user };
      if (s.ssl) result.ssl = parseSslMode(s.ssl) ?? 'prefer';
      return result;
    }
    default:
      throw fail(`has an unknown engine "${String(c.engine)}" (use sqlite, postgres or mysql)`);
  }
}

/** "SQLite · /data/app.db" or "PostgreSQL · app@db.example.com:5432". */
export function describeConnection(c: Connection): string {
  if (c.engine === 'sqlite') return `${ENGINE_LABELS.sqlite} · ${c.folder ? `every database in ${c.path}` : c.path}`;
  return `${ENGINE_LABELS[c.engine]} · ${c.user}@${c.host}:${c.port}/${c.database}`;
}

/** The form of a connection id, for code that reads ids from outside (a manifest). */
export { ID_PATTERN as CONNECTION_ID_PATTERN };
