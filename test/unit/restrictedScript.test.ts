import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { psqlRestricts, RestrictedScript } from '../../src/engines/postgres/restrictedScript';

/** What psql gets for `script` fed in chunks of `size` bytes: Lifeboat's \restrict line, then the rest. */
async function fed(script: string, size: number): Promise<{ key: string; body: string }> {
  const bytes = Buffer.from(script);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const out = await text(Readable.from(chunks).pipe(new RestrictedScript()));
  const first = /^\\restrict ([0-9a-f]{48})\n/.exec(out);
  assert.ok(first, `the first line is Lifeboat's own \\restrict: ${JSON.stringify(out.slice(0, 80))}`);
  return { key: first[1], body: out.slice(first[0].length) };
}

const HEADER = '--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n\n-- Dumped from database version 15.20\n\n';
const SQL = "SET statement_timeout = 0;\nCOPY public.t (id, s) FROM stdin;\n1\t\\\\unrestrict AbC123\n2\t\\N\n\\.\n\n";
const FOOTER = '--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict AbC123\n\n';
const blanked = (script: string) => script.replace('\\restrict AbC123\n', '\n').replace(/\\unrestrict AbC123\n\n$/, '\n\n');

describe('a plain dump fed to psql under Lifeboat\'s \\restrict', () => {
  it('blanks exactly pg_dump\'s own \\restrict and last \\unrestrict lines, however the stream is cut', async () => {
    const script = HEADER + SQL + FOOTER;
    for (const size of [1, 2, 3, 5, 7, 11, 16, 64, script.length]) {
      const { body } = await fed(script, size);
      assert.equal(body, blanked(script), `chunks of ${size} bytes`);
      assert.equal(body.split('\n').length, script.split('\n').length, 'every line keeps its number');
    }
  });

  it('also when the dump ends without a newline, or has CRLF line ends', async () => {
    const unterminated = `${HEADER}${SQL}--\n\\unrestrict AbC123`;
    const crlf = (HEADER + SQL + FOOTER).replace(/\n/g, '\r\n');
    for (const size of [1, 3, 64, 4096]) {
      assert.equal((await fed(unterminated, size)).body, `${HEADER}${SQL}--\n`.replace('\\restrict AbC123\n', '\n'), `unterminated, chunks of ${size}`);
      assert.equal((await fed(crlf, size)).body, crlf.replace('\\restrict AbC123\r\n', '\n').replace('\\unrestrict AbC123\r\n\r\n', '\n\r\n'), `CRLF, chunks of ${size}`);
    }
  });

  it('uses a new key each time', async () => {
    assert.notEqual((await fed(HEADER + SQL, 64)).key, (await fed(HEADER + SQL, 64)).key);
  });

  it('keeps every other meta-command, for psql to refuse', async () => {
    const cases = [
      // No \restrict of its own: nothing is blanked.
      '--\n\\! touch /tmp/x\nSELECT 1;\n\\unrestrict AbC123\n',
      // Its \restrict after SQL is not the header's.
      'SELECT 1;\n\\restrict AbC123\n\\unrestrict AbC123\n',
      // An \unrestrict with SQL after it is not the last command; one with another key never goes.
      `${HEADER}\\unrestrict AbC123\n\\! touch /tmp/x\n${SQL}${FOOTER}`.replace(/\\unrestrict AbC123\n\n$/, '\\unrestrict Other\n'),
      `${HEADER}\\unrestrict AbC123 \`touch /tmp/x\`\n`,
    ];
    for (const script of cases) {
      for (const size of [1, 4, 4096]) {
        const { body } = await fed(script, size);
        const expected = script.startsWith(HEADER) ? script.replace('\\restrict AbC123\n', '\n') : script;
        assert.equal(body, expected, `${JSON.stringify(script)} in chunks of ${size}`);
      }
    }
  });

  it('quotes the line psql refused, counting its own \\restrict as line 1', async () => {
    const script = `${HEADER}SELECT 1;\n\\! touch /tmp/x\n${FOOTER}`;
    const guard = new RestrictedScript();
    await text(Readable.from([Buffer.from(script)]).pipe(guard));
    const line = script.split('\n').indexOf('\\! touch /tmp/x') + 1;
    const error = guard.explain([`psql:<stdin>:${line + 1}: error: backslash commands are restricted; only \\unrestrict is allowed`]);
    assert.equal(error?.code, 'verification');
    assert.match(error?.message ?? '', new RegExp(`psql meta-command at line ${line}: "\\\\\\\\! touch /tmp/x"`));
    assert.equal(guard.explain(['psql:<stdin>:3: ERROR:  relation "t" already exists']), undefined, 'other errors are not its to explain');
  });
});

describe('which psql can restore a plain dump', () => {
  it('one with \\restrict and without CVE-2026-18408: 14.24, 15.19, 16.15, 17.11, 18.6 and newer', () => {
    for (const v of ['14.24', '15.19', '15.20', '16.15', '17.11', '18.6', '18.10', '19.0', '20']) assert.ok(psqlRestricts(v), v);
    for (const v of ['13.22', '14.23', '15.14', '15.18', '16.10', '17.6', '18.0', '18.5', '12.22', '9.6']) assert.ok(!psqlRestricts(v), v);
  });
});
