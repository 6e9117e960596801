import { openDatabase, transaction, type Database } from './sqlite';

/**
 * A restored copy and a production database after an accident, as two SQLite files:
 * - `customers`: 100,000 rows in the backup; production lost about 3,000 of them, gained 2,000
 *   that the backup never had (ids the backup skips, so they sit between the others in key order),
 *   and about 1,500 had their name, balance or note changed (some to or from NULL);
 * - `settings`: a small table keyed by text, with one changed row and one missing row;
 * - `audit_log`: no key, duplicate rows, copies differing per side;
 * - `orders`: 100,000 rows in the backup, none in production (a DELETE without WHERE): as many
 *   differences as rows, the grid's worst case.
 */
export const ORDERS_ROWS = 100_000;
export const CUSTOMERS = {
  /** Ids 1..LAST_ID, without those in the backup-skipped set: 100,000 rows. */
  lastId: 102_000,
  inBackup: (id: number) => id % 51 !== 0,
  inProduction: (id: number) => id % 51 === 0 || id % 34 !== 5,
  changedInProduction: (id: number) => id % 51 !== 0 && id % 34 !== 5 && id % 67 === 11,
  /** The differences the generator made, counted from the rules above. */
  expectedCounts(): { onlyInBackup: number; onlyInProduction: number; changed: number } {
    const counts = { onlyInBackup: 0, onlyInProduction: 0, changed: 0 };
    for (let id = 1; id <= CUSTOMERS.lastId; id++) {
      const backup = CUSTOMERS.inBackup(id), production = CUSTOMERS.inProduction(id);
      if (backup && !production) counts.onlyInBackup++;
      else if (!backup && production) counts.onlyInProduction++;
      else if (CUSTOMERS.changedInProduction(id)) counts.changed++;
    }
    return counts;
  },
};

export function createDiffDatabases(backupFile: string, productionFile: string): void {
  const backup = openDatabase(backupFile);
  const production = openDatabase(productionFile);
  try {
    for (const db of [backup, production]) {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec(`
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, balance NUMERIC(12,2), active INTEGER NOT NULL, updated_at TEXT NOT NULL, note TEXT);
        CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT NOT NULL);
        CREATE TABLE audit_log (actor TEXT, action TEXT, at TEXT);
        CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, amount NUMERIC(10,2) NOT NULL, placed_at TEXT NOT NULL);
      `);
    }
    const names = ['Zoë Adler', 'Renée Blanc', 'Łukasz Nowak', '山田太郎', "Seán O'Brien", 'Nguyễn Văn An', 'Ada Lovelace'];
    const customer = (id: number, changed: boolean): (string | number | null)[] => [
      id,
      changed && id % 3 === 0 ? `${names[id % names.length]} (renamed)` : `${names[id % names.length]} ${id}`,
      `c${id}@example.com`,
      changed && id % 3 !== 2 ? ((id * 37) % 500000) / 100 + 10 : ((id * 37) % 500000) / 100,
      id % 9 === 0 ? 0 : 1,
      new Date(Date.UTC(2025, 0, 1) + id * 60_000).toISOString().replace('T', ' ').replace('Z', ''),
      changed && id % 3 === 2 ? 'VIP since the spring' : id % 4 === 0 ? null : `note ${id}`,
    ];
    const insertCustomer = (db: Database) => db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?)');
    transaction(backup, () => {
      const insert = insertCustomer(backup);
      for (let id = 1; id <= CUSTOMERS.lastId; id++) if (CUSTOMERS.inBackup(id)) insert.run(...customer(id, false));
    });
    transaction(production, () => {
      const insert = insertCustomer(production);
      for (let id = 1; id <= CUSTOMERS.lastId; id++) if (CUSTOMERS.inProduction(id)) insert.run(...customer(id, CUSTOMERS.changedInProduction(id)));
    });

    transaction(backup, () => {
      const insert = backup.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
      for (let id = 1; id <= ORDERS_ROWS; id++) insert.run(id, 1 + (id * 7) % 5000, ((id * 13) % 100000) / 100, new Date(Date.UTC(2025, 3, 1) + id * 20_000).toISOString().slice(0, 19).replace('T', ' '));
    });

    const settings = [['currency', 'EUR'], ['locale', 'de-DE'], ['max_cart', '40'], ['retention_days', '30'], ['theme', 'dark'], ['vat', '0.19']];
    transaction(backup, () => {
      for (const [key, value] of settings) backup.prepare('INSERT INTO settings VALUES (?, ?, ?)').run(key, value, '2025-04-01 09:00:00');
    });
    transaction(production, () => {
      for (const [key, value] of settings) {
        if (key === 'retention_days') continue;
        production.prepare('INSERT INTO settings VALUES (?, ?, ?)').run(key, key === 'vat' ? '0.21' : value, key === 'vat' ? '2025-04-02 10:31:00' : '2025-04-01 09:00:00');
      }
    });

    const log = (db: Database, rows: [string, string, string, number][]) => transaction(db, () => {
      for (const [actor, action, at, copies] of rows) for (let i = 0; i < copies; i++) db.prepare('INSERT INTO audit_log VALUES (?, ?, ?)').run(actor, action, at);
    });
    log(backup, [['alice', 'login', '2025-04-02 10:00', 3], ['bob', 'refund #4411', '2025-04-02 10:12', 1], ['carol', 'export', '2025-04-02 10:20', 2]]);
    log(production, [['alice', 'login', '2025-04-02 10:00', 1], ['carol', 'export', '2025-04-02 10:20', 2], ['mallory', 'DELETE customers', '2025-04-02 10:30', 1]]);
  } finally {
    backup.close();
    production.close();
  }
}
