/**
 * Dispatch tables between layers. Decoders import only this module (never registry.ts, which
 * imports every decoder to fill these tables): that keeps the import graph acyclic.
 *
 * Hot-path trick: the tables are dense arrays pre-filled with an "unsupported" decoder, so a
 * lookup is one bounds-checked element load of a packed array, with no `undefined` test and no
 * Map hashing per layer.
 */
import type { PacketView } from './packet';
import { EV } from './events';
import type { Reassembler } from './frag';

/** Checksum verification switches for DecodeContext.checksums. */
export const CSUM_IPV4 = 1;     // IPv4 header checksum
export const CSUM_L4 = 2;       // TCP/UDP/ICMP/ICMPv6 checksums (only when the whole segment is captured)
export const CSUM_ALL = CSUM_IPV4 | CSUM_L4;

/**
 * Per-decoder-instance settings and state (one per worker/shard; not shared between threads).
 * Reassembly timeouts use packet time (the view's tsSec/tsNsec).
 */
export class DecodeContext {
  checksums: number;
  reasm: Reassembler | null;
  /** Packet time in seconds of the last decodePacket call (set by it; the reassembler reads the view's time). */
  nowSec = 0;
  /**
   * Decode inside tunnels (IP-in-IP, GRE, VXLAN, Geneve; decoders/tunnel.ts): the view then
   * describes the innermost packet (like Suricata). Off: the outer layer only (the tunnel payload
   * is the payload), which is what `quell decode` prints unless --tunnels is given.
   */
  tunnels = true;
  constructor(checksums: number = CSUM_ALL, reasm: Reassembler | null = null) {
    this.checksums = checksums;
    this.reasm = reasm;
    // fractional seconds: start as a double so the first store does not change the hidden class
    this.nowSec = 0.5; this.nowSec = 0;
  }
}

/** Decodes a layer that starts at `off` and may use bytes up to (not including) `end`. Never throws. */
export type LayerDecoder = (v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext) => void;

export const MAX_LINKTYPE = 512;

function unsupportedLink(v: PacketView): void { v.addEvent(EV['link.unsupported']); }
function unsupportedL3(v: PacketView): void { v.addEvent(EV['l3.unsupported']); }
function unsupportedL4(v: PacketView, buf: Uint8Array, off: number, end: number): void {
  v.addEvent(EV['l4.unsupported']);
  v.payloadOff = off; v.payloadLen = end - off;
}

/** LINKTYPE number -> link decoder. */
export const LINK_TABLE: LayerDecoder[] = new Array<LayerDecoder>(MAX_LINKTYPE).fill(unsupportedLink);
/** Ethertype -> L3 (or VLAN) decoder. */
export const ETHERTYPE_TABLE: LayerDecoder[] = new Array<LayerDecoder>(65536).fill(unsupportedL3);
/** IP protocol number -> L4 decoder (after IPv4 header / IPv6 extension headers). */
export const IPPROTO_TABLE: LayerDecoder[] = new Array<LayerDecoder>(256).fill(unsupportedL4);

export function isUnsupportedLink(d: LayerDecoder): boolean { return d === unsupportedLink; }
export function isUnsupportedL3(d: LayerDecoder): boolean { return d === unsupportedL3; }

/**
 * UDP destination port -> index into UDP_TUNNEL_DECODERS (0 = an ordinary UDP payload). Used for
 * UDP encapsulations (VXLAN 4789, Geneve 6081) only when DecodeContext.tunnels is on.
 * Hot-path trick: a byte per port (64 KiB) makes the common "not a tunnel" case one typed-array load.
 */
export const UDP_TUNNEL_PORT = new Uint8Array(65536);
export const UDP_TUNNEL_DECODERS: LayerDecoder[] = [unsupportedL4];

/** Register a UDP tunnel decoder for a destination port (registry.ts). */
export function registerUdpTunnel(port: number, d: LayerDecoder): void {
  let i = UDP_TUNNEL_DECODERS.indexOf(d);
  if (i < 0) { i = UDP_TUNNEL_DECODERS.length; UDP_TUNNEL_DECODERS.push(d); }
  UDP_TUNNEL_PORT[port & 0xffff] = i;
}

/** Continue with the L3 decoder for ethertype `et`. */
export function dispatchEthertype(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext, et: number): void {
  v.etherType = et;
  ETHERTYPE_TABLE[et & 0xffff](v, buf, off, end, ctx);
}

/** Continue with the L4 decoder for IP protocol `proto`. */
export function dispatchIpProto(v: PacketView, buf: Uint8Array, off: number, end: number, ctx: DecodeContext, proto: number): void {
  v.l4Off = off;
  v.l4Len = end - off;
  IPPROTO_TABLE[proto & 0xff](v, buf, off, end, ctx);
}
