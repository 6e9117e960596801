import type { Codec } from '../../core/manifest';
import { defaultParallelJobs } from '../../core/parallelism';

/**
 * When the user leaves the format to Lifeboat, which of the two fast ways to dump this database is
 * faster here: one `pg_dump -Fc -Z0` stream that Lifeboat compresses on another core ("the
 * pipeline"), or `pg_dump -Fd -j N` where each of N workers dumps a table and compresses it itself.
 *
 * The pipeline is bound by one server backend (and by the compressor, when it is slower than
 * that); parallel jobs are bound by the largest table, by N, and by the cores. So many similar
 * tables on many cores favour parallel jobs, one big table favours the pipeline, and a slow codec
 * (gzip) favours parallel jobs even on two cores. The estimate uses per-core rates measured on a
 * pg_dump stream of realistic data (see RATES); only their ratios matter, as every
 * candidate is scaled alike. Parallel jobs are chosen only when they save a quarter of the time
 * and five seconds: a single file is easier to move, and a small database gains nothing.
 */

/**
 * MiB/s of one core, measured on the benchmark database (bench/codecLevels.ts, Node 24, 2 cores):
 * `pg_dump -Fc -Z0` writes its 879 MiB in 9–10 s, Node's zstd at level 2 compresses 137 MiB/s
 * and gzip at 6 32 MiB/s. Other machines are faster or slower, but alike for all three.
 */
export const RATES = {
  dump: 90,
  codec: {
    none: Infinity,
    zstd: 137,
    gzip: 32,
  } satisfies Record<Codec, number>,
  /** SHA-256 of the stream (twice when it is compressed), on the main thread. */
  hash: 1500,
};
/** Cores a dump stream keeps busy: the backend, plus pg_dump formatting it. */
const DUMP_CORES = 1.3;

export type DumpStrategy =
  | { kind: 'pipeline'; estimateSeconds: number; reason: string }
  | { kind: 'parallel'; jobs: number; estimateSeconds: number; reason: string };

export interface StrategyInput {
  /** Bytes of each table's data (pg_table_size). */
  tableBytes: number[];
  codec: Codec;
  /** The pg_dump major version: it compresses with zstd from 16. */
  pgDumpMajor: number;
  cores: number;
  /** Jobs the user asked for; otherwise defaultParallelJobs(cores). */
  jobs?: number;
}

export function chooseDumpStrategy(input: StrategyInput): DumpStrategy {
  const MiB = 1024 * 1024;
  const total = input.tableBytes.reduce((a, b) => a + b, 0) / MiB;
  const largest = Math.max(0, ...input.tableBytes) / MiB;
  const cores = Math.max(1, input.cores);
  const codecRate = RATES.codec[input.codec];
  const perMiB = { dump: 1 / RATES.dump, codec: 1 / codecRate, hash: (input.codec === 'none' ? 1 : 2) / RATES.hash };

  // The pipeline: dump and compression overlap when there is a second core, else they add up.
  const pipelineCpu = total * (DUMP_CORES * perMiB.dump + perMiB.codec + perMiB.hash);
  const pipeline = cores >= 2 ? Math.max(total * Math.max(perMiB.dump, perMiB.codec), pipelineCpu / cores) : pipelineCpu;

  const jobs = input.jobs ?? defaultParallelJobs(cores);
  const describe = (seconds: number) => seconds < 0.1 ? 'under 0.1 s' : `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const share = total > 0 ? Math.round((100 * largest) / total) : 0;
  const shape = `${input.tableBytes.length} tables, the largest ${share} % of the data, ${cores} cores`;
  if (input.codec === 'zstd' && input.pgDumpMajor < 16) {
    return { kind: 'pipeline', estimateSeconds: pipeline, reason: `one stream compressed by Lifeboat: pg_dump ${input.pgDumpMajor} cannot write zstd itself (16+ can), so parallel jobs were not an option` };
  }
  if (jobs < 2 || input.tableBytes.length < 2) {
    return { kind: 'pipeline', estimateSeconds: pipeline, reason: `one stream compressed by Lifeboat (${shape}: nothing to run in parallel)` };
  }
  // Parallel jobs: each worker's backend and compression overlap; the largest table is one
  // worker's alone; and all of it shares the cores.
  const perWorker = Math.max(perMiB.dump, perMiB.codec);
  const parallelCpu = total * (DUMP_CORES * perMiB.dump + perMiB.codec + perMiB.hash / 2);
  const parallel = Math.max(largest * perWorker, (total * perWorker) / jobs, parallelCpu / cores);

  const saves = pipeline - parallel;
  if (saves >= 0.25 * pipeline && saves >= 5) {
    return { kind: 'parallel', jobs, estimateSeconds: parallel, reason: `parallel jobs (${shape}): about ${describe(parallel)} against ${describe(pipeline)} for one stream` };
  }
  return { kind: 'pipeline', estimateSeconds: pipeline, reason: `one stream compressed by Lifeboat (${shape}): about ${describe(pipeline)} against ${describe(parallel)} for ${jobs} parallel jobs` };
}
