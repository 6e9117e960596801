import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LifeboatError } from '../../src/core/errors';
import { candidateFolders, pickNewest, probeToolFolders } from '../../src/core/toolDiscovery';
import { parseBackupRequest } from '../../src/engines/backupRequest';
import { CopyRowCounter } from '../../src/engines/postgres/copyRows';
import { displayName, parseCopyTarget, parseTableName, tableKey } from '../../src/engines/postgres/tableNames';
import { exactPattern, planDump } from '../../src/engines/postgres/dumpOptions';
import { TableDataProgress } from '../../src/engines/postgres/verboseProgress';
import { tempFolder } from '../support/temp';

describe('pg_dump arguments', () => {
  it('asks pg_dump for no compression when Lifeboat compresses, and for its own when asked', () => {
    const mine = planDump({ codec: 'gzip' }, 15, 'SNAP-1');
    assert.equal(mine.compressor, 'lifeboat');
    assert.ok(mine.args.includes('--compress=0'));
    assert.ok(mine.args.includes('--snapshot=SNAP-1'));
    assert.equal(mine.payload, 'database.dump.gz');
    const tool15 = planDump({ codec: 'gzip', level: 4, compressor: 'tool' }, 15, null);
    assert.ok(tool15.args.includes('--compress=4'), 'pg_dump 15 takes a bare gzip level');
    assert.equal(tool15.payload, 'database.dump');
    assert.ok(planDump({ codec: 'zstd', level: 5, compressor: 'tool' }, 16, null).args.includes('--compress=zstd:5'), 'pg_dump 16 takes method:level');
  });

  it('refuses contradictions before anything runs', () => {
    const usage = (e: unknown) => e instanceof LifeboatError && (e.code === 'usage' || e.code === 'unsupported');
    assert.throws(() => planDump({ codec: 'gzip', schemaOnly: true, dataOnly: true }, 15, null), usage);
    assert.throws(() => planDump({ codec: 'gzip', jobs: 4 }, 15, null), usage, 'parallel jobs need the directory format');
    assert.throws(() => planDump({ codec: 'zstd', compressor: 'tool' }, 15, null), /pg_dump 15 compresses only with gzip/);
    assert.throws(() => planDump({ codec: 'gzip', compressor: 'lifeboat', format: 'directory' }, 15, null), usage);
  });

  it('quotes hostile names into exact patterns', () => {
    assert.equal(exactPattern('My "Schema"', 'Ta.b*le'), '"My ""Schema"""."Ta.b*le"');
  });
});

describe('COPY row counting', () => {
  it('counts rows per table across chunk boundaries, with escaped newlines and hostile names', async () => {
    const sql = [
      'SET statement_timeout = 0;',
      'COPY "We ird"."Ta ""b" (a, "b c") FROM stdin;', '1\tline\\nbreak', '2\t\\.not the end', '\\.', '',
      'COPY public.t2 (a) FROM stdin;', '\\.',
      'COPY public.empty_cols  FROM stdin;', '', '', '\\.',
      '-- PostgreSQL database dump complete', '',
    ].join('\n');
    for (const size of [1, 3, 7, 1000]) {
      const counter = new CopyRowCounter();
      const chunks: Buffer[] = [];
      for (let i = 0; i < sql.length; i += size) chunks.push(Buffer.from(sql.slice(i, i + size)));
      await pipeline(Readable.from(chunks), counter, new Writable({ write(_c, _e, done) { done(); } }));
      assert.deepEqual(counter.rows, new Map([[tableKey('We ird', 'Ta "b'), 2], [tableKey('public', 't2'), 0], [tableKey('public', 'empty_cols'), 2]]), `chunks of ${size}`);
      assert.equal(counter.complete, true);
    }
  });

  it('reads qualified names as pg_dump writes them, and tells "a.b".c from a."b.c"', () => {
    assert.deepEqual(parseCopyTarget('"a.b".c (x) FROM stdin;'), ['a.b', 'c']);
    assert.deepEqual(parseCopyTarget('a."b.c" (x) FROM stdin;'), ['a', 'b.c']);
    assert.deepEqual(parseCopyTarget('public."Zürich ☃" FROM stdin;'), ['public', 'Zürich ☃']);
    assert.deepEqual(parseTableName('"a.b".c'), ['a.b', 'c']);
    assert.deepEqual(parseTableName(' public.orders '), ['public', 'orders']);
    assert.equal(displayName('a.b', 'c'), '"a.b".c');
    assert.equal(displayName('a', 'b.c'), 'a."b.c"');
    assert.deepEqual(parseTableName(displayName('My "S"', 'T.x')), ['My "S"', 'T.x']);
    assert.equal(parseTableName('orders'), undefined);
  });

  it('reads a typed table name whole or not at all: trailing text is refused, not dropped', () => {
    for (const typed of ['public.t"; drop table public.victim; --', 'public.t; drop table x', 'public.t extra', 'public."t', 'a.b.c', 'public.t (x)', '"public".t"']) {
      assert.equal(parseTableName(typed), undefined, typed);
    }
    assert.equal(parseCopyTarget('public.t"; drop FROM stdin;'), undefined);
  });
});

describe('progress from --verbose lines', () => {
  it('weighs tables by size and finishes the previous table when the next starts', () => {
    const p = new TableDataProgress([{ name: 'public.big', bytes: 900 }, { name: 'public.small', bytes: 100 }], false);
    p.take('pg_dump: dumping contents of table "public.small"');
    assert.equal(p.items.fraction, 0.05);
    p.take('pg_dump: dumping contents of table "public.big"');
    assert.equal(p.items.fraction, 0.1 + 0.45);
  });

  it('follows parallel runs by their "finished item" lines', () => {
    const p = new TableDataProgress([{ name: 'public.a', bytes: 500 }, { name: 'x.b', bytes: 500 }], true);
    p.take('pg_dump: dumping contents of table "public.a"');
    p.take('pg_dump: dumping contents of table "x.b"');
    p.take('pg_dump: finished item 3345 TABLE DATA b');
    assert.equal(p.items.fraction, 0.75);
  });
});

describe('finding client tools', () => {
  it('picks the newest folder whose major version fits the server, and says none fits otherwise', async () => {
    const tmp = tempFolder('lifeboat-tools');
    try {
      for (const version of ['13.9', '15.2', '16.1']) {
        const dir = tmp.file(`pg${version}/bin`);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, 'pg_dump'), `#!/bin/sh\necho "pg_dump (PostgreSQL) ${version}"\n`, { mode: 0o755 });
      }
      const folders = await probeToolFolders('pg_dump', candidateFolders('pg_dump', undefined, [tmp.file('pg*/bin')]));
      assert.deepEqual(folders.map(f => f.version).sort(), ['13.9', '15.2', '16.1']);
      assert.equal(pickNewest(folders, 15)?.version, '16.1');
      assert.equal(pickNewest(folders, 17), undefined);
      const configured = await probeToolFolders('pg_dump', candidateFolders('pg_dump', tmp.file('pg13.9/bin'), []));
      assert.equal(configured[0].source, 'setting');
    } finally {
      tmp.dispose();
    }
  });
});

describe('backup options as people write them', () => {
  it('accepts the CLI and tasks.json names and refuses unknown ones', () => {
    const settings = { compression: 'gzip' as const, compressionLevel: 6, backupJobs: 0 };
    assert.deepEqual(parseBackupRequest({ format: 'directory', jobs: 4, tables: ['public.a'] }, settings, 'postgres'),
      { codec: 'gzip', level: 6, format: 'directory', jobs: 4, tables: ['public.a'] });
    assert.throws(() => parseBackupRequest({ formt: 'plain' }, settings, 'postgres'), /Unknown backup option "formt"/);
    assert.throws(() => parseBackupRequest({ jobs: 0 }, settings, 'postgres'), /"jobs" must be a whole number/);
  });
});
