import { Transform } from 'node:stream';

/**
 * Reads a mariadb-dump / mysqldump stream as it passes (bytes go on unchanged) and picks out
 * what the manifest and the checks need, without decoding row data:
 * - the binary-log coordinates in the header ("-- CHANGE MASTER TO MASTER_LOG_FILE='…',
 *   MASTER_LOG_POS=…;", MySQL 8.0.23+: "CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE…") and the
 *   GTID line (MariaDB writes it at the END of the dump, MySQL near the top);
 * - rows per table: MariaDB 10.11's dump writes one row per line after "INSERT INTO `t` VALUES",
 *   so a row is a line starting with "(" (values escape their newlines as \n). MySQL's mysqldump
 *   writes a statement's rows on one line; those tables' counts stay unknown (null);
 * - the completion line "-- Dump completed on …", which both tools write last.
 * Only comment lines and the first bytes of INSERT lines are decoded; a row line costs a memchr.
 */
export class MysqlDumpScanner extends Transform {
  binlogFile: string | null = null;
  binlogPosition: number | null = null;
  gtid: string | null = null;
  complete = false;
  /** Rows per table, in dump order; null where the tool wrote rows on the INSERT's own line. */
  readonly rows = new Map<string, number | null>();
  /** Tables whose structure the dump holds (views appear with "view" set). */
  readonly tables = new Map<string, { view: boolean }>();
  private table?: string;
  private tableRows = 0;
  /** The start of a line that did not end in the previous chunk (at most HEAD bytes kept). */
  private head: Buffer[] = [];
  private headBytes = 0;
  private lastNonEmpty = '';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(10, start);
      if (end < 0) {
        this.keepHead(chunk.subarray(start));
        break;
      }
      if (this.headBytes === 0 && chunk[start] === 0x28 /* ( */) {
        this.countRow();
      } else {
        this.keepHead(chunk.subarray(start, end));
        this.takeLine(Buffer.concat(this.head).toString('utf8'));
        this.head = [];
        this.headBytes = 0;
      }
      start = end + 1;
    }
    done(null, chunk);
  }

  override _flush(done: (error?: Error | null) => void): void {
    if (this.headBytes > 0) this.takeLine(Buffer.concat(this.head).toString('utf8'));
    this.endTable();
    this.complete = this.lastNonEmpty.startsWith('-- Dump completed');
    done();
  }

  /** Enough of a line to recognise it; a long row line is never copied whole. */
  private keepHead(bytes: Buffer): void {
    const room = HEAD - this.headBytes;
    if (room <= 0) return;
    const part = bytes.subarray(0, room);
    this.head.push(Buffer.from(part));
    this.headBytes += part.length;
  }

  /** A row line: counted in a field, not the map (a row costs a memchr and an increment). */
  private countRow(): void {
    if (this.table !== undefined) this.tableRows++;
    this.lastNonEmpty = '(';
  }

  /** The current table's rows into `rows` (unless its rows were inline: null stays). */
  private endTable(): void {
    if (this.table !== undefined && this.tableRows > 0) {
      const n = this.rows.get(this.table);
      if (n !== null) this.rows.set(this.table, (n ?? 0) + this.tableRows);
    }
    this.tableRows = 0;
  }

  private takeLine(line: string): void {
    if (line.trim() !== '') this.lastNonEmpty = line;
    if (line.startsWith('(')) return this.countRow();
    if (line.startsWith('INSERT INTO ')) {
      // "INSERT INTO `t` VALUES" alone: rows follow, one per line; anything after VALUES: inline.
      if (this.table !== undefined && !/ VALUES\s*$/.test(line)) this.rows.set(this.table, null);
      return;
    }
    if (!line.startsWith('--') && !line.startsWith('SET ') && !line.startsWith('/*')) return;
    let m: RegExpExecArray | null;
    if ((m = DUMP_SECTION.exec(line))) {
      const name = unquoteIdentifier(m[2]);
      const kind = m[1];
      this.endTable();
      if (kind === 'Dumping data for table') {
        this.table = name;
        if (!this.rows.has(name)) this.rows.set(name, 0);
      } else {
        this.table = undefined;
        if (kind === 'Table structure for table') this.tables.set(name, { view: false });
        else this.tables.set(name, { view: true });
      }
    } else if (line.startsWith('-- Dumping ')) {
      this.endTable();
      this.table = undefined;
    } else if ((m = POSITION.exec(line))) {
      this.binlogFile = m[1];
      this.binlogPosition = Number(m[2]);
    } else if ((m = GTID.exec(line))) {
      this.gtid = m[1];
    }
  }
}

const HEAD = 4096;
/** The comment line that opens each section of a dump, naming its table or view. */
export const DUMP_SECTION = /^-- (Table structure for table|Dumping data for table|Temporary table structure for view|Final view structure for view) `((?:[^`]|``)*)`\s*$/;
const POSITION = /^(?:-- )?CHANGE (?:REPLICATION SOURCE|MASTER) TO (?:SOURCE|MASTER)_LOG_FILE='([^']+)', (?:SOURCE|MASTER)_LOG_POS=(\d+)/;
// MySQL's --set-gtid-purged=COMMENTED writes the statement inside a comment ("/* SET … */").
const GTID = /^(?:-- |\/\* )?SET (?:GLOBAL gtid_slave_pos|@@GLOBAL\.GTID_PURGED)\s*=\s*(?:\/\*!80000 '\+'\*\/ )?'([^']*)'/i;

/** "`we``ird t`" without its backticks: "we`ird t". */
export function unquoteIdentifier(quoted: string): string {
  return quoted.replace(/``/g, '`');
}

/** A name as the dump quotes it. */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
