/**
 * A PPP frame as carried by GRE (PPTP): optional HDLC address/control bytes FF 03, then the PPP
 * protocol (2 bytes, or 1 with protocol field compression, RFC 1661 6.5: an odd first byte).
 * 0x0021 IPv4 and 0x0057 IPv6 continue; anything else (LCP, IPCP, CCP, compressed data) is
 * `ppp.unsupported`, payload only. PPPoE (pppoe.ts) reads its own protocol field.
 *
 *   ff 03 00 21 | 45 ...      tshark: Point-to-Point Protocol, Address 0xff, Control 0x03, Protocol IPv4
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export function decodePppFrame(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  let p = off;
  if (end - p >= 2 && buf[p] === 0xff && buf[p + 1] === 0x03) p += 2;
  if (end - p < 1) { v.addEvent(EV['ppp.unsupported']); return; }
  let proto: number;
  if ((buf[p] & 1) !== 0) { proto = buf[p]; p += 1; }
  else { if (end - p < 2) { v.addEvent(EV['ppp.unsupported']); return; } proto = (buf[p] << 8) | buf[p + 1]; p += 2; }
  if (proto === 0x0021) dispatchEthertype(v, buf, p, end, ctx, 0x0800);
  else if (proto === 0x0057) dispatchEthertype(v, buf, p, end, ctx, 0x86dd);
  else { v.addEvent(EV['ppp.unsupported']); v.payloadOff = p; v.payloadLen = end - p; }
}
