import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, canonicalDecimal, compareCells, compareUtf8, pairKind } from '../../src/diff/values';
import { parseTableRef } from '../../src/diff/open';
import { decode, encode } from '../../src/diff/diffStore';
import type { ValueKind } from '../../src/diff/types';

describe('canonical values: equal values from different drivers compare equal', () => {
  it('decimals are exact text without insignificant zeros', () => {
    assert.equal(canonicalDecimal('-001.2300'), '-1.23');
    assert.equal(canonicalDecimal('5.'), '5');
    assert.equal(canonicalDecimal('-0.000'), '0');
    assert.equal(canonicalDecimal('0.10'), '0.1');
    assert.equal(canonical('decimal', '123456789012345678901234567890.123456789000'), '123456789012345678901234567890.123456789');
    assert.equal(canonical('decimal', 7.5), '7.5');
    assert.equal(canonical('decimal', 'NaN'), 'NaN');
  });

  it('floats are equal when they are the same double (float4 1.1 from any driver, -0 = 0), specials named', () => {
    assert.equal(canonical('float', '1.1'), canonical('float', 1.1));
    assert.equal(canonical('float', '-0'), '0');
    assert.equal(canonical('float', 0.1 + 0.2), '0.30000000000000004');
    assert.notEqual(canonical('float', '0.3'), canonical('float', 0.1 + 0.2));
    assert.equal(canonical('float', 'Infinity'), 'Infinity');
    assert.equal(canonical('float', '-inf'), '-Infinity');
    assert.equal(canonical('float', 'NaN'), 'NaN');
    assert.equal(canonical('float', '1e300'), '1e+300');
  });

  it('booleans from PostgreSQL, MySQL and SQLite agree; 2 is not true', () => {
    for (const t of ['t', 'true', '1', 1, 1n] as const) assert.equal(canonical('boolean', t), 'true');
    for (const f of ['f', 'false', '0', 0] as const) assert.equal(canonical('boolean', f), 'false');
    assert.equal(canonical('boolean', 2), '2');
  });

  it('bytes are \\x + lowercase hex whether they came as Buffer or as PostgreSQL text', () => {
    assert.equal(canonical('bytes', Buffer.from([0, 255, 16])), '\\x00ff10');
    assert.equal(canonical('bytes', '\\x00FF10'), '\\x00ff10');
    assert.equal(canonical('bytes', new Uint8Array([1, 2])), '\\x0102');
  });

  it('JSON ignores key order and white space, keeps array order', () => {
    assert.equal(canonical('json', '{ "b": 1, "a": [2, 1] }'), canonical('json', '{"a":[2,1],"b":1}'));
    assert.notEqual(canonical('json', '[1,2]'), canonical('json', '[2,1]'));
    assert.equal(canonical('json', 'not json'), 'not json');
    // Digits beyond a double's precision are kept: these two differ.
    assert.notEqual(canonical('json', '{"n":12345678901234567890}'), canonical('json', '{"n":12345678901234567891}'));
    assert.equal(canonical('json', '[1.0, 2.50]'), '[1,2.5]');
  });

  it('timestamps with a time zone become the same instant in UTC, keeping microseconds', () => {
    assert.equal(canonical('timestamptz', '2024-03-01 05:30:00.123456+05:30'), '2024-03-01 00:00:00.123456+00');
    assert.equal(canonical('timestamptz', '2024-02-29T16:00:00-08'), '2024-03-01 00:00:00+00');
    assert.equal(canonical('timestamptz', '2024-03-01 00:00:00.500000'), '2024-03-01 00:00:00.5+00');
    assert.equal(canonical('timestamptz', '2024-03-01 00:00:00Z'), '2024-03-01 00:00:00+00');
    assert.equal(canonical('timestamp', '2024-03-01T10:00:00.000'), '2024-03-01 10:00:00');
    assert.equal(canonical('time', '10:00:00.250000'), '10:00:00.25');
  });

  it('NULL stays NULL for every kind', () => {
    for (const kind of ['integer', 'text', 'json', 'bytes', 'timestamptz'] as ValueKind[]) assert.equal(canonical(kind, null), null);
  });

  it('a column read as text on one side takes the other side\'s kind', () => {
    assert.equal(pairKind('text', 'timestamptz'), 'timestamptz');
    assert.equal(pairKind('integer', 'boolean'), 'boolean');
    assert.equal(pairKind('integer', 'decimal'), 'decimal');
    assert.equal(pairKind('decimal', 'float'), 'float');
    assert.equal(pairKind('bytes', 'json'), 'text');
  });
});

describe('key order matches the databases\' ORDER BY', () => {
  it('integers and decimals by value, not as text', () => {
    assert.ok(compareCells('integer', '9', '10') < 0);
    assert.ok(compareCells('integer', '-10', '-9') < 0);
    assert.ok(compareCells('integer', '-1', '0') < 0);
    assert.ok(compareCells('decimal', '2.5', '10') < 0);
    assert.ok(compareCells('decimal', '-2.5', '-2.45') < 0);
    assert.equal(compareCells('decimal', '1.50', '1.5'), 0);
    assert.ok(compareCells('float', '1e3', '999') > 0);
  });

  it('text by UTF-8 bytes (COLLATE "C", binary), supplementary characters after U+FFFF', () => {
    const words = ['b', 'a', 'B', 'é', 'z', '😀', '\uffee', 'ab', ''];
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...words].sort(compareUtf8), byBytes);
  });

  it('canonical timestamps sort by time', () => {
    const times = ['2024-01-01 10:00:00.5+00', '2024-01-01 10:00:00+00', '2023-12-31 23:59:59.999999+00'];
    assert.deepEqual([...times].sort((a, b) => compareCells('timestamptz', a, b)), [times[2], times[1], times[0]]);
  });
});

describe('table names as typed', () => {
  it('PostgreSQL schema.table with quoted parts; others whole', () => {
    assert.deepEqual(parseTableRef('orders', 'postgres'), { schema: 'public', name: 'orders' });
    assert.deepEqual(parseTableRef('sales.orders', 'postgres'), { schema: 'sales', name: 'orders' });
    assert.deepEqual(parseTableRef('"My Schema"."Odd.Name ""x"""', 'postgres'), { schema: 'My Schema', name: 'Odd.Name "x"' });
    assert.deepEqual(parseTableRef('a.b', 'mysql'), { name: 'a.b' });
    assert.throws(() => parseTableRef('a.b.c', 'postgres'), /more than two parts/);
  });
});

describe('difference store encoding keeps bytes and big integers', () => {
  it('round-trips Buffers and bigints', () => {
    const value = { raw: [Buffer.from([0, 1, 255]), 12345678901234567890n, 'text', null, 1.5] };
    const back = decode<typeof value>(encode(value));
    assert.ok(Buffer.isBuffer(back.raw[0]));
    assert.deepEqual([...(back.raw[0] as Buffer)], [0, 1, 255]);
    assert.equal(back.raw[1], 12345678901234567890n);
    assert.deepEqual(back.raw.slice(2), ['text', null, 1.5]);
  });
});
