import { WeightedItems } from '../../core/weightedItems';

/**
 * Reads pg_dump's and pg_restore's --verbose lines into progress through the tables' data,
 * weighed by each table's size: a big table counts for what it costs, not as one of many.
 *
 *   pg_dump: dumping contents of table "public.orders"        (one at a time, or per worker)
 *   pg_restore: processing data for table "public.orders"
 *   pg_dump: finished item 3346 TABLE DATA orders              (parallel runs: the leader)
 *   pg_restore: creating INDEX "public.orders_pkey"            (post-data, after the data)
 */
export class TableDataProgress {
  readonly items: WeightedItems;
  private readonly running = new Set<string>();
  /** Post-data steps seen (indexes, constraints, triggers). */
  postDataSteps = 0;
  current?: string;

  constructor(tables: { name: string; bytes: number }[], private readonly parallel: boolean) {
    this.items = new WeightedItems(tables.map(t => [t.name, t.bytes]));
  }

  /** Returns true when the line moved progress. */
  take(line: string): boolean {
    const started = /: (?:dumping contents of|processing data for) table "(.*)"$/.exec(line);
    if (started) {
      this.current = started[1];
      this.running.add(started[1]);
      this.items.start(started[1], !this.parallel);
      return true;
    }
    const finished = /: finished item \d+ TABLE DATA (.*)$/.exec(line);
    if (finished) {
      // The leader names only the table, not its schema.
      const key = [...this.running].find(n => n.endsWith('.' + finished[1]));
      if (key) {
        this.running.delete(key);
        this.items.finish(key);
      }
      return true;
    }
    // Parallel runs print "launching item" (leader) and "creating" (worker) for each step.
    const step = this.parallel ? /: launching item \d+ (?:INDEX|CONSTRAINT|FK CONSTRAINT|TRIGGER|MATERIALIZED VIEW DATA|POLICY|RULE) /
      : /: creating (?:INDEX|CONSTRAINT|FK CONSTRAINT|TRIGGER|MATERIALIZED VIEW DATA|POLICY|RULE) /;
    if (step.test(line)) {
      // Post-data begins when the data is done (one at a time), so what was started is finished.
      if (!this.parallel) this.items.finishAll();
      this.postDataSteps++;
      return true;
    }
    return false;
  }
}

/** Post-data entries of a `pg_restore --list` listing: what restore does after the data. */
export function countPostDataEntries(listing: string): number {
  return listing.split('\n').filter(line => /^\d+; \d+ \d+ (?:INDEX|CONSTRAINT|FK CONSTRAINT|TRIGGER|MATERIALIZED VIEW DATA|POLICY|RULE) /.test(line)).length;
}

/** OIDs of the tables and materialized views a `pg_restore --list` listing defines. */
export function listedTableOids(listing: string): Set<number> {
  const oids = new Set<number>();
  for (const match of listing.matchAll(/^\d+; \d+ (\d+) (?:TABLE|MATERIALIZED VIEW) /gm)) oids.add(Number(match[1]));
  return oids;
}

/** Entries of a listing, for the quick check: how many objects and how many with table data. */
export function summariseListing(listing: string): { entries: number; tableData: number } {
  const lines = listing.split('\n').filter(line => /^\d+; /.test(line));
  return { entries: lines.length, tableData: lines.filter(line => / TABLE DATA /.test(line)).length };
}
