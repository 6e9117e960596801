import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { toolDiskFull } from './errors';
import { runTool, type ToolRun } from './processes';
import { candidateFolders, compareVersions, probeToolFolders } from './toolDiscovery';

/**
 * zstd's own command-line tool as the compressor of a dump stream, joined to the dump tool by an
 * OS pipe: the uncompressed bytes go from the dump tool straight into zstd, and only the
 * compressed ones enter Lifeboat (to be hashed and written to every destination).
 *
 * Used by default wherever zstd 1.4+ is installed, by measurement (2 cores, Node 24, 1.16 GB
 * database, pg_dump -Fc -Z0 into zstd -2):
 * - Into one local folder: zstd writes the stored file into scratch itself (compressDumpInto) and
 *   Lifeboat hashes it once and renames it in, so no byte of the dump enters Node. Against Node's
 *   zlib (5 paired rounds, 2026-12-02): 0.90× the CPU (6.0 against 6.5 CPU-s), peak RSS 136 MiB
 *   against 164, 1.04× the wall time (the SHA-256 now follows the dump instead of running beside it).
 * - Streamed into Lifeboat (compressDump) for a bucket or several destinations: Node reads only
 *   the compressed bytes, to hash them and feed every destination. To a local folder and an S3
 *   bucket at once (fauxqs, 2 rounds, 2026-12-03): 10.1–11.9 CPU-s against 12.5–13.2 for Node's
 *   zlib, peak RSS 159–167 MiB against 232–252, wall 10.8–13.3 s against 12.8–13.6; to the
 *   bucket alone 10.3–10.4 CPU-s against 11.0–12.0, RSS 160–164 MiB against 227–229. (Streamed
 *   to one local folder it had taken 9 % longer than zlib, through 64 KiB pipes where zlib's
 *   32 MiB run-ahead lets pg_dump and the compressor overlap; that case now writes into the file.)
 * LIFEBOAT_ZSTD_CLI=none never uses it (Node's zlib compresses instead); =/path/to/zstd names
 * the one to use. Only for a PostgreSQL stream Lifeboat need not read (not plain format, whose
 * COPY rows Lifeboat counts).
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

/**
 * The zstd CLI to compress with, or undefined (not wanted, none installed, or too old): the one
 * LIFEBOAT_ZSTD_CLI names, else one found like the other tools; none: never.
 */
export function findZstdCli(): Promise<ZstdCli | undefined> {
  const setting = process.env.LIFEBOAT_ZSTD_CLI || 'auto';
  if (setting === 'none') return Promise.resolve(undefined);
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
 * its stdout (read by the caller) or, with `into`, straight into that file. One thread, as Node's
 * zlib would; the content checksum on, so every decompression checks the content (see
 * manifest.ts, StoredFile). `-vv` makes zstd's last report give exact byte counts ("(921666714 B
 * => 264021970 B, …)"), which become the content size. A full disk under `into` is reported as
 * such, never as a failed or damaged backup.
 */
function startZstd(zstd: ZstdCli, input: Readable, level: number, signal: AbortSignal | undefined, label: string, into?: string): ZstdRun {
  const run = runTool({
    label, command: zstd.path, args: [`-${level}`, '-T1', '--check', '-vv', '--no-progress', ...(into ? ['-o', into] : ['-c'])], env: {},
    stdin: input, stdout: into ? 'ignore' : 'pipe', signal,
    explain: tail => {
      const full = tail.find(line => /No space left on device|Disk quota exceeded/i.test(line));
      return full ? toolDiskFull('write the backup', 'zstd', full.trim()) : undefined;
    },
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

/** A dump tool's output compressed by the zstd CLI: the two tools settled as one, and what zstd counted. */
export interface CompressedDump {
  /** Resolves once both tools have exited well. When zstd failed, the dump tool's broken pipe is
   *  its consequence, so zstd's error is the one thrown; otherwise the dump tool's. */
  done: Promise<void>;
  /** The content's size, from zstd's report once it has exited (undefined if it gave none). */
  contentSize: Promise<number | undefined>;
  /** What zstd said it wrote, to compare with what was stored. */
  written(): number | undefined;
}

/** The stored bytes come out of zstd's stdout, for Lifeboat to hash and write to every destination. */
export function compressDump(dump: ToolRun, zstd: ZstdCli, level: number, signal: AbortSignal | undefined, label: string): CompressedDump & { stored: Readable } {
  const run = startZstd(zstd, dump.child.stdout!, level, signal, label);
  return { ...settleBoth(dump, run), stored: run.child.stdout! };
}

/**
 * zstd writes the stored bytes into `file` itself (a scratch file that one local destination then
 * takes by a rename, BackupWriter.storeFinished): none of the bytes enter Node while the dump runs.
 */
export function compressDumpInto(dump: ToolRun, zstd: ZstdCli, level: number, signal: AbortSignal | undefined, label: string, file: string): CompressedDump {
  return settleBoth(dump, startZstd(zstd, dump.child.stdout!, level, signal, label, file));
}

function settleBoth(dump: ToolRun, run: ZstdRun): CompressedDump {
  const done = Promise.allSettled([dump.done, run.done]).then(([d, z]) => {
    if (z.status === 'rejected') throw z.reason;
    if (d.status === 'rejected') throw d.reason;
  });
  done.catch(() => undefined);
  return {
    done,
    contentSize: run.done.then(() => run.sizes()?.read, () => undefined),
    written: () => run.sizes()?.written,
  };
}
