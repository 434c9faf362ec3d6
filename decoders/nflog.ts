/**
 * NFLOG (LINKTYPE_NFLOG 239, Linux netfilter log via libpcap's nflog device). A 4-byte header
 * (address family, version, resource id) then TLVs: length (includes the 4-byte TLV header) and
 * type, both in the CAPTURING host's byte order, each TLV padded to 4 bytes. The packet is the
 * value of NFULA_PAYLOAD (type 9); its L3 comes from the family (AF_INET 2 -> IPv4, AF_INET6 10 ->
 * IPv6; AF_UNSPEC: the IP version nibble). Byte order: little-endian unless the first TLV only
 * makes sense big-endian (the header gives no marker; libpcap writes host order).
 * Bounded by MAX_NFLOG_TLVS; no payload attribute -> `nflog.no_payload`.
 *
 *   02 00 00 00 | 08 00 01 00 08 00 03 00 | ... | 3c 00 09 00 45 00 ...
 *   tshark: Linux Netfilter NFLOG, Family IPv4, ...; TLV Type NFULA_PAYLOAD (9), Length 60
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const L2_NFLOG = 6;
export const NFLOG_HDR_LEN = 4;
export const NFULA_PAYLOAD = 9;
/** TLVs walked per packet at most (NFLOG sends about a dozen attribute types). */
export const MAX_NFLOG_TLVS = 64;
const AF_INET = 2, AF_INET6 = 10;

export function decodeNflog(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  v.l2Kind = L2_NFLOG;
  if (end - off < NFLOG_HDR_LEN) { v.addEvent(EV['nflog.truncated']); return; }
  const family = buf[off];
  let p = off + NFLOG_HDR_LEN;
  // byte order from the first TLV: a plausible little-endian length and type, else big-endian
  let le = true;
  if (end - p >= 4) {
    const lenLe = buf[p] | (buf[p + 1] << 8), typeLe = buf[p + 2] | (buf[p + 3] << 8);
    if (lenLe < 4 || p + lenLe > end || typeLe > 0xff) le = false;
  }
  for (let n = 0; n < MAX_NFLOG_TLVS && end - p >= 4; n++) {
    const len = le ? buf[p] | (buf[p + 1] << 8) : (buf[p] << 8) | buf[p + 1];
    const type = (le ? buf[p + 2] | (buf[p + 3] << 8) : (buf[p + 2] << 8) | buf[p + 3]) & 0x7fff;
    if (len < 4 || p + len > end) {
      // a snapped capture may cut the payload TLV: decode what is there
      if (type === NFULA_PAYLOAD && len >= 4) { payload(v, buf, p + 4, end, ctx, family); return; }
      v.addEvent(EV['nflog.truncated']); return;
    }
    if (type === NFULA_PAYLOAD) { payload(v, buf, p + 4, p + len, ctx, family); return; }
    p += (len + 3) & ~3;
  }
  v.addEvent(EV['nflog.no_payload']);
}

function payload(v: PacketView, buf: Uint8Array, p: number, e: number, ctx: DecodeContext, family: number): void {
  let et = family === AF_INET ? 0x0800 : family === AF_INET6 ? 0x86dd : 0;
  if (et === 0 && e > p) et = (buf[p] >> 4) === 4 ? 0x0800 : (buf[p] >> 4) === 6 ? 0x86dd : 0;
  if (et === 0) { v.addEvent(EV['nflog.no_payload']); v.payloadOff = p; v.payloadLen = e - p; return; }
  dispatchEthertype(v, buf, p, e, ctx, et);
}
