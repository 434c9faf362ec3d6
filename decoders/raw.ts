/**
 * Raw IP link types: DLT_RAW 12 (most systems) and 14 (OpenBSD), LINKTYPE_RAW 101 (version from
 * the first nibble), LINKTYPE_IPV4 228 and LINKTYPE_IPV6 229 (version fixed by the link type).
 *
 *   45 00 00 54 ...     tshark: Raw packet data, Internet Protocol Version 4
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const L2_RAW = 5;

export function decodeRaw(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_RAW;
  if (end - off < 1) { v.addEvent(EV['link.truncated']); return; }
  const ver = buf[off] >> 4;
  if (ver === 4) dispatchEthertype(v, buf, off, end, ctx, 0x0800);
  else if (ver === 6) dispatchEthertype(v, buf, off, end, ctx, 0x86dd);
  else v.addEvent(EV['l3.unsupported']);
}

export function decodeRawIpv4(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_RAW;
  dispatchEthertype(v, buf, off, end, ctx, 0x0800);
}

export function decodeRawIpv6(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_RAW;
  dispatchEthertype(v, buf, off, end, ctx, 0x86dd);
}
