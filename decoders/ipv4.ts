/**
 * IPv4 (RFC 791). Checks, in order: at least 20 bytes (`ipv4.truncated`), version 4
 * (`ipv4.bad_version`), IHL >= 5 and header present (`ipv4.bad_hlen`), total length >= IHL
 * (`ipv4.bad_total_len`; a total length of 0 is taken as "TSO, use the frame" like Wireshark),
 * total length within the frame (`ipv4.trunc_pkt`; not raised when only the capture's snaplen cut
 * the packet), options well formed (`ipv4.opt_bad`), header checksum (`ipv4.bad_checksum`, when
 * DecodeContext.checksums has CSUM_IPV4). Ethernet padding after the total length is ignored.
 *
 * Fragments (MF set or offset > 0) get `ipv4.frag`, isFragment = true and no L4 decode; with a
 * reassembler in the context they are fed to it, and the packet that completes a datagram is
 * decoded again from the reassembled bytes (see frag.ts).
 *
 *   45 00 00 3c 1c 46 40 00 40 06 b1 e6 ac 10 0a 63 ac 10 0a 0c
 *   tshark: Internet Protocol Version 4, Src: 172.16.10.99, Dst: 172.16.10.12, Len 60, ID 0x1c46,
 *           Flags: 0x40 (Don't fragment), TTL 64, Protocol TCP (6), Checksum 0xb1e6 [correct]
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchIpProto, CSUM_IPV4 } from './dispatch';
import { sum16, fold } from './checksum';

export const IPV4_MIN_HDR = 20;
export const ETHERTYPE_IPV4 = 0x0800;

/** Walk the options in buf[p, end): EOL ends, NOP is one byte, others carry a length >= 2. */
function optionsValid(buf: Uint8Array, p: number, end: number): boolean {
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) return true;              // EOL: the rest is padding
    if (kind === 1) { p++; continue; }        // NOP
    if (p + 1 >= end) return false;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return false;
    p += len;
  }
  return true;
}

export function decodeIpv4(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < IPV4_MIN_HDR) { v.addEvent(EV['ipv4.truncated']); return; }
  const b0 = buf[off];
  if ((b0 >> 4) !== 4) { v.addEvent(EV['ipv4.bad_version']); return; }
  const hlen = (b0 & 0x0f) << 2;
  if (hlen < IPV4_MIN_HDR || hlen > avail) { v.addEvent(EV['ipv4.bad_hlen']); return; }

  const tl = (buf[off + 2] << 8) | buf[off + 3];
  const ff = (buf[off + 6] << 8) | buf[off + 7];
  v.ipVer = 4;
  v.l3Off = off;
  v.ipHdrLen = hlen;
  v.ipTotalLen = tl;
  v.tos = buf[off + 1];
  v.ipId = (buf[off + 4] << 8) | buf[off + 5];
  v.ipDF = (ff & 0x4000) !== 0;
  v.ipMF = (ff & 0x2000) !== 0;
  v.fragOff = (ff & 0x1fff) << 3;
  v.ttl = buf[off + 8];
  const proto = buf[off + 9];
  v.ipProto = proto;
  v.srcOff = off + 12;
  v.dstOff = off + 16;
  v.addrLen = 4;
  // >>> 0 keeps the u32 positive (a Smi or heap number, never negative)
  v.src4 = ((buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15]) >>> 0;
  v.dst4 = ((buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19]) >>> 0;

  // where the datagram's bytes end in buf
  let dataEnd: number;
  let wireEnd: number;          // where it ends according to the header
  if (tl === 0) {               // TSO/GSO capture: length not filled in
    v.addEvent(EV['ipv4.bad_total_len']);
    dataEnd = end; wireEnd = end;
  } else if (tl < hlen) {
    v.addEvent(EV['ipv4.bad_total_len']);
    return;
  } else if (tl > avail) {
    // cut by the snaplen (no event) or claims more than was on the wire (trunc_pkt)
    const wireAvail = v.reassembled ? avail : v.wirelen - (off - v.off);
    if (tl > wireAvail) v.addEvent(EV['ipv4.trunc_pkt']);
    dataEnd = end; wireEnd = off + tl;
  } else {
    dataEnd = off + tl; wireEnd = dataEnd;
  }

  if (hlen > IPV4_MIN_HDR && !optionsValid(buf, off + IPV4_MIN_HDR, off + hlen)) v.addEvent(EV['ipv4.opt_bad']);
  if ((ctx.checksums & CSUM_IPV4) !== 0 && !v.reassembled && fold(sum16(buf, off, off + hlen)) !== 0xffff) {
    v.addEvent(EV['ipv4.bad_checksum']);
  }

  const l4 = off + hlen;
  if ((ff & 0x3fff) !== 0) {    // MF or offset: a fragment
    v.isFragment = true;
    v.addEvent(EV['ipv4.frag']);
    v.payloadOff = l4;
    v.payloadLen = dataEnd - l4;
    const r = ctx.reasm;
    if (r !== null && !v.reassembled) r.addIpv4(v, buf, off, hlen, dataEnd, wireEnd, ctx);
    return;
  }
  v.l4WireLen = wireEnd - l4;
  dispatchIpProto(v, buf, l4, dataEnd, ctx, proto);
}
