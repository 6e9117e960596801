import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Output, humanLines } from '../../src/cli/output';
import { escapeControl } from '../../src/core/terminalText';

/** What `run` writes to stdout and stderr. */
function captured(run: () => void): { stdout: string; stderr: string } {
  const writes = { stdout: '', stderr: '' };
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => { writes.stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { writes.stderr += chunk; return true; }) as typeof process.stderr.write;
  try {
    run();
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  }
  return writes;
}

describe('terminal output', () => {
  it('escapes every C0 control character, DEL and C1, and nothing else', () => {
    for (let code = 0; code < 0x20; code++) assert.equal(escapeControl(String.fromCharCode(code)), `\\x${code.toString(16).padStart(2, '0')}`);
    assert.equal(escapeControl('\u007f'), '\\x7f');
    for (let code = 0x80; code < 0xa0; code++) assert.equal(escapeControl(String.fromCharCode(code)), `\\x${code.toString(16)}`);
    const printable = 'backup 2026-11-25T14-38-15-123Z-3fa9 · café ✓ 😀 "quoted" \\ C:\\path ~!@#$%^&*()';
    assert.equal(escapeControl(printable), printable);
    assert.equal(escapeControl('id\u001b[2K\rverified\n'), 'id\\x1b[2K\\x0dverified\\x0a');
  });

  it('prints a result line by line, so a line break inside one cannot start a line of its own', () => {
    const human = captured(() => new Output({ json: false, quiet: false, verbose: false }).result({}, ['first', 'x\n2026-01-01  app  verified', '\u001b[31mred']));
    assert.equal(human.stdout, 'first\nx\\x0a2026-01-01  app  verified\n\\x1b[31mred\n');
    assert.equal(captured(() => new Output({ json: false, quiet: false, verbose: false }).result({}, 'one\rline')).stdout, 'one\\x0dline\n');
    assert.equal(humanLines(['a', 'b\u009b']), 'a\nb\\x9b\n');
  });

  it('leaves JSON as JSON: its own escaping is already safe', () => {
    const value = { id: 'a\u001b[2Kb\n' };
    const json = captured(() => new Output({ json: true, quiet: false, verbose: false }).result(value, 'ignored'));
    assert.deepEqual(JSON.parse(json.stdout), value);
    assert.ok(!json.stdout.includes('\u001b'));
  });

  it('escapes log lines on stderr', () => {
    const output = new Output({ json: false, quiet: false, verbose: true });
    const { stderr } = captured(() => {
      output.logger.warn('Removed pg/x\u001b]0;owned\u0007: left behind');
      output.stderrLine('error', 'No backup "a\r\nlifeboat: hint: all is well"');
    });
    assert.equal(stderr, 'lifeboat: warning: Removed pg/x\\x1b]0;owned\\x07: left behind\nlifeboat: error: No backup "a\\x0d\\x0alifeboat: hint: all is well"\n');
  });

  it('writes a document (SQL) byte for byte when stdout is not a terminal, and escaped but for its layout on one', () => {
    const sql = "INSERT INTO t VALUES ('a\u001bb');\n\tSELECT 1;\r\n";
    const output = new Output({ json: false, quiet: false, verbose: false });
    const tty = process.stdout.isTTY;
    try {
      process.stdout.isTTY = false;
      assert.equal(captured(() => output.document({}, sql)).stdout, sql);
      process.stdout.isTTY = true;
      assert.equal(captured(() => output.document({}, sql)).stdout, "INSERT INTO t VALUES ('a\\x1bb');\n\tSELECT 1;\\x0d\n");
    } finally {
      process.stdout.isTTY = tty;
    }
  });
});
