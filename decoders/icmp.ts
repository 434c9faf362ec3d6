/**
 * ICMP for IPv4 (RFC 792). Type and code are read when 2 bytes are present; fewer than the 8-byte
 * header is `icmp.truncated`. The payload is what follows the 8-byte header (for error messages,
 * the offending packet's IP header: not decoded further). Checksum over the whole message when
 * captured whole (`icmp.bad_checksum`).
 *
 *   08 00 f7 ff 00 00 00 00    tshark: Type: 8 (Echo (ping) request), Code: 0, Checksum 0xf7ff
 */
import { PacketView, PROTO_ICMP } from './packet';
import { EV } from './events';
import { DecodeContext, CSUM_L4 } from './dispatch';
import { sum16, fold } from './checksum';

export const ICMP_HDR_LEN = 8;

export function decodeIcmp(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < 2) { v.addEvent(EV['icmp.truncated']); v.payloadOff = off; v.payloadLen = avail; return; }
  v.l4Kind = PROTO_ICMP;
  v.icmpType = buf[off];
  v.icmpCode = buf[off + 1];
  if (avail < ICMP_HDR_LEN) { v.addEvent(EV['icmp.truncated']); v.payloadOff = end; return; }
  if ((ctx.checksums & CSUM_L4) !== 0 && avail >= v.l4WireLen && fold(sum16(buf, off, end)) !== 0xffff) {
    v.addEvent(EV['icmp.bad_checksum']);
  }
  v.payloadOff = off + ICMP_HDR_LEN;
  v.payloadLen = avail - ICMP_HDR_LEN;
}
