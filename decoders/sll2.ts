/**
 * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), 20 bytes:
 * protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1),
 * address length (1), address (8).
 *
 *   08 00 00 00 00 00 00 02 00 01 00 06 00 11 22 33 44 55 00 00 | 45 ...
 *   tshark: Linux cooked capture v2, Protocol: IPv4 (0x0800), Interface index: 2
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const SLL2_HDR_LEN = 20;
export const L2_SLL2 = 3;

export function decodeSll2(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_SLL2;
  if (end - off < SLL2_HDR_LEN) { v.addEvent(EV['sll2.truncated']); return; }
  dispatchEthertype(v, buf, off + SLL2_HDR_LEN, end, ctx, (buf[off] << 8) | buf[off + 1]);
}
