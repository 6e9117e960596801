import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { runTool, type ToolRun } from './processes';
import { candidateFolders, probeToolFolders, type ToolFolder } from './toolDiscovery';

/**
 * zstd's own command-line tool as the compressor of a dump stream, joined to the dump tool by an
 * OS pipe: the uncompressed bytes go from the dump tool straight into zstd, and only the
 * compressed ones enter Lifeboat (to be hashed and written to every destination). Measured on the
 * bench's 879 MiB pg_dump stream, this is what makes Lifeboat's CPU that of `pg_dump | zstd`:
 * compressing in Node's zlib costs the same compression, plus reading every uncompressed byte
 * through a pipe into Node (about 0.5 CPU-s per GB) and handing it to zlib in blocks.
 *
 * Used where it is installed (Debian/Ubuntu: apt-get install zstd; Homebrew: brew install zstd)
 * and nothing in Lifeboat needs to see the uncompressed bytes (a MariaDB dump's scanner does);
 * otherwise Node's zlib compresses, with the same format and levels. LIFEBOAT_ZSTD_CLI=none turns
 * it off; LIFEBOAT_ZSTD_CLI=/path/to/zstd names the binary.
 */
export interface ZstdCli {
  path: string;
  version: string;
}

const USUAL_PLACES = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin', '/opt/local/bin'];
/** 1.4 reads and writes the frames Node's zlib does; older ones are not worth the check. */
const MIN_VERSION = [1, 4];

let found: Promise<ZstdCli | undefined> | undefined;

/** The zstd CLI to compress with, or undefined (none installed, too old, or turned off). */
export function findZstdCli(): Promise<ZstdCli | undefined> {
  const setting = process.env.LIFEBOAT_ZSTD_CLI;
  if (setting === 'none') return Promise.resolve(undefined);
  found ??= (async () => {
    const folders = setting ? [{ dir: path.dirname(setting), source: 'setting' as const }] : candidateFolders('zstd', undefined, USUAL_PLACES);
    const probed: ToolFolder[] = await probeToolFolders('zstd', folders, banner => /v(\d+\.\d+\.\d+)/.exec(banner)?.[1]);
    const usable = probed.find(f => {
      const [major, minor] = f.version.split('.').map(Number);
      return major > MIN_VERSION[0] || (major === MIN_VERSION[0] && minor >= MIN_VERSION[1]);
    });
    return usable ? { path: path.join(usable.dir, 'zstd'), version: usable.version } : undefined;
  })();
  return found;
}

/** A zstd CLI run: its ToolRun, and what it said it read and wrote once it has exited. */
export interface ZstdRun extends ToolRun {
  /** Bytes zstd read (the uncompressed content) and wrote, from its final report; undefined if it gave none. */
  sizes(): { read: number; written: number } | undefined;
}

/**
 * Compresses `input` (a dump tool's stdout, not read by Node) with the zstd CLI at `level`, into
 * its stdout (read by the caller). One thread, as Node's zlib would; the content checksum on, so
 * every decompression checks the content (see manifest.ts, StoredFile). `-vv` makes zstd's last
 * report give exact byte counts ("(921666714 B => 264021970 B, …)"), which become the content size.
 */
export function startZstd(zstd: ZstdCli, input: Readable, level: number, signal: AbortSignal | undefined, label: string): ZstdRun {
  const run = runTool({
    label, command: zstd.path, args: [`-${level}`, '-T1', '--check', '-c', '-vv', '--no-progress'], env: {},
    stdin: input, stdout: 'pipe', signal,
  });
  return {
    ...run,
    sizes() {
      for (const line of run.stderrTail().reverse()) {
        const m = /\(\s*(\d+) B => \s*(\d+) B,/.exec(line);
        if (m) return { read: Number(m[1]), written: Number(m[2]) };
      }
      return undefined;
    },
  };
}

/** A dump tool's output compressed by the zstd CLI: the stream of stored bytes to store, and the two tools settled as one. */
export interface CompressedDump {
  /** zstd's stdout: the stored bytes. */
  stored: Readable;
  /** Resolves once both tools have exited well. When zstd failed, the dump tool's broken pipe is
   *  its consequence, so zstd's error is the one thrown; otherwise the dump tool's. */
  done: Promise<void>;
  /** The content's size, from zstd's report once it has exited (undefined if it gave none). */
  contentSize: Promise<number | undefined>;
  /** What zstd said it wrote, to compare with what was stored. */
  written(): number | undefined;
}

export function compressDump(dump: ToolRun, zstd: ZstdCli, level: number, signal: AbortSignal | undefined, label: string): CompressedDump {
  const run = startZstd(zstd, dump.child.stdout!, level, signal, label);
  const done = Promise.allSettled([dump.done, run.done]).then(([d, z]) => {
    if (z.status === 'rejected') throw z.reason;
    if (d.status === 'rejected') throw d.reason;
  });
  done.catch(() => undefined);
  return {
    stored: run.child.stdout!,
    done,
    contentSize: run.done.then(() => run.sizes()?.read, () => undefined),
    written: () => run.sizes()?.written,
  };
}
