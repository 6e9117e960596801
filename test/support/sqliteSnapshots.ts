import * as fs from 'node:fs';
import * as path from 'node:path';
import { backup, openDatabase } from './sqlite';
import { listFiles } from './temp';

/**
 * Databases for incremental snapshot tests: large ones made fast (one INSERT … SELECT in SQLite),
 * changes scattered over the file, and SQLite's own backup-API copy of the same moment to compare
 * a restored snapshot with.
 */
export function createLargeDatabase(file: string, rows: number): void {
  const db = openDatabase(file);
  try {
    // Rows of about 400 bytes: a label that compresses and a payload that does not, about nine to
    // a 4 KiB page; ids in order, so row n lives in about page n / 9.
    db.exec(`CREATE TABLE items (id INTEGER PRIMARY KEY, grp INTEGER, label TEXT, payload BLOB);
      WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${rows})
      INSERT INTO items SELECT x, x % 97, printf('item %08d of group %d, a label that compresses', x, x % 97), randomblob(300) FROM c;
      CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
      INSERT INTO notes (body) VALUES ('first'), ('second');`);
  } finally {
    db.close();
  }
}

/** Rewrites the payload of every `every`-th row (starting at `offset`) with new bytes of the same
 *  size: one leaf page each, spread over the whole file, no page split. */
export function changeScattered(file: string, every: number, offset = 0): number {
  const db = openDatabase(file);
  try {
    return Number(db.prepare('UPDATE items SET payload = randomblob(300) WHERE id % ? = ?').run(every, offset).changes);
  } finally {
    db.close();
  }
}

/** A copy made with SQLite's online backup API (node:sqlite's backup()), as of now. */
export async function backupApiCopy(file: string, target: string): Promise<void> {
  const db = openDatabase(file, { readOnly: true });
  try {
    await backup(db, target);
  } finally {
    db.close();
  }
}

/** How many pages of `pageSize` differ between two files (a page missing from one counts). */
export function differingPages(a: string, b: string, pageSize = 4096): { differing: number; pages: number } {
  const x = fs.readFileSync(a);
  const y = fs.readFileSync(b);
  const pages = Math.ceil(Math.max(x.length, y.length) / pageSize);
  let differing = 0;
  for (let page = 0; page < pages; page++) {
    const start = page * pageSize;
    if (!x.subarray(start, start + pageSize).equals(y.subarray(start, start + pageSize))) differing++;
  }
  return { differing, pages };
}

/** The pack files in a backup folder's blocks folders ("<connection>/blocks/<name>"). */
export function packFiles(folder: string): string[] {
  return listFiles(folder).filter(f => f.split(path.sep)[1] === 'blocks').map(f => path.basename(f));
}
