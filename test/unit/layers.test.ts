import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from '../support/cli';

// The layering of DESIGN.md, read off the source: imports only point down. core knows nothing
// above it; engines, storage and diff know nothing of the editor or the CLI; only src/vscode (and
// extension.ts, which wires it) imports 'vscode'.

const SRC = path.join(ROOT, 'src');

function sources(folder: string): string[] {
  return (fs.readdirSync(folder, { recursive: true }) as string[]).filter(f => f.endsWith('.ts')).map(f => path.join(folder, f));
}

/** Every module a file imports (static and dynamic), resolved to a folder under src/ when relative. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)'([^']+)'/gm)].map(m => m[1]);
  return specifiers.map(s => s.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), s)) : s);
}

function layerOf(module: string): string {
  return module.split(path.sep)[0];
}

describe('layers', () => {
  const rules: [string, string[]][] = [
    ['core', ['storage', 'engines', 'diff', 'cli', 'vscode', 'extension']],
    ['storage', ['engines', 'diff', 'cli', 'vscode', 'extension']],
    ['engines', ['diff', 'cli', 'vscode', 'extension']],
    ['diff', ['cli', 'vscode', 'extension']],
    ['cli', ['vscode', 'extension']],
  ];
  for (const [layer, above] of rules) {
    it(`src/${layer} imports nothing from ${above.join(', ')}, and not 'vscode'`, () => {
      const wrong = sources(path.join(SRC, layer)).flatMap(file => importsOf(file)
        .filter(module => module === 'vscode' || above.includes(layerOf(module)))
        .map(module => `${path.relative(SRC, file)} imports ${module}`));
      assert.deepEqual(wrong, []);
    });
  }
});
