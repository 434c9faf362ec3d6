/**
 * GRE (IP protocol 47). Version 0 (RFC 2784 with the RFC 2890 key and sequence number fields, and
 * RFC 1701's optional fields): flags C (checksum + reserved, 4 bytes), K (key, 4), S (sequence, 4);
 * the R (routing) bit of RFC 1701 is not decoded (`gre.unsupported`). Version 1 is PPTP's enhanced
 * GRE (RFC 2637): key present (payload length + call id), optional sequence (S) and
 * acknowledgement (A, bit 0x80 of byte 1) numbers; an ack-only packet carries no payload.
 *
 * Protocol types decoded: 0x6558 transparent Ethernet bridging (an Ethernet frame follows),
 * 0x880B PPP (ppp.ts: 0x0021 IPv4, 0x0057 IPv6), and any ethertype the registry knows (IPv4, IPv6,
 * MPLS, VLAN...). Others (ERSPAN 0x88BE, WCCP...) are `gre.unsupported`, payload only.
 * The inner packet becomes the packet (tunnel.ts) unless DecodeContext.tunnels is off.
 *
 *   00 00 08 00 | 45 ...             tshark: Generic Routing Encapsulation (IP), Flags 0x0000
 *   30 01 88 0b 00 1c 00 00 00 00 00 05 | ff 03 00 21 45 ...
 *                                    tshark: GRE (PPP) ver 1, Payload Length 28, Call ID 0, Seq 5; PPP IPv4
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype, ETHERTYPE_TABLE, isUnsupportedL3 } from './dispatch';
import { enterTunnel, TUNNEL_GRE } from './tunnel';
import { decodeEthernet } from './ethernet';
import { decodePppFrame } from './ppp';

export const GRE_MIN_HDR = 4;
export const GRE_PROTO_TEB = 0x6558, GRE_PROTO_PPP = 0x880b;
const GRE_C = 0x80, GRE_R = 0x40, GRE_K = 0x20, GRE_S = 0x10, GRE_A = 0x80;

export function decodeGre(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < GRE_MIN_HDR) { v.addEvent(EV['gre.truncated']); v.payloadOff = off; v.payloadLen = end - off; return; }
  const f0 = buf[off], f1 = buf[off + 1];
  const ver = f1 & 7;
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  let p = off + GRE_MIN_HDR;
  let e = end;
  if (ver === 0) {
    if ((f0 & GRE_R) !== 0) { v.addEvent(EV['gre.unsupported']); v.payloadOff = off; v.payloadLen = end - off; return; }
    if ((f0 & GRE_C) !== 0) p += 4;
    if ((f0 & GRE_K) !== 0) p += 4;
    if ((f0 & GRE_S) !== 0) p += 4;
  } else if (ver === 1) {
    if ((f0 & GRE_K) === 0 || proto !== GRE_PROTO_PPP) { v.addEvent(EV['gre.unsupported']); v.payloadOff = off; v.payloadLen = end - off; return; }
    const plen = (buf[off + 4] << 8) | buf[off + 5];
    p += 4;
    if ((f0 & GRE_S) !== 0) p += 4;
    if ((f1 & GRE_A) !== 0) p += 4;
    if (p <= end && p + plen < end) e = p + plen;
  } else {
    v.addEvent(EV['gre.unsupported']); v.payloadOff = off; v.payloadLen = end - off; return;
  }
  if (p > end) { v.addEvent(EV['gre.truncated']); v.payloadOff = off; v.payloadLen = end - off; return; }
  if (p === e) { v.payloadOff = p; v.payloadLen = 0; return; }     // e.g. PPTP ack-only
  if (proto !== GRE_PROTO_TEB && proto !== GRE_PROTO_PPP && isUnsupportedL3(ETHERTYPE_TABLE[proto])) {
    v.addEvent(EV['gre.unsupported']); v.payloadOff = p; v.payloadLen = e - p; return;
  }
  if (!enterTunnel(v, TUNNEL_GRE, p, e, ctx)) return;
  if (proto === GRE_PROTO_TEB) decodeEthernet(v, buf, p, e, ctx);
  else if (proto === GRE_PROTO_PPP) decodePppFrame(v, buf, p, e, ctx);
  else dispatchEthertype(v, buf, p, e, ctx, proto);
}
