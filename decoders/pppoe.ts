/**
 * PPPoE session stage (ethertype 0x8864, RFC 2516): 6-byte header (ver/type, code, session id,
 * length) then the 2-byte PPP protocol: 0x0021 IPv4, 0x0057 IPv6; others are `l3.unsupported`.
 * A compressed 1-byte protocol field (PFC) is accepted. The PPPoE length bounds the PPP payload. Discovery frames (0x8863) are not decoded.
 *
 *   11 00 00 01 00 2a 00 21 | 45 ...   tshark: PPPoE Session, Session ID 0x0001, Payload Length 42; PPP IPv4
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, dispatchEthertype } from './dispatch';

export const ETHERTYPE_PPPOE_SESSION = 0x8864;
export const PPPOE_HDR_LEN = 8;     // PPPoE header + PPP protocol field

export function decodePppoe(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  if (end - off < PPPOE_HDR_LEN) { v.addEvent(EV['pppoe.truncated']); return; }
  const len = (buf[off + 4] << 8) | buf[off + 5];        // includes the PPP protocol field
  let e = off + 6 + len;
  if (e > end) e = end;
  // PPP protocol field compression (RFC 1661 6.5): an odd first byte is a 1-byte protocol
  const pfc = (buf[off + 6] & 1) !== 0;
  const proto = pfc ? buf[off + 6] : (buf[off + 6] << 8) | buf[off + 7];
  const p = pfc ? off + 7 : off + PPPOE_HDR_LEN;
  if (proto === 0x0021) dispatchEthertype(v, buf, p, e, ctx, 0x0800);
  else if (proto === 0x0057) dispatchEthertype(v, buf, p, e, ctx, 0x86dd);
  else v.addEvent(EV['l3.unsupported']);
}
