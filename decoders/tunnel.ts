/**
 * Tunnels. IP-in-IP (protocol 4: IPv4 inside; 41: IPv6 inside: 6in4, 6to4, ISATAP...) is decoded
 * here; GRE (gre.ts), VXLAN (vxlan.ts) and Geneve (geneve.ts) call `enterTunnel` the same way.
 *
 * Design (as Suricata): with DecodeContext.tunnels on (the default, used by the engine), the inner
 * packet IS the packet: the decoders of the inner layers overwrite the view's L3/L4 fields, so
 * flows are keyed on the inner tuple (and, unlike Suricata, on the outermost address pair too:
 * src/engine/flows.ts lookup) and rules see the inner addresses. The view keeps how it got there:
 * `tunnelDepth` (encapsulations entered), `tunnelKind` (innermost, TUNNEL_*), `outerL3Off` and
 * `outerBuf` (the outermost IP header's bytes) and the `tunnel.decoded` event. Nesting is bounded
 * by MAX_TUNNEL_DEPTH (`tunnel.too_deep`: the deepest tunnel's payload stays payload).
 *
 * With DecodeContext.tunnels off (`quell decode` without --tunnels, the tshark oracle), only the
 * outer layer is decoded: the tunnel payload is the payload and IP-in-IP gets `ip.tunnel`.
 */
import type { PacketView } from './packet';
import { EV } from './events';
import type { DecodeContext } from './dispatch';
import { decodeIpv4 } from './ipv4';
import { decodeIpv6 } from './ipv6';

/** Most nested encapsulations decoded (e.g. IPv6 > IPv4 > GRE > PPP > IPv4 is 2). */
export const MAX_TUNNEL_DEPTH = 4;

export const TUNNEL_NONE = 0, TUNNEL_IPIP = 1, TUNNEL_GRE = 2, TUNNEL_VXLAN = 3, TUNNEL_GENEVE = 4;
export const TUNNEL_NAMES: readonly string[] = ['none', 'ipip', 'gre', 'vxlan', 'geneve'];

/**
 * Start decoding the inner packet of a tunnel whose payload is buf[off, end). Returns false when
 * tunnels are off or too deep: the caller then leaves the payload as the outer packet's payload.
 * On true the outer L4 and payload fields are cleared as reset() does (the inner decoders fill them again).
 */
export function enterTunnel(v: PacketView, kind: number, off: number, end: number, ctx: DecodeContext): boolean {
  v.payloadOff = off; v.payloadLen = end - off;
  if (!ctx.tunnels) return false;
  if (v.tunnelDepth >= MAX_TUNNEL_DEPTH) { v.addEvent(EV['tunnel.too_deep']); return false; }
  if (v.tunnelDepth === 0) { v.outerL3Off = v.l3Off; v.outerBuf = v.buf; }
  v.tunnelDepth++;
  v.tunnelKind = kind;
  v.addEvent(EV['tunnel.decoded']);
  v.l4Off = 0; v.l4Len = 0; v.l4Kind = 0; v.l4WireLen = 0; v.sport = 0; v.dport = 0; v.udpLen = 0;
  v.tcpFlags = 0; v.seq = 0; v.ack = 0; v.win = 0; v.tcpHdrLen = 0; v.urgPtr = 0;
  v.optMss = -1; v.optWscale = -1; v.optSackPerm = false; v.optTsVal = -1; v.optTsEcr = -1; v.sackCount = 0;
  v.icmpType = -1; v.icmpCode = -1;
  // the inner decoders expect the payload as reset() leaves it (some set only the offset on errors)
  v.payloadOff = 0; v.payloadLen = 0;
  return true;
}

export function decodeIpInIp(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext): void {
  const inner6 = v.ipProto === 41;
  if (!enterTunnel(v, TUNNEL_IPIP, off, end, ctx)) { v.addEvent(EV['ip.tunnel']); return; }
  if (end - off < 1) return;
  const ver = buf[off] >> 4;
  // the version nibble must agree with the protocol number; otherwise decode what is there
  if (ver === 6 || (inner6 && ver !== 4)) decodeIpv6(v, buf, off, end, ctx);
  else decodeIpv4(v, buf, off, end, ctx);
}

/** IPv6 "no next header" (59): nothing follows, not an error. */
export function decodeNoNextHeader(v: PacketView, _buf: Uint8Array, off: number, end: number, _ctx: DecodeContext): void {
  v.payloadOff = off;
  v.payloadLen = end - off;
}
