import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { BlockBuffer } from '../../src/core/blockBuffer';
import { defaultLevel } from '../../src/core/codec';
import { defaultParallelJobs } from '../../src/core/parallelism';
import { parseBackupRequest } from '../../src/engines/backupRequest';
import { describeOptions, planDump, resolveFormat } from '../../src/engines/postgres/dumpOptions';
import { chooseDumpStrategy } from '../../src/engines/postgres/dumpStrategy';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** The benchmark database's shape (bench/pgGenerate.ts): 55 tables, the largest about 38 %. */
const BENCH_SHAPE = [450 * MiB, 330 * MiB, 170 * MiB, 130 * MiB, 8 * MiB, ...Array.from({ length: 50 }, () => 0.3 * MiB)];

describe('choosing how to dump when the format is left to Lifeboat', () => {
  it('two cores, zstd, pg_dump 15: one stream (pg_dump before 16 cannot write zstd), and says why', () => {
    const s = chooseDumpStrategy({ tableBytes: BENCH_SHAPE, codec: 'zstd', pgDumpMajor: 15, cores: 2 });
    assert.equal(s.kind, 'pipeline');
    assert.match(s.reason, /pg_dump 15 cannot write zstd/);
  });

  it('two cores, zstd, pg_dump 17: still one stream; zstd keeps up with one backend, so two jobs save too little', () => {
    const s = chooseDumpStrategy({ tableBytes: BENCH_SHAPE, codec: 'zstd', pgDumpMajor: 17, cores: 2 });
    assert.equal(s.kind, 'pipeline', s.reason);
  });

  it('two cores, gzip: parallel jobs, because one core of gzip is slower than the dump', () => {
    const s = chooseDumpStrategy({ tableBytes: BENCH_SHAPE, codec: 'gzip', pgDumpMajor: 15, cores: 2 });
    assert.equal(s.kind, 'parallel', s.reason);
    assert.equal(s.kind === 'parallel' && s.jobs, 2);
  });

  it('eight cores, zstd, pg_dump 16, many similar tables: parallel jobs, at most 4', () => {
    const s = chooseDumpStrategy({ tableBytes: Array.from({ length: 20 }, () => 0.5 * GiB), codec: 'zstd', pgDumpMajor: 16, cores: 8 });
    assert.equal(s.kind, 'parallel', s.reason);
    assert.equal(s.kind === 'parallel' && s.jobs, 4);
    assert.match(s.reason, /20 tables, the largest 5 % of the data, 8 cores/);
  });

  it('eight cores, one table holding nearly everything: one stream, as no job can split a table', () => {
    const s = chooseDumpStrategy({ tableBytes: [9.5 * GiB, 0.2 * GiB, 0.2 * GiB, 0.1 * GiB], codec: 'zstd', pgDumpMajor: 17, cores: 8 });
    assert.equal(s.kind, 'pipeline', s.reason);
  });

  it('a small database stays one file even where jobs would be a little faster', () => {
    const s = chooseDumpStrategy({ tableBytes: Array.from({ length: 10 }, () => 10 * MiB), codec: 'gzip', pgDumpMajor: 15, cores: 8 });
    assert.equal(s.kind, 'pipeline', s.reason);
  });

  it('the user\'s jobs are the jobs weighed; one job means one stream', () => {
    const many = Array.from({ length: 20 }, () => 0.5 * GiB);
    const two = chooseDumpStrategy({ tableBytes: many, codec: 'none', pgDumpMajor: 15, cores: 8, jobs: 2 });
    assert.equal(two.kind === 'parallel' && two.jobs, 2, two.reason);
    assert.equal(chooseDumpStrategy({ tableBytes: many, codec: 'gzip', pgDumpMajor: 15, cores: 8, jobs: 1 }).kind, 'pipeline');
  });
});

describe('resolving the format', () => {
  const shape = { tableBytes: BENCH_SHAPE, pgDumpMajor: 15, cores: 2 };
  it('keeps what the user chose and says nothing was chosen for them', () => {
    for (const format of ['custom', 'directory', 'plain'] as const) {
      const r = resolveFormat({ codec: 'gzip', format }, shape);
      assert.equal(r.options.format, format);
      assert.equal(r.chosen, undefined);
    }
  });

  it('jobs alone mean the directory format; a compressor or schema only, the custom format', () => {
    assert.equal(resolveFormat({ codec: 'gzip', jobs: 3 }, shape).options.format, 'directory');
    assert.equal(resolveFormat({ codec: 'gzip', compressor: 'tool' }, shape).options.format, 'custom');
    assert.equal(resolveFormat({ codec: 'gzip', schemaOnly: true }, shape).options.format, 'custom');
  });

  it('left to Lifeboat: the plan, the manifest\'s options and the reason agree', () => {
    const gzip = resolveFormat({ codec: 'gzip' }, shape);
    assert.equal(gzip.options.format, 'directory');
    const plan = planDump(gzip.options, 15, null);
    assert.ok(plan.args.includes('--jobs=2') && plan.args.includes('--format=d') && plan.args.includes('--compress=6'), plan.args.join(' '));
    const described = describeOptions(plan, gzip.options, gzip.chosen);
    assert.equal(described.jobs, 2);
    assert.match(String(described.chosen), /^chosen by Lifeboat: parallel jobs \(55 tables, the largest 41 % of the data, 2 cores\)/);

    const small = resolveFormat({ codec: 'gzip' }, { ...shape, tableBytes: [30 * MiB, 10 * MiB] });
    const streamed = planDump(small.options, 15, null);
    assert.equal(streamed.format, 'custom');
    assert.equal(streamed.compressor, 'lifeboat');
    assert.ok(streamed.args.includes('--compress=0'));
    assert.equal(streamed.level, defaultLevel('gzip'), 'the level that runs is recorded, also the default');
    assert.match(String(small.chosen), /^chosen by Lifeboat: one stream compressed by Lifeboat \(2 tables, the largest 75 % of the data, 2 cores\): about 1\.\d s against/);
  });

  it('"auto" from the CLI or a task is the format left out; the jobs setting applies to it and to the directory format', () => {
    const settings = (backupJobs: number) => ({ compression: 'zstd' as const, backupJobs });
    assert.equal(parseBackupRequest({ format: 'auto' }, settings(1), 'postgres').format, undefined);
    assert.equal(parseBackupRequest({ format: 'auto' }, settings(1), 'postgres').jobs, 1);
    assert.equal(parseBackupRequest({}, settings(0), 'postgres').jobs, undefined, 'automatic: Lifeboat weighs one stream against parallel jobs');
    assert.equal(parseBackupRequest({ format: 'custom' }, settings(3), 'postgres').jobs, undefined);
    assert.equal(parseBackupRequest({ format: 'directory' }, settings(3), 'postgres').jobs, 3);
    assert.equal(parseBackupRequest({ format: 'directory' }, settings(0), 'postgres').jobs, defaultParallelJobs(), 'a directory archive is dumped in parallel unless told otherwise');
    assert.equal(parseBackupRequest({ format: 'directory', jobs: 2 }, settings(3), 'postgres').jobs, 2);
    assert.equal(parseBackupRequest({}, settings(3), 'sqlite').jobs, undefined, 'only PostgreSQL dumps in parallel');
    assert.equal(parseBackupRequest({}, settings(3), 'mysql').jobs, undefined);
    assert.throws(() => parseBackupRequest({ format: 'fast' }, settings(0), 'postgres'), /auto, custom, directory, plain or base/);
  });

  it('the level setting is the configured codec\'s, whoever asks for that codec', () => {
    const settings = { compression: 'zstd' as const, compressionLevel: 7, backupJobs: 0 };
    assert.equal(parseBackupRequest({}, settings, 'sqlite').level, 7);
    assert.equal(parseBackupRequest({ compression: 'zstd' }, settings, 'sqlite').level, 7);
    assert.equal(parseBackupRequest({ compression: 'gzip' }, settings, 'sqlite').level, undefined, 'gzip gets its own default, not zstd\'s level');
    assert.equal(parseBackupRequest({ compression: 'zstd', level: 3 }, settings, 'sqlite').level, 3);
  });
});

describe('BlockBuffer', () => {
  it('passes every byte in order, in blocks of at least the block size but the last', async () => {
    const input = Array.from({ length: 300 }, (_, i) => Buffer.alloc(1000 + (i % 7) * 100, i % 251));
    const blocks: Buffer[] = [];
    await pipeline(Readable.from(input), new BlockBuffer(16 * 1024, 64 * 1024), new Writable({
      write(chunk: Buffer, _e, done) { blocks.push(chunk); done(); },
    }));
    assert.deepEqual(Buffer.concat(blocks), Buffer.concat(input));
    assert.ok(blocks.slice(0, -1).every(b => b.length >= 16 * 1024), blocks.map(b => b.length).join(','));
    assert.ok(blocks.length > 10);
  });
});
