/**
 * Checksum bisection: for two large tables with few differences, find where they differ without
 * reading their rows. Each side's database hashes every row's key into buckets (hash & mask) and
 * returns, per bucket, the row count and the sum of the rows' own hashes; only buckets whose
 * figures differ are split further (each level 32 times finer, within the differing buckets
 * only), until a bucket holds a handful of rows. Then only the rows of those buckets are read and
 * compared exactly (orderedMerge.ts). Buckets by key hash rather than key ranges work for any key
 * type, composite keys included, and need no boundaries agreed between the sides.
 */
import { CancelledError } from '../core/errors';
import type { BucketChecksum, BucketFilter, TableSource, ReadPlan } from './source';

export interface BisectionResult {
  /** The buckets whose rows differ, at the finest level; empty when the tables are equal. */
  filter: BucketFilter;
  rows: { backup: number; production: number };
  queries: number;
  levels: number;
}

/** Rows per bucket at which splitting stops. */
const LEAF_ROWS = 8;
/** Finer by 2^5 per level. */
const STEP_BITS = 5;
/** MySQL's CRC32 has 32 bits; stay below. */
const MAX_BITS = 30;

export interface BisectionInput {
  backup: TableSource;
  production: TableSource;
  backupPlan: ReadPlan;
  productionPlan: ReadPlan;
  keyIndexes: number[];
  estimatedRows: number;
  signal?: AbortSignal;
  onLevel?: (level: number, differing: number, buckets: number) => void;
}

/**
 * Returns undefined when more than half the buckets differ at some level: then the tables differ
 * too much for bisection to save anything, and the caller streams the whole tables instead.
 */
export async function bisect(input: BisectionInput): Promise<BisectionResult | undefined> {
  const { backup, production, backupPlan, productionPlan, keyIndexes } = input;
  // First level: about 128 rows a bucket (between 2^6 and 2^16 buckets, a small result), so a
  // thousand scattered differences in a million rows leave most buckets equal.
  let bits = Math.min(16, Math.max(6, Math.ceil(Math.log2(Math.max(1, input.estimatedRows) / 128))));
  let within: BucketFilter | undefined;
  let queries = 0;
  let levels = 0;
  let rows = { backup: 0, production: 0 };
  for (;;) {
    if (input.signal?.aborted) throw new CancelledError('The comparison');
    const [b, p] = await Promise.all([
      backup.checksums!(backupPlan, keyIndexes, bits, within),
      production.checksums!(productionPlan, keyIndexes, bits, within),
    ]);
    queries += 2;
    levels++;
    if (!within) rows = { backup: total(b), production: total(p) };
    const differing = differingBuckets(b, p);
    input.onLevel?.(levels, differing.length, 2 ** bits);
    const searched = within ? within.buckets.length * 2 ** STEP_BITS : 2 ** bits;
    if (differing.length > searched / 2) return undefined;
    within = { bits, buckets: differing };
    const rowsPerBucket = Math.max(rows.backup, rows.production) / 2 ** bits;
    if (differing.length === 0 || rowsPerBucket <= LEAF_ROWS || bits + STEP_BITS > MAX_BITS) break;
    bits += STEP_BITS;
  }
  return { filter: within, rows, queries, levels };
}

function total(buckets: Map<string, BucketChecksum>): number {
  let n = 0;
  for (const b of buckets.values()) n += b.rows;
  return n;
}

function differingBuckets(a: Map<string, BucketChecksum>, b: Map<string, BucketChecksum>): bigint[] {
  const out: bigint[] = [];
  for (const [bucket, x] of a) {
    const y = b.get(bucket);
    if (!y || y.rows !== x.rows || y.sum !== x.sum) out.push(BigInt(bucket));
  }
  for (const bucket of b.keys()) if (!a.has(bucket)) out.push(BigInt(bucket));
  return out.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}
