import { createHash } from 'node:crypto';
import { exactRows, openDatabase, transaction } from './sqlite';

/**
 * Generated SQLite databases for tests: thousands of rows, BLOBs with every byte value, unicode
 * text, and tables and columns whose names need quoting.
 */
export const ODD_TABLE = 'odd "table"; DROP TABLE x;--  名前 🚣';

export function createSampleDatabase(file: string, options: { rows?: number; wal?: boolean; blobBytes?: number } = {}): void {
  const rows = options.rows ?? 5000;
  const db = openDatabase(file);
  try {
    if (options.wal ?? true) db.exec('PRAGMA journal_mode = WAL');
    db.exec(`
      CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, balance NUMERIC, created_at TEXT);
      CREATE TABLE attachments (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), data BLOB, sha TEXT);
      CREATE TABLE "${ODD_TABLE.replace(/"/g, '""')}" ("weird col ""x""" TEXT, "ünïcødé" TEXT, n REAL);
      CREATE TABLE no_key (a TEXT, b INTEGER);
      CREATE INDEX customers_name ON customers(name);
      CREATE VIEW rich AS SELECT * FROM customers WHERE balance > 1000;
      CREATE TRIGGER touch AFTER UPDATE ON customers BEGIN UPDATE customers SET created_at = created_at WHERE id = NEW.id; END;
    `);
    const customer = db.prepare('INSERT INTO customers (name, email, balance, created_at) VALUES (?, ?, ?, ?)');
    const attachment = db.prepare('INSERT INTO attachments (customer_id, data, sha) VALUES (?, ?, ?)');
    const odd = db.prepare(`INSERT INTO "${ODD_TABLE.replace(/"/g, '""')}" VALUES (?, ?, ?)`);
    const noKey = db.prepare('INSERT INTO no_key VALUES (?, ?)');
    const names = ['Zoë', 'Renée', 'Łukasz', '山田太郎', 'Ödön', "O'Brien", 'Nguyễn', 'محمد', '🚣 Rower'];
    transaction(db, () => {
      for (let i = 1; i <= rows; i++) {
        customer.run(`${names[i % names.length]} ${i}`, `c${i}@example.com`, (i * 37.5) % 5000, new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString());
        if (i % 5 === 0) {
          const data = Buffer.alloc(options.blobBytes ?? 600, 0);
          for (let b = 0; b < data.length; b++) data[b] = (b + i) % 256;
          attachment.run(i, data, createHash('sha256').update(data).digest('hex'));
        }
        if (i % 10 === 0) odd.run(`weird ${i} "quoted" 'single'`, 'ñ€𝄞', i / 3);
        if (i % 7 === 0) noKey.run('dup', 1);
      }
    });
  } finally {
    db.close();
  }
}

/** Every table's rows in a fixed order, for comparing two databases row for row (integers exact,
 *  as bigints: exactRows). */
export function dumpRows(file: string): Record<string, unknown[]> {
  const db = openDatabase(file, { readOnly: true, mustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all().map(t => String(t.name));
    const result: Record<string, unknown[]> = {};
    for (const name of tables) {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      const columns = db.prepare(`PRAGMA table_info(${quoted})`).all().length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      result[name] = exactRows(db, `SELECT * FROM ${quoted} ORDER BY ${order}`);
    }
    result['(schema)'] = exactRows(db, 'SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name');
    return result;
  } finally {
    db.close();
  }
}

/**
 * Adds what a SQL dump finds hardest to the sample database: values at the edges of each type
 * (64-bit integers, reals that need 17 digits, ±Inf, the smallest subnormal, text with NUL, CR,
 * LF and quotes, empty text and BLOBs), rowids with gaps in a table without INTEGER PRIMARY KEY, a
 * WITHOUT ROWID table, a generated column, AUTOINCREMENT (sqlite_sequence), a trigger whose body
 * has several statements, statistics (sqlite_stat1), user_version and application_id.
 */
export function addHostileContent(file: string): void {
  const db = openDatabase(file);
  try {
    db.exec(`
      CREATE TABLE edge (id INTEGER PRIMARY KEY AUTOINCREMENT, i INTEGER, r REAL, t TEXT, b BLOB, anything);
      CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
      CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, c TEXT GENERATED ALWAYS AS ('x' || a) STORED);
      CREATE TABLE audit (at TEXT, what TEXT);
      CREATE TRIGGER edge_log AFTER INSERT ON edge BEGIN
        INSERT INTO audit VALUES ('now', 'inserted; ' || NEW.id);
        INSERT INTO audit VALUES ('again', 'END; not the end');
      END;
      CREATE VIEW "view; with "";"" quotes" AS SELECT k, v FROM kv WHERE v IS NOT NULL;
      CREATE INDEX edge_r ON edge(r DESC) WHERE r IS NOT NULL;
    `);
    const edge = db.prepare('INSERT INTO edge (i, r, t, b, anything) VALUES (?, ?, ?, ?, ?)');
    const big = 9223372036854775807n;
    const rows: (string | number | bigint | null | Uint8Array)[][] = [
      [big, 0.1, 'line1\nline2\r\nline3\r', Buffer.alloc(0), null],
      [-big - 1n, 0.30000000000000004, "it's \"quoted\" ; -- not a comment /* nor this */", Buffer.from([0, 1, 2, 255]), 1.5],
      [0, Infinity, 'nul\u0000inside', Buffer.from('X\'00\'', 'utf8'), 'text'],
      [1, -Infinity, '', null, Buffer.from([0xde, 0xad])],
      [null, 5e-324, 'ünïcødé 名前 🚣', Buffer.alloc(3000, 7), 42n],
      [2, 1.7976931348623157e308, 'CREATE TRIGGER x BEGIN; END;', null, -0.5],
      [3, 123456789.12345678, ' \t leading and trailing spaces \t ', null, 'x'.repeat(5000)],
    ];
    for (const row of rows) edge.run(...row);
    db.exec("DELETE FROM edge WHERE id = 4; INSERT INTO kv VALUES ('a', 1), ('b', NULL), ('c', X'00'), ('d', 'e');");
    db.exec('INSERT INTO gen (a) VALUES (1), (2), (NULL);');
    db.exec("INSERT INTO no_key (rowid, a, b) VALUES (1000, 'gap', 1), (5000, 'gap', 2); DELETE FROM no_key WHERE rowid = 7;");
    db.exec('ANALYZE; PRAGMA user_version = 42; PRAGMA application_id = 1396788580;');
  } finally {
    db.close();
  }
}

/** Each rowid table's rows with their rowids, which dumpRows leaves out. */
export function rowidsOf(file: string, tables: string[]): Record<string, unknown[]> {
  const db = openDatabase(file, { readOnly: true, mustExist: true });
  try {
    return Object.fromEntries(tables.map(t => [t, exactRows(db, `SELECT rowid, * FROM "${t.replace(/"/g, '""')}" ORDER BY rowid`)]));
  } finally {
    db.close();
  }
}
