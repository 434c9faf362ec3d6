/**
 * PacketView: the result of decoding one packet, written in place into one reused object.
 *
 * Contract (who owns what, how long it lives):
 * - A decoder writes numbers and offsets into a PacketView that the caller owns and reuses for
 *   every packet: decoding allocates nothing per packet.
 * - `buf` is NOT copied. Offsets (l3Off, l4Off, payloadOff, srcOff...) index into `buf`, which is
 *   the source's batch buffer (valid until the batch completes) or, for a packet that completed
 *   IP fragment reassembly, the reassembler's scratch buffer (valid until the next decode call).
 * - `reset()` is called by the decoder entry point before each packet.
 *
 * Fields that a layer does not have keep their reset value (0 / -1 / false); `has*` flags say
 * which layers are present.
 */
import { EVENT_COUNT } from './events';

export const MAX_VLAN = 4;
export const MAX_EVENTS = 16;
export const MAX_SACK = 4;

export const L3_NONE = 0, L3_IPV4 = 4, L3_IPV6 = 6;
export const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58;

/** TCP flag bits as on the wire (byte 13 of the header). */
export const TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10, TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80;

export class PacketView {
  // ---- set from the batch descriptor by the caller
  buf: Uint8Array = new Uint8Array(0);
  off = 0;          // first byte of the link header in buf
  caplen = 0;
  wirelen = 0;
  link = 0;         // LINKTYPE_*
  tsSec = 0;
  tsNsec = 0;

  // ---- link layer
  l2Kind = 0;       // 0 none, 1 ether, 2 sll, 3 sll2, 4 null/loop, 5 raw
  vlanCount = 0;
  readonly vlan = new Uint16Array(MAX_VLAN);   // VLAN ids, outermost first
  etherType = 0;    // the L3 ethertype finally reached

  // ---- L3
  ipVer = 0;        // 0, 4, 6
  l3Off = 0;        // offset of the IP header in buf
  ipHdrLen = 0;     // IPv4 IHL*4, IPv6 40 + extension headers walked
  ipTotalLen = 0;   // IPv4 total length / IPv6 40 + payload length (as in header)
  ipProto = -1;     // upper-layer protocol (after IPv6 extension headers)
  ttl = 0;          // TTL / hop limit
  ipId = 0;         // IPv4 id / IPv6 fragment identification
  ipDF = false;
  ipMF = false;     // more fragments
  fragOff = 0;      // fragment offset in bytes
  isFragment = false;   // this packet is a non-reassembled fragment (no L4 decoded)
  reassembled = false;  // L3 now points at a reassembled datagram in the reassembler's buffer
  tos = 0;          // IPv4 TOS / IPv6 traffic class
  flowLabel = 0;
  /** Address bytes live in buf at srcOff/dstOff, addrLen (4 or 16) long. */
  srcOff = 0;
  dstOff = 0;
  addrLen = 0;
  /** IPv4 addresses as u32 (host order) for fast set lookups; 0 for IPv6. */
  src4 = 0;
  dst4 = 0;

  // ---- L4
  l4Off = 0;
  l4Len = 0;        // bytes of L4 header+payload available (bounded by IP length and caplen)
  sport = 0;
  dport = 0;
  // TCP
  tcpFlags = 0;
  seq = 0;          // u32 as a JS number (>>> 0)
  ack = 0;
  win = 0;
  tcpHdrLen = 0;
  urgPtr = 0;
  optMss = -1;
  optWscale = -1;
  optSackPerm = false;
  optTsVal = -1;    // -1 = absent, else u32
  optTsEcr = -1;
  sackCount = 0;
  readonly sack = new Uint32Array(MAX_SACK * 2); // left,right pairs
  // UDP
  udpLen = 0;
  // ICMP / ICMPv6
  icmpType = -1;
  icmpCode = -1;

  /** L4 header kind actually read (added by the L2-L4 decoders): 0 none, else PROTO_TCP/UDP/ICMP/ICMPV6.
   *  Set as soon as the fixed part of the header was present, even when later checks failed. */
  l4Kind = 0;
  /** L4 length according to the IP header (>= l4Len when the capture snapped the packet). */
  l4WireLen = 0;

  // ---- tunnels (decoders/tunnel.ts): with DecodeContext.tunnels on, L3/L4 above describe the
  // INNERMOST decoded packet; these say how it was reached. 0 / -1 when not tunnelled.
  tunnelDepth = 0;  // encapsulations entered (bounded by MAX_TUNNEL_DEPTH in tunnel.ts)
  tunnelKind = 0;   // innermost encapsulation: TUNNEL_* in tunnel.ts
  outerL3Off = -1;  // offset in outerBuf of the outermost IP header (-1: no tunnel)
  /** The buffer outerL3Off indexes: `buf` when the tunnel was entered. Not the same as `buf` once an
   *  inner datagram was reassembled (buf is then the reassembler's scratch). Same lifetime as buf
   *  (the caller's packet bytes, or the scratch, valid until the next decode). Meaningful only
   *  while outerL3Off >= 0 (left as it was by reset(): no per-packet store). */
  outerBuf: Uint8Array = this.buf;

  // ---- payload (L4 payload, or L3 payload when L4 is not decoded)
  payloadOff = 0;
  payloadLen = 0;

  // ---- decode events (ids from events.ts), at most MAX_EVENTS, extra ones only counted
  readonly events = new Uint16Array(MAX_EVENTS);
  eventCount = 0;
  /** Bitset of events for O(1) `has` checks by rules. */
  readonly eventBits = new Uint32Array(Math.ceil(EVENT_COUNT / 32));

  constructor() {
    // Hot-path trick: these u32 fields hold values >= 2^31, which are not small integers (Smis).
    // Giving them the double representation before the first packet means the first large
    // value does not change the object's hidden class: each such change deoptimised every
    // optimised decoder at once (6 times per run on bench/out/big.pcap, each followed by a
    // recompile). reset() then stores ordinary 0s, observable values are unchanged.
    this.src4 = this.dst4 = this.seq = this.ack = this.ipId = this.optTsVal = this.optTsEcr = 0.5;
    this.reset();
  }

  get hasTcp(): boolean { return this.ipProto === PROTO_TCP && this.l4Off > 0 && this.tcpHdrLen > 0; }
  get hasUdp(): boolean { return this.ipProto === PROTO_UDP && this.l4Off > 0 && this.udpLen > 0; }

  addEvent(id: number): void {
    const w = id >>> 5, b = 1 << (id & 31);
    if (this.eventBits[w] & b) return;
    this.eventBits[w] |= b;
    if (this.eventCount < MAX_EVENTS) this.events[this.eventCount++] = id;
  }
  hasEvent(id: number): boolean { return (this.eventBits[id >>> 5] & (1 << (id & 31))) !== 0; }

  reset(): void {
    this.l2Kind = 0; this.vlanCount = 0; this.etherType = 0;
    this.ipVer = 0; this.l3Off = 0; this.ipHdrLen = 0; this.ipTotalLen = 0; this.ipProto = -1; this.ttl = 0; this.ipId = 0;
    this.ipDF = false; this.ipMF = false; this.fragOff = 0; this.isFragment = false; this.reassembled = false;
    this.tos = 0; this.flowLabel = 0; this.srcOff = 0; this.dstOff = 0; this.addrLen = 0; this.src4 = 0; this.dst4 = 0;
    this.l4Off = 0; this.l4Len = 0; this.sport = 0; this.dport = 0;
    this.tcpFlags = 0; this.seq = 0; this.ack = 0; this.win = 0; this.tcpHdrLen = 0; this.urgPtr = 0;
    this.optMss = -1; this.optWscale = -1; this.optSackPerm = false; this.optTsVal = -1; this.optTsEcr = -1; this.sackCount = 0;
    this.udpLen = 0; this.icmpType = -1; this.icmpCode = -1; this.l4Kind = 0; this.l4WireLen = 0;
    this.payloadOff = 0; this.payloadLen = 0;
    this.tunnelDepth = 0; this.tunnelKind = 0; this.outerL3Off = -1;
    this.eventCount = 0;
    // EVENT_COUNT/32 words: a couple of stores (a loop, not TypedArray#fill: no builtin call per packet)
    const bits = this.eventBits;
    for (let i = 0; i < bits.length; i++) bits[i] = 0;
  }
}
