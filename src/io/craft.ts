/**
 * Packet crafting for tests and capture generators: Ethernet (+802.1Q / 802.1ad stacked VLAN),
 * IPv4 (options, fragments), IPv6, TCP, UDP, ICMP/ICMPv6 echo, all with correct checksums unless
 * a test asks for a broken field; plus a TCP session builder (handshake, data split at chosen
 * sizes, FIN or RST close, both directions with consistent seq/ack) and a UDP exchange builder.
 *
 * Not for the hot path: every call allocates its result. Outputs are fresh Uint8Arrays owned by
 * the caller. Everything is deterministic (no clock, no randomness): same calls, same bytes.
 *
 *   const t = new Trace({ start: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 });
 *   new TcpSession(t, { client: '192.0.2.10', server: '198.51.100.20', cport: 40000, sport: 80 })
 *     .handshake()
 *     .send('client', 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')
 *     .send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi', { segments: [10, 10] })
 *     .close('fin');
 *   udpExchange(t, { client: '2001:db8::1', server: '2001:db8::53', cport: 5353, sport: 53,
 *                    messages: [{ from: 'client', data: query }, { from: 'server', data: answer }] });
 *   fs.writeFileSync('x.pcap', t.toPcap());
 */
import { PcapWriter } from './pcap-writer';
import { LINKTYPE_ETHERNET } from './linktypes';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_QINQ = 0x88a8;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6_FRAG = 44;
export const IPPROTO_ICMPV6 = 58;

export type Bytes = Uint8Array;
/** Payloads may be given as strings (latin1: one char = one byte, so binary-safe). */
export type Data = Uint8Array | string;

export function bytes(d: Data): Uint8Array {
  return typeof d === 'string' ? Uint8Array.from(Buffer.from(d, 'latin1')) : d;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

// ---------------------------------------------------------------- addresses

export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6) throw new Error(`bad MAC address ${s}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function parseIPv4(s: string): Uint8Array {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 address ${s}`);
  return Uint8Array.from(parts);
}

export function parseIPv6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const groups = (x: string) => (x === '' ? [] : x.split(':'));
  const h = groups(head);
  const t = tail === null ? [] : groups(tail);
  if (tail === null && h.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  const all = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  all.forEach((g, i) => { const v = parseInt(g, 16); out[i * 2] = v >> 8; out[i * 2 + 1] = v & 0xff; });
  return out;
}

export function isIPv6(addr: string): boolean { return addr.includes(':'); }
export function parseIP(addr: string): Uint8Array { return isIPv6(addr) ? parseIPv6(addr) : parseIPv4(addr); }

// ---------------------------------------------------------------- checksums

/** One's-complement sum of 16-bit words (not yet folded or inverted). */
function sum16(b: Uint8Array, start = 0, end = b.length, acc = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (b[i] << 8) | b[i + 1];
  if (i < end) acc += b[i] << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return (~acc) & 0xffff;
}

/** The Internet checksum (RFC 1071) of b[start, end). */
export function inetChecksum(b: Uint8Array, start = 0, end = b.length): number {
  return fold(sum16(b, start, end));
}

/** Checksum of an upper-layer segment with its IPv4/IPv6 pseudo-header. */
export function l4Checksum(src: Uint8Array, dst: Uint8Array, proto: number, seg: Uint8Array): number {
  let acc = sum16(src) + sum16(dst) + proto + seg.length;
  acc = sum16(seg, 0, seg.length, acc);
  return fold(acc);
}

// ---------------------------------------------------------------- link layer

export interface EthernetOptions {
  src?: string;               // default 02:00:00:00:00:01
  dst?: string;               // default 02:00:00:00:00:02
  /** VLAN ids, outermost first. With several tags the outer ones use TPID 0x88a8 (802.1ad). */
  vlans?: number[];
  /** Priority code point for every tag (default 0). */
  pcp?: number;
}

export const MAC_A = '02:00:00:00:00:01';
export const MAC_B = '02:00:00:00:00:02';

export function ethernet(ethertype: number, payload: Uint8Array, opts: EthernetOptions = {}): Uint8Array {
  const vlans = opts.vlans ?? [];
  const out = new Uint8Array(14 + 4 * vlans.length + payload.length);
  out.set(parseMac(opts.dst ?? MAC_B), 0);
  out.set(parseMac(opts.src ?? MAC_A), 6);
  let o = 12;
  vlans.forEach((vid, i) => {
    const tpid = i < vlans.length - 1 ? ETHERTYPE_QINQ : ETHERTYPE_VLAN;
    const tci = ((opts.pcp ?? 0) << 13) | (vid & 0xfff);
    out[o] = tpid >> 8; out[o + 1] = tpid & 0xff; out[o + 2] = tci >> 8; out[o + 3] = tci & 0xff;
    o += 4;
  });
  out[o] = ethertype >> 8; out[o + 1] = ethertype & 0xff;
  out.set(payload, o + 2);
  return out;
}

/** BSD loopback (LINKTYPE_NULL: address family in host = little-endian order; LINKTYPE_LOOP: big-endian). */
export function nullLoopback(payload: Uint8Array, opts: { bigEndian?: boolean; family?: number } = {}): Uint8Array {
  const fam = opts.family ?? ((payload[0] >> 4) === 6 ? 30 : 2);   // AF_INET 2, AF_INET6 24/28/30 by BSD
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, fam, !opts.bigEndian);
  out.set(payload, 4);
  return out;
}

/** Linux cooked capture v1 header (LINKTYPE_LINUX_SLL, 16 bytes). packetType 0 = to us, 4 = outgoing. */
export function sll(protocol: number, payload: Uint8Array, opts: { packetType?: number; hatype?: number; addr?: string } = {}): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  const dv = new DataView(out.buffer);
  const addr = parseMac(opts.addr ?? MAC_A);
  dv.setUint16(0, opts.packetType ?? 0);
  dv.setUint16(2, opts.hatype ?? 1);
  dv.setUint16(4, addr.length);
  out.set(addr, 6);
  dv.setUint16(14, protocol);
  out.set(payload, 16);
  return out;
}

/** Linux cooked capture v2 header (LINKTYPE_LINUX_SLL2, 20 bytes). */
export function sll2(protocol: number, payload: Uint8Array, opts: { ifindex?: number; packetType?: number; hatype?: number; addr?: string } = {}): Uint8Array {
  const out = new Uint8Array(20 + payload.length);
  const dv = new DataView(out.buffer);
  const addr = parseMac(opts.addr ?? MAC_A);
  dv.setUint16(0, protocol);
  dv.setUint32(4, opts.ifindex ?? 1);
  dv.setUint16(8, opts.hatype ?? 1);
  out[10] = opts.packetType ?? 0;
  out[11] = addr.length;
  out.set(addr, 12);
  out.set(payload, 20);
  return out;
}

// ---------------------------------------------------------------- IP

export interface IPv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;              // default 64
  id?: number;               // default 0
  tos?: number;
  df?: boolean;              // default true for unfragmented packets
  mf?: boolean;
  /** Fragment offset in bytes (multiple of 8). */
  fragOffset?: number;
  /** IP options, padded to 4 bytes here. */
  options?: Uint8Array;
  /** Malformed-packet knobs: override the IHL field (words), total length, or break the checksum. */
  ihl?: number;
  totalLength?: number;
  badChecksum?: boolean;
}

export function ipv4(payload: Uint8Array, o: IPv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const hl = 20 + optLen;
  const out = new Uint8Array(hl + payload.length);
  const dv = new DataView(out.buffer);
  const ihl = o.ihl ?? hl / 4;
  out[0] = 0x40 | (ihl & 0xf);
  out[1] = o.tos ?? 0;
  dv.setUint16(2, o.totalLength ?? out.length);
  dv.setUint16(4, o.id ?? 0);
  const df = o.df ?? (!o.mf && !o.fragOffset);
  dv.setUint16(6, (df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (((o.fragOffset ?? 0) / 8) & 0x1fff));
  out[8] = o.ttl ?? 64;
  out[9] = o.proto;
  out.set(parseIPv4(o.src), 12);
  out.set(parseIPv4(o.dst), 16);
  out.set(opts, 20);
  const ck = inetChecksum(out, 0, hl);
  dv.setUint16(10, o.badChecksum ? ck ^ 0x5a5a : ck);
  out.set(payload, hl);
  return out;
}

export interface IPv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit?: number;         // default 64
  flowLabel?: number;
  tclass?: number;
  /** Override the payload length field (malformed packets). */
  payloadLength?: number;
}

export function ipv6(payload: Uint8Array, o: IPv6Options): Uint8Array {
  const out = new Uint8Array(40 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ((6 << 28) | ((o.tclass ?? 0) << 20) | ((o.flowLabel ?? 0) & 0xfffff)) >>> 0);
  dv.setUint16(4, o.payloadLength ?? payload.length);
  out[6] = o.nextHeader;
  out[7] = o.hopLimit ?? 64;
  out.set(parseIPv6(o.src), 8);
  out.set(parseIPv6(o.dst), 24);
  out.set(payload, 40);
  return out;
}

/**
 * An IPv6 extension header (hop-by-hop 0, routing 43, destination options 60...): `body` is the
 * header after its next-header and length bytes, zero-padded here to a multiple of 8 bytes total.
 * Chain them by hand: ipv6(concat(ext(60, 17, opts), udpSegment), { nextHeader: 0 ... }).
 */
export function ipv6ExtHeader(nextHeader: number, body: Uint8Array = new Uint8Array(6)): Uint8Array {
  const len = (2 + body.length + 7) & ~7;
  const out = new Uint8Array(len);
  out[0] = nextHeader;
  out[1] = len / 8 - 1;
  out.set(body, 2);
  return out;
}

/**
 * Split an upper-layer packet (`payload`, e.g. a UDP datagram) into IPv6 fragments with a
 * fragment header (next header 44) each carrying at most `fragSize` bytes (multiple of 8).
 */
export function ipv6Fragments(payload: Uint8Array, o: IPv6Options & { id: number }, fragSize: number): Uint8Array[] {
  const step = Math.max(8, fragSize & ~7);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += step) {
    const last = off + step >= payload.length;
    const fh = new Uint8Array(8);
    const dv = new DataView(fh.buffer);
    fh[0] = o.nextHeader;
    dv.setUint16(2, (off & 0xfff8) | (last ? 0 : 1));
    dv.setUint32(4, o.id >>> 0);
    out.push(ipv6(concat(fh, payload.subarray(off, Math.min(payload.length, off + step))), { ...o, nextHeader: IPPROTO_IPV6_FRAG }));
  }
  return out;
}

/** Common IP fields when the version follows from the address strings. */
export interface IpOptions {
  ttl?: number;
  id?: number;
  tos?: number;
  df?: boolean;
  flowLabel?: number;
}

/** IPv4 or IPv6 packet (by the address syntax) around `payload`. */
export function ip(src: string, dst: string, proto: number, payload: Uint8Array, o: IpOptions = {}): Uint8Array {
  if (isIPv6(src)) return ipv6(payload, { src, dst, nextHeader: proto, hopLimit: o.ttl, flowLabel: o.flowLabel, tclass: o.tos });
  return ipv4(payload, { src, dst, proto, ttl: o.ttl, id: o.id, tos: o.tos, df: o.df });
}

/** Ethertype for an IP packet (by its version nibble). */
export function ipEthertype(pkt: Uint8Array): number {
  return (pkt[0] >> 4) === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
}

/**
 * Split an IPv4 datagram's payload into fragments of at most `fragSize` payload bytes (rounded
 * down to a multiple of 8). Returns complete IPv4 packets (all share `o.id`).
 */
export function ipv4Fragments(payload: Uint8Array, o: IPv4Options, fragSize: number): Uint8Array[] {
  const step = Math.max(8, fragSize & ~7);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += step) {
    const last = off + step >= payload.length;
    out.push(ipv4(payload.subarray(off, Math.min(payload.length, off + step)), { ...o, df: false, mf: !last, fragOffset: off }));
  }
  return out;
}

// ---------------------------------------------------------------- transport

export interface TcpOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  /** tcpdump letters: F S R P A U E C, e.g. 'S', 'SA', 'PA', 'FA', 'RA'. */
  flags: string;
  win?: number;              // default 64240
  urg?: number;
  /** Raw option bytes (zero-padded to 4); when absent, built from the fields below. */
  options?: Uint8Array;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  /** [TSval, TSecr] */
  timestamps?: [number, number];
  /** Malformed-packet knobs: override data offset (words) or break the checksum. */
  dataOffset?: number;
  badChecksum?: boolean;
}

const TCP_FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };

export function tcpFlags(flags: string): number {
  let v = 0;
  for (const ch of flags) {
    const b = TCP_FLAG_BITS[ch];
    if (b === undefined) throw new Error(`unknown TCP flag letter ${ch}`);
    v |= b;
  }
  return v;
}

function tcpOptionBytes(o: TcpOptions): Uint8Array {
  if (o.options) return o.options;
  const parts: number[] = [];
  if (o.mss !== undefined) parts.push(2, 4, o.mss >> 8, o.mss & 0xff);
  if (o.sackPermitted) parts.push(4, 2);
  if (o.timestamps) {
    const [a, b] = o.timestamps;
    parts.push(8, 10, (a >>> 24) & 0xff, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff, (b >>> 24) & 0xff, (b >>> 16) & 0xff, (b >>> 8) & 0xff, b & 0xff);
  }
  if (o.wscale !== undefined) parts.push(1, 3, 3, o.wscale);
  while (parts.length % 4 !== 0) parts.push(1); // NOP padding to a 4-byte boundary
  return Uint8Array.from(parts);
}

/** TCP segment (header + payload) with the checksum over the src/dst pseudo-header. */
export function tcp(src: string, dst: string, payload: Uint8Array, o: TcpOptions): Uint8Array {
  const opt = tcpOptionBytes(o);
  const optLen = (opt.length + 3) & ~3;
  const hl = 20 + optLen;
  const out = new Uint8Array(hl + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, o.sport);
  dv.setUint16(2, o.dport);
  dv.setUint32(4, o.seq >>> 0);
  dv.setUint32(8, (o.ack ?? 0) >>> 0);
  out[12] = ((o.dataOffset ?? hl / 4) & 0xf) << 4;
  out[13] = tcpFlags(o.flags);
  dv.setUint16(14, o.win ?? 64240);
  dv.setUint16(18, o.urg ?? 0);
  out.set(opt, 20);
  out.set(payload, hl);
  const ck = l4Checksum(parseIP(src), parseIP(dst), IPPROTO_TCP, out);
  dv.setUint16(16, o.badChecksum ? ck ^ 0x5a5a : ck);
  return out;
}

export interface UdpOptions { sport: number; dport: number; /** override the length field */ length?: number; badChecksum?: boolean }

export function udp(src: string, dst: string, payload: Uint8Array, o: UdpOptions): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, o.sport);
  dv.setUint16(2, o.dport);
  dv.setUint16(4, o.length ?? out.length);
  out.set(payload, 8);
  let ck = l4Checksum(parseIP(src), parseIP(dst), IPPROTO_UDP, out);
  if (ck === 0) ck = 0xffff;
  dv.setUint16(6, o.badChecksum ? ck ^ 0x5a5a : ck);
  return out;
}

export interface IcmpEchoOptions { reply?: boolean; id: number; seq: number; data?: Data }

/** ICMP (IPv4) or ICMPv6 echo request/reply message for src -> dst. */
export function icmpEcho(src: string, dst: string, o: IcmpEchoOptions): Uint8Array {
  const data = bytes(o.data ?? '');
  const v6 = isIPv6(src);
  const out = new Uint8Array(8 + data.length);
  const dv = new DataView(out.buffer);
  out[0] = v6 ? (o.reply ? 129 : 128) : (o.reply ? 0 : 8);
  dv.setUint16(4, o.id);
  dv.setUint16(6, o.seq);
  out.set(data, 8);
  dv.setUint16(2, v6 ? l4Checksum(parseIPv6(src), parseIPv6(dst), IPPROTO_ICMPV6, out) : inetChecksum(out));
  return out;
}

// ---------------------------------------------------------------- whole frames

/** Options shared by the frame helpers: link layer and IP fields. */
export interface FrameOptions { eth?: EthernetOptions; ip?: IpOptions }

/** Ethernet frame carrying an IP packet (IPv4 or IPv6 by address). */
export function ipFrame(src: string, dst: string, proto: number, l4: Uint8Array, f: FrameOptions = {}): Uint8Array {
  const pkt = ip(src, dst, proto, l4, f.ip);
  return ethernet(ipEthertype(pkt), pkt, f.eth);
}

export function tcpFrame(src: string, dst: string, payload: Data, o: TcpOptions, f: FrameOptions = {}): Uint8Array {
  return ipFrame(src, dst, IPPROTO_TCP, tcp(src, dst, bytes(payload), o), f);
}

export function udpFrame(src: string, dst: string, payload: Data, o: UdpOptions, f: FrameOptions = {}): Uint8Array {
  return ipFrame(src, dst, IPPROTO_UDP, udp(src, dst, bytes(payload), o), f);
}

export function icmpEchoFrame(src: string, dst: string, o: IcmpEchoOptions, f: FrameOptions = {}): Uint8Array {
  return ipFrame(src, dst, isIPv6(src) ? IPPROTO_ICMPV6 : IPPROTO_ICMP, icmpEcho(src, dst, o), f);
}

// ---------------------------------------------------------------- traces

export interface CraftedPacket { data: Uint8Array; tsSec: number; tsNsec: number; wirelen?: number }

export interface TraceOptions {
  /** Timestamp of the first packet, seconds since the epoch (may be fractional). */
  start: number;
  /** Gap between consecutive packets in ns (default 1 ms). */
  stepNs?: number;
}

/** An ordered list of timestamped frames with a deterministic clock. */
export class Trace {
  readonly packets: CraftedPacket[] = [];
  private sec: number;
  private nsec: number;
  private readonly step: number;

  constructor(o: TraceOptions) {
    this.sec = Math.floor(o.start);
    this.nsec = Math.round((o.start - this.sec) * 1e9);
    this.step = o.stepNs ?? 1_000_000;
  }

  /** Append a frame at the current clock, then advance the clock by `gapNs` (default step). */
  add(data: Uint8Array, gapNs = this.step, wirelen?: number): this {
    this.packets.push({ data, tsSec: this.sec, tsNsec: this.nsec, wirelen });
    this.advance(gapNs);
    return this;
  }

  /** Move the clock forward without a packet. */
  advance(ns: number): this {
    const t = this.nsec + ns;
    this.sec += Math.floor(t / 1e9);
    this.nsec = t % 1e9;
    return this;
  }

  /** Classic pcap bytes (Ethernet link type unless given). */
  toPcap(opts: { linktype?: number; nanosecond?: boolean } = {}): Uint8Array {
    const w = new PcapWriter({ linktype: opts.linktype ?? LINKTYPE_ETHERNET, nanosecond: opts.nanosecond });
    for (const p of this.packets) w.write(p.data, p.tsSec, p.tsNsec, p.wirelen);
    return w.toBytes();
  }
}

// ---------------------------------------------------------------- sessions

export type Side = 'client' | 'server';

export interface SessionOptions extends FrameOptions {
  client: string;
  server: string;
  cport: number;
  sport: number;
  /** Initial sequence numbers (defaults are fixed, for determinism). */
  clientIsn?: number;
  serverIsn?: number;
  /** Largest payload per segment when `segments` is not given (default 1460). */
  mss?: number;
  /** Window of non-SYN segments (default 502: 64256 bytes with the window scale 7 the SYNs offer). */
  window?: number;
  /** TTL / hop limit of client and server packets (defaults 64 and 57). */
  clientTtl?: number;
  serverTtl?: number;
}

/**
 * TCP connection builder: every call appends frames to the trace with consistent seq/ack
 * numbers in both directions. Server frames swap the Ethernet addresses.
 */
export class TcpSession {
  private seq: Record<Side, number>;
  private ipId: Record<Side, number> = { client: 0x1000, server: 0x8000 };
  private readonly o: SessionOptions;

  constructor(private trace: Trace, o: SessionOptions) {
    this.o = o;
    this.seq = { client: o.clientIsn ?? 0x10000000, server: o.serverIsn ?? 0x20000000 };
  }

  /** Next sequence number of a side. */
  nextSeq(side: Side): number { return this.seq[side] >>> 0; }

  /** One raw segment from `from` with the current seq/ack; `advance` defaults to payload length. */
  segment(from: Side, flags: string, payload: Data = '', extra: Partial<TcpOptions> = {}): this {
    const o = this.o;
    const to: Side = from === 'client' ? 'server' : 'client';
    const data = bytes(payload);
    const src = from === 'client' ? o.client : o.server;
    const dst = from === 'client' ? o.server : o.client;
    const eth: EthernetOptions = { ...o.eth };
    if (from === 'server') { eth.src = o.eth?.dst ?? MAC_B; eth.dst = o.eth?.src ?? MAC_A; }
    const ttl = from === 'client' ? (o.clientTtl ?? 64) : (o.serverTtl ?? 57);
    const frame = tcpFrame(src, dst, data, {
      sport: from === 'client' ? o.cport : o.sport,
      dport: from === 'client' ? o.sport : o.cport,
      seq: this.seq[from] >>> 0,
      ack: flags.includes('A') ? this.seq[to] >>> 0 : 0,
      flags,
      win: flags.includes('S') ? 64240 : (o.window ?? 502),
      ...extra,
    }, { eth, ip: { ...o.ip, ttl, id: this.ipId[from]++ & 0xffff } });
    this.trace.add(frame);
    this.seq[from] = (this.seq[from] + data.length + (flags.includes('S') ? 1 : 0) + (flags.includes('F') ? 1 : 0)) >>> 0;
    return this;
  }

  /** SYN, SYN-ACK, ACK (with MSS / SACK-permitted / window-scale options on the SYNs). */
  handshake(): this {
    this.segment('client', 'S', '', { mss: 1460, sackPermitted: true, wscale: 7 });
    this.segment('server', 'SA', '', { mss: 1460, sackPermitted: true, wscale: 7 });
    return this.segment('client', 'A');
  }

  /**
   * Send data from one side: split at `segments` sizes (the rest goes in MSS-sized segments),
   * PSH on the last segment, then a pure ACK from the other side unless `ack` is false.
   */
  send(from: Side, data: Data, opts: { segments?: number[]; ack?: boolean } = {}): this {
    const b = bytes(data);
    const mss = this.o.mss ?? 1460;
    const cuts: number[] = [];
    let off = 0;
    for (const s of opts.segments ?? []) { if (off >= b.length) break; cuts.push(Math.min(s, b.length - off)); off += cuts[cuts.length - 1]; }
    while (off < b.length) { const s = Math.min(mss, b.length - off); cuts.push(s); off += s; }
    off = 0;
    cuts.forEach((n, i) => {
      this.segment(from, i === cuts.length - 1 ? 'PA' : 'A', b.subarray(off, off + n));
      off += n;
    });
    if (opts.ack !== false) this.segment(from === 'client' ? 'server' : 'client', 'A');
    return this;
  }

  /** 'fin': FIN-ACK from `from`, FIN-ACK back, final ACK. 'rst': one RST-ACK from `from`. */
  close(how: 'fin' | 'rst' = 'fin', from: Side = 'client'): this {
    const other: Side = from === 'client' ? 'server' : 'client';
    if (how === 'rst') return this.segment(from, 'RA');
    this.segment(from, 'FA');
    this.segment(other, 'FA');
    return this.segment(from, 'A');
  }
}

export interface UdpExchangeOptions extends FrameOptions {
  client: string;
  server: string;
  cport: number;
  sport: number;
  messages: { from: Side; data: Data }[];
}

/** Append one UDP datagram per message, client <-> server (server frames swap MACs). */
export function udpExchange(trace: Trace, o: UdpExchangeOptions): void {
  let id = 0x3000;
  for (const m of o.messages) {
    const c = m.from === 'client';
    const eth: EthernetOptions = { ...o.eth };
    if (!c) { eth.src = o.eth?.dst ?? MAC_B; eth.dst = o.eth?.src ?? MAC_A; }
    trace.add(udpFrame(c ? o.client : o.server, c ? o.server : o.client, m.data,
      { sport: c ? o.cport : o.sport, dport: c ? o.sport : o.cport }, { eth, ip: { ...o.ip, id: id++ } }));
  }
}
