/**
 * MPLS unicast/multicast (ethertypes 0x8847/0x8848, RFC 3032): 4-byte label stack entries until
 * the bottom-of-stack bit, at most MAX_MPLS_LABELS (`mpls.too_many`). The payload has no type
 * field: a first nibble of 4 is taken as IPv4 and 6 as IPv6 (as Wireshark and Suricata guess);
 * anything else (pseudowires) is `l3.unsupported`. Labels are not kept in the PacketView.
 *
 *   00 01 01 ff | 45 ...   tshark: MultiProtocol Label Switching Header, Label: 16, Exp: 0, S: 1, TTL: 255
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const ETHERTYPE_MPLS_UC = 0x8847;
export const ETHERTYPE_MPLS_MC = 0x8848;
export const MAX_MPLS_LABELS = 8;

export function decodeMpls(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  let p = off;
  for (let n = 0; ; n++) {
    if (n >= MAX_MPLS_LABELS) { v.addEvent(EV['mpls.too_many']); return; }
    if (end - p < 4) { v.addEvent(EV['mpls.truncated']); return; }
    const bos = (buf[p + 2] & 1) !== 0;
    p += 4;
    if (bos) break;
  }
  if (p >= end) { v.addEvent(EV['mpls.truncated']); return; }
  const ver = buf[p] >> 4;
  if (ver === 4) dispatchEthertype(v, buf, p, end, ctx, 0x0800);
  else if (ver === 6) dispatchEthertype(v, buf, p, end, ctx, 0x86dd);
  else v.addEvent(EV['l3.unsupported']);
}
