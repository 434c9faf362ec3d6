/**
 * Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), 16 bytes:
 * packet type (2), ARPHRD type (2), link-layer address length (2), address (8), protocol (2).
 * The protocol field is an ethertype for the cases we decode (IPv4 0x0800, IPv6 0x86dd, VLAN).
 *
 *   00 00 00 01 00 06 00 11 22 33 44 55 00 00 08 00 | 45 ...
 *   tshark: Linux cooked capture v1, Packet type: Unicast to us (0), Protocol: IPv4 (0x0800)
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const SLL_HDR_LEN = 16;
export const L2_SLL = 2;

export function decodeSll(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_SLL;
  if (end - off < SLL_HDR_LEN) { v.addEvent(EV['sll.truncated']); return; }
  dispatchEthertype(v, buf, off + SLL_HDR_LEN, end, ctx, (buf[off + 14] << 8) | buf[off + 15]);
}
