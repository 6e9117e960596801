import type { Logger } from '../core/logger';
import { throttleProgress, type ProgressListener } from '../core/progress';
import { escapeControl } from '../core/terminalText';

/**
 * stdout carries the result (a JSON document with --json, readable lines otherwise); stderr
 * carries progress and log lines, so `lifeboat … --json | jq` always gets clean JSON.
 */
export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** Human output: one line, or several; any control character inside a line is escaped
 *  (escapeControl), so that a line break inside one cannot start a line of its own. */
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
    const shown = process.stdout.isTTY ? escapeControl(text, 'layout') : text;
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
  return lines.map(line => escapeControl(line)).join('\n') + '\n';
}
