/**
 * Ethernet II (LINKTYPE 1). 14-byte header: dst MAC, src MAC, ethertype. A type field <= 1500 is an
 * 802.3 length (LLC follows): LLC/SNAP with OUI 00-00-00 (RFC 1042) continues with the SNAP
 * ethertype; other LLC frames (STP, CDP...) are `ether.llc`, no L3 decoded.
 *
 *   00 11 22 33 44 55  66 77 88 99 aa bb  08 00 | 45 ...      tshark: Ethernet II, Type: IPv4 (0x0800)
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const ETHER_HDR_LEN = 14;
export const L2_ETHER = 1;

export function decodeEthernet(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_ETHER;
  if (end - off < ETHER_HDR_LEN) { v.addEvent(EV['ether.truncated']); return; }
  const et = (buf[off + 12] << 8) | buf[off + 13];
  if (et <= 1500) {
    // 802.3 length field: LLC follows. SNAP with OUI 00-00-00 carries an ethertype (RFC 1042).
    const p = off + ETHER_HDR_LEN;
    if (end - p >= 8 && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03 &&
        buf[p + 3] === 0 && buf[p + 4] === 0 && buf[p + 5] === 0) {
      dispatchEthertype(v, buf, p + 8, end, ctx, (buf[p + 6] << 8) | buf[p + 7]);
      return;
    }
    v.etherType = et; v.addEvent(EV['ether.llc']); v.payloadOff = p; v.payloadLen = end - p;
    return;
  }
  dispatchEthertype(v, buf, off + ETHER_HDR_LEN, end, ctx, et);
}
