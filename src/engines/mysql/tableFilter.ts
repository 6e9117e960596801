import { Transform } from 'node:stream';
import { DUMP_SECTION, unquoteIdentifier } from './dumpScanner';

/**
 * Passes on only what a restore of chosen tables needs from a mariadb-dump / mysqldump stream:
 * the header (session settings), each chosen table's sections (structure, data and the triggers
 * the tools write after the data) and the footer that restores the settings. Other tables, views,
 * routines and events are left out. The tools mark every section with a comment line naming it,
 * so the stream is cut at those lines; row lines pass through without being decoded.
 */
export class TableFilter extends Transform {
  private keep = true;
  /** The current line, while it is short enough to be a section comment and not yet ended. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Whether the rest of the current line is passed on, once it is known not to be a marker. */
  private lineDecision: boolean | undefined;
  readonly seen = new Set<string>();

  constructor(private readonly tables: ReadonlySet<string>) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      const end = newline < 0 ? chunk.length : newline + 1;
      const segment = chunk.subarray(start, end);
      if (this.lineDecision !== undefined) {
        if (this.lineDecision) this.push(segment);
      } else {
        this.pending.push(segment);
        this.pendingBytes += segment.length;
        if (newline >= 0) {
          const line = Buffer.concat(this.pending);
          if (this.decide(line.toString('utf8'))) this.push(line);
          this.pending = [];
          this.pendingBytes = 0;
        } else if (this.pendingBytes > MARKER_MAX) {
          // Too long for a marker: it belongs to the section it is in.
          this.lineDecision = this.keep;
          if (this.keep) this.push(Buffer.concat(this.pending));
          this.pending = [];
          this.pendingBytes = 0;
        }
      }
      if (newline >= 0) this.lineDecision = undefined;
      start = end;
    }
    done();
  }

  override _flush(done: (error?: Error | null) => void): void {
    if (this.pending.length > 0) {
      const line = Buffer.concat(this.pending);
      if (this.decide(line.toString('utf8'))) this.push(line);
    }
    done();
  }

  private decide(line: string): boolean {
    const section = DUMP_SECTION.exec(line);
    if (section) {
      const name = unquoteIdentifier(section[2]);
      this.keep = !section[1].includes('view') && this.tables.has(name);
      if (this.keep) this.seen.add(name);
      return this.keep;
    }
    if (line.startsWith('-- Dumping events') || line.startsWith('-- Dumping routines')) {
      this.keep = false;
      return false;
    }
    // The footer puts back the session settings the header changed.
    if (FOOTER.test(line)) return true;
    return this.keep;
  }
}

const MARKER_MAX = 4096;
const FOOTER = /^(?:\/\*!\d+ SET [A-Z_]+\s*=\s*@OLD_[A-Z_]+ \*\/;|-- Dump completed)/;
