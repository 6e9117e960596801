import * as fsp from 'node:fs/promises';
import type { SqliteConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';

/**
 * What the path of a SQLite connection is, checked before SQLite opens it: SQLite reports a
 * folder as "disk I/O error" and takes /dev/null or an empty file for an empty database, which
 * would then be backed up and verified as one. A folder or a device is refused; an empty file is
 * backed up (it is a valid, empty database) with a warning, since that is rarely what was meant.
 */
export interface SqliteSourceFile {
  size: number;
  /** Set when the file is a database, but probably not the one meant. */
  warning?: string;
}

export async function checkSqliteSource(c: SqliteConnection): Promise<SqliteSourceFile> {
  const stat = await fsp.stat(c.path).catch((error: NodeJS.ErrnoException) => {
    throw new LifeboatError('not-found', `The SQLite database ${c.path} does not exist or cannot be read (${error.code}).`, `Check the path of connection "${c.name}".`);
  });
  if (stat.isDirectory()) {
    throw new LifeboatError('usage', `${c.path} is a folder, not a SQLite database file.`,
      'Point the connection at the database file, or add the folder as a folder connection (Lifeboat then backs up every database in it).');
  }
  if (!stat.isFile()) {
    throw new LifeboatError('usage', `${c.path} is not a regular file (a device, pipe or socket), so it holds no SQLite database.`, `Check the path of connection "${c.name}".`);
  }
  if (stat.size === 0) {
    return { size: 0, warning: `${c.path} is empty (0 bytes): SQLite reads it as a database without tables, so the backup holds nothing. Check the path if that is not what you meant.` };
  }
  return { size: stat.size };
}
