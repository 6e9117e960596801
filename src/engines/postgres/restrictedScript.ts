import { randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { LifeboatError } from '../../core/errors';
import { compareVersions, probeToolFolders } from '../../core/toolDiscovery';
import type { PostgresTools } from './tools';

/**
 * A plain SQL backup is run by psql, and psql runs more than SQL: its meta-commands start shell
 * commands (\!, \copy … program, \o |…, \g |…), read other files (\i) or run generated SQL
 * (\gexec). A backup folder is input from outside, so the script is fed to psql after a
 * `\restrict <key>` line of Lifeboat's own, with a key nobody else knows: from there on psql
 * refuses every meta-command but `\unrestrict <that key>`, and with ON_ERROR_STOP the first one
 * ends the restore.
 *
 * pg_dump (15.14, 16.10, 17.6 and newer) writes the same protection itself: a `\restrict <its
 * key>` line in its header and `\unrestrict <its key>` as its last command. Under Lifeboat's
 * restriction psql would refuse both, so exactly those two lines are blanked on the way (the
 * header's, before any SQL; the last command's, after which only comments follow): blanking a
 * line never lets anything run, and lines keep their numbers. The stored bytes are hashed
 * before this, as they were written.
 */

/** The first psql of each branch that has \restrict without CVE-2026-18408 (\unrestrict's
 *  argument was backquote-expanded, so a script could still run a shell command). */
const RESTRICTING_PSQL: Record<number, string> = { 14: '14.24', 15: '15.19', 16: '16.15', 17: '17.11', 18: '18.6' };
const LAST_LISTED_MAJOR = 18;

export function psqlRestricts(version: string): boolean {
  const major = Number(version.split('.')[0]);
  if (major > LAST_LISTED_MAJOR) return true;
  const first = RESTRICTING_PSQL[major];
  return first !== undefined && compareVersions(version, first) >= 0;
}

/** Refuses, before anything is created, a psql that cannot be kept from running meta-commands. */
export async function requireRestrictingPsql(tools: PostgresTools): Promise<void> {
  const [psql] = await probeToolFolders('psql', [{ dir: tools.dir, source: tools.source }]);
  if (psql && psqlRestricts(psql.version)) return;
  const needed = Object.values(RESTRICTING_PSQL).join(', ');
  throw new LifeboatError('unsupported',
    `psql ${psql ? psql.version : '(its version could not be read)'} in ${tools.dir} cannot be kept from running the shell commands (\\!, \\copy … program, \\o |…) a plain SQL backup may hold; restoring one needs psql ${needed} or newer (its \\restrict).`,
    'Install current PostgreSQL client tools (a minor update of your version is enough) or set lifeboat.postgres.binDir (CLI: --pg-bin-dir) to the folder that holds them.');
}

/** psql's own report of a refused meta-command, with its line (psql runs the script as -f -). */
const REFUSED = /^psql:<stdin>:(\d+): error: (backslash commands are restricted; only \\unrestrict is allowed|\\unrestrict: wrong key)$/;
const OWN_RESTRICT = /^\\restrict ([A-Za-z0-9]+)\r?$/;
const HEADER_LINE = /^(?:--.*)?\r?$/;
/** How much of a header or of what follows the last \unrestrict is held back at most. */
const HOLD_LIMIT = 64 * 1024;
/** How much of the script is kept to quote a refused line (psql reads ahead less than this). */
const RECENT_BYTES = 4 * 1024 * 1024;
const NL = 0x0a;
const CR = Buffer.from('\r');
const EMPTY = Buffer.alloc(0);

export class RestrictedScript extends Transform {
  private readonly key = randomBytes(24).toString('hex');
  private inHeader = true;
  private header = Buffer.alloc(0);
  private dumpKey: string | undefined;
  /** The dump's `\unrestrict <key>` line and what followed it, until more than comments follow. */
  private held: Buffer | undefined;
  /** An unfinished last line that may yet become that `\unrestrict <key>` line. */
  private carry = EMPTY;
  private lineStart = true;
  /** Chunks as sent (after the first line), with the script line each starts on, for quoting. */
  private recent: { line: number; bytes: Buffer }[] = [];
  private recentBytes = 0;
  private nextLine = 1;

  constructor() {
    super();
    this.push(`\\restrict ${this.key}\n`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.inHeader) {
      this.header = Buffer.concat([this.header, chunk]);
      const rest = this.takeHeader(false);
      if (rest) this.body(rest);
    } else {
      this.body(chunk);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.inHeader) {
      const rest = this.takeHeader(true);
      if (rest) this.body(rest);
    }
    // A script whose last line, without a newline, is the dump's \unrestrict: that line goes.
    if (this.carry.length > 0 && !this.isUnrestrict(this.carry)) this.send(this.carry);
    if (this.held) this.send(blankFirstLine(this.held));
    done();
  }

  /**
   * Header lines (blank or comments) pass as they are, except the dump's `\restrict <key>`,
   * which is blanked; the first other line ends the header. Returns what follows the header once
   * it has ended, else holds the unfinished line.
   */
  private takeHeader(atEnd: boolean): Buffer | undefined {
    let start = 0;
    for (;;) {
      const end = this.header.indexOf(NL, start);
      if (end < 0 && !atEnd && this.header.length < HOLD_LIMIT) {
        this.send(this.header.subarray(0, start));
        this.header = this.header.subarray(start);
        return undefined;
      }
      const line = this.header.subarray(start, end < 0 ? this.header.length : end).toString('latin1');
      const own = this.dumpKey === undefined ? OWN_RESTRICT.exec(line) : null;
      if (own) {
        this.send(this.header.subarray(0, start));
        this.send(Buffer.from(end < 0 ? '' : '\n'));
        this.dumpKey = own[1];
        this.header = end < 0 ? Buffer.alloc(0) : this.header.subarray(end + 1);
        start = 0;
        continue;
      }
      if (end < 0 || !HEADER_LINE.test(line)) {
        this.inHeader = false;
        const rest = this.header;
        this.header = Buffer.alloc(0);
        return rest;
      }
      start = end + 1;
    }
  }

  /** After the header: everything passes, but the dump's `\unrestrict <key>` is held back
   *  until it is known to be the script's last command. */
  private body(chunk: Buffer): void {
    if (this.dumpKey === undefined) return this.send(chunk);
    if (this.held) {
      this.held = Buffer.concat([this.held, chunk]);
      if (this.held.length > HOLD_LIMIT || !onlyCommentsAfterFirstLine(this.held)) {
        const released = this.held;
        this.held = undefined;
        this.send(released);
      }
      return;
    }
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = EMPTY;
    const command = Buffer.from(`\\unrestrict ${this.dumpKey}`);
    for (let at = data.indexOf(command); at >= 0; at = data.indexOf(command, at + 1)) {
      const end = data.indexOf(NL, at);
      if (end < 0) break;
      if ((at === 0 ? this.lineStart : data[at - 1] === NL) && this.isUnrestrict(data.subarray(at, end))) {
        this.send(data.subarray(0, at));
        this.held = data.subarray(at);
        return this.body(EMPTY);
      }
    }
    // The line still arriving may be that command, cut between two chunks.
    const lastNl = data.lastIndexOf(NL);
    const partial = data.subarray(lastNl + 1);
    const atLineStart = lastNl >= 0 || this.lineStart;
    if (partial.length > 0 && atLineStart && partial.length <= command.length + 1 && Buffer.concat([command, CR]).subarray(0, partial.length).equals(partial)) {
      this.send(data.subarray(0, lastNl + 1));
      this.carry = Buffer.from(partial);
      return;
    }
    this.send(data);
  }

  private isUnrestrict(line: Buffer): boolean {
    return line.toString('latin1').replace(/\r$/, '') === `\\unrestrict ${this.dumpKey}`;
  }

  private send(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.recent.push({ line: this.nextLine, bytes });
    this.recentBytes += bytes.length;
    while (this.recentBytes - this.recent[0].bytes.length > RECENT_BYTES) this.recentBytes -= this.recent.shift()!.bytes.length;
    for (let at = bytes.indexOf(NL); at >= 0; at = bytes.indexOf(NL, at + 1)) this.nextLine++;
    this.lineStart = bytes[bytes.length - 1] === NL;
    this.push(bytes);
  }

  /** Line `line` of the script as sent, if it is still among the recent bytes. */
  private lineText(line: number): string | undefined {
    const first = this.recent.findIndex((c, i) => c.line <= line && (this.recent[i + 1]?.line ?? Infinity) >= line);
    if (first < 0) return undefined;
    const bytes = Buffer.concat(this.recent.slice(first).map(c => c.bytes));
    let start = 0;
    for (let n = this.recent[first].line; n < line; n++) {
      start = bytes.indexOf(NL, start) + 1;
      if (start === 0) return undefined;
    }
    const end = bytes.indexOf(NL, start);
    return bytes.subarray(start, end < 0 ? bytes.length : end).toString('utf8').replace(/\r$/, '');
  }

  /** psql refused a meta-command of the script: the error names it and its line. */
  explain(tail: string[]): LifeboatError | undefined {
    const refused = tail.map(line => REFUSED.exec(line)).find(match => match !== null);
    if (!refused) return undefined;
    // psql's line 1 is Lifeboat's \restrict: the script's lines come one later.
    const line = Number(refused[1]) - 1;
    const text = this.lineText(line);
    const shown = text === undefined ? '' : `: ${JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`;
    return new LifeboatError('verification',
      `The backup's SQL holds a psql meta-command at line ${line}${shown}. psql refused it (${refused[2]}), and the restore stopped before it could run anything on this machine.`,
      'pg_dump never writes such a command: this SQL was changed or made by someone else after the backup. Do not restore it; restore another backup, or read the SQL first.');
  }
}

function blankFirstLine(bytes: Buffer): Buffer {
  const end = bytes.indexOf(NL);
  return end < 0 ? Buffer.alloc(0) : bytes.subarray(end);
}

function onlyCommentsAfterFirstLine(bytes: Buffer): boolean {
  const end = bytes.indexOf(NL);
  if (end < 0) return true;
  const rest = bytes.subarray(end + 1).toString('latin1').split('\n');
  // The last piece may be a line still arriving: it must start like a comment or be empty.
  return rest.every((line, i) => i === rest.length - 1 ? line === '' || line.startsWith('-') || line === '\r' : HEADER_LINE.test(line));
}
