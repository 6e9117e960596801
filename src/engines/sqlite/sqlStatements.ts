import { LifeboatError } from '../../core/errors';

/**
 * Cuts a stream of SQL text into runs of complete statements, the way SQLite's own
 * sqlite3_complete() decides that a statement is complete (a port of its state machine,
 * src/complete.c): a semicolon ends a statement unless it is inside a string, an identifier, a
 * comment or the body of a CREATE TRIGGER (which ends with "END;"). A SQL dump can then be run in
 * pieces of a few MB instead of held in memory whole, whatever text its values hold.
 */
const SEMI = 0, WS = 1, OTHER = 2, EXPLAIN = 3, CREATE = 4, TEMP = 5, TRIGGER = 6, END = 7;
/** trans[state][token], states: 0 invalid, 1 start, 2 normal, 3 explain, 4 create, 5 trigger, 6 semi, 7 end. */
const TRANS = [
  [1, 0, 2, 3, 4, 2, 2, 2],
  [1, 1, 2, 3, 4, 2, 2, 2],
  [1, 2, 2, 2, 2, 2, 2, 2],
  [1, 3, 3, 2, 4, 2, 2, 2],
  [1, 4, 2, 2, 2, 4, 5, 2],
  [6, 5, 5, 5, 5, 5, 5, 5],
  [6, 6, 5, 5, 5, 5, 5, 7],
  [1, 7, 5, 5, 5, 5, 5, 5],
];
const START = 1;
const KEYWORDS: Record<string, number> = { create: CREATE, trigger: TRIGGER, temp: TEMP, temporary: TEMP, end: END, explain: EXPLAIN };

function isIdChar(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 36 || code >= 0x80;
}

export class StatementSplitter {
  private pending = '';
  /** Where scanning resumes: the start of the first token not yet read whole. */
  private scanned = 0;
  private state = 0;
  /** The end of the last complete statement in `pending` (0: none yet). */
  private complete = 0;

  constructor(private readonly batchChars = 4 * 1024 * 1024) {}

  /** Adds text; returns complete statements once at least `batchChars` of them are ready. */
  push(text: string): string | undefined {
    this.pending += text;
    this.scan(false);
    return this.complete >= this.batchChars ? this.take() : undefined;
  }

  /** The rest, which must be complete statements (or nothing). */
  end(): string | undefined {
    this.scan(true);
    if (this.state !== START && this.state !== 0) {
      throw new LifeboatError('verification', `The SQL dump ends inside a statement: "${this.pending.slice(this.complete, this.complete + 80)}…".`,
        'The dump is incomplete or damaged: restore another backup.');
    }
    return this.pending.length > 0 ? this.take(this.pending.length) : undefined;
  }

  private take(upTo = this.complete): string {
    const batch = this.pending.slice(0, upTo);
    this.pending = this.pending.slice(upTo);
    this.scanned -= upTo;
    this.complete = 0;
    return batch;
  }

  /** Reads whole tokens; stops before a token that may continue in text not pushed yet. */
  private scan(final: boolean): void {
    const text = this.pending;
    let i = this.scanned;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      let token: number;
      let next: number;
      if (c === 59) { token = SEMI; next = i + 1; }
      else if (c === 32 || c === 9 || c === 10 || c === 12 || c === 13) { token = WS; next = i + 1; }
      else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) break;
        token = WS; next = close + 2;
      } else if (c === 47 && i + 1 >= text.length && !final) {
        break;
      } else if (c === 45 && text.charCodeAt(i + 1) === 45) {
        const newline = text.indexOf('\n', i + 2);
        if (newline < 0 && !final) break;
        token = WS; next = newline < 0 ? text.length : newline + 1;
      } else if (c === 45 && i + 1 >= text.length && !final) {
        break;
      } else if (c === 91 || c === 96 || c === 34 || c === 39) {
        const close = text.indexOf(c === 91 ? ']' : text[i], i + 1);
        if (close < 0) break;
        token = OTHER; next = close + 1;
      } else if (isIdChar(c)) {
        let j = i + 1;
        while (j < text.length && isIdChar(text.charCodeAt(j))) j++;
        if (j >= text.length && !final) break;
        token = j - i <= 9 ? KEYWORDS[text.slice(i, j).toLowerCase()] ?? OTHER : OTHER;
        next = j;
      } else { token = OTHER; next = i + 1; }
      this.state = TRANS[this.state][token];
      if (token === SEMI && this.state === START) this.complete = next;
      i = next;
    }
    this.scanned = i;
  }
}
