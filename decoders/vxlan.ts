/**
 * VXLAN (RFC 7348) over UDP port 4789: 8-byte header (flags with I = 0x08 "VNI valid", VNI in
 * bytes 4-6), then an Ethernet frame. Decoded as a tunnel (tunnel.ts) when DecodeContext.tunnels
 * is on; a header without the I flag is left as UDP payload.
 *
 *   08 00 00 00 00 00 7b 00 | <ethernet>     tshark: Virtual eXtensible Local Area Network, VNI 123
 */
import type { PacketView } from './packet';
import { EV } from './events';
import type { DecodeContext } from './dispatch';
import { enterTunnel, TUNNEL_VXLAN } from './tunnel';
import { decodeEthernet } from './ethernet';

export const VXLAN_PORT = 4789;
export const VXLAN_HDR_LEN = 8;

export function decodeVxlan(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < VXLAN_HDR_LEN) { v.addEvent(EV['vxlan.truncated']); return; }
  if ((buf[off] & 0x08) === 0) return;
  const p = off + VXLAN_HDR_LEN;
  if (!enterTunnel(v, TUNNEL_VXLAN, p, end, ctx)) return;
  decodeEthernet(v, buf, p, end, ctx);
}
