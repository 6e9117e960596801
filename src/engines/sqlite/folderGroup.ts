import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { makeConnectionId, type SqliteConnection } from '../../core/connection';
import { LifeboatError } from '../../core/errors';

/**
 * A folder of SQLite databases as one connection (the field guide backs up every database of an
 * application in one run). The members are the files directly in the folder that start with
 * SQLite's header, found afresh at each run, so a database added to the folder is backed up
 * from then on. Each member is its own connection with a stable id derived from the group's id
 * and the file's name: its backups, verification and restore work as for any SQLite file.
 */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
/** Journal, WAL and shared-memory files belong to their database; they are never members. */
const COMPANION = /-(?:wal|shm|journal)$/;

export async function sqliteFolderMembers(group: SqliteConnection): Promise<SqliteConnection[]> {
  let names: string[];
  try {
    names = (await fsp.readdir(group.path, { withFileTypes: true })).filter(d => d.isFile() && !COMPANION.test(d.name)).map(d => d.name).sort();
  } catch (error) {
    throw new LifeboatError('not-found', `The folder ${group.path} of "${group.name}" cannot be read (${(error as NodeJS.ErrnoException).code}).`, `Check the path of connection "${group.name}".`);
  }
  const members: SqliteConnection[] = [];
  for (const name of names) {
    const file = path.join(group.path, name);
    if (await startsWithSqliteHeader(file)) members.push(memberConnection(group, name));
  }
  return members;
}

export function memberConnection(group: SqliteConnection, fileName: string): SqliteConnection {
  // The name's hash keeps two files whose names make the same slug ("a b.db", "a-b.db") apart.
  const suffix = createHash('sha256').update(fileName).digest('hex').slice(0, 6);
  const id = `${makeConnectionId(`${group.id} ${fileName}`).slice(0, 56)}-${suffix}`;
  return { engine: 'sqlite', id, name: `${group.name} / ${fileName}`, path: path.join(group.path, fileName) };
}

async function startsWithSqliteHeader(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await fsp.open(file, 'r');
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(SQLITE_HEADER);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
