/**
 * The shared pipeline: decode -> flow -> stream -> app -> detect -> verdict, one batch at a time.
 *
 * `QuellEngine.processBatch(batch)` is THE function replay uses now and `quell run` (NFQUEUE)
 * uses inline. It is synchronous, never throws on traffic, never waits on I/O, and allocates
 * nothing per packet on the common path (one reused PacketView; flows are typed-array slots).
 * Per-flow objects exist only for classified flows (app parser state) and for out-of-order
 * TCP data (the one copy).
 *
 * Events (flow end records, HTTP transactions, DNS messages, alerts from the detect hook) are
 * queued as plain objects and drained by the caller once per batch (drainEvents()). Each carries
 * ordering keys so that a multi-worker replay can merge them deterministically:
 *   ord  — D_ID of the packet that produced it (offline: the packet's ordinal in the file)
 *   seq  — engine-wide sequence number (order within one packet)
 *   cls  — 0: produced while processing packet `ord`; 1: produced by the end-of-batch timeout
 *          sweep or the end-of-input flush (ordered by end time, start time, flow_id)
 *
 * Detection seam: `engine.detect` is a function slot (null = accept everything). It is called
 * once per packet after the flow, stream and app layers ran for that packet:
 *   detect(pkt, flowSlot, dir, engine) -> verdict kind (V_ACCEPT, V_DROP... from io/batch.ts)
 * flowSlot is -1 for packets without a flow (non-IP, unreassembled fragments). The hook reads
 * per-flow state through engine.flows / engine.streams / engine.flows.appState[flowSlot]
 * (a FlowApp once classified), may set a sticky per-flow verdict with engine.setFlowVerdict(),
 * may write engine.verdictMark for the packet's mark word, and queues alerts with engine.emit().
 * The ruleset arrives through setRuleset() and is swapped in between batches only.
 */
import { PacketView, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, TH_ACK, TH_SYN } from '../../decoders/packet';
import { EVENT_NAMES } from '../../decoders/events';
import {
  D_CAPLEN, D_FLAGS, D_ID, D_LINK, D_OFF, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_STRIDE, F_CSUM_NOT_READY, PacketBatch, V_ACCEPT,
  V_DROP, V_F_FLOW, V_KIND_MASK,
} from '../io/batch';
import type { Engine, EngineEvent } from './types';
import {
  DEFAULT_MAX_FLOWS, DEFAULT_TIMEOUTS, END_REASON_NAMES, FF_ALERTED, FF_DROPPED, FF_GAP, FF_MIDSTREAM, FF_NO_STREAM, FF_TRUNCATED,
  FLOW_STATE_NAMES, FlowTable, FlowTimeouts, FS_CLOSED, FS_CLOSING, FS_ESTABLISHED, FS_NEW,
  TC_ICMP, TC_OTHER, TC_TCP_CLOSED, TC_TCP_CLOSING, TC_TCP_EST, TC_TCP_NEW, TC_UDP_EST, TC_UDP_NEW,
} from './flows';
import {
  DEFAULT_STREAM_DEPTH, MidstreamPolicy, TcpStreams, TS_CLOSED, TS_ESTABLISHED, TS_FIN_WAIT, TS_CLOSING,
  TCP_STATE_NAMES,
} from './tcp-stream';
import { AppLayer, APP_NAMES } from './app';
import type { HttpLimits, HttpTx } from '../../decoders/app/http';
import type { DnsMessage } from '../../decoders/app/dns';
import { decodeInto, DecodeContext, newDecodeContext, CSUM_L4 } from './decode';
import { ipPairHash } from './shard';
/** Module-level copies of imported constants read in rare arms of `packet`: an imported binding
 *  compiles to a property load on the module object, which has no feedback in an arm not yet taken. */
const K_TC_TCP_NEW = TC_TCP_NEW, K_TC_UDP_NEW = TC_UDP_NEW, K_TC_ICMP = TC_ICMP, K_TC_OTHER = TC_OTHER;

export type DetectHook = (pkt: PacketView, flowSlot: number, dir: number, engine: QuellEngine) => number;
/**
 * Detection's view of what the app layer produced during the current packet (src/engine/detect.ts
 * sets engine.appTap; null = nobody listens). Called synchronously from inside the packet's
 * processing, before the detect hook runs for it; views are valid during the call only (HTTP:
 * the tx stays valid until the parser's next feed, announced by httpBeforeFeed).
 * A detect hook that carries `attach(engine)` is attached when the engine starts using it.
 */
export interface AppTap {
  /** HTTP progress (decoders/app/http.ts HTTP_REQUEST_HEADERS ... HTTP_TX_DONE) of flow `slot`. */
  httpProgress(slot: number, tx: HttpTx, what: number): void;
  /** The HTTP parser of flow `slot` is about to be fed again (transactions may be recycled). */
  httpBeforeFeed(slot: number): void;
  /** A DNS message of flow `slot` sent in direction `dir` (the message object is reused). */
  dnsMessage(slot: number, dir: number, msg: DnsMessage): void;
  /** In-order stream bytes of flow `slot` delivered during this packet. */
  streamData(slot: number, dir: number, buf: Uint8Array, off: number, len: number): void;
  /** Optional: flow `slot` ended by timeout or at the end of input (not during a packet), after
   *  the app layer closed its parsers (their last progress came through httpProgress). */
  flowEnd?(slot: number): void;
}
/** Debug/test tap on reassembled stream bytes (view valid during the call only). */
export type StreamTap = (slot: number, dir: number, buf: Uint8Array, off: number, len: number) => void;

export interface EngineOptions {
  /** Flow memcap: at most this many flows at once (oldest idle evicted beyond). */
  maxFlows?: number;
  /** Per-class timeouts in seconds (missing keys keep the defaults). */
  timeouts?: Partial<FlowTimeouts>;
  /** Reassembly depth: bytes per direction delivered to the app layer. */
  streamDepth?: number;
  /** TCP flows picked up without a SYN: 'accept' (default) reassembles, 'ignore' only counts. */
  midstream?: MidstreamPolicy;
  /** Verify IPv4/TCP/UDP checksums (decode events on mismatch). Default false (captures often have offload garbage). */
  checksums?: boolean;
  /** Which records the engine builds: per-flow HTTP/DNS summaries for `quell flows` (default true). */
  flowSummaries?: boolean;
  /** Emit http/dns events (EVE). Default true. */
  appEvents?: boolean;
  /** The detection hook (null = accept all). */
  detect?: DetectHook | null;
  ruleset?: unknown;
  /** HTTP parser limits (decoders/app/http.ts HttpLimits); default: the parser's defaults. */
  httpLimits?: Partial<HttpLimits>;
}

/** What drainEvents() returns when there is nothing: shared, frozen. */
const NO_EVENTS: readonly EngineEvent[] = Object.freeze([]);

/** Classes of events for ordering (see file comment). */
export const CLS_PACKET = 0, CLS_SWEEP = 1;

export interface FlowRecord extends EngineEvent {
  event_type: 'flow';
  ord: number; seq: number; cls: number;
  flow_id: number;
  src_ip: string; src_port: number; dest_ip: string; dest_port: number;
  proto: number; vlan: number[];
  app: string | null;
  pkts_toserver: number; pkts_toclient: number; bytes_toserver: number; bytes_toclient: number;
  startUs: number; endUs: number;
  state: string; reason: string; tcp_state: string | null;
  truncated: boolean; gap: boolean; midstream: boolean;
  /** detection raised an alert in this flow */
  alerted?: boolean;
  http: unknown[]; dns: unknown[];
  /** SOCKS flows only: the handshake's request (absent otherwise) */
  socks?: unknown;
}

const DIR_SERVER = 0;

export class QuellEngine implements Engine {
  readonly flows: FlowTable;
  readonly streams: TcpStreams;
  readonly app: AppLayer;
  readonly view = new PacketView();
  readonly decodeCtx: DecodeContext;
  readonly midstream: MidstreamPolicy;
  /** Sticky per-flow verdict: 0 none, else verdict kind + 1 (set by the detect hook). */
  readonly flowVerdict: Uint8Array;
  detect: DetectHook | null;
  ruleset: unknown;
  private pendingRuleset: unknown = undefined;
  private hasPendingRuleset = false;
  /** Mark word for the current packet's verdict (the detect hook may set it). */
  verdictMark = 0;
  streamTap: StreamTap | null = null;
  /** App-layer tap for detection (see AppTap). */
  appTap: AppTap | null = null;
  private attachedDetect: DetectHook | null = null;
  /** Clock floor for the end-of-batch sweep (workers set the global batch time here). */
  clockUs = 0;

  // current packet (valid during processing)
  curOrd = 0;
  curTsUs = 0;
  private seq = 0;
  private cls = CLS_PACKET;
  // ordering keys of the flow being ended by a sweep/flush (see file comment)
  private kEnd = 0; private kStart = 0; private kId = 0;
  private events: EngineEvent[] = [];

  // ---- counters (stats)
  pkts = 0; bytes = 0; ipv4 = 0; ipv6 = 0; tcp = 0; udp = 0; icmp = 0; otherProto = 0; noFlow = 0;
  fragments = 0; reassembled = 0;
  readonly decodeEvents: Float64Array = new Float64Array(EVENT_NAMES.length);
  midstreamIgnored = 0;

  constructor(opts: EngineOptions = {}) {
    const maxFlows = opts.maxFlows ?? DEFAULT_MAX_FLOWS;
    this.flows = new FlowTable(maxFlows, { ...DEFAULT_TIMEOUTS, ...(opts.timeouts ?? {}) });
    this.app = new AppLayer(this, maxFlows, opts.flowSummaries ?? true, opts.appEvents ?? true);
    this.app.httpLimits = opts.httpLimits;
    this.streams = new TcpStreams(maxFlows, {
      onData: (s, dir, buf, off, len) => {
        if (this.streamTap !== null) this.streamTap(s, dir, buf, off, len);
        if (this.appTap !== null) this.appTap.streamData(s, dir, buf, off, len);
        this.app.onData(s, dir, PROTO_TCP, buf, off, len);
      },
      onGap: (s, dir, len) => { this.flows.flags[s] |= FF_GAP; this.app.onGap(s, dir, len); },
      onEnd: (s, dir) => this.app.onDirEnd(s, dir),
    }, opts.streamDepth ?? DEFAULT_STREAM_DEPTH);
    this.flowVerdict = new Uint8Array(maxFlows);
    this.midstream = opts.midstream ?? 'accept';
    this.decodeCtx = newDecodeContext(opts.checksums ?? false);
    this.detect = opts.detect ?? null;
    this.ruleset = opts.ruleset ?? null;
    this.flows.onEnd = (s, reason) => this.onFlowEnd(s, reason);
    this.attachDetect();
  }

  /** Let a detect hook that carries attach(engine) hook into the app layer (detect.ts). */
  private attachDetect(): void {
    this.attachedDetect = this.detect;
    const at = (this.detect as unknown as { attach?: (e: QuellEngine) => void } | null)?.attach;
    if (typeof at === 'function') at(this);
  }

  // ------------------------------------------------------------------ Engine API

  processBatch(batch: PacketBatch): void {
    if (this.hasPendingRuleset) { this.ruleset = this.pendingRuleset; this.hasPendingRuleset = false; }
    if (this.detect !== this.attachedDetect) this.attachDetect();
    const desc = batch.desc, data = batch.data, verdict = batch.verdict, view = this.view;
    let maxUs = this.clockUs;
    this.cls = CLS_PACKET;
    for (let i = 0; i < batch.count; i++) {
      const d = i * DESC_STRIDE;
      const tsSec = desc[d + D_TS_SEC], tsNsec = desc[d + D_TS_NSEC];
      const tsUs = tsSec * 1e6 + Math.floor(tsNsec / 1000);
      if (tsUs > maxUs) maxUs = tsUs;
      this.curOrd = desc[d + D_ID];
      this.curTsUs = tsUs;
      this.decodeCtx.nowSec = tsSec;
      const ctx = this.decodeCtx, csum = ctx.checksums;
      // inline: offloaded packets (CHECKSUM_NOT_READY) carry partial L4 checksums, do not verify them
      if ((desc[d + D_FLAGS] & F_CSUM_NOT_READY) !== 0) ctx.checksums = csum & ~CSUM_L4;
      decodeInto(view, ctx, data, desc[d + D_OFF], desc[d + D_CAPLEN], desc[d + D_WIRELEN], desc[d + D_LINK], tsSec, tsNsec);
      ctx.checksums = csum;
      this.verdictMark = 0;
      const slot = this.packet(view, desc[d + D_WIRELEN], tsUs);
      let v = V_ACCEPT;
      if (slot >= 0 && this.flowVerdict[slot] !== 0) v = this.flowVerdict[slot] - 1;
      else if (this.detect !== null) {
        v = this.detect(view, slot, slot >= 0 ? this.flows.dirOf(slot) : 0, this);
        // a drop that decides the whole flow (V_DROP|V_F_FLOW: `drop flow`, or a drop on stream/app
        // data): later packets of the flow skip the stream and app layers (see packet()). This also
        // covers --simulate-ips, where the detector keeps the sticky drop itself (no flowVerdict).
        if (slot >= 0 && (v & V_KIND_MASK) === V_DROP && (v & V_F_FLOW) !== 0) this.flows.flags[slot] |= FF_DROPPED;
      }
      verdict[2 * i] = v;
      verdict[2 * i + 1] = this.verdictMark;
    }
    this.sweep(maxUs);
  }

  /** End flows whose timeout passed at `nowUs` (called at the end of every batch). */
  sweep(nowUs: number): void {
    if (nowUs > this.clockUs) this.clockUs = nowUs;
    this.cls = CLS_SWEEP;
    this.flows.sweep(this.clockUs);
    this.cls = CLS_PACKET;
  }

  /** See Engine.drainEvents. Most batches produce no event (inline: one batch per packet at low
   *  load), so those return one frozen empty array instead of allocating a fresh one per batch. */
  drainEvents(): readonly EngineEvent[] {
    const e = this.events;
    if (e.length === 0) return NO_EVENTS;
    this.events = [];
    return e;
  }

  finish(): void {
    this.cls = CLS_SWEEP;
    this.flows.flushAll();
    this.cls = CLS_PACKET;
  }

  /**
   * finish() in chunks: ends up to `max` flows (in end-time order) and returns true when none are
   * left. Drain events between calls to bound memory at the end of a large input.
   */
  finishSome(max: number): boolean {
    this.cls = CLS_SWEEP;
    const left = this.flows.flushSome(max);
    this.cls = CLS_PACKET;
    return left === 0;
  }

  setRuleset(ruleset: unknown): void { this.pendingRuleset = ruleset; this.hasPendingRuleset = true; }

  /** Set a sticky verdict for the rest of a flow (kind from V_*). */
  setFlowVerdict(slot: number, kind: number): void { if (slot >= 0) this.flowVerdict[slot] = kind + 1; }

  /** Queue an event (ordering keys are added here). */
  emit(ev: EngineEvent): void {
    ev.ord = this.curOrd; ev.seq = this.seq++; ev.cls = this.cls;
    if (this.cls === CLS_SWEEP) { ev.kEnd = this.kEnd; ev.kStart = this.kStart; ev.kId = this.kId; }
    this.events.push(ev);
  }

  /** Queue an app-layer event (http, dns) for flow s; `dir` is the direction of the data. */
  emitApp(s: number, dir: number, type: string, payload: unknown, txId?: number): void {
    const f = this.flows;
    // a dropped flow writes no more app records (e.g. transactions the parser closes at flow end)
    if ((f.flags[s] & FF_DROPPED) !== 0 || this.flowVerdict[s] === V_DROP + 1) return;
    const cs = f.clientSide[s];
    // http: addresses from the client's side (a transaction); dns: from the message's sender
    const src = type === 'dns' && dir === 1 ? cs ^ 1 : cs, dst = src ^ 1;
    const tsUs = this.cls === CLS_SWEEP ? f.lastUs[s] : this.curTsUs;
    const ev: EngineEvent = {
      event_type: type, tsNs: BigInt(tsUs) * 1000n, flow_id: f.flowId[s],
      src_ip: f.addrText(s, src), src_port: f.portOf(s, src), dest_ip: f.addrText(s, dst), dest_port: f.portOf(s, dst),
      proto: f.protoOf(s), vlan: f.vlansOf(s), app_proto: APP_NAMES[f.app[s]] ?? null,
    };
    if (txId !== undefined) ev.tx_id = txId;
    ev[type] = payload;
    this.emit(ev);
  }

  stats(): Record<string, unknown> {
    const f = this.flows, s = this.streams, a = this.app;
    const events: Record<string, number> = {};
    for (let i = 1; i < this.decodeEvents.length; i++) if (this.decodeEvents[i] > 0) events[EVENT_NAMES[i]] = this.decodeEvents[i];
    return {
      decoder: {
        pkts: this.pkts, bytes: this.bytes, ipv4: this.ipv4, ipv6: this.ipv6, tcp: this.tcp, udp: this.udp,
        icmp: this.icmp, other: this.otherProto, fragments: this.fragments, reassembled: this.reassembled,
        no_flow: this.noFlow, event: events,
      },
      flow: {
        memcap_flows: f.maxFlows, created: f.created, ended: f.ended, active: f.active, timeouts: f.timeouts,
        evictions_memcap: f.evictions, reversed: f.reversed,
      },
      tcp: {
        segments: s.segments, retransmitted: s.retransmitted, overlaps: s.overlaps, out_of_order: s.outOfOrder,
        ooo_dropped: s.oooDropped, depth_reached: s.depthReached, gaps: s.gaps, gap_bytes: s.gapBytes,
        midstream: s.midstream, midstream_ignored: this.midstreamIgnored, reuse: f.tcpReuse,
        ack_gap_ignored: s.ackGapIgnored,
      },
      app_layer: a.stats(),
      ...this.detectStats(),
    };
  }

  /** Counters of a detect hook that carries stats() (detect.ts: alerts, drops, per-rule hits). */
  private detectStats(): Record<string, unknown> {
    const st = (this.detect as unknown as { stats?: () => Record<string, unknown> } | null)?.stats;
    return typeof st === 'function' ? { detect: st() } : {};
  }

  // ------------------------------------------------------------------ per packet

  /** Flow + stream + app for one decoded packet. Returns the flow slot or -1. */
  private packet(v: PacketView, wirelen: number, tsUs: number): number {
    this.pkts++; this.bytes += wirelen;
    for (let k = 0; k < v.eventCount; k++) this.decodeEvents[v.events[k]]++;
    // The counters are updated branch-free, every one on every packet: a rare branch first taken
    // after V8 optimised this function has no type feedback, and a property store in it
    // deoptimised `packet` (5 times per `quell flows` run on big.pcap: non-IP, fragment, ICMP,
    // truncated L4...), each a return to the interpreter and a recompile. Only locals and returns
    // stay in the rare branches.
    const ver = v.ipVer, v4 = ver === 4, v6 = ver === 6, frag = v.isFragment;
    this.ipv4 += v4 ? 1 : 0; this.ipv6 += v6 ? 1 : 0;
    this.reassembled += v.reassembled && (v4 || v6) ? 1 : 0;
    this.fragments += frag && (v4 || v6) ? 1 : 0;
    const proto = v.ipProto;
    const isTcp = proto === PROTO_TCP && v.hasTcp;
    const isUdp = proto === PROTO_UDP && v.l4Off > 0 && v.udpLen >= 8;
    const isIcmp = proto === PROTO_ICMP || proto === PROTO_ICMPV6;
    const l4Cut = !isTcp && !isUdp && (proto === PROTO_TCP || proto === PROTO_UDP);   // truncated L4 header
    const noAddr = (v.srcOff | v.dstOff) === 0;   // one compare: `&&` left dstOff's without feedback
    const ok = (v4 || v6) && !frag;
    const flowless = !ok || l4Cut || noAddr;
    this.tcp += ok && isTcp ? 1 : 0; this.udp += ok && isUdp ? 1 : 0; this.icmp += ok && isIcmp ? 1 : 0;
    this.otherProto += ok && !isTcp && !isUdp && !isIcmp && !l4Cut ? 1 : 0;
    this.noFlow += flowless ? 1 : 0;
    if (flowless) return -1;
    const sport = isTcp || isUdp ? v.sport : 0, dport = isTcp || isUdp ? v.dport : 0;
    const tclass = isTcp ? K_TC_TCP_NEW : isUdp ? K_TC_UDP_NEW : isIcmp ? K_TC_ICMP : K_TC_OTHER;

    const f = this.flows;
    // TCP port reuse (a fresh SYN on a closed connection starts a new flow) is decided inside
    // lookup, in the branch that ends timed-out flows (flows.ts: one rare call site, not two)
    // inside a tunnel the flow is also keyed on the outermost address pair (flows.ts lookup);
    // ipPairHash runs for every packet (returns 0 at once for outerL3Off -1): no rare call site
    const oh = ipPairHash(v.outerBuf, v.outerL3Off, v.outerBuf.length);
    const s = f.lookup(v.buf, v.srcOff, v.dstOff, v.addrLen, sport, dport, proto, v.vlan, v.vlanCount, tsUs, tclass,
      isTcp && (v.tcpFlags & (TH_SYN | TH_ACK)) === TH_SYN, v.outerL3Off >= 0 ? oh : -1);
    if (f.lastCreated) this.newFlow(s, v, isTcp);
    const dir = f.dirOf(s);
    f.touch(s, dir, wirelen, tsUs);
    // Dropped flow (sticky drop verdict, or a flow drop seen by processBatch): the packet is counted
    // (pkts/bytes above, TCP state below) but its bytes reach neither the reassembler nor the app
    // parsers, so nothing the peer never received is parsed, logged or inspected (Suricata >= 8
    // logs no app record after the drop either; redmine 5510).
    const dropped = (f.flags[s] & FF_DROPPED) !== 0 || this.flowVerdict[s] === V_DROP + 1;

    if (isTcp) {
      const reasm = (f.flags[s] & FF_NO_STREAM) === 0 && !dropped;
      this.streams.segment(s, dir, v.seq, v.ack, v.tcpFlags, v.buf, v.payloadOff, v.payloadLen, reasm);
      const ts = this.streams.state[s];
      if (ts === TS_CLOSED) { f.state[s] = FS_CLOSED; f.setClass(s, TC_TCP_CLOSED); }
      else if (ts === TS_FIN_WAIT || ts === TS_CLOSING) { f.state[s] = FS_CLOSING; f.setClass(s, TC_TCP_CLOSING); }
      else if (ts === TS_ESTABLISHED) { f.state[s] = FS_ESTABLISHED; f.setClass(s, TC_TCP_EST); }
      f.flags[s] |= this.streams.truncated[2 * s + dir] ? FF_TRUNCATED : 0;   // always stored: no rare store site
    } else {
      if (f.state[s] === FS_NEW && f.pkts[2 * s + (dir ^ 1)] > 0) {
        f.state[s] = FS_ESTABLISHED;
        if (isUdp) f.setClass(s, TC_UDP_EST);
      }
      if (isUdp && v.payloadLen > 0 && !dropped) this.app.onData(s, dir, PROTO_UDP, v.buf, v.payloadOff, v.payloadLen);
    }
    return s;
  }

  /** Direction and policies for a flow created by packet v. */
  private newFlow(s: number, v: PacketView, isTcp: boolean): void {
    const f = this.flows;
    let senderIsClient = true;
    if (isTcp) {
      this.streams.reset(s);
      const fl = v.tcpFlags;
      if ((fl & TH_SYN) !== 0 && (fl & TH_ACK) === 0) senderIsClient = true;
      else if ((fl & TH_SYN) !== 0) senderIsClient = false;           // SYN/ACK: the sender is the server
      else {
        // midstream pickup: client-port heuristic (the higher, ephemeral port is the client)
        f.flags[s] |= FF_MIDSTREAM;
        senderIsClient = v.sport !== v.dport ? v.sport > v.dport : true;
        if (this.midstream === 'ignore') { f.flags[s] |= FF_NO_STREAM; this.midstreamIgnored++; }
      }
    }
    this.flowVerdict[s] = 0;
    this.app.reset(s);
    f.clientSide[s] = senderIsClient ? f.lastSrcSide : f.lastSrcSide ^ 1;
  }

  // ------------------------------------------------------------------ flow end

  private onFlowEnd(s: number, reason: number): void {
    const f = this.flows;
    this.kEnd = f.lastUs[s]; this.kStart = f.startUs[s]; this.kId = f.flowId[s];
    if (f.protoOf(s) === PROTO_TCP) this.streams.close(s);
    this.app.onFlowEnd(s);
    // the detector's flow-end pass, whatever ended the flow: a timeout or the end of input (sweep),
    // and, during a packet, a memcap eviction or a TCP port reuse (both in lookup, before the
    // current packet's own app work, so its per-packet detection state is not yet in use)
    if (this.appTap !== null && this.appTap.flowEnd !== undefined) this.appTap.flowEnd(s);
    const cs = f.clientSide[s], ss = cs ^ 1;
    const isTcp = f.protoOf(s) === PROTO_TCP;
    if (isTcp && this.streams.isTruncated(s)) f.flags[s] |= FF_TRUNCATED;
    const appState = this.app.summary(s);
    const rec: FlowRecord = {
      event_type: 'flow',
      tsNs: BigInt(f.lastUs[s]) * 1000n,
      ord: 0, seq: 0, cls: 0,
      flow_id: f.flowId[s],
      src_ip: f.addrText(s, cs), src_port: f.portOf(s, cs), dest_ip: f.addrText(s, ss), dest_port: f.portOf(s, ss),
      proto: f.protoOf(s), vlan: f.vlansOf(s),
      app: APP_NAMES[f.app[s]] ?? null,
      pkts_toserver: f.pkts[2 * s + DIR_SERVER], pkts_toclient: f.pkts[2 * s + 1],
      bytes_toserver: f.bytes[2 * s + DIR_SERVER], bytes_toclient: f.bytes[2 * s + 1],
      startUs: f.startUs[s], endUs: f.lastUs[s],
      state: FLOW_STATE_NAMES[f.state[s]],
      reason: END_REASON_NAMES[reason],
      tcp_state: isTcp ? TCP_STATE_NAMES[this.streams.state[s]] : null,
      truncated: (f.flags[s] & FF_TRUNCATED) !== 0,
      alerted: (f.flags[s] & FF_ALERTED) !== 0,
      gap: (f.flags[s] & FF_GAP) !== 0,
      midstream: (f.flags[s] & FF_MIDSTREAM) !== 0,
      http: appState.http, dns: appState.dns,
    };
    if (appState.socks !== undefined) rec.socks = appState.socks;
    this.emit(rec);
  }
}

/** Unused-import guard for states re-exported to docs/tests. */
export { FS_NEW, FS_ESTABLISHED, FS_CLOSING, FS_CLOSED, TC_TCP_EST };

/** Construct an engine (the documented entry point for replay and inline run). */
export function createEngine(opts: EngineOptions = {}): QuellEngine { return new QuellEngine(opts); }
