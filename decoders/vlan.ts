/**
 * IEEE 802.1Q (0x8100), 802.1ad (0x88a8) and the legacy QinQ type 0x9100. Each tag is 4 bytes:
 * TCI (PCP 3 bits, DEI 1 bit, VID 12 bits) then the next ethertype. Stacked tags recurse through
 * the ethertype table; at most MAX_VLAN tags are decoded (`vlan.too_many` beyond, L3 not decoded).
 *
 *   81 00 00 64 08 00 | 45 ...     tshark: 802.1Q Virtual LAN, PRI: 0, DEI: 0, ID: 100, Type: IPv4
 */
import { PacketView, MAX_VLAN } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const VLAN_TAG_LEN = 4;
export const ETHERTYPE_8021Q = 0x8100;
export const ETHERTYPE_8021AD = 0x88a8;
export const ETHERTYPE_QINQ_9100 = 0x9100;

export function decodeVlan(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < VLAN_TAG_LEN) { v.addEvent(EV['vlan.truncated']); return; }
  if (v.vlanCount >= MAX_VLAN) { v.addEvent(EV['vlan.too_many']); return; }
  v.vlan[v.vlanCount++] = ((buf[off] << 8) | buf[off + 1]) & 0x0fff;
  dispatchEthertype(v, buf, off + VLAN_TAG_LEN, end, ctx, (buf[off + 2] << 8) | buf[off + 3]);
}
