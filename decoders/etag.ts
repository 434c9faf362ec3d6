/**
 * Bridge port extension tags, skipped to reach the encapsulated ethertype (nothing is kept):
 * - IEEE 802.1BR E-Tag (ethertype 0x893f): 6 bytes (E-PCP/DEI, ingress E-CID, GRP/E-CID...) then the
 *   next ethertype;
 * - Cisco VN-Tag (ethertype 0x8926): 4 bytes (direction, pointer, vif ids) then the next ethertype.
 *
 *   89 3f 10 00 00 d3 00 00 08 00 | 45 ...   tshark: 802.1BR E-Tag, E-CID: 211, Type: IPv4
 *   89 26 00 00 00 00 81 00 ...             tshark: VN-Tag, Type: 802.1Q Virtual LAN
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const ETHERTYPE_ETAG = 0x893f;
export const ETHERTYPE_VNTAG = 0x8926;

export function decodeEtag(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < 8) { v.addEvent(EV['etag.truncated']); return; }
  dispatchEthertype(v, buf, off + 8, end, ctx, (buf[off + 6] << 8) | buf[off + 7]);
}

export function decodeVntag(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < 6) { v.addEvent(EV['vntag.truncated']); return; }
  dispatchEthertype(v, buf, off + 6, end, ctx, (buf[off + 4] << 8) | buf[off + 5]);
}
