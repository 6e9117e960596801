import * as fsp from 'node:fs/promises';
import { childEnv } from '../../core/childEnv';
import type { ServerConnection } from '../../core/connection';
import type { Scratch } from '../../core/scratch';
import type { MysqlProduct } from './source';

/**
 * How mariadb-dump / mysqldump and the client learn where to connect and with which password: an
 * option file readable only by this user, in the job's private folder of the runtime folder
 * (core/runtimeFolder.ts: removed afterwards, and by the next Lifeboat command if the process is
 * killed), named by `--defaults-extra-file`, which must be the tool's
 * FIRST argument or it is refused. Never `--password=` (argv is readable by every user of the
 * machine) and never MYSQL_PWD (it ends up in /proc/<pid>/environ).
 */
export async function clientOptionFile(c: ServerConnection, password: string | undefined, flavour: MysqlProduct, scratch: Scratch, name = 'client.cnf'): Promise<string> {
  const lines = ['[client]', `user=${quote(c.user)}`];
  if (password !== undefined) lines.push(`password=${quote(password)}`);
  if (c.host.startsWith('/')) {
    lines.push(`socket=${quote(c.host)}`);
  } else {
    // "localhost" would make the client use its default socket instead of the port asked for.
    lines.push(`host=${quote(c.host === 'localhost' ? '127.0.0.1' : c.host)}`, `port=${c.port}`);
    lines.push(...tlsLines(c.ssl, flavour));
  }
  const file = await scratch.secretFile(name);
  await fsp.writeFile(file, lines.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  return file;
}

/** The option file's argument, which must come first. */
export function defaultsArg(file: string): string {
  return `--defaults-extra-file=${file}`;
}

/** The environment for the tools: nothing inherited that could point them elsewhere or carry a
 *  password, and messages in English (Lifeboat reads them). */
export function mysqlToolEnv(): NodeJS.ProcessEnv {
  const env = childEnv();
  for (const key of ['MYSQL_HOST', 'MYSQL_TCP_PORT', 'MYSQL_UNIX_PORT', 'MYSQL_TEST_LOGIN_FILE', 'MYSQL_HISTFILE']) delete env[key];
  delete env.LC_ALL;
  env.LC_MESSAGES = 'C';
  env.LANGUAGE = 'C';
  return env;
}

/** Option-file values in double quotes: unquoted, "#" starts a comment and spaces are trimmed. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}"`;
}

/** The connection's TLS mode in each client's own words; "prefer" is both clients' default. */
function tlsLines(mode: ServerConnection['ssl'], flavour: MysqlProduct): string[] {
  if (mode === undefined || mode === 'prefer') return [];
  if (flavour === 'MySQL') return [`ssl-mode=${{ disable: 'DISABLED', require: 'REQUIRED', 'verify-full': 'VERIFY_IDENTITY' }[mode]}`];
  return { disable: ['skip-ssl'], require: ['ssl'], 'verify-full': ['ssl', 'ssl-verify-server-cert'] }[mode];
}
