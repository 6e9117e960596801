import * as readline from 'node:readline';
import { LifeboatError } from '../../../core/errors';
import { runTool } from '../../../core/processes';
import { mysqlToolEnv } from '../toolEnv';

/**
 * The transactions in binary log files, read from mariadb-binlog's own account of them (run with
 * TZ=UTC: it prints event times in the client's zone). Each transaction starts at a GTID event,
 * "# at 1105" then "#261204  1:31:33 server id 1  end_log_pos 1147 CRC32 … GTID 0-1-6 trans",
 * and ends where the next one starts. Binary log times are whole seconds.
 */
export interface BinlogTransaction {
  file: string;
  /** Where its GTID event starts: replay with --stop-position=<this> stops before it. */
  position: number;
  /** Where its last event ends. */
  end: number;
  gtid: string;
  /** The event's time, to the second. */
  time: Date;
  /**
   * A statement in it that names `database` but was logged under another default database: a
   * replay kept to `database` (mariadb-binlog --database, as replication filters do) leaves it
   * out. Found only when readBinlogTransactions is given the database.
   */
  foreignStatement?: string;
}

const AT = /^# at (\d+)$/;
const EVENT = /^#(\d{2})(\d{2})(\d{2})\s+(\d{1,2}):(\d{2}):(\d{2}) server id \d+\s+end_log_pos (\d+)\b.*?\t(.*)$/;
const GTID = /^GTID (\d+-\d+-\d+)/;

const USE = /^use `((?:[^`]|``)+)`\/\*!\*\/;$/;
const STATEMENT_END = '/*!*/;';

/** Every transaction in `files` (full paths, in order), by running `binlogTool` on them. */
export async function readBinlogTransactions(binlogTool: string, files: string[], signal?: AbortSignal, database?: string): Promise<BinlogTransaction[]> {
  const mentions = database ? new RegExp(`(?:\`${escapeRegExp(database.replace(/`/g, '``'))}\`|\\b${escapeRegExp(database)})\\s*\\.`, 'i') : undefined;
  const found: BinlogTransaction[] = [];
  for (const file of files) {
    const env = { ...mysqlToolEnv(), TZ: 'UTC' };
    const run = runTool({ label: `mariadb-binlog of ${file}`, command: binlogTool, args: ['--no-defaults', '--base64-output=decode-rows', file], env, stdout: 'pipe', signal });
    const lines = readline.createInterface({ input: run.child.stdout!, crlfDelay: Infinity });
    let at: number | undefined;
    let current: BinlogTransaction | undefined;
    // Statement events print `use` (when the default database changes), SET lines, then the
    // statement, ended by "/*!*/;".
    let defaultDb: string | undefined;
    let statement: string[] | undefined;
    const name = file.slice(file.lastIndexOf('/') + 1);
    const reading = (async () => {
      for await (const line of lines) {
        const position = AT.exec(line);
        if (position) {
          at = Number(position[1]);
          continue;
        }
        if (!line.startsWith('#')) {
          const use = USE.exec(line);
          if (use) defaultDb = use[1].replace(/``/g, '`');
          else if (statement && !line.startsWith('SET ')) {
            if (line === STATEMENT_END || line.endsWith(STATEMENT_END)) {
              const text = [...statement, line.slice(0, -STATEMENT_END.length)].join('\n').trim();
              if (current && mentions && defaultDb !== database && !current.foreignStatement && mentions.test(text)) current.foreignStatement = text.slice(0, 300);
              statement = undefined;
            } else {
              statement.push(line);
            }
          }
          continue;
        }
        const event = EVENT.exec(line);
        if (!event) continue;
        const [, yy, mo, dd, hh, mi, ss, endPos, what] = event;
        statement = mentions && /^Query\b/.test(what) ? [] : undefined;
        const gtid = GTID.exec(what);
        if (gtid && at !== undefined) {
          current = { file: name, position: at, end: Number(endPos), gtid: gtid[1], time: new Date(Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh), Number(mi), Number(ss))) };
          found.push(current);
        } else if (current && !/^(Rotate|Stop|Start|Gtid list|Binlog checkpoint)\b/.test(what)) {
          current.end = Number(endPos);
        }
      }
    })();
    await Promise.all([reading, run.done]).catch(error => {
      throw error instanceof LifeboatError ? error : new LifeboatError('verification', `mariadb-binlog could not read ${file}: ${(error as Error).message}`, 'The archived binary log may be damaged.', { cause: error });
    });
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
