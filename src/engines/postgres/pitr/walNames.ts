/**
 * PostgreSQL's WAL file names and positions. Names reach Lifeboat from archive_command's %f and
 * %p and from object keys in a bucket, so each is checked against the grammar PostgreSQL itself
 * writes before it becomes part of a key or a path.
 *
 *   000000010000000000000002            a segment: timeline, then the segment number in two halves
 *   000000010000000000000002.partial    the last segment of a timeline that was left for another
 *   00000002.history                    a timeline's history (which timeline it branched from, where)
 *   000000010000000000000002.00000028.backup   a base backup's start and stop, written when it ends
 */
const SEGMENT = /^[0-9A-F]{24}$/;
const WAL_FILE = /^(?:[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?|[0-9A-F]{8}\.history)$/;
const LSN = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i;

/** The default segment size; a cluster made with initdb --wal-segsize has another (the base backup records it). */
export const DEFAULT_SEGMENT_BYTES = 16 * 1024 * 1024;

export function isWalFileName(name: string): boolean {
  return WAL_FILE.test(name);
}

export function isSegmentName(name: string): boolean {
  return SEGMENT.test(name);
}

/** "0/2000028" → 33554472n; undefined for anything else. */
export function parseLsn(text: string): bigint | undefined {
  const match = LSN.exec(text.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xFFFFFFFFn).toString(16).toUpperCase()}`;
}

function segmentsPerId(segmentBytes: number): bigint {
  return 0x100000000n / BigInt(segmentBytes);
}

/** The segment that holds `lsn` on `timeline`. */
export function segmentName(timeline: number, lsn: bigint, segmentBytes = DEFAULT_SEGMENT_BYTES): string {
  return segmentFromNumber(timeline, lsn / BigInt(segmentBytes), segmentBytes);
}

export function segmentFromNumber(timeline: number, segno: bigint, segmentBytes = DEFAULT_SEGMENT_BYTES): string {
  const perId = segmentsPerId(segmentBytes);
  const hex = (value: bigint | number) => value.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segno / perId)}${hex(segno % perId)}`;
}

/** A segment's timeline and number (its position in the WAL stream, whatever its timeline). */
export function parseSegment(name: string, segmentBytes = DEFAULT_SEGMENT_BYTES): { timeline: number; segno: bigint } {
  if (!SEGMENT.test(name)) throw new Error(`${name} is not a WAL segment name`);
  return {
    timeline: Number.parseInt(name.slice(0, 8), 16),
    segno: BigInt(`0x${name.slice(8, 16)}`) * segmentsPerId(segmentBytes) + BigInt(`0x${name.slice(16, 24)}`),
  };
}

/** The first byte of a segment. */
export function segmentStart(segno: bigint, segmentBytes = DEFAULT_SEGMENT_BYTES): bigint {
  return segno * BigInt(segmentBytes);
}
