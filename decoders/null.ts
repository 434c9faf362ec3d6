/**
 * BSD loopback: LINKTYPE_NULL (0, address family in the *capturing host's* byte order) and
 * LINKTYPE_LOOP (108, network byte order). 4-byte header holding an AF_* value.
 *
 * Byte order: for both link types we accept either order (a LOOP file written on a little-endian
 * host by a buggy tool is common): if the low-address two bytes are zero the value is big-endian.
 * AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD/BSD/OSI), 28 (FreeBSD),
 * 30 (Darwin), 23 (Windows/Winsock). Anything else is `null.unknown_family`.
 *
 *   02 00 00 00 | 45 ...     tshark: Null/Loopback, Family: IP (2)
 *   1e 00 00 00 | 60 ...     tshark: Null/Loopback, Family: IPv6 (30)
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const NULL_HDR_LEN = 4;
export const L2_NULL = 4;

export function decodeNull(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_NULL;
  if (end - off < NULL_HDR_LEN) { v.addEvent(EV['null.truncated']); return; }
  const b0 = buf[off], b1 = buf[off + 1], b2 = buf[off + 2], b3 = buf[off + 3];
  // little-endian when the value sits in the first bytes, big-endian when in the last ones
  const fam = (b0 | b1) !== 0 ? (b0 | (b1 << 8)) | ((b2 | (b3 << 8)) << 16) : (b2 << 8) | b3;
  let et: number;
  switch (fam) {
    case 2: et = 0x0800; break;
    case 10: case 23: case 24: case 28: case 30: et = 0x86dd; break;
    default: v.addEvent(EV['null.unknown_family']); return;
  }
  dispatchEthertype(v, buf, off + NULL_HDR_LEN, end, ctx, et);
}
