/**
 * Progress through a list of items of known weight (tables by their size on disk), told only
 * when each starts and finishes, as dump and restore tools report with --verbose. An item that
 * has started counts for half its weight until it finishes; a fraction never goes back.
 */
export class WeightedItems {
  private readonly weights = new Map<string, number>();
  private readonly started = new Set<string>();
  private readonly finished = new Set<string>();
  private readonly total: number;
  private last = 0;
  private current?: string;

  /** `items`: key → weight. Unknown keys reported later weigh as much as the smallest item. */
  constructor(items: Iterable<[string, number]>) {
    let total = 0;
    for (const [key, weight] of items) {
      const w = Math.max(1, weight);
      this.weights.set(key, w);
      total += w;
    }
    this.total = Math.max(1, total);
  }

  get count(): number {
    return this.weights.size;
  }

  get doneCount(): number {
    return this.finished.size;
  }

  /** `exclusive`: the tool does one item at a time, so starting one finishes the previous. */
  start(key: string, exclusive = false): void {
    if (exclusive && this.current && this.current !== key) this.finish(this.current);
    this.started.add(key);
    this.current = key;
  }

  finish(key: string): void {
    this.started.delete(key);
    this.finished.add(key);
  }

  /** Finishes every item a tool reported starting (it exited successfully). */
  finishAll(): void {
    for (const key of [...this.started]) this.finish(key);
  }

  get fraction(): number {
    let done = 0;
    for (const key of this.finished) done += this.weights.get(key) ?? 1;
    for (const key of this.started) done += (this.weights.get(key) ?? 1) / 2;
    this.last = Math.max(this.last, Math.min(1, done / this.total));
    return this.last;
  }
}
