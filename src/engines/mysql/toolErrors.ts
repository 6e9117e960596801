import type { ServerConnection } from '../../core/connection';
import { DiskFullError, LifeboatError } from '../../core/errors';

/**
 * mariadb-dump / mysqldump and the client say what went wrong in their last lines; these are the
 * failures a person can act on, in words that say what to do. Anything else is shown as the
 * tool's own words (core/processes.ts toolFailed).
 */
export function explainMysqlTool(tool: string, c: ServerConnection, database: string, logFile?: string) {
  return (tail: string[]): LifeboatError | undefined => {
    const text = tail.join('\n');
    const where = `${c.host}${c.host.startsWith('/') ? '' : `:${c.port}`}`;
    if (/\b1045\b|Access denied for user/.test(text)) {
      return new LifeboatError('connection', `${tool} could not log in to ${where} as "${c.user}": ${firstError(tail)}.`, 'Check the user name and password of the connection.');
    }
    if (/\b1049\b|Unknown database/.test(text)) {
      return new LifeboatError('not-found', `The database "${database}" does not exist on ${where}.`, 'Check the database name.');
    }
    if (/\b2002\b|\b2003\b|\b2005\b|Can't connect|Unknown (?:MySQL|MariaDB) server host/.test(text)) {
      return new LifeboatError('connection', `${tool} could not reach ${where}: ${firstError(tail)}.`, 'Check that the server runs and that host and port are right.');
    }
    if (/ERROR 20(?:06|13)\b|Lost connection to (?:MySQL|MariaDB|server)|server has gone away/i.test(text)) {
      return new LifeboatError('connection', `${tool} lost its connection to ${where}: ${firstError(tail)}.`, 'Check that the server is running and reachable, then try again.');
    }
    if (/Errcode: 28|No space left on device/i.test(text)) {
      return new DiskFullError(`${tool} stopped: the server's disk is full (${firstError(tail)}).`, 'Free some space on the server, then try again.');
    }
    if (/you need \(at least one of\) the ([A-Z ,_]+) privilege/i.test(text)) {
      const privilege = /you need \(at least one of\) the ([A-Z ,_]+) privilege/i.exec(text)![1];
      return new LifeboatError('connection', `${tool} needs the ${privilege} privilege, which "${c.user}" does not have on ${where}: ${firstError(tail)}.`,
        `Grant it (GRANT ${privilege.split(',')[0].trim()} ON *.* TO the user), or back up as a user who has it.`);
    }
    if (/Binlogging on server not active/i.test(text)) {
      return new LifeboatError('io', `${tool} was asked for the binary-log position, but binary logging is off on ${where}.`, 'Run the backup again (Lifeboat checks the binary log first); if it persists, report it.');
    }
    const line = /^ERROR (\d+) \(([0-9A-Z]{5})\) at line (\d+)(?: in file: '[^']*')?: (.*)$/m.exec(text);
    if (line) {
      return new LifeboatError('io', `The restore stopped at line ${line[3]} of the dump: ${line[4]} (error ${line[1]}, SQLSTATE ${line[2]}).`,
        'Nothing more was applied after that line. If it names a missing user (DEFINER) or privilege, restore as a user who has it, or create that user first.');
    }
    // The dump tool's own error line, without the --verbose lines around it.
    const failed = tail.filter(l => /^(?:mariadb-dump|mysqldump): (?:Couldn't|Got error|Error)/.test(l)).at(-1);
    if (failed) return new LifeboatError('io', `${tool} failed: ${firstError([failed])}.`, logFile ? `The tool's full output is in ${logFile}.` : undefined);
    return undefined;
  };
}

/** The first line that reads like an error, without the tool's name in front. */
export function firstError(tail: string[]): string {
  const line = tail.find(l => /error|denied|couldn't|can't|unknown/i.test(l)) ?? tail.at(-1) ?? 'no output';
  return line.replace(/^(?:mariadb-dump|mysqldump|mariadb|mysql): /, '').replace(/\.$/, '');
}
