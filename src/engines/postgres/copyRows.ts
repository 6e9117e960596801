import { Transform } from 'node:stream';
import { parseCopyTarget, tableKey } from './tableNames';

/**
 * Counts the rows of every COPY block in SQL text as pg_dump writes it (a plain dump, or
 * `pg_restore --data-only -f -`): "COPY schema.table (cols) FROM stdin;", one line per row, "\.".
 * Newlines inside values are escaped in COPY text, so a row is exactly one line. Passes the bytes
 * on unchanged; counting is a memchr-speed scan for newlines.
 */
export class CopyRowCounter extends Transform {
  /** Rows per table, keyed by tableKey(schema, table). */
  readonly rows = new Map<string, number>();
  /** Set once "-- PostgreSQL database dump complete" has been seen (plain dumps end with it). */
  complete = false;
  private table?: string;
  private line = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    let start = 0;
    while (start < chunk.length) {
      if (this.table !== undefined && this.line === '') {
        // Inside a COPY block: count whole lines quickly until the terminator line.
        const end = chunk.indexOf(10, start);
        if (end < 0) {
          this.line = chunk.toString('latin1', start);
          break;
        }
        if (end - start === 2 && chunk[start] === 0x5c && chunk[start + 1] === 0x2e) {
          this.table = undefined;
        } else {
          this.rows.set(this.table, (this.rows.get(this.table) ?? 0) + 1);
        }
        start = end + 1;
        continue;
      }
      const end = chunk.indexOf(10, start);
      if (end < 0) {
        this.line += chunk.toString('utf8', start);
        break;
      }
      const line = this.line + chunk.toString(this.table !== undefined ? 'latin1' : 'utf8', start, end);
      this.line = '';
      start = end + 1;
      this.takeLine(line);
    }
    done(null, chunk);
  }

  override _flush(done: (error?: Error | null) => void): void {
    if (this.line) this.takeLine(this.line);
    done();
  }

  private takeLine(line: string): void {
    if (this.table !== undefined) {
      if (line === '\\.') this.table = undefined;
      else this.rows.set(this.table, (this.rows.get(this.table) ?? 0) + 1);
      return;
    }
    if (line.startsWith('COPY ') && line.endsWith(' FROM stdin;')) {
      const parsed = parseCopyTarget(line.slice(5));
      const name = parsed && tableKey(...parsed);
      if (name) {
        this.table = name;
        this.rows.set(name, this.rows.get(name) ?? 0);
      }
    } else if (line === '-- PostgreSQL database dump complete') {
      this.complete = true;
    }
  }
}
