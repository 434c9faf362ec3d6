/**
 * Internet checksum (RFC 1071) helpers. Sums are kept unfolded in a JS number (safe: < 2^53 for any
 * buffer under 2^37 bytes) and folded once at the end.
 *
 * Hot-path trick: two bytes per iteration with plain index loads; no DataView (a DataView per
 * packet costs an allocation) and no Uint16Array view (offsets are not 2-byte aligned).
 */

/** Unfolded one's-complement partial sum of buf[off, end). */
export function sum16(buf: Uint8Array, off: number, end: number): number {
  let s = 0;
  let i = off;
  const last = end - 1;
  for (; i < last; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  return s;
}

/** Fold a partial sum to 16 bits (one's complement addition of the carries). */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

/** Pseudo-header sum for IPv4 (src, dst at srcOff/dstOff, 4 bytes each). */
export function pseudo4(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, len: number): number {
  return sum16(buf, srcOff, srcOff + 4) + sum16(buf, dstOff, dstOff + 4) + proto + len;
}

/** Pseudo-header sum for IPv6 (RFC 8200 8.1). */
export function pseudo6(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, len: number): number {
  return sum16(buf, srcOff, srcOff + 16) + sum16(buf, dstOff, dstOff + 16) + proto + (len >>> 16) + (len & 0xffff);
}

/** Checksum value to write into a header whose checksum field is zero while summed. */
export function checksumOf(partial: number): number {
  return (~fold(partial)) & 0xffff;
}
