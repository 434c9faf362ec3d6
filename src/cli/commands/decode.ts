/**
 * `quell decode FILE|-`: L2-L4 decode of a capture, one JSON object per packet per line
 * (schema: docs/decode.md). Humans get the --stats table on stderr; stdout stays JSON lines.
 *
 * Output is built by hand into one string per chunk and written in OUT_CHUNK-sized writes
 * (JSON.stringify of an object per packet costs an allocation tree and ~3x the time).
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
import { ipv4String, ipv6String, TCP_FLAG_STRINGS } from '../../../decoders/format';

/** Packets asked from the reader per batch. */
export const BATCH_MAX = 1024;
/** Bytes of JSON text gathered before one write to stdout. */
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
  if (v.l2Kind > 0) st.layers[v.l2Kind - 1]++;
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

/** ISO-8601 second prefix cache: packets of the same second share "YYYY-MM-DDTHH:MM:SS." */
let tsCacheSec = -1;
let tsCachePrefix = '';
function tsString(sec: number, nsec: number, ns: boolean): string {
  if (sec !== tsCacheSec) {
    tsCacheSec = sec;
    const d = new Date(sec * 1000);
    tsCachePrefix = Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 20) : '1970-01-01T00:00:00.';
  }
  return ns ? tsCachePrefix + String(1000000000 + nsec).slice(1) + 'Z'
    : tsCachePrefix + String(1000000 + Math.floor(nsec / 1000)).slice(1) + 'Z';
}

/** One packet as a JSON line (schema in docs/decode.md). */
export function packetJson(v: PacketView, n: number, linkName: string, ns: boolean): string {
  let s = '{"n":' + n + ',"ts":"' + tsString(v.tsSec, v.tsNsec, ns) + '","caplen":' + v.caplen + ',"len":' + v.wirelen +
    ',"link":"' + linkName + '"';
  if (v.vlanCount > 0) {
    s += ',"vlan":[' + v.vlan[0];
    for (let i = 1; i < v.vlanCount; i++) s += ',' + v.vlan[i];
    s += ']';
  }
  if (v.ipVer !== 0) {
    const b = v.buf;
    s += ',"ip":{"v":' + v.ipVer + ',"src":"' + (v.ipVer === 4 ? ipv4String(b, v.srcOff) : ipv6String(b, v.srcOff)) +
      '","dst":"' + (v.ipVer === 4 ? ipv4String(b, v.dstOff) : ipv6String(b, v.dstOff)) +
      '","proto":' + v.ipProto + ',"ttl":' + v.ttl + ',"id":' + v.ipId + ',"mf":' + v.ipMF + ',"frag_off":' + v.fragOff + '}';
    switch (v.l4Kind) {
      case PROTO_TCP:
        s += ',"tcp":{"sport":' + v.sport + ',"dport":' + v.dport + ',"flags":"' + TCP_FLAG_STRINGS[v.tcpFlags] +
          '","seq":' + v.seq + ',"ack":' + v.ack + ',"win":' + v.win + '}';
        break;
      case PROTO_UDP:
        s += ',"udp":{"sport":' + v.sport + ',"dport":' + v.dport + ',"len":' + v.udpLen + '}';
        break;
      case PROTO_ICMP: case PROTO_ICMPV6:
        s += ',"icmp":{"type":' + v.icmpType + ',"code":' + v.icmpCode + '}';
        break;
    }
  }
  s += ',"payload_len":' + v.payloadLen + ',"events":[';
  for (let i = 0; i < v.eventCount; i++) s += (i > 0 ? ',"' : '"') + EVENT_NAMES[v.events[i]] + '"';
  return s + ']}\n';
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

/** Writes large chunks to stdout; notices EPIPE (reader went away, e.g. `| head`) and stops quietly. */
class Out {
  private buf = '';
  broken = false;
  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') { this.broken = true; return; }
      throw e;
    });
  }
  add(s: string): void { this.buf += s; }
  get pending(): number { return this.buf.length; }
  async flush(): Promise<void> {
    if (this.buf.length === 0 || this.broken) { this.buf = ''; return; }
    const s = this.buf;
    this.buf = '';
    if (!process.stdout.write(s)) {
      await new Promise<void>((res) => {
        const done = (): void => { process.stdout.off('drain', done); process.stdout.off('error', done); res(); };
        process.stdout.once('drain', done);
        process.stdout.once('error', done);
      });
    }
  }
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
    const a = parseArgs(argv, { bools: ['--stats', '--no-packets', '--no-checksums', '--no-reassemble'] });
    if (a.positional.length !== 1) throw new UsageError(a.positional.length ? 'give exactly one capture file (or -)' : 'missing capture file (or - for stdin)');
    const wantStats = flagBool(a, '--stats');
    const printPackets = !flagBool(a, '--no-packets');
    const reasm = flagBool(a, '--no-reassemble') ? null : new Reassembler();
    const ctx = new DecodeContext(flagBool(a, '--no-checksums') ? 0 : CSUM_ALL, reasm);
    const v = new PacketView();
    const st = new Stats();
    const out = new Out();
    const linkNames: string[] = [];
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
              if (ln === undefined) { ln = linkTypeName(link); if (link < 1024) linkNames[link] = ln; }
              out.add(packetJson(v, n, ln, isNs(desc[d + D_IFINDEX])));
            }
          }
        }
        r.complete(b);
        if (out.pending >= OUT_CHUNK) await out.flush();
        if (out.broken) break;
      }
      await out.flush();
    } finally {
      await r.close().catch(() => undefined);
    }
    if (out.broken) return 0;
    if (wantStats) {
      process.stderr.write(statsTable(st, reasm));
      out.add(statsJson(st, reasm));
      await out.flush();
    }
    if (failure !== null) {
      if (failure instanceof CaptureError) throw failure;   // main prints it, exit 1
      throw failure;
    }
    return 0;
  },
};
