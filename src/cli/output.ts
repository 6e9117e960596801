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

export class Output {
  constructor(private readonly options: OutputOptions) {}

  get json(): boolean {
    return this.options.json;
  }

  result(value: unknown, human: string): void {
    process.stdout.write(this.options.json ? JSON.stringify(value, null, 2) + '\n' : human.replace(/\n?$/, '\n'));
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
        process.stderr.write(`\r\x1b[2K${(u.fraction * 100).toFixed(0).padStart(3)}%  ${u.message}`);
        if (u.fraction >= 1) process.stderr.write('\n');
      }, 100);
    }
    return throttleProgress(u => process.stderr.write(`${(u.fraction * 100).toFixed(0).padStart(3)}%  ${u.message}\n`), 1000);
  }

  private stderrLine(level: string, message: string): void {
    process.stderr.write(this.options.json ? JSON.stringify({ level, message }) + '\n' : `lifeboat: ${level}: ${message}\n`);
  }
}
