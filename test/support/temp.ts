import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary folder, removed when the test's `after` hook runs `dispose`. */
export function tempFolder(label = 'lifeboat-test'): { path: string; file(name: string): string; dispose(): void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  return {
    path: folder,
    file: name => path.join(folder, name),
    dispose: () => fs.rmSync(folder, { recursive: true, force: true }),
  };
}

/** Every file below `folder`, relative, sorted (for asserting what a job left behind). */
export function listFiles(folder: string): string[] {
  if (!fs.existsSync(folder)) return [];
  return (fs.readdirSync(folder, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter(entry => entry.isFile())
    .map(entry => path.relative(folder, path.join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)))
    .sort();
}
