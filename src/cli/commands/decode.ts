/**
 * `quell decode FILE|-`: L2-L4 decode of a capture, one JSON object per packet per line
 * (schema: docs/decode.md). Humans get the --stats table on stderr; stdout stays JSON lines.
 *
 * Output is written as bytes straight into OUT_CHUNK-sized chunks (JsonLines) and each chunk goes to
 * stdout in one write (JSON.stringify of an object per packet costs an allocation tree, and string
 * concatenation per field a rope to flatten and garbage to collect).
 */
import type { Command } from '../command';
import { parseArgs, flagBool } from '../args';
import { UsageError, CaptureError } from '../../errors';
import { openCapture, CaptureReader } from '../../io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, D_IFINDEX } from '../../io/batch';
import { linkTypeName } from '../../io/linktypes';
import { PacketView, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 } from '../../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../../../decoders/decode';
import { Reassembler } from '../../../decoders/frag';
import { EVENT_NAMES, EVENT_COUNT } from '../../../decoders/events';
import { TCP_FLAG_STRINGS } from '../../../decoders/format';

/** Packets asked from the reader per batch. */
export const BATCH_MAX = 1024;
/** Bytes of JSON text gathered before one write to stdout (a chunk is flushed when less than MAX_LINE is left). */
export const OUT_CHUNK = 1 << 18;

const USAGE = `usage: quell decode [options] FILE|-

Decode every packet of a pcap/pcapng capture (or stdin with '-') at layers 2-4 and print one JSON
object per packet per line on stdout (schema: docs/decode.md).

options:
  --stats           after the packets, print totals per layer and per decode event: a table on
                    stderr and one last JSON line {"stats":{...}} on stdout
  --no-packets      do not print the per-packet lines (with --stats: only the totals)
  --no-checksums    do not verify IPv4/TCP/UDP/ICMP checksums (no *.bad_checksum events)
  --no-reassemble   do not reassemble IP fragments (fragments are reported as they are)
  --tunnels         decode inside tunnels (IP-in-IP, GRE, VXLAN, Geneve) and print the innermost
                    packet, as flows and rules see it (event tunnel.decoded); default: the outer
                    layer, the tunnel payload being the payload

exit status: 0 ok, 1 the capture is unreadable or corrupt (good packets before the problem are
printed first), 2 usage error`;

const LAYERS = ['ether', 'sll', 'sll2', 'null', 'raw', 'vlan', 'ipv4', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6',
  'fragment', 'reassembled', 'l4_other', 'no_l3'] as const;

class Stats {
  packets = 0;
  bytes = 0;
  readonly layers = new Float64Array(LAYERS.length);
  readonly events = new Float64Array(EVENT_COUNT);
  readonly links = new Map<number, number>();
}

function layerIndex(name: (typeof LAYERS)[number]): number { return LAYERS.indexOf(name); }
const LI_VLAN = layerIndex('vlan'), LI_IPV4 = layerIndex('ipv4'), LI_IPV6 = layerIndex('ipv6'),
  LI_TCP = layerIndex('tcp'), LI_UDP = layerIndex('udp'), LI_ICMP = layerIndex('icmp'), LI_ICMPV6 = layerIndex('icmpv6'),
  LI_FRAG = layerIndex('fragment'), LI_REASM = layerIndex('reassembled'), LI_L4OTHER = layerIndex('l4_other'), LI_NOL3 = layerIndex('no_l3');

function count(st: Stats, v: PacketView, link: number): void {
  st.packets++;
  st.bytes += v.wirelen;
  st.links.set(link, (st.links.get(link) ?? 0) + 1);
  if (v.l2Kind > 0 && v.l2Kind <= 5) st.layers[v.l2Kind - 1]++;   // nflog (6), wlan (7): not in LAYERS
  if (v.vlanCount > 0) st.layers[LI_VLAN]++;
  if (v.ipVer === 4) st.layers[LI_IPV4]++;
  else if (v.ipVer === 6) st.layers[LI_IPV6]++;
  else st.layers[LI_NOL3]++;
  switch (v.l4Kind) {
    case PROTO_TCP: st.layers[LI_TCP]++; break;
    case PROTO_UDP: st.layers[LI_UDP]++; break;
    case PROTO_ICMP: st.layers[LI_ICMP]++; break;
    case PROTO_ICMPV6: st.layers[LI_ICMPV6]++; break;
    default: if (v.ipVer !== 0 && !v.isFragment) st.layers[LI_L4OTHER]++;
  }
  if (v.isFragment) st.layers[LI_FRAG]++;
  if (v.reassembled) st.layers[LI_REASM]++;
  // every event, also those past MAX_EVENTS, from the bitset
  const bits = v.eventBits;
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w];
    while (x !== 0) {
      const b = 31 - Math.clz32(x);
      st.events[(w << 5) + b]++;
      x &= ~(1 << b);
    }
  }
}

const enc = (t: string): Uint8Array => Uint8Array.from(Buffer.from(t, 'latin1'));
const K_N = enc('{"n":'), K_TS = enc(',"ts":"'), K_CAPLEN = enc('","caplen":'), K_LEN = enc(',"len":'), K_LINK = enc(',"link":"'),
  K_VLAN = enc('","vlan":['), K_VLAN_NONE = enc('"'), K_IP = enc(',"ip":{"v":'), K_SRC = enc(',"src":"'), K_DST = enc('","dst":"'),
  K_PROTO = enc('","proto":'), K_TTL = enc(',"ttl":'), K_ID = enc(',"id":'), K_MF_T = enc(',"mf":true,"frag_off":'),
  K_MF_F = enc(',"mf":false,"frag_off":'), K_TCP = enc('},"tcp":{"sport":'), K_UDP = enc('},"udp":{"sport":'),
  K_ICMP = enc('},"icmp":{"type":'), K_CODE = enc(',"code":'), K_DPORT = enc(',"dport":'), K_FLAGS = enc(',"flags":"'),
  K_SEQ = enc('","seq":'), K_ACK = enc(',"ack":'), K_WIN = enc(',"win":'), K_ULEN = enc(',"len":'), K_CLOSE = enc('}'),
  K_PAYLOAD = enc(',"payload_len":'), K_EVENTS = enc(',"events":['), K_END = enc(']}\n');
const FLAG_BYTES: readonly Uint8Array[] = TCP_FLAG_STRINGS.map(enc);
const EVENT_BYTES: readonly Uint8Array[] = EVENT_NAMES.map((n) => enc('"' + n + '"'));
const HEXB = enc('0123456789abcdef');

/**
 * Builds JSON lines as bytes in one chunk buffer. Hot-path trick: numbers, addresses and the
 * timestamp are written as ASCII digits straight into the chunk, constant text is copied from
 * pre-encoded byte arrays: no string per field, no rope to flatten, no UTF-8 encoding pass. (The
 * string version, `s += ...` per field, spent more time in GC than in decoding: bench/decode.)
 */
export class JsonLines {
  buf: Uint8Array;
  pos = 0;
  private tsSec = -1;
  private readonly tsPrefix = new Uint8Array(20);     // "YYYY-MM-DDTHH:MM:SS."
  constructor(size: number) { this.buf = new Uint8Array(size); }

  private bytes(b: Uint8Array): void { this.buf.set(b, this.pos); this.pos += b.length; }
  /** Non-negative integer < 2^53 in decimal. */
  uint(n: number): void {
    const buf = this.buf;
    if (n < 10) { buf[this.pos++] = 48 + n; return; }
    let len = 0;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) len++;
    let p = this.pos + len;
    this.pos = p;
    if (n <= 0x7fffffff) { let x = n | 0; while (x > 0) { const q = (x / 10) | 0; buf[--p] = 48 + x - q * 10; x = q; } }
    else { let x = n; while (x >= 1) { const q = Math.floor(x / 10); buf[--p] = 48 + (x - q * 10); x = q; } }
  }
  /** Zero-padded to `width` digits. */
  private padded(n: number, width: number): void {
    const buf = this.buf;
    let x = n;
    for (let p = this.pos + width - 1; p >= this.pos; p--) { const q = Math.floor(x / 10); buf[p] = 48 + (x - q * 10); x = q; }
    this.pos += width;
  }
  private ipv4(b: Uint8Array, o: number): void {
    this.uint(b[o]); this.buf[this.pos++] = 46; this.uint(b[o + 1]); this.buf[this.pos++] = 46;
    this.uint(b[o + 2]); this.buf[this.pos++] = 46; this.uint(b[o + 3]);
  }
  private hex16(x: number): void {
    const buf = this.buf;
    if (x >= 0x1000) buf[this.pos++] = HEXB[x >> 12];
    if (x >= 0x100) buf[this.pos++] = HEXB[(x >> 8) & 15];
    if (x >= 0x10) buf[this.pos++] = HEXB[(x >> 4) & 15];
    buf[this.pos++] = HEXB[x & 15];
  }
  /** RFC 5952 (same rules as decoders/format.ts ipv6String). */
  private ipv6(b: Uint8Array, o: number): void {
    let bestStart = -1, bestLen = 0, curStart = -1, curLen = 0;
    for (let i = 0; i < 8; i++) {
      if (b[o + 2 * i] === 0 && b[o + 2 * i + 1] === 0) {
        if (curStart < 0) { curStart = i; curLen = 1; } else curLen++;
        if (curLen > bestLen) { bestLen = curLen; bestStart = curStart; }
      } else curStart = -1;
    }
    if (bestLen < 2) bestStart = -1;
    const buf = this.buf;
    if (bestStart === 0 && bestLen === 5 && b[o + 10] === 0xff && b[o + 11] === 0xff) {
      buf[this.pos++] = 58; buf[this.pos++] = 58; this.hex16(0xffff); buf[this.pos++] = 58; this.ipv4(b, o + 12);
      return;
    }
    for (let i = 0; i < 8; i++) {
      if (i === bestStart) { buf[this.pos++] = 58; buf[this.pos++] = 58; i += bestLen - 1; continue; }
      if (i > 0 && i !== bestStart + bestLen) buf[this.pos++] = 58;
      this.hex16((b[o + 2 * i] << 8) | b[o + 2 * i + 1]);
    }
  }
  private ts(sec: number, nsec: number, ns: boolean): void {
    if (sec !== this.tsSec) {
      this.tsSec = sec;
      const d = new Date(sec * 1000);
      const t = Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 20) : '1970-01-01T00:00:00.';
      for (let i = 0; i < 20; i++) this.tsPrefix[i] = t.charCodeAt(i) & 0xff;
    }
    this.bytes(this.tsPrefix);
    if (ns) this.padded(nsec, 9); else this.padded(Math.floor(nsec / 1000), 6);
    this.buf[this.pos++] = 90;  // Z
  }

  /** Append one packet's line (schema: docs/decode.md). Needs MAX_LINE free bytes. */
  packet(v: PacketView, n: number, link: Uint8Array, ns: boolean): void {
    this.bytes(K_N); this.uint(n);
    this.bytes(K_TS); this.ts(v.tsSec, v.tsNsec, ns);
    this.bytes(K_CAPLEN); this.uint(v.caplen);
    this.bytes(K_LEN); this.uint(v.wirelen);
    this.bytes(K_LINK); this.bytes(link);
    if (v.vlanCount > 0) {
      this.bytes(K_VLAN); this.uint(v.vlan[0]);
      for (let i = 1; i < v.vlanCount; i++) { this.buf[this.pos++] = 44; this.uint(v.vlan[i]); }
      this.buf[this.pos++] = 93;
    } else this.bytes(K_VLAN_NONE);
    if (v.ipVer !== 0) {
      const b = v.buf;
      this.bytes(K_IP); this.uint(v.ipVer);
      this.bytes(K_SRC); if (v.ipVer === 4) this.ipv4(b, v.srcOff); else this.ipv6(b, v.srcOff);
      this.bytes(K_DST); if (v.ipVer === 4) this.ipv4(b, v.dstOff); else this.ipv6(b, v.dstOff);
      this.bytes(K_PROTO); this.uint(v.ipProto);
      this.bytes(K_TTL); this.uint(v.ttl);
      this.bytes(K_ID); this.uint(v.ipId);
      this.bytes(v.ipMF ? K_MF_T : K_MF_F); this.uint(v.fragOff);
      switch (v.l4Kind) {
        case PROTO_TCP:
          this.bytes(K_TCP); this.uint(v.sport); this.bytes(K_DPORT); this.uint(v.dport);
          this.bytes(K_FLAGS); this.bytes(FLAG_BYTES[v.tcpFlags]);
          this.bytes(K_SEQ); this.uint(v.seq); this.bytes(K_ACK); this.uint(v.ack); this.bytes(K_WIN); this.uint(v.win);
          break;
        case PROTO_UDP:
          this.bytes(K_UDP); this.uint(v.sport); this.bytes(K_DPORT); this.uint(v.dport); this.bytes(K_ULEN); this.uint(v.udpLen);
          break;
        case PROTO_ICMP: case PROTO_ICMPV6:
          this.bytes(K_ICMP); this.uint(v.icmpType); this.bytes(K_CODE); this.uint(v.icmpCode);
          break;
      }
      this.bytes(K_CLOSE);
    }
    this.bytes(K_PAYLOAD); this.uint(v.payloadLen);
    this.bytes(K_EVENTS);
    for (let i = 0; i < v.eventCount; i++) { if (i > 0) this.buf[this.pos++] = 44; this.bytes(EVENT_BYTES[v.events[i]]); }
    this.bytes(K_END);
  }
}

/** Longest possible line: fixed text + 2 IPv6 addresses + 16 event names + a long link name. */
export const MAX_LINE = 4096;

const scratchLine = new JsonLines(MAX_LINE);
/** One packet as a JSON line (string), through the same writer the CLI uses (tests, tools). */
export function packetJson(v: PacketView, n: number, linkName: string, ns: boolean): string {
  scratchLine.pos = 0;
  scratchLine.packet(v, n, enc(linkName), ns);
  return Buffer.from(scratchLine.buf.buffer, scratchLine.buf.byteOffset, scratchLine.pos).toString('latin1');
}

function statsJson(st: Stats, r: Reassembler | null): string {
  const layers: Record<string, number> = {};
  LAYERS.forEach((n, i) => { layers[n] = st.layers[i]; });
  const events: Record<string, number> = {};
  for (let i = 1; i < EVENT_COUNT; i++) if (st.events[i] > 0) events[EVENT_NAMES[i]] = st.events[i];
  const links: Record<string, number> = {};
  for (const [lt, c] of st.links) links[linkTypeName(lt)] = (links[linkTypeName(lt)] ?? 0) + c;
  const o: Record<string, unknown> = { packets: st.packets, bytes: st.bytes, links, layers, events };
  if (r !== null) {
    const x = r.stats;
    o.reassembly = { started: x.started, reassembled: x.reassembled, timeouts: x.timeouts, memcap: x.memcap, too_many: x.tooMany,
      too_large: x.tooLarge, overlaps: x.overlaps, dups: x.dups, bad_len: x.badLen, in_progress: r.inProgress, bytes_held: r.bytesHeld };
  }
  return JSON.stringify({ stats: o }) + '\n';
}

function statsTable(st: Stats, r: Reassembler | null): string {
  const rows: [string, number][] = [['packets', st.packets], ['bytes (wire)', st.bytes]];
  for (const [lt, c] of st.links) rows.push([`link ${linkTypeName(lt)} (${lt})`, c]);
  LAYERS.forEach((n, i) => { if (st.layers[i] > 0) rows.push([n, st.layers[i]]); });
  const ev: [string, number][] = [];
  for (let i = 1; i < EVENT_COUNT; i++) if (st.events[i] > 0) ev.push([EVENT_NAMES[i], st.events[i]]);
  const w = Math.max(20, ...rows.map((x) => x[0].length), ...ev.map((x) => x[0].length + 2));
  let s = 'layer'.padEnd(w) + '  packets\n';
  for (const [k, c] of rows) s += k.padEnd(w) + '  ' + c + '\n';
  s += ev.length ? 'decode events'.padEnd(w) + '  packets\n' : 'decode events: none\n';
  for (const [k, c] of ev) s += ('  ' + k).padEnd(w) + '  ' + c + '\n';
  if (r !== null && r.stats.started > 0) {
    const x = r.stats;
    s += `reassembly: started ${x.started}, reassembled ${x.reassembled}, timeouts ${x.timeouts}, memcap ${x.memcap}, ` +
      `too_many ${x.tooMany}, too_large ${x.tooLarge}, overlaps ${x.overlaps}, dups ${x.dups}, bad_len ${x.badLen}, in progress ${r.inProgress}\n`;
  }
  return s;
}

/**
 * Owns the JSON chunk being filled and writes full chunks to stdout. A written chunk is handed to
 * the stream and never touched again (a fresh chunk is allocated per OUT_CHUNK bytes), so an
 * asynchronous write can never see bytes change. Notices EPIPE (reader went away, e.g. `| head`)
 * and stops quietly.
 */
class Out {
  w = new JsonLines(OUT_CHUNK);
  broken = false;
  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') { this.broken = true; return; }
      throw e;
    });
  }
  addText(s: string): void {
    if (this.w.pos + s.length * 3 > this.w.buf.length) this.w.buf = growTo(this.w, s.length * 3);
    this.w.pos += Buffer.from(this.w.buf.buffer, this.w.buf.byteOffset, this.w.buf.length).write(s, this.w.pos, 'utf8');
  }
  get pending(): number { return this.w.pos; }
  get room(): number { return this.w.buf.length - this.w.pos; }
  async flush(): Promise<void> {
    const w = this.w;
    if (w.pos === 0 || this.broken) { w.pos = 0; return; }
    const chunk = w.buf.subarray(0, w.pos);
    w.buf = new Uint8Array(OUT_CHUNK);
    w.pos = 0;
    if (!process.stdout.write(chunk)) {
      await new Promise<void>((res) => {
        const done = (): void => { process.stdout.off('drain', done); process.stdout.off('error', done); res(); };
        process.stdout.once('drain', done);
        process.stdout.once('error', done);
      });
    }
  }
}

function growTo(w: JsonLines, extra: number): Uint8Array {
  const b = new Uint8Array(w.buf.length + extra + OUT_CHUNK);
  b.set(w.buf.subarray(0, w.pos));
  return b;
}

/** The batch loop alone (no output): a small function TurboFan optimizes early, instead of
 *  on-stack-replacing the whole `run` body. */
function decodeOnly(v: PacketView, data: Uint8Array, desc: Uint32Array, cnt: number, ctx: DecodeContext): void {
  for (let i = 0; i < cnt; i++) {
    const d = i * DESC_STRIDE;
    decodePacket(v, data, desc[d + D_OFF], desc[d + D_CAPLEN], desc[d + D_WIRELEN], desc[d + D_LINK], desc[d + D_TS_SEC], desc[d + D_TS_NSEC], ctx);
  }
}

/** Per-packet timestamp precision: ns for nanosecond pcap files and pcapng interfaces finer than 1 us. */
function nsLookup(r: CaptureReader): (ifid: number) => boolean {
  const rr = r as unknown as { nanosecond?: boolean; interfaces?: ReadonlyArray<{ unitsPerSec: number }> };
  if (r.format === 'pcap') { const ns = rr.nanosecond === true; return () => ns; }
  return (ifid: number) => { const i = rr.interfaces?.[ifid]; return i !== undefined && i.unitsPerSec > 1e6; };
}

export const command: Command = {
  name: 'decode',
  summary: 'decode a capture at layers 2-4, one JSON line per packet',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parseArgs(argv, { bools: ['--stats', '--no-packets', '--no-checksums', '--no-reassemble', '--tunnels'] });
    if (a.positional.length !== 1) throw new UsageError(a.positional.length ? 'give exactly one capture file (or -)' : 'missing capture file (or - for stdin)');
    const wantStats = flagBool(a, '--stats');
    const printPackets = !flagBool(a, '--no-packets');
    const reasm = flagBool(a, '--no-reassemble') ? null : new Reassembler();
    const ctx = new DecodeContext(flagBool(a, '--no-checksums') ? 0 : CSUM_ALL, reasm);
    ctx.tunnels = flagBool(a, '--tunnels');
    const v = new PacketView();
    const st = new Stats();
    const out = new Out();
    const linkNames: Uint8Array[] = [];
    const r = await openCapture(a.positional[0]);
    const isNs = nsLookup(r);
    let n = 0;
    let failure: unknown = null;
    try {
      for (;;) {
        let b;
        try { b = await r.next(BATCH_MAX); } catch (e) { failure = e; break; }
        if (b === null) break;
        if (!printPackets && !wantStats) decodeOnly(v, b.data, b.desc, b.count, ctx);
        else {
          const data = b.data, desc = b.desc, cnt = b.count;
          for (let i = 0; i < cnt; i++) {
            const d = i * DESC_STRIDE;
            const link = desc[d + D_LINK];
            decodePacket(v, data, desc[d + D_OFF], desc[d + D_CAPLEN], desc[d + D_WIRELEN], link, desc[d + D_TS_SEC], desc[d + D_TS_NSEC], ctx);
            n++;
            if (wantStats) count(st, v, link);
            if (printPackets) {
              let ln = link < 1024 ? linkNames[link] : undefined;
              if (ln === undefined) { ln = enc(linkTypeName(link)); if (link < 1024) linkNames[link] = ln; }
              if (out.room < MAX_LINE) await out.flush();
              out.w.packet(v, n, ln, isNs(desc[d + D_IFINDEX]));
            }
          }
        }
        r.complete(b);
        if (out.broken) break;
      }
      await out.flush();
    } finally {
      await r.close().catch(() => undefined);
    }
    if (out.broken) return 0;
    if (wantStats) {
      process.stderr.write(statsTable(st, reasm));
      out.addText(statsJson(st, reasm));
      await out.flush();
    }
    if (failure !== null) {
      if (failure instanceof CaptureError) throw failure;   // main prints it, exit 1
      throw failure;
    }
    return 0;
  },
};
