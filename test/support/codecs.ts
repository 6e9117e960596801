import { codecAvailable } from '../../src/core/codec';
import type { Codec } from '../../src/core/manifest';

/** A test's skip reason when this Node cannot run `codec` (zstd before Node 22.15); scripts/test.sh
 *  runs the zstd cases again on Node 24. */
export function skipWithoutCodec(codec: Codec): string | false {
  return codecAvailable(codec) ? false : `this Node (${process.versions.node}) has no ${codec} in zlib (needs 22.15+; scripts/test.sh runs these on Node 24)`;
}
