/**
 * PacketView invariants that must hold after decoding ANY bytes (used by the no-crash and the
 * property tests): every offset the view exposes lies within the packet's captured bytes (or the
 * reassembler's scratch buffer for a reassembled datagram), lengths are non-negative, bounded
 * arrays stay within their bounds.
 */
import { PacketView, MAX_EVENTS, MAX_VLAN, MAX_SACK } from '../../decoders/packet';

/** Returns null when all invariants hold, else a description of the first violation. */
export function checkInvariants(v: PacketView, buf: Uint8Array, off: number, caplen: number): string | null {
  const reasm = v.reassembled;
  const lo = reasm ? 0 : off;
  let hi = reasm ? v.buf.length : Math.min(off + caplen, buf.length);
  if (!reasm && v.buf !== buf) return 'view.buf is neither the packet buffer nor reassembled';
  if (hi < lo) hi = lo;
  const within = (name: string, o: number, len: number): string | null =>
    (Number.isInteger(o) && Number.isInteger(len) && len >= 0 && o >= lo && o + len <= hi) ? null : `${name} [${o}, +${len}) outside [${lo}, ${hi})`;
  let e: string | null;
  if (v.eventCount > MAX_EVENTS || v.eventCount < 0) return `eventCount ${v.eventCount}`;
  if (v.vlanCount > MAX_VLAN) return `vlanCount ${v.vlanCount}`;
  if (v.sackCount > MAX_SACK) return `sackCount ${v.sackCount}`;
  if (v.payloadLen < 0) return `payloadLen ${v.payloadLen}`;
  if (v.payloadLen > 0 && (e = within('payload', v.payloadOff, v.payloadLen))) return e;
  if (v.payloadOff + v.payloadLen > hi) return `payloadOff+payloadLen ${v.payloadOff + v.payloadLen} > end ${hi}`;
  if (v.ipVer !== 0) {
    if (v.ipVer !== 4 && v.ipVer !== 6) return `ipVer ${v.ipVer}`;
    if ((e = within('ip header', v.l3Off, v.ipHdrLen))) return e;
    if ((e = within('src', v.srcOff, v.addrLen))) return e;
    if ((e = within('dst', v.dstOff, v.addrLen))) return e;
    if (v.ipProto < 0 || v.ipProto > 255) return `ipProto ${v.ipProto}`;
    if (v.ttl < 0 || v.ttl > 255) return `ttl ${v.ttl}`;
  }
  if (v.l4Kind !== 0) {
    if (v.ipVer === 0) return 'L4 without L3';
    if (v.l4Off < v.l3Off + v.ipHdrLen) return `l4Off ${v.l4Off} inside the IP header`;
    if ((e = within('l4', v.l4Off, Math.min(v.l4Len, hi - v.l4Off)))) return e;
    if (v.l4Off + v.l4Len > hi) return `l4 end ${v.l4Off + v.l4Len} > ${hi}`;
    if (v.tcpHdrLen !== 0 && (v.tcpHdrLen < 20 || v.tcpHdrLen > 60 || v.l4Off + v.tcpHdrLen > hi)) return `tcpHdrLen ${v.tcpHdrLen}`;
    if (v.sport < 0 || v.sport > 65535 || v.dport < 0 || v.dport > 65535) return 'port out of range';
    if (v.seq < 0 || v.seq > 0xffffffff || v.ack < 0 || v.ack > 0xffffffff) return 'seq/ack out of range';
  }
  if (v.isFragment && v.l4Kind !== 0) return 'fragment with an L4 decode';
  return null;
}
