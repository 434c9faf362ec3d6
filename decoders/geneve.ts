/**
 * Geneve (RFC 8926) over UDP port 6081: version (2 bits, must be 0) and option length (6 bits, in
 * 4-byte words), flags, protocol type, VNI, then options, then the inner frame: protocol 0x6558 is
 * an Ethernet frame, other values are ethertypes (IPv4, IPv6...). Decoded as a tunnel (tunnel.ts)
 * when DecodeContext.tunnels is on; an unknown version or protocol is left as UDP payload.
 *
 *   00 00 65 58 00 00 0a 00 | <ethernet>     tshark: Generic Network Virtualization Encapsulation, VNI 0x00000a
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype, ETHERTYPE_TABLE, isUnsupportedL3 } from './dispatch';
import { enterTunnel, TUNNEL_GENEVE } from './tunnel';
import { decodeEthernet } from './ethernet';

export const GENEVE_PORT = 6081;
export const GENEVE_HDR_LEN = 8;

export function decodeGeneve(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < GENEVE_HDR_LEN) { v.addEvent(EV['geneve.truncated']); return; }
  if ((buf[off] >> 6) !== 0) return;
  const p = off + GENEVE_HDR_LEN + ((buf[off] & 0x3f) << 2);
  if (p > end) { v.addEvent(EV['geneve.truncated']); return; }
  const proto = (buf[off + 2] << 8) | buf[off + 3];
  if (proto !== 0x6558 && isUnsupportedL3(ETHERTYPE_TABLE[proto])) return;
  if (!enterTunnel(v, TUNNEL_GENEVE, p, end, ctx)) return;
  if (proto === 0x6558) decodeEthernet(v, buf, p, end, ctx);
  else dispatchEthertype(v, buf, p, end, ctx, proto);
}
