/**
 * IPv6 (RFC 8200). Fixed 40-byte header, then extension headers walked until an upper-layer
 * protocol: hop-by-hop (0), routing (43), fragment (44), destination options (60), AH (51),
 * mobility (135), HIP (139), shim6 (140). At most MAX_IPV6_EXTHDRS are walked
 * (`ipv6.exthdr_too_many` beyond; L4 is then not decoded). `ipProto` is the protocol after the
 * extension headers; `ipHdrLen` is 40 + the extension headers walked.
 *
 * A fragment header with offset > 0 or M set makes the packet a fragment (`ipv6.frag`, no L4
 * decode; fed to the reassembler when there is one). An atomic fragment (offset 0, M clear,
 * RFC 6946) is walked through like any other extension header.
 *
 * Payload length 0 without hop-by-hop (jumbogram) is `ipv6.bad_payload_len` and the frame's bytes
 * are used (TSO captures).
 *
 *   60 00 00 00 00 14 06 40 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
 *   20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02
 *   tshark: Internet Protocol Version 6, Src: 2001:db8::1, Dst: 2001:db8::2, Payload length 20,
 *           Next header: TCP (6), Hop limit: 64
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchIpProto } from './dispatch';

export const IPV6_HDR_LEN = 40;
export const ETHERTYPE_IPV6 = 0x86dd;
/** Bound on extension headers walked per packet (Suricata/Linux accept far fewer in practice). */
export const MAX_IPV6_EXTHDRS = 8;

export const NH_HOPOPTS = 0, NH_ROUTING = 43, NH_FRAGMENT = 44, NH_ESP = 50, NH_AH = 51, NH_NONE = 59, NH_DSTOPTS = 60;

export function decodeIpv6(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < IPV6_HDR_LEN) { v.addEvent(EV['ipv6.truncated']); return; }
  const b0 = buf[off];
  if ((b0 >> 4) !== 6) { v.addEvent(EV['ipv6.bad_version']); return; }
  const plen = (buf[off + 4] << 8) | buf[off + 5];
  let nh = buf[off + 6];
  v.ipVer = 6;
  v.l3Off = off;
  v.tos = ((b0 & 0x0f) << 4) | (buf[off + 1] >> 4);
  v.flowLabel = ((buf[off + 1] & 0x0f) << 16) | (buf[off + 2] << 8) | buf[off + 3];
  v.ipTotalLen = IPV6_HDR_LEN + plen;
  v.ttl = buf[off + 7];
  v.srcOff = off + 8;
  v.dstOff = off + 24;
  v.addrLen = 16;

  let dataEnd: number, wireEnd: number;
  if (plen === 0) {
    if (nh !== NH_HOPOPTS && avail > IPV6_HDR_LEN) v.addEvent(EV['ipv6.bad_payload_len']);
    dataEnd = end; wireEnd = end;
  } else if (IPV6_HDR_LEN + plen > avail) {
    const wireAvail = v.reassembled ? avail : v.wirelen - (off - v.off);
    if (IPV6_HDR_LEN + plen > wireAvail) v.addEvent(EV['ipv6.trunc_pkt']);
    dataEnd = end; wireEnd = off + IPV6_HDR_LEN + plen;
  } else {
    dataEnd = off + IPV6_HDR_LEN + plen; wireEnd = dataEnd;
  }

  let p = off + IPV6_HDR_LEN;
  let nhOff = off + 6;          // byte holding the current `nh` value (patched by reassembly)
  let n = 0;
  for (;;) {
    let len: number;
    if (nh === NH_HOPOPTS || nh === NH_ROUTING || nh === NH_DSTOPTS || nh === 135 || nh === 139 || nh === 140) {
      if (p + 2 > dataEnd) break;
      len = (buf[p + 1] + 1) << 3;
    } else if (nh === NH_AH) {
      if (p + 2 > dataEnd) break;
      len = (buf[p + 1] + 2) << 2;
    } else if (nh === NH_FRAGMENT) {
      len = 8;
    } else {
      // upper-layer protocol (or ESP / no next header): done
      v.ipProto = nh;
      v.ipHdrLen = p - off;
      v.l4WireLen = wireEnd - p;
      dispatchIpProto(v, buf, p, dataEnd, ctx, nh);
      return;
    }
    if (n >= MAX_IPV6_EXTHDRS) { v.addEvent(EV['ipv6.exthdr_too_many']); return finishNoL4(v, off, p, dataEnd, nh); }
    if (p + len > dataEnd) { v.addEvent(EV['ipv6.exthdr_truncated']); return finishNoL4(v, off, p, dataEnd, nh); }
    n++;
    if (nh === NH_FRAGMENT) {
      const fo = (buf[p + 2] << 8) | buf[p + 3];
      v.fragOff = fo & 0xfff8;
      v.ipMF = (fo & 1) !== 0;
      v.ipId = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
      if (v.fragOff !== 0 || v.ipMF) {
        const fragHdr = p;
        nh = buf[p];
        p += 8;
        v.ipProto = nh;
        v.ipHdrLen = p - off;
        v.isFragment = true;
        v.addEvent(EV['ipv6.frag']);
        v.payloadOff = p;
        v.payloadLen = dataEnd - p;
        const r = ctx.reasm;
        if (r !== null && !v.reassembled) r.addIpv6(v, buf, off, fragHdr, nhOff, dataEnd, wireEnd, ctx);
        return;
      }
    }
    nhOff = p;
    nh = buf[p];
    p += len;
  }
  // an extension header's first two bytes are missing
  v.addEvent(EV['ipv6.exthdr_truncated']);
  finishNoL4(v, off, p, dataEnd, nh);
}

function finishNoL4(v: PacketView, off: number, p: number, dataEnd: number, nh: number): void {
  v.ipProto = nh;
  v.ipHdrLen = p - off;
  v.payloadOff = p;
  v.payloadLen = dataEnd > p ? dataEnd - p : 0;
}
