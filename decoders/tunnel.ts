/**
 * IP-in-IP (protocol 4, IPv4 inside; 41, IPv6 inside: 6in4, 6to4, ISATAP...). Tunnels are decoded
 * as the OUTER layer only: the inner packet is the payload, `ip.tunnel` marks the packet, and no
 * inner L3/L4 is decoded (flows and rules see the outer addresses). GRE (47), MPLS, VXLAN, GTP are
 * not decoded either (`l4.unsupported`). Decoding the inner layer would need a second set of
 * L3/L4 fields in the PacketView; see docs/decode.md.
 */
import type { PacketView } from './packet';
import { EV } from './events';
import type { DecodeContext } from './dispatch';

export function decodeIpInIp(v: PacketView, buf: Uint8Array, off: number, end: number, _ctx: DecodeContext): void {
  v.addEvent(EV['ip.tunnel']);
  v.payloadOff = off;
  v.payloadLen = end - off;
}

/** IPv6 "no next header" (59): nothing follows, not an error. */
export function decodeNoNextHeader(v: PacketView, _buf: Uint8Array, off: number, end: number, _ctx: DecodeContext): void {
  v.payloadOff = off;
  v.payloadLen = end - off;
}
