/**
 * IEEE 802.11 (LINKTYPE_IEEE802_11 105) and 802.11 with a radiotap header (LINKTYPE 127).
 * Radiotap: version 0, length (little-endian) of the whole radiotap header, which is skipped; its
 * Flags field (present bit 1, after the 8-byte TSFT when present) says whether the frame ends with
 * a 4-byte FCS (flag 0x10), which is cut off.
 * 802.11: only data frames (type 2) carrying data are decoded: header 24 bytes, + 6 with both
 * To-DS and From-DS (4th address), + 2 for QoS subtypes, + 4 when a QoS frame has the Order bit
 * (HT control); then LLC/SNAP (AA AA 03 00 00 00 + ethertype) to IPv4/IPv6/others.
 * Management/control frames, null-data subtypes and protected (encrypted) frames are
 * `wlan.not_data`, no L3.
 *
 *   00 00 0d 00 04 80 02 00 02 00 00 00 00 | 08 01 ... | aa aa 03 00 00 00 08 00 | 45 ...
 *   tshark: Radiotap Header v0, Length 13; IEEE 802.11 Data; Logical-Link Control, Type IPv4
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const L2_WLAN = 7;
export const RADIOTAP_MIN_HDR = 8;
export const WLAN_HDR_LEN = 24;
const LLC_SNAP_LEN = 8;

export function decodeRadiotap(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_WLAN;
  if (end - off < RADIOTAP_MIN_HDR || buf[off] !== 0) { v.addEvent(EV['radiotap.truncated']); return; }
  const len = buf[off + 2] | (buf[off + 3] << 8);
  if (len < RADIOTAP_MIN_HDR || off + len > end) { v.addEvent(EV['radiotap.truncated']); return; }
  const present = (buf[off + 4] | (buf[off + 5] << 8) | (buf[off + 6] << 16) | (buf[off + 7] << 24)) >>> 0;
  // skip extended present words (bit 31 chains another word)
  let q = off + 8;
  let w = present;
  for (let n = 0; n < 8 && (w & 0x80000000) !== 0 && q + 4 <= off + len; n++) {
    w = (buf[q] | (buf[q + 1] << 8) | (buf[q + 2] << 16) | (buf[q + 3] << 24)) >>> 0;
    q += 4;
  }
  let e = end;
  if ((present & 2) !== 0) {          // Flags field present
    if ((present & 1) !== 0) { q = off + ((q - off + 7) & ~7) + 8; }   // TSFT: 8 bytes aligned to 8
    if (q < off + len && (buf[q] & 0x10) !== 0 && e - (off + len) >= 4) e -= 4;   // FCS at the end
  }
  decodeWlanFrame(v, buf, off + len, e, ctx);
}

export function decodeWlan(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_WLAN;
  decodeWlanFrame(v, buf, off, end, ctx);
}

function decodeWlanFrame(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < WLAN_HDR_LEN) { v.addEvent(EV['wlan.truncated']); return; }
  const fc0 = buf[off], fc1 = buf[off + 1];
  const type = (fc0 >> 2) & 3, subtype = fc0 >> 4;
  // data frames only; subtypes with bit 2 set carry no data (null, CF-ack/poll without data)
  if (type !== 2 || (subtype & 4) !== 0 || (fc1 & 0x40) !== 0) { v.addEvent(EV['wlan.not_data']); return; }
  let p = off + WLAN_HDR_LEN;
  if ((fc1 & 3) === 3) p += 6;
  if ((subtype & 8) !== 0) { p += 2; if ((fc1 & 0x80) !== 0) p += 4; }
  if (end - p < LLC_SNAP_LEN) { v.addEvent(EV['wlan.truncated']); return; }
  if (buf[p] !== 0xaa || buf[p + 1] !== 0xaa || buf[p + 2] !== 0x03) { v.addEvent(EV['wlan.not_data']); v.payloadOff = p; v.payloadLen = end - p; return; }
  dispatchEthertype(v, buf, p + LLC_SNAP_LEN, end, ctx, (buf[p + 6] << 8) | buf[p + 7]);
}
