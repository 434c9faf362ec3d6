/**
 * UDP (RFC 768). Needs 8 bytes (`udp.truncated`). The length field must be >= 8 and not more than
 * the IP payload (`udp.bad_len`; the payload is then what the IP layer carries); bytes after the
 * UDP length are ignored. Checksum verified when the whole datagram is captured
 * (`udp.bad_checksum`): 0 means "none" over IPv4 and is invalid over IPv6 (RFC 8200 8.1).
 *
 *   c3 50 00 35 00 27 8e 6f | 31 ...   tshark: Src Port: 50000, Dst Port: 53, Length: 39, Checksum 0x8e6f
 */
import { PacketView, PROTO_UDP } from './packet';
import { EV } from './events';
import { DecodeContext, CSUM_L4, UDP_TUNNEL_PORT, UDP_TUNNEL_DECODERS } from './dispatch';
import { sum16, fold, pseudo4, pseudo6 } from './checksum';

export const UDP_HDR_LEN = 8;

export function decodeUdp(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const avail = end - off;
  if (avail < UDP_HDR_LEN) { v.addEvent(EV['udp.truncated']); v.payloadOff = off; v.payloadLen = avail; return; }
  v.l4Kind = PROTO_UDP;
  v.sport = (buf[off] << 8) | buf[off + 1];
  v.dport = (buf[off + 2] << 8) | buf[off + 3];
  const ulen = (buf[off + 4] << 8) | buf[off + 5];
  v.udpLen = ulen;
  const wireLen = v.l4WireLen > avail ? v.l4WireLen : avail;
  let dend = end;
  let valid = true;
  if (ulen < UDP_HDR_LEN || ulen > wireLen) { v.addEvent(EV['udp.bad_len']); valid = false; }
  else if (ulen < avail) dend = off + ulen;
  if (valid && (ctx.checksums & CSUM_L4) !== 0 && ulen <= avail) {
    const ck = (buf[off + 6] << 8) | buf[off + 7];
    if (ck === 0) {
      if (v.ipVer === 6) v.addEvent(EV['udp.bad_checksum']);
    } else {
      const ph = v.ipVer === 4 ? pseudo4(buf, v.srcOff, v.dstOff, PROTO_UDP, ulen) : pseudo6(buf, v.srcOff, v.dstOff, PROTO_UDP, ulen);
      if (fold(ph + sum16(buf, off, off + ulen)) !== 0xffff) v.addEvent(EV['udp.bad_checksum']);
    }
  }
  v.payloadOff = off + UDP_HDR_LEN;
  v.payloadLen = dend - off - UDP_HDR_LEN;
  // UDP encapsulations (VXLAN, Geneve: registry.ts) by destination port, when tunnels are decoded
  const t = UDP_TUNNEL_PORT[v.dport];
  if (t !== 0 && valid && ctx.tunnels) UDP_TUNNEL_DECODERS[t](v, buf, off + UDP_HDR_LEN, dend, ctx);
}
