import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { runTool, type ToolRun } from './processes';
import { candidateFolders, compareVersions, probeToolFolders } from './toolDiscovery';

/**
 * zstd's own command-line tool as the compressor of a dump stream, joined to the dump tool by an
 * OS pipe: the uncompressed bytes go from the dump tool straight into zstd, and only the
 * compressed ones enter Lifeboat (to be hashed and written to every destination).
 *
 * Opt-in, by measurement (bench/pgBackup.ts, 1.16 GB database, 2 cores, 5 paired rounds, Node 24,
 * 2026-12-02): against Node's zlib it used the same CPU (8.0 CPU-s each) and 30 % less memory
 * (peak RSS 118 MiB against 172), but took 9 % longer (8.3 s against 7.6 s): through a 64 KiB
 * pipe pg_dump and zstd take turns, where Node's 32 MiB run-ahead (blockBuffer.ts) lets them
 * overlap. So Node's zlib stays the default; LIFEBOAT_ZSTD_CLI=auto (find it like the other
 * tools) or =/path/to/zstd turns this on for a PostgreSQL stream that Lifeboat need not read
 * (not plain format), e.g. where memory is tight.
 */
export interface ZstdCli {
  path: string;
  version: string;
}

const USUAL_PLACES = ['/usr/bin', '/usr/local/bin', '/opt/homebrew/bin', '/opt/local/bin'];
/** 1.4 reads and writes the frames Node's zlib does; older ones are not worth the check. */
const MIN_VERSION = '1.4';

/** Each setting's lookup, done once per process. */
const found = new Map<string, Promise<ZstdCli | undefined>>();

/** The zstd CLI to compress with when LIFEBOAT_ZSTD_CLI asks for it, or undefined (not asked for,
 *  none installed, or too old). */
export function findZstdCli(): Promise<ZstdCli | undefined> {
  const setting = process.env.LIFEBOAT_ZSTD_CLI;
  if (!setting || setting === 'none') return Promise.resolve(undefined);
  let lookup = found.get(setting);
  if (!lookup) {
    lookup = (async () => {
      const folders = setting !== 'auto' ? [{ dir: path.dirname(setting), source: 'setting' as const }] : candidateFolders('zstd', undefined, USUAL_PLACES);
      const probed = await probeToolFolders('zstd', folders, banner => /v(\d+\.\d+\.\d+)/.exec(banner)?.[1]);
      const usable = probed.find(f => compareVersions(f.version, MIN_VERSION) >= 0);
      return usable ? { path: path.join(usable.dir, 'zstd'), version: usable.version } : undefined;
    })();
    found.set(setting, lookup);
  }
  return lookup;
}

/** A zstd CLI run: its ToolRun, and what it said it read and wrote once it has exited. */
interface ZstdRun extends ToolRun {
  /** Bytes zstd read (the uncompressed content) and wrote, from its final report; undefined if it gave none. */
  sizes(): { read: number; written: number } | undefined;
}

/**
 * Compresses `input` (a dump tool's stdout, not read by Node) with the zstd CLI at `level`, into
 * its stdout (read by the caller). One thread, as Node's zlib would; the content checksum on, so
 * every decompression checks the content (see manifest.ts, StoredFile). `-vv` makes zstd's last
 * report give exact byte counts ("(921666714 B => 264021970 B, …)"), which become the content size.
 */
function startZstd(zstd: ZstdCli, input: Readable, level: number, signal: AbortSignal | undefined, label: string): ZstdRun {
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
