import BetterSqlite3 from 'better-sqlite3';
import { createHash } from 'node:crypto';

/**
 * Generated SQLite databases for tests: thousands of rows, BLOBs with every byte value, unicode
 * text, and tables and columns whose names need quoting.
 */
export const ODD_TABLE = 'odd "table"; DROP TABLE x;--  名前 🚣';

export function createSampleDatabase(file: string, options: { rows?: number; wal?: boolean; blobBytes?: number } = {}): void {
  const rows = options.rows ?? 5000;
  const db = new BetterSqlite3(file);
  try {
    if (options.wal ?? true) db.pragma('journal_mode = WAL');
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
    db.transaction(() => {
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
    })();
  } finally {
    db.close();
  }
}

/** Every table's rows in a fixed order, for comparing two databases row for row. */
export function dumpRows(file: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map(t => t.name);
    const result: Record<string, unknown[]> = {};
    for (const name of tables) {
      const quoted = `"${name.replace(/"/g, '""')}"`;
      const columns = (db.prepare(`PRAGMA table_info(${quoted})`).all() as unknown[]).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      result[name] = db.prepare(`SELECT * FROM ${quoted} ORDER BY ${order}`).raw().all();
    }
    result['(schema)'] = db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name').raw().all();
    return result;
  } finally {
    db.close();
  }
}
