import { DiskFullError, LifeboatError, explainIoError } from '../../core/errors';

/**
 * SQLite failures in words a person can act on. node:sqlite puts "ERR_SQLITE_ERROR" in `code` and
 * the text in `errstr` (the driver's own "must exist" check puts "SQLITE_CANTOPEN" in `code`), so
 * both the code and the message are consulted.
 */
export function explainSqliteError(error: unknown, file: string, action: string): LifeboatError {
  if (error instanceof LifeboatError) return error;
  const err = error as NodeJS.ErrnoException & { errstr?: string };
  const code = String(err.code ?? '');
  const text = `${code} ${err.errstr ?? ''} ${err.message ?? ''}`;
  if (/ENOSPC|SQLITE_FULL|database or disk is full/i.test(text)) {
    return new DiskFullError(`Could not ${action}: the disk is full (${file}).`, 'Free some space or choose another folder; nothing partial was kept.', { cause: error });
  }
  if (/SQLITE_NOTADB|file is not a database/i.test(text)) {
    return new LifeboatError('integrity', `${file} is not a SQLite database.`, 'Check the path; if it is encrypted (SQLCipher), Lifeboat cannot read it yet.', { cause: error });
  }
  if (/SQLITE_CORRUPT|malformed/i.test(text)) {
    return new LifeboatError('integrity', `${file} is damaged ("${err.message}").`, 'Run PRAGMA integrity_check on it; restore it from an earlier backup.', { cause: error });
  }
  if (/SQLITE_CANTOPEN|unable to open/i.test(text)) {
    return new LifeboatError('not-found', `Could not ${action}: ${file} cannot be opened (missing, or its folder is not readable).`, 'Check the path and the permissions of the file and its folder.', { cause: error });
  }
  if (/SQLITE_BUSY|SQLITE_LOCKED|database is locked/i.test(text)) {
    return new LifeboatError('io', `Could not ${action}: ${file} stayed locked by another process.`, 'Try again when the writer is idle; a database in WAL mode (PRAGMA journal_mode=WAL) can be backed up while it is written.', { cause: error });
  }
  if (/SQLITE_READONLY|SQLITE_PERM|SQLITE_AUTH/i.test(text)) {
    return new LifeboatError('io', `Could not ${action}: no permission for ${file}.`, 'Check the permissions of the file and of its folder (SQLite needs to create -wal/-shm files there).', { cause: error });
  }
  if (err.code && /^E[A-Z]+$/.test(err.code)) return explainIoError(error, action);
  return new LifeboatError('io', `Could not ${action} (${file}): ${err.message ?? String(error)}`, undefined, { cause: error });
}
