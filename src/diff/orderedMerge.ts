/**
 * The streamed comparison: both sides arrive ordered by key and are walked once, side by side,
 * like a merge join, so memory holds a batch of each side whatever the table size. Keyless tables
 * are walked the same way by their orderable columns, and rows with equal order values are
 * compared as multisets of whole rows (duplicates counted).
 */
import { CancelledError, LifeboatError } from '../core/errors';
import type { DiffStore } from './diffStore';
import type { SourceRow } from './source';
import type { Cell, ValueKind } from './types';
import { canonical, compareKeys, type RawValue } from './values';

export interface MergeInput {
  backup: AsyncIterable<SourceRow[]>;
  production: AsyncIterable<SourceRow[]>;
  /** Kinds of every compared column, and of the order-by columns (the key). */
  kinds: ValueKind[];
  orderKinds: ValueKind[];
  keyed: boolean;
  /** Names of the key columns, for messages. */
  keyNames: string[];
  labels: { backup: string; production: string };
  store: DiffStore;
  signal?: AbortSignal;
  onRows?: (read: { backup: number; production: number }) => void;
}

export interface MergeTotals {
  rowsRead: { backup: number; production: number };
  same: number;
}

/** One side's rows, a batch at a time; `row` is undefined once the side is exhausted. */
class Cursor {
  private readonly iterator: AsyncIterator<SourceRow[]>;
  private batch: SourceRow[] = [];
  private index = 0;
  private done = false;
  private previous: readonly Cell[] | undefined;
  read = 0;

  constructor(rows: AsyncIterable<SourceRow[]>, private readonly orderKinds: ValueKind[], private readonly strict: boolean, private readonly label: string, private readonly keyNames: string[]) {
    this.iterator = rows[Symbol.asyncIterator]();
  }

  /** The current row, reading the next batch when this one is used up. */
  async current(): Promise<SourceRow | undefined> {
    while (this.index >= this.batch.length && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.batch = next.value;
        this.index = 0;
        this.read += this.batch.length;
      }
    }
    return this.batch[this.index];
  }

  /** True when the current row is not in memory yet (await current()). */
  get needsRead(): boolean {
    return this.index >= this.batch.length && !this.done;
  }

  peek(): SourceRow | undefined {
    return this.batch[this.index];
  }

  /** Moves on, checking the order the database sent is the order this merge walks in. */
  advance(): void {
    const row = this.batch[this.index++];
    if (this.previous) {
      const c = compareKeys(this.orderKinds, this.previous, row.key);
      if (c > 0 || (c === 0 && this.strict)) {
        if (c === 0) {
          const names = this.keyNames.map(n => `"${n}"`).join(', ');
          throw new LifeboatError('usage', `${names} ${this.keyNames.length > 1 ? 'are' : 'is'} not a unique key of ${this.label}: two rows have (${row.key.join(', ')}).`,
            'Choose the columns of a unique key (or none, to compare whole rows as multisets).');
        }
        throw new LifeboatError('unsupported', `${this.label} sent its rows in an order the comparison cannot follow (a ${this.strict ? 'key' : 'column'} type sorts differently in the database than as text).`,
          this.strict ? 'Choose another key column (an integer or text key works everywhere).' : 'Give the table a primary key, or compare it with --key on columns of an integer or text type.');
      }
    }
    this.previous = row.key;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

export async function mergeOrdered(input: MergeInput): Promise<MergeTotals> {
  const a = new Cursor(input.backup, input.orderKinds, input.keyed, input.labels.backup, input.keyNames);
  const b = new Cursor(input.production, input.orderKinds, input.keyed, input.labels.production, input.keyNames);
  let same = 0;
  let sinceReport = 0;
  try {
    for (;;) {
      // Awaiting only at batch boundaries: a promise per row would cost more than the comparison.
      if (a.needsRead || b.needsRead) await Promise.all([a.current(), b.current()]);
      const ra = a.peek(), rb = b.peek();
      if (!ra && !rb) break;
      if (++sinceReport >= 20_000) {
        sinceReport = 0;
        if (input.signal?.aborted) throw new CancelledError('The comparison');
        input.onRows?.({ backup: a.read, production: b.read });
      }
      const c = !ra ? 1 : !rb ? -1 : compareKeys(input.orderKinds, ra.key, rb.key);
      if (input.keyed) {
        if (c < 0) {
          addOnly(input, 'onlyInBackup', ra!);
          a.advance();
        } else if (c > 0) {
          addOnly(input, 'onlyInProduction', rb!);
          b.advance();
        } else {
          if (ra!.identical(rb!) || !addChanged(input, ra!, rb!)) same++;
          a.advance();
          b.advance();
        }
      } else {
        // Keyless: take the group of rows with these order values from each side that has it.
        const groupA = c <= 0 ? await takeGroup(a, input.orderKinds) : [];
        const groupB = c >= 0 ? await takeGroup(b, input.orderKinds) : [];
        same += compareMultisets(input, groupA, groupB);
      }
    }
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
  input.store.flush();
  return { rowsRead: { backup: a.read, production: b.read }, same };
}

function cellsOf(row: SourceRow, kinds: ValueKind[]): { raw: RawValue[]; cells: Cell[] } {
  const raw = row.values();
  return { raw, cells: raw.map((v, i) => canonical(kinds[i], v)) };
}

function addOnly(input: MergeInput, kind: 'onlyInBackup' | 'onlyInProduction', row: SourceRow): void {
  const { raw, cells } = cellsOf(row, input.kinds);
  const backup = kind === 'onlyInBackup';
  input.store.add({ kind, key: [...row.key], backup: backup ? cells : null, production: backup ? null : cells, changed: [], count: 1, backupRaw: backup ? raw : null, productionRaw: backup ? null : raw });
}

/** Records the pair as changed unless every cell is equal in canonical form; returns whether it did. */
function addChanged(input: MergeInput, ra: SourceRow, rb: SourceRow): boolean {
  const x = cellsOf(ra, input.kinds), y = cellsOf(rb, input.kinds);
  const changed: number[] = [];
  for (let i = 0; i < x.cells.length; i++) if (x.cells[i] !== y.cells[i]) changed.push(i);
  if (changed.length === 0) return false;
  input.store.add({ kind: 'changed', key: [...ra.key], backup: x.cells, production: y.cells, changed, count: 1, backupRaw: x.raw, productionRaw: y.raw });
  return true;
}

async function takeGroup(cursor: Cursor, orderKinds: ValueKind[]): Promise<SourceRow[]> {
  const first = (await cursor.current())!;
  const group = [first];
  cursor.advance();
  for (let next = await cursor.current(); next && compareKeys(orderKinds, first.key, next.key) === 0; next = await cursor.current()) {
    group.push(next);
    cursor.advance();
  }
  return group;
}

/** Whole rows as multisets: the surplus copies on each side are differences; returns copies in common. */
function compareMultisets(input: MergeInput, backupRows: SourceRow[], productionRows: SourceRow[]): number {
  const tally = new Map<string, { cells: Cell[]; backupRaw?: RawValue[]; productionRaw?: RawValue[]; backup: number; production: number }>();
  const count = (rows: SourceRow[], side: 'backup' | 'production') => {
    for (const row of rows) {
      const { raw, cells } = cellsOf(row, input.kinds);
      const id = JSON.stringify(cells);
      const entry = tally.get(id) ?? { cells, backup: 0, production: 0 };
      entry[side]++;
      if (side === 'backup') entry.backupRaw ??= raw;
      else entry.productionRaw ??= raw;
      tally.set(id, entry);
    }
  };
  count(backupRows, 'backup');
  count(productionRows, 'production');
  let same = 0;
  for (const e of tally.values()) {
    same += Math.min(e.backup, e.production);
    if (e.backup === e.production) continue;
    const kind = e.backup > e.production ? 'onlyInBackup' : 'onlyInProduction';
    input.store.add({
      kind, key: e.cells, backup: e.backup ? e.cells : null, production: e.production ? e.cells : null, changed: [],
      count: Math.abs(e.backup - e.production), backupCopies: e.backup, productionCopies: e.production,
      backupRaw: e.backupRaw ?? null, productionRaw: e.productionRaw ?? null,
    });
  }
  return same;
}
