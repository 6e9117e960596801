import type { ServerConnection } from '../../core/connection';
import { LifeboatError, toolDiskFull } from '../../core/errors';
import { toolFailed } from '../../core/processes';

/**
 * pg_dump, pg_restore and psql say precisely what went wrong on stderr; this turns the common
 * cases into what to do about them, and otherwise shows the tool's own error lines.
 */
export function explainPostgresTool(tool: string, c: ServerConnection, database: string, logFile?: string) {
  return (tail: string[], exitCode: number | null, signal: NodeJS.Signals | null): LifeboatError => {
    const text = tail.join('\n');
    const where = `${c.host}:${c.port}`;
    const log = logFile ? ` The tool's full output is in ${logFile}.` : '';
    if (/password authentication failed/i.test(text)) {
      return new LifeboatError('connection', `PostgreSQL refused the password for user "${c.user}" on ${where}.`, 'Check the password (set it again with Add Connection, or the CLI\'s passwordEnv / passwordFile).');
    }
    if (/no password supplied/i.test(text)) {
      return new LifeboatError('connection', `PostgreSQL on ${where} asks for a password and none is stored for "${c.name}".`, 'Set the password (Add Connection again, or the CLI\'s passwordEnv / passwordFile).');
    }
    if (/database "(.*)" does not exist/i.test(text)) {
      return new LifeboatError('connection', `The database "${database}" does not exist on ${where}.`, 'Check the database name of the connection.');
    }
    if (/Connection refused|could not connect to server|No such file or directory\s+Is the server running/i.test(text)) {
      return new LifeboatError('connection', `Nothing is listening on ${where}: ${tool} could not connect.`, 'Is the server running? Check the host and port of the connection.');
    }
    if (/server version mismatch/i.test(text)) {
      return new LifeboatError('unsupported', `${tool} is older than the server: ${firstError(tail)}.`, 'Install newer PostgreSQL client tools or set lifeboat.postgres.binDir.');
    }
    if (/server closed the connection unexpectedly|terminating connection|could not receive data from server|SSL SYSCALL error|no connection to the server|connection to server .* lost/i.test(text)) {
      return new LifeboatError('connection', `${tool} lost its connection to ${where}: ${firstError(tail)}.`, `Check that the server is running and reachable, then try again.${log}`);
    }
    if (/No space left on device|could not (write|extend).*space/i.test(text)) {
      return toolDiskFull(tool === 'pg_dump' ? 'write the backup' : 'restore', tool, firstError(tail));
    }
    if (/role "(.*)" does not exist/i.test(text)) {
      return new LifeboatError('io', `${tool} failed: ${firstError(tail)}.`, `The backup names owners or grantees that this server lacks: create those roles, or restore with "no owner" (--no-owner) and "no privileges".${log}`);
    }
    if (/ERROR:\s+(relation|schema|type|function|sequence|index|constraint|trigger|extension) .* already exists/i.test(text)) {
      return new LifeboatError('io', `${tool} stopped: ${firstError(tail)}.`, `The database already holds objects the backup creates: restore into a new database, or with "clean" (--clean), which drops the backup's objects first.${log}`);
    }
    if (/permission denied/i.test(text)) {
      return new LifeboatError('connection', `${tool} was refused access on ${where}: ${firstError(tail)}.`, `User "${c.user}" needs to read every object backed up (or restore into a database it owns).${log}`);
    }
    return toolFailed(tool, tail, exitCode, signal, logFile);
  };
}

/** The first line that reads like an error, without the tool's prefix. */
export function firstError(tail: string[]): string {
  const line = tail.find(l => /error|fatal|could not|failed/i.test(l)) ?? tail.at(-1) ?? '';
  return line.replace(/^(pg_dump|pg_restore|psql)(:\s*(error|fatal|warning))?:\s*/i, '').trim();
}
