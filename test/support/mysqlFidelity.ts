import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import type { MariadbServer } from './mariadbServer';
import { CHINOOK_FOLDER } from './chinook';

/**
 * Fixtures and the equality proof for MySQL/MariaDB backup/restore fidelity tests.
 *
 * - createHostileMysqlDatabase(): what breaks naive dumps: JSON, DECIMAL(65,30), a BLOB with every
 *   byte value, DATETIME(6) and TIMESTAMP written from other time zones, ENUM/SET, virtual and
 *   stored generated columns, an AUTO_INCREMENT counter ahead of the rows, a table without a
 *   primary key (duplicate rows), a foreign key, triggers, a procedure, a function, views, an
 *   event, utf8mb4 text with emoji, and identifiers with backticks, spaces and unicode.
 * - loadChinookMysql(): the Chinook sample (real data, foreign keys, unicode).
 * - objectDefinitions(): SHOW CREATE of every table, view, trigger, routine and event, the
 *   database's name taken out (a restore goes into a database of another name).
 * - tableChecksums(): every table's rows, read in a fixed order in UTC, hashed.
 * A restore is faithful when both are deep-equal for the source and the restored database.
 */

export const HOSTILE_TABLE = 'odd `name` ☃ table';
export const NO_KEY_TABLE = 'no key';

const q = (name: string) => '`' + name.replace(/`/g, '``') + '`';
const EVERY_BYTE = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('hex');

export async function createHostileMysqlDatabase(server: MariadbServer, database: string): Promise<void> {
  await server.createDatabase(database);
  const db = await createConnection({ ...server.clientOptions(database), multipleStatements: true });
  try {
    await db.query(`
      CREATE TABLE ${q('parent ref')} (id INT PRIMARY KEY, label VARCHAR(20)) ENGINE=InnoDB;
      CREATE TABLE ${q(HOSTILE_TABLE)} (
        id INT AUTO_INCREMENT PRIMARY KEY,
        ${q('json doc')} JSON,
        amount DECIMAL(65,30),
        payload BLOB,
        at6 DATETIME(6),
        stamp TIMESTAMP(6) NULL DEFAULT NULL,
        mood ENUM('a', 'b c', 'd''e', '☃'),
        flags SET('x', 'y', 'z z'),
        prose TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci,
        doubled INT AS (id * 2) VIRTUAL,
        tagged VARCHAR(64) AS (CONCAT('tag-', mood)) STORED,
        ${q('col`with`ticks')} VARCHAR(10),
        f DOUBLE, fl FLOAT, big BIGINT UNSIGNED, bits BIT(5), yr YEAR, tm TIME(3), vb VARBINARY(16),
        parent INT NULL,
        CONSTRAINT ${q('fk to parent')} FOREIGN KEY (parent) REFERENCES ${q('parent ref')} (id),
        KEY ${q('by mood')} (mood, at6)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='a table ''comment'' ☃';
      CREATE TABLE ${q(NO_KEY_TABLE)} (a INT, b TEXT) ENGINE=InnoDB;
      INSERT INTO ${q('parent ref')} VALUES (1, 'one'), (2, 'two');
      SET time_zone = '+05:30';
      INSERT INTO ${q(HOSTILE_TABLE)} (${q('json doc')}, amount, payload, at6, stamp, mood, flags, prose, ${q('col`with`ticks')}, f, fl, big, bits, yr, tm, vb, parent) VALUES
        ('{"a": [1, 2.5, null, true], "ü": "☃ \\\\"quoted\\\\""}', '12345678901234567890123456789012345.123456789012345678901234567890',
          X'${EVERY_BYTE}', '2024-02-29 23:59:59.999999', '2024-03-31 02:30:00.123456', 'd''e', 'x,z z', 'emoji 🚀🧪 and 中文, tab\there, newline\\nthere, backslash \\\\, quote '' and NUL \\0 end',
          'a\`b', 1.0000000000000002, 3.14159, 18446744073709551615, b'10101', 2155, '-838:59:59.000', X'00FF00', 1),
        (NULL, '-0.000000000000000000000000000001', X'', '1000-01-01 00:00:00.000000', '1970-01-01 05:30:01.000000', 'b c', '', '', NULL, -1e308, -0, 0, b'0', 1901, '00:00:00.001', NULL, NULL),
        ('[]', '0', NULL, NULL, NULL, '☃', 'y', NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, X'', 2);
      SET time_zone = '-08:00';
      INSERT INTO ${q(HOSTILE_TABLE)} (prose, stamp, mood) VALUES ('written from -08:00', '2038-01-18 19:14:07.000000', 'a');
      SET time_zone = '+00:00';
      INSERT INTO ${q(HOSTILE_TABLE)} (id, prose) VALUES (900, 'deleted, so AUTO_INCREMENT stays ahead of the rows');
      DELETE FROM ${q(HOSTILE_TABLE)} WHERE id = 900;
      INSERT INTO ${q(NO_KEY_TABLE)} VALUES (1, 'same'), (1, 'same'), (NULL, NULL), (2, '(not, a),(row');
      CREATE TRIGGER ${q('before `insert` ☃')} BEFORE INSERT ON ${q(HOSTILE_TABLE)} FOR EACH ROW SET NEW.prose = CONCAT(COALESCE(NEW.prose, ''), ' ✓');
      CREATE TRIGGER ${q('after delete')} AFTER DELETE ON ${q(NO_KEY_TABLE)} FOR EACH ROW INSERT INTO ${q('parent ref')} VALUES (OLD.a + 100, 'deleted');
      CREATE PROCEDURE ${q('proc `odd` name')}(IN n INT, OUT total DECIMAL(65,30))
        COMMENT 'sums; with a semicolon'
        BEGIN
          SELECT SUM(amount) INTO total FROM ${q(HOSTILE_TABLE)} WHERE id <= n;
        END;
      CREATE FUNCTION ${q('twice ☃')}(x INT) RETURNS INT DETERMINISTIC RETURN x * 2;
      CREATE VIEW ${q('view with space')} AS SELECT id, mood, ${q('twice ☃')}(id) AS t FROM ${q(HOSTILE_TABLE)} WHERE mood <> 'a';
      CREATE VIEW ${q('view of view')} AS SELECT COUNT(*) AS n FROM ${q('view with space')};
      CREATE EVENT ${q('nightly `job`')} ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE COMMENT 'never runs' DO DELETE FROM ${q(NO_KEY_TABLE)} WHERE a IS NULL;
    `);
  } finally {
    await db.end();
  }
}

/** Chinook from its MySQL script, into `database` (the script's own CREATE DATABASE/USE left out). */
export async function loadChinookMysql(server: MariadbServer, database: string): Promise<void> {
  await server.createDatabase(database);
  const script = fs.readFileSync(path.join(CHINOOK_FOLDER, 'Chinook_MySql.sql'), 'utf8')
    .replace(/^(DROP DATABASE|CREATE DATABASE|USE) .*$/gm, '');
  const db = await createConnection({ ...server.clientOptions(database), multipleStatements: true });
  try {
    await db.query(script);
  } finally {
    await db.end();
  }
}

export const CHINOOK_MYSQL_ROWS: Readonly<Record<string, number>> = {
  Album: 347, Artist: 275, Customer: 59, Employee: 8, Genre: 25, Invoice: 412, InvoiceLine: 2240,
  MediaType: 5, Playlist: 18, PlaylistTrack: 8715, Track: 3503,
};

type Row = RowDataPacket;

/** SHOW CREATE of every object, keyed "kind name", with the database's name replaced by "<db>". */
export async function objectDefinitions(server: MariadbServer, database: string): Promise<Record<string, unknown>> {
  const db = await createConnection(server.clientOptions(database));
  const out: Record<string, unknown> = {};
  const scrub = (value: unknown) => typeof value === 'string' ? value.split(q(database)).join('<db>').split(database).join('<db>') : value;
  try {
    const [[schema]] = await db.query<Row[]>('SELECT DEFAULT_CHARACTER_SET_NAME AS cs, DEFAULT_COLLATION_NAME AS co FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    out.database = { charset: schema.cs, collation: schema.co };
    const [tables] = await db.query<Row[]>('SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database]);
    for (const t of tables) {
      const view = t.type === 'VIEW';
      const [[row]] = await db.query<Row[]>(`SHOW CREATE ${view ? 'VIEW' : 'TABLE'} ${q(t.name)}`);
      out[`${view ? 'view' : 'table'} ${t.name}`] = scrub(row[view ? 'Create View' : 'Create Table']);
    }
    const [triggers] = await db.query<Row[]>('SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY TRIGGER_NAME', [database]);
    for (const t of triggers) {
      const [[row]] = await db.query<Row[]>(`SHOW CREATE TRIGGER ${q(t.name)}`);
      out[`trigger ${t.name}`] = { sql: scrub(row['SQL Original Statement']), mode: row.sql_mode, charset: row.character_set_client };
    }
    const [routines] = await db.query<Row[]>('SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME', [database]);
    for (const r of routines) {
      const [[row]] = await db.query<Row[]>(`SHOW CREATE ${r.type} ${q(r.name)}`);
      out[`${String(r.type).toLowerCase()} ${r.name}`] = { sql: scrub(row[r.type === 'PROCEDURE' ? 'Create Procedure' : 'Create Function']), mode: row.sql_mode };
    }
    const [events] = await db.query<Row[]>('SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ? ORDER BY EVENT_NAME', [database]);
    for (const e of events) {
      const [[row]] = await db.query<Row[]>(`SHOW CREATE EVENT ${q(e.name)}`);
      out[`event ${e.name}`] = { sql: scrub(row['Create Event']), mode: row.sql_mode, zone: row.time_zone };
    }
    return out;
  } finally {
    await db.end();
  }
}

/** Every base table's row count and a hash of its rows, all columns, ordered by every column, in UTC. */
export async function tableChecksums(server: MariadbServer, database: string): Promise<Record<string, { rows: number; sha256: string }>> {
  const db = await createConnection({ ...server.clientOptions(database), dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, rowsAsArray: true, timezone: 'Z' });
  try {
    await db.query("SET time_zone = '+00:00'");
    const [tables] = await db.query<Row[]>("SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", [database]);
    const out: Record<string, { rows: number; sha256: string }> = {};
    for (const [name] of tables as unknown as [string][]) {
      const [columns] = await db.query<Row[]>('SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [database, name]);
      const order = (columns as unknown as [string][]).map(([c]) => q(c)).join(', ');
      const [rows] = await db.query<Row[]>(`SELECT * FROM ${q(name)} ORDER BY ${order}`);
      const hash = createHash('sha256');
      for (const row of rows as unknown as unknown[][]) hash.update(JSON.stringify(row.map(v => Buffer.isBuffer(v) ? `0x${v.toString('hex')}` : v)) + '\n');
      out[name] = { rows: rows.length, sha256: hash.digest('hex') };
    }
    return out;
  } finally {
    await db.end();
  }
}
