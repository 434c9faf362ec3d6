/**
 * TCP (RFC 9293). Needs 20 bytes (`tcp.truncated`); data offset >= 5 and within the segment
 * (`tcp.bad_offset`; when only the snaplen cut the header it is `tcp.truncated`). Options walked:
 * EOL (0), NOP (1), MSS (2, len 4), window scale (3, len 3), SACK-permitted (4, len 2),
 * SACK (5, len 2+8n, n 1..4, at most MAX_SACK blocks kept), timestamps (8, len 10); unknown kinds
 * are skipped by their length; a length < 2, past the header, or wrong for a known kind is
 * `tcp.opt_bad` and ends the walk. The checksum (pseudo-header + segment) is verified when the
 * whole segment is captured and DecodeContext.checksums has CSUM_L4 (`tcp.bad_checksum`).
 *
 *   04 d2 00 50 00 00 00 01 00 00 00 00 a0 02 fa f0 00 00 00 00
 *   02 04 05 b4 04 02 08 0a 00 00 00 64 00 00 00 00 01 03 03 07
 *   tshark: Src Port: 1234, Dst Port: 80, Seq: 1, Flags: 0x002 (SYN), Win: 64240,
 *           Options: MSS 1460, SACK permitted, TSval 100 TSecr 0, NOP, Window scale 7
 */
import { PacketView, MAX_SACK, PROTO_TCP } from './packet';
import { EV } from './events';
import { DecodeContext, CSUM_L4 } from './dispatch';
import { sum16, fold, pseudo4, pseudo6 } from './checksum';

export const TCP_MIN_HDR = 20;

function u32(buf: Uint8Array, o: number): number {
  // multiply instead of << 24 so the result stays a positive number without >>> 0 juggling
  return buf[o] * 16777216 + ((buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]);
}

function walkOptions(v: PacketView, buf: Uint8Array, p: number, end: number): void {
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) return;
    if (kind === 1) { p++; continue; }
    if (p + 1 >= end) { v.addEvent(EV['tcp.opt_bad']); return; }
    const len = buf[p + 1];
    if (len < 2 || p + len > end) { v.addEvent(EV['tcp.opt_bad']); return; }
    switch (kind) {
      case 2:
        if (len !== 4) { v.addEvent(EV['tcp.opt_bad']); return; }
        v.optMss = (buf[p + 2] << 8) | buf[p + 3];
        break;
      case 3:
        if (len !== 3) { v.addEvent(EV['tcp.opt_bad']); return; }
        v.optWscale = buf[p + 2];
        break;
      case 4:
        if (len !== 2) { v.addEvent(EV['tcp.opt_bad']); return; }
        v.optSackPerm = true;
        break;
      case 5: {
        const blocks = (len - 2) >> 3;
        if (blocks < 1 || ((len - 2) & 7) !== 0) { v.addEvent(EV['tcp.opt_bad']); return; }
        for (let i = 0, q = p + 2; i < blocks && v.sackCount < MAX_SACK; i++, q += 8) {
          v.sack[v.sackCount * 2] = u32(buf, q);
          v.sack[v.sackCount * 2 + 1] = u32(buf, q + 4);
          v.sackCount++;
        }
        break;
      }
      case 8:
        if (len !== 10) { v.addEvent(EV['tcp.opt_bad']); return; }
        v.optTsVal = u32(buf, p + 2);
        v.optTsEcr = u32(buf, p + 6);
        break;
      default:
        break;
    }
    p += len;
  }
}

export function decodeTcp(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < TCP_MIN_HDR) { v.addEvent(EV['tcp.truncated']); v.payloadOff = off; v.payloadLen = avail; return; }
  v.l4Kind = PROTO_TCP;
  v.sport = (buf[off] << 8) | buf[off + 1];
  v.dport = (buf[off + 2] << 8) | buf[off + 3];
  v.seq = u32(buf, off + 4);
  v.ack = u32(buf, off + 8);
  const doff = (buf[off + 12] >> 4) << 2;
  v.tcpFlags = buf[off + 13];
  v.win = (buf[off + 14] << 8) | buf[off + 15];
  v.urgPtr = (buf[off + 18] << 8) | buf[off + 19];
  const wireLen = v.l4WireLen > avail ? v.l4WireLen : avail;
  if (doff < TCP_MIN_HDR || doff > wireLen) { v.addEvent(EV['tcp.bad_offset']); v.payloadOff = end; return; }
  if (doff > avail) { v.addEvent(EV['tcp.truncated']); v.payloadOff = end; return; }
  v.tcpHdrLen = doff;
  if (doff > TCP_MIN_HDR) walkOptions(v, buf, off + TCP_MIN_HDR, off + doff);
  if ((ctx.checksums & CSUM_L4) !== 0 && avail >= v.l4WireLen) {
    const ph = v.ipVer === 4 ? pseudo4(buf, v.srcOff, v.dstOff, PROTO_TCP, avail) : pseudo6(buf, v.srcOff, v.dstOff, PROTO_TCP, avail);
    if (fold(ph + sum16(buf, off, end)) !== 0xffff) v.addEvent(EV['tcp.bad_checksum']);
  }
  v.payloadOff = off + doff;
  v.payloadLen = avail - doff;
}
