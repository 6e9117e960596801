import type { Logger } from '../core/logger';
import { throttleProgress, type ProgressListener } from '../core/progress';

/**
 * stdout carries the result (a JSON document with --json, readable lines otherwise); stderr
 * carries progress and log lines, so `lifeboat … --json | jq` always gets clean JSON.
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex -- the same, keeping a document's line breaks and tabs
const CONTROL_BUT_LAYOUT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from a backup folder (ids, names, file names, messages that quote them) is input from
 * outside: on a terminal, its control characters (C0 with ESC, CR and LF, DEL, C1) could move the
 * cursor, recolour or rewrite what was printed, or start a line that looks like Lifeboat's own
 * ("… verified"). Every human line is printed through this, so each shows as "\x1b" instead.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, hexEscape);
}

function hexEscape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** Human output: one line, or several; any control character inside a line is escaped. */
export type HumanText = string | readonly string[];

export class Output {
  constructor(private readonly options: OutputOptions) {}

  get json(): boolean {
    return this.options.json;
  }

  result(value: unknown, human: HumanText): void {
    process.stdout.write(this.options.json ? JSON.stringify(value, null, 2) + '\n' : humanLines(human));
  }

  /**
   * A document meant for a file as much as for the eye (the SQL a merge runs): written as it is
   * when stdout is a file or pipe, where its bytes are the data (a text value may hold any
   * character); on a terminal its control characters are escaped, its line breaks kept.
   */
  document(value: unknown, text: string): void {
    if (this.options.json) return this.result(value, '');
    const shown = process.stdout.isTTY ? text.replace(CONTROL_BUT_LAYOUT, hexEscape) : text;
    process.stdout.write(shown.replace(/\n?$/, '\n'));
  }

  readonly logger: Logger = {
    debug: message => { if (this.options.verbose) this.stderrLine('debug', message); },
    info: message => { if (this.options.verbose) this.stderrLine('info', message); },
    warn: message => this.stderrLine('warning', message),
    error: message => this.stderrLine('error', message),
  };

  /** On a terminal, one line that updates in place; in a log or pipe, a line per second; with
   *  --json, one JSON object per line ({"progress":0.42,"message":"…"}). */
  progress(): ProgressListener {
    if (this.options.quiet) return () => {};
    if (this.options.json) {
      return throttleProgress(u => process.stderr.write(JSON.stringify({ progress: Number(u.fraction.toFixed(4)), message: u.message }) + '\n'), 250);
    }
    if (process.stderr.isTTY) {
      return throttleProgress(u => {
        process.stderr.write(`\r\x1b[2K${(u.fraction * 100).toFixed(0).padStart(3)}%  ${escapeControl(u.message)}`);
        if (u.fraction >= 1) process.stderr.write('\n');
      }, 100);
    }
    return throttleProgress(u => process.stderr.write(`${(u.fraction * 100).toFixed(0).padStart(3)}%  ${escapeControl(u.message)}\n`), 1000);
  }

  /** "lifeboat: warning: …" on stderr (a JSON line with --json). */
  stderrLine(level: string, message: string): void {
    process.stderr.write(this.options.json ? JSON.stringify({ level, message }) + '\n' : `lifeboat: ${level}: ${escapeControl(message)}\n`);
  }
}

/** Several lines (a stack trace, a report) for the terminal: each line escaped, the breaks kept. */
export function humanLines(text: HumanText): string {
  const lines = typeof text === 'string' ? [text] : text;
  return lines.map(escapeControl).join('\n') + '\n';
}
