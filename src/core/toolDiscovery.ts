import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './childEnv';

/**
 * Finding a database's client tools (pg_dump, mariadb-dump…) the way a careful admin would: the
 * folder the user named first, then PATH, then the places installers put them. Every candidate
 * folder is asked for its version; the engine picks one that can talk to the server.
 */
export interface ToolFolder {
  /** Folder holding the tools. */
  dir: string;
  /** Version the main tool printed, e.g. "15.19". */
  version: string;
  major: number;
  /** Where it was found: "setting", "PATH" or "usual place". */
  source: 'setting' | 'PATH' | 'usual place';
  /** What `tool --version` printed (MySQL's and MariaDB's tools tell their flavour there). */
  banner: string;
}

const run = promisify(execFile);
const EXE = process.platform === 'win32' ? '.exe' : '';

/**
 * Folders that may hold `tool`: `configured` (if any) first, then PATH, then `usualPlaces`
 * (glob-like patterns whose only wildcard is a trailing "*" in one path segment, e.g.
 * "/usr/lib/postgresql/* /bin" without the space). Duplicates (same real path) appear once.
 */
export function candidateFolders(tool: string, configured: string | undefined, usualPlaces: string[]): { dir: string; source: ToolFolder['source'] }[] {
  const seen = new Set<string>();
  const found: { dir: string; source: ToolFolder['source'] }[] = [];
  const add = (dir: string, source: ToolFolder['source']) => {
    const file = path.join(dir, tool + EXE);
    if (!fs.existsSync(file)) return;
    // Debian's /usr/bin/pg_dump is pg_wrapper, which picks a version by its own rules; the
    // versioned folders it points into are searched instead.
    if (path.basename(safeRealpath(file)) === 'pg_wrapper') return;
    const real = safeRealpath(dir);
    if (seen.has(real)) return;
    seen.add(real);
    found.push({ dir, source });
  };
  if (configured) add(configured, 'setting');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) add(dir, 'PATH');
  for (const pattern of usualPlaces) for (const dir of expandPattern(pattern)) add(dir, 'usual place');
  return found;
}

/** The first version number in a `--version` banner ("pg_dump (PostgreSQL) 15.19" → "15.19"). */
function firstVersion(banner: string): string | undefined {
  return /\d+(?:\.\d+){0,2}/.exec(banner.replace(/^[^\d]*/, ''))?.[0];
}

/** Asks each folder's `tool --version` and keeps those that answer with a version; `parseVersion`
 *  reads banners whose first number is not the version (mariadb-dump's "Ver 10.19 Distrib 10.11.19"). */
export async function probeToolFolders(tool: string, folders: { dir: string; source: ToolFolder['source'] }[], parseVersion: (banner: string) => string | undefined = firstVersion): Promise<ToolFolder[]> {
  const probed = await Promise.all(folders.map(async ({ dir, source }) => {
    try {
      const { stdout } = await run(path.join(dir, tool + EXE), ['--version'], { timeout: 10_000, env: childEnv() });
      const version = parseVersion(stdout);
      if (!version) return undefined;
      return { dir, source, version, major: Number(version.split('.')[0]), banner: stdout.trim() } satisfies ToolFolder;
    } catch {
      return undefined;
    }
  }));
  return probed.filter((f): f is ToolFolder => f !== undefined);
}

/** The newest folder whose major version is at least `minMajor`; ties go to the earlier source. */
export function pickNewest(folders: ToolFolder[], minMajor: number): ToolFolder | undefined {
  let best: ToolFolder | undefined;
  for (const folder of folders) {
    if (folder.major < minMajor) continue;
    if (!best || compareVersions(folder.version, best.version) > 0) best = folder;
  }
  return best;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** "/usr/lib/postgresql/STAR/bin" → every existing match, newest-looking first. */
function expandPattern(pattern: string): string[] {
  const star = pattern.indexOf('*');
  if (star < 0) return fs.existsSync(pattern) ? [pattern] : [];
  const parent = pattern.slice(0, pattern.lastIndexOf(path.sep, star) + 1) || path.sep;
  const rest = pattern.slice(pattern.indexOf(path.sep, star) >= 0 ? pattern.indexOf(path.sep, star) : pattern.length);
  const segment = pattern.slice(parent.length, pattern.length - rest.length);
  const prefix = segment.slice(0, segment.indexOf('*'));
  const suffix = segment.slice(segment.indexOf('*') + 1);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  return names
    .filter(name => name.startsWith(prefix) && name.endsWith(suffix))
    .sort((x, y) => compareVersions(y.replace(/[^\d.]/g, ''), x.replace(/[^\d.]/g, '')))
    .flatMap(name => expandPattern(path.join(parent, name) + rest));
}

function safeRealpath(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}
