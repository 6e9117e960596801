// stdin → zstd → stdout with Node's zlib (22.15+), for the MariaDB benchmark's bare side on a
// machine without the zstd CLI. Same settings as Lifeboat's compressor (src/core/codec.ts): the
// level given, a checksum in the frame, 256 KiB chunks.
//
//   node bench/zstdFilter.mjs -2      compress at level 2
//   node bench/zstdFilter.mjs -d [FILE]   decompress (FILE, or stdin)
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

const [mode = '-2', file] = process.argv.slice(2);
if (typeof zlib.createZstdCompress !== 'function') {
  console.error(`zstdFilter: Node ${process.version} has no zstd in zlib (22.15+ has).`);
  process.exit(2);
}
const transform = mode === '-d'
  ? zlib.createZstdDecompress({ chunkSize: 256 * 1024 })
  : zlib.createZstdCompress({
    chunkSize: 256 * 1024,
    params: { [zlib.constants.ZSTD_c_compressionLevel]: Number(mode.slice(1)) || 2, [zlib.constants.ZSTD_c_checksumFlag]: 1 },
  });
await pipeline(file ? createReadStream(file) : process.stdin, transform, process.stdout);
