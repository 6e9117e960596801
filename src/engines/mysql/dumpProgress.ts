import { WeightedItems } from '../../core/weightedItems';
import type { MysqlTable } from './source';

/**
 * Progress of a dump from the tool's --verbose lines: "-- Retrieving table structure for table
 * t..." starts a table (the tool dumps one at a time, so it also finishes the one before), each
 * weighted by its size on disk from information_schema. The names in these lines are not quoted.
 */
export class DumpProgress {
  private readonly items: WeightedItems;
  private current?: string;

  constructor(tables: MysqlTable[]) {
    this.items = new WeightedItems(tables.map(t => [t.name, t.bytes]));
  }

  /** True when the line moved the progress. */
  take(line: string): boolean {
    const m = /^-- Retrieving table structure for table (.*)\.\.\.$/.exec(line);
    if (!m) return false;
    this.current = m[1];
    this.items.start(m[1], true);
    return true;
  }

  get fraction(): number {
    return this.items.fraction;
  }

  get message(): string {
    return this.current ? `Dumping ${this.current} (${Math.min(this.items.doneCount + 1, this.items.count)} of ${this.items.count} tables)` : 'Dumping';
  }
}
