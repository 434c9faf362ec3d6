/**
 * ICMPv6 (RFC 4443). Like ICMP, but the checksum covers the IPv6 pseudo-header
 * (`icmpv6.bad_checksum`). Fewer than 4 bytes (type, code, checksum) is `icmpv6.truncated`.
 * The payload is what follows the 8-byte header (4 fixed bytes + the first body word), as for ICMP.
 *
 *   80 00 7f bb 00 01 00 01    tshark: Type: Echo (ping) request (128), Code: 0
 */
import { PacketView, PROTO_ICMPV6 } from './packet';
import { EV } from './events';
import { DecodeContext, CSUM_L4 } from './dispatch';
import { sum16, fold, pseudo6 } from './checksum';

export const ICMPV6_HDR_LEN = 8;

export function decodeIcmpv6(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < 2) { v.addEvent(EV['icmpv6.truncated']); v.payloadOff = off; v.payloadLen = avail; return; }
  v.l4Kind = PROTO_ICMPV6;
  v.icmpType = buf[off];
  v.icmpCode = buf[off + 1];
  if (avail < 4) { v.addEvent(EV['icmpv6.truncated']); v.payloadOff = end; return; }
  if ((ctx.checksums & CSUM_L4) !== 0 && avail >= v.l4WireLen && v.ipVer === 6 &&
      fold(pseudo6(buf, v.srcOff, v.dstOff, PROTO_ICMPV6, avail) + sum16(buf, off, end)) !== 0xffff) {
    v.addEvent(EV['icmpv6.bad_checksum']);
  }
  const h = avail < ICMPV6_HDR_LEN ? avail : ICMPV6_HDR_LEN;
  v.payloadOff = off + h;
  v.payloadLen = avail - h;
}
