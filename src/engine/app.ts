/**
 * Application layer glue: content detection on the first data of each direction, then the
 * HTTP/1.x and DNS parsers of decoders/app, then events (EVE http/dns) and per-flow summaries
 * (the `http`/`dns` arrays of `quell flows` records).
 *
 * Data arrives as views: TCP in-order stream bytes from the reassembler (valid during the call)
 * or UDP payloads (valid during the packet). Nothing is kept beyond the call except:
 * - while a TCP direction is undecided (detectApp says "need more"), its first bytes are copied
 *   into a probe buffer (at most APP_DETECT_MAX_BYTES) so detection sees them as one view;
 * - the parsers' own state (HttpParser buffers partial lines; DnsTcpFramer a split message).
 * A FlowApp object is allocated per flow only when that flow needs app state (classified, or
 * probing): the one per-flow object the design allows.
 *
 * Limits: MAX_FLOW_TX summaries kept per flow for `quell flows` (counter txSummariesDropped).
 */
import {
  detectApp, APP_DNS, APP_HTTP, APP_NONE, APP_SOCKS, APP_NEED_MORE, APP_DETECT_MAX_BYTES,
} from '../../decoders/app/detect';
import { SocksParser, SOCKS_TUNNEL, SOCKS_FAILED } from '../../decoders/app/socks';
import { DnsMessage, DnsTcpFramer, parseDns, dnsRecordJson, DnsRecordJson, DNS_SEC_ANSWER, rcodeName, suricataRrtype, updateNames, DNS_OPCODE_UPDATE } from '../../decoders/app/dns';
import { FF_APP_DONE } from './flows';
import { HttpGlue, HttpSummary, makeHttpCallback, httpTxEve } from './app-http';
import { HttpParser } from '../../decoders/app/http';
import { WsParser, WS_COUNTER_NAMES } from '../../decoders/app/websocket';
import type { HttpTx, HttpLimits } from '../../decoders/app/http';
import type { QuellEngine } from './pipeline';

export { APP_DNS, APP_HTTP, APP_NONE, APP_SOCKS };
/** App names for flow records (index = f.app[slot]); 0 = none/unknown. */
export const APP_NAMES: (string | null)[] = [null, 'http', 'dns', 'socks'];

/** Per-flow summaries kept for `quell flows` (HTTP transactions, DNS messages). */
export const MAX_FLOW_TX = 256;
/**
 * HTTP parsers of ended flows kept for reuse by later HTTP flows (counter httpParsersDropped
 * when full). Hot-path trick: a new HttpParser with its transactions is ~25 typed arrays; reusing
 * one (HttpParser.reset) made HTTP flow set-up allocation-free and was the largest allocation
 * source of `quell flows` (bench/out/big.pcap, warm: 16 of 25 MB sampled).
 */
export const HTTP_PARSER_POOL = 512;

const PROTO_TCP = 6;

/**
 * A SOCKS flow's handshake for its flow record: version 4 (4a included) or 5, command (1 CONNECT,
 * 2 BIND, 3 UDP ASSOCIATE), requested host (name, or address text) and port, user (v4 user id or
 * RFC 1929 user name; absent when empty), the server's reply code (null when none was seen).
 */
export interface SocksSummary { version: number; cmd: number; host: string; port: number; user?: string; reply: number | null }

/** updates: only for UPDATE messages (opcode 5), the owner names of the prerequisite/update records. */
export interface DnsSummary { id: number; query: string; qtype: string; rcode: string | null; answers: string[]; updates?: string[] }

/**
 * Bytes carried by an HTTP tunnel (CONNECT answered 2xx, or 101 Upgrade) or a SOCKS tunnel
 * (after the SOCKS handshake's successful reply) of one flow: probed
 * like a new flow's first data (detectApp, per direction, up to APP_DETECT_MAX_BYTES copied);
 * when they look like HTTP a second HttpParser parses them (same flow slot, same callback: its
 * transactions are http events and reach the rules like any other). A WebSocket upgrade (101 with
 * "Upgrade: websocket") is read as RFC 6455 frames first (WsParser): the unmasked payloads of
 * its data messages are the bytes probed and parsed (wstunnel-style HTTP over WebSocket).
 * Anything else (TLS, the usual case, HTTP/2) stays opaque. Allocated only for flows that enter
 * a tunnel.
 */
export class HttpTunnel {
  /** WebSocket framing of an upgraded flow, else null */
  ws: WsParser | null = null;
  probe: (Uint8Array | null)[] = [null, null];
  probeLen = [0, 0];
  /** bit per direction: its first tunnel bytes were not HTTP */
  none = 0;
  /** the inner parser once the tunnel was recognised as HTTP */
  inner: HttpParser | null = null;
  /** transaction ids of a SOCKS flow's inner HTTP (an HTTP flow numbers them in its HttpGlue) */
  txCount = 0;
}

/** Per-flow app state (allocated when a flow is classified or probing). */
export class FlowApp {
  /** Probe buffers for undecided TCP directions. */
  probe: (Uint8Array | null)[] = [null, null];
  probeLen = [0, 0];
  http: HttpGlue | null = null;
  framer: (DnsTcpFramer | null)[] = [null, null];
  /** HTTP flows that switched to a tunnel (see HttpTunnel), else null */
  tunnel: HttpTunnel | null = null;
  /** SOCKS flows: the handshake; its tunnel bytes go to `tunnel` like an HTTP tunnel's */
  socks: SocksParser | null = null;
  httpTx: HttpSummary[] = [];
  dnsTx: DnsSummary[] = [];
}

/**
 * A flow's application summaries (AppLayer.summary(), per flow end). A class, not an object
 * literal: literals that start with the same keys share hidden classes, and stats() builds
 * `{ http: <number>, dns: <number> }`. Its numbers generalised the `http` field that the flow-end
 * code had been optimised for (arrays), which deoptimised onFlowEnd at the first stats snapshot
 * after the inline warm-up (measured with --trace-deopt: "code dependencies").
 */
export class AppSummary {
  constructor(readonly http: unknown[], readonly dns: unknown[], readonly socks?: SocksSummary) {}
}

export class AppLayer {
  private readonly eng: QuellEngine;
  private readonly msg = new DnsMessage();
  readonly summaries: boolean;
  readonly events: boolean;
  /** HTTP parser limits (replay/flows may keep no bodies: nothing reads them there). */
  httpLimits: Partial<HttpLimits> | undefined = undefined;
  // counters
  flowsHttp = 0; flowsDnsUdp = 0; flowsDnsTcp = 0; flowsSocks = 0;
  txHttp = 0; dnsMessages = 0; dnsParseErrors = 0; txSummariesDropped = 0;
  probeBytes = 0; gaps = 0;
  /** HTTP tunnels seen, and those whose content was HTTP (parsed by an inner parser). */
  tunnels = 0; tunnelsHttp = 0;
  /** WebSocket tunnels, and their frame counters summed at flow end (WS_COUNTER_NAMES order). */
  wsTunnels = 0;
  readonly wsCounts = new Float64Array(WS_COUNTER_NAMES.length);
  /** Parser pool (not in stats(): the stats record stays as it was). */
  httpParsersReused = 0; httpParsersDropped = 0;
  private readonly httpPool: HttpGlue[] = [];
  /** Parsers released while packet number `httpHeldAt` was processed: the detection tap may
   *  still hold their tx views until that packet's detect call, so they join the pool later. */
  private readonly httpHeld: HttpGlue[] = [];
  private httpHeldAt = -1;

  /** The progress callback shared by every HttpParser of this engine. */
  readonly httpCallback: (tx: HttpTx, what: number, p: HttpParser) => void;

  /** Per flow slot: bit 0/1 = that direction's first data was neither HTTP nor DNS. */
  readonly dirNone: Uint8Array;

  constructor(eng: QuellEngine, maxFlows: number, summaries: boolean, events: boolean) {
    this.eng = eng; this.summaries = summaries; this.events = events;
    this.dirNone = new Uint8Array(maxFlows);
    this.httpCallback = makeHttpCallback(this, (s) => this.eng.flows.appState[s] as FlowApp | null, (s, tx, txId) => {
      const dir = 0;
      this.eng.emitApp(s, dir, 'http', httpTxEve(tx), txId);
    });
  }

  /** HTTP progress of flow `slot` (every `what`), for detection (engine.appTap). */
  httpProgress(tx: HttpTx, what: number, slot: number): void {
    const t = this.eng.appTap;
    if (t !== null) t.httpProgress(slot, tx, what);
  }

  private state(s: number): FlowApp {
    let a = this.eng.flows.appState[s] as FlowApp | null;
    if (a === null) { a = new FlowApp(); this.eng.flows.appState[s] = a; }
    return a;
  }

  /** In-order data of flow s, direction dir (0 to_server). */
  onData(s: number, dir: number, proto: number, buf: Uint8Array, off: number, len: number): void {
    const f = this.eng.flows;
    let kind = f.app[s];
    if (kind === APP_NONE) {
      if (f.flags[s] & FF_APP_DONE) return;
      if (this.dirNone[s] & (1 << dir)) return;
      const a = f.appState[s] as FlowApp | null;
      // ---- detection on the first data of this direction
      let pb = buf, po = off, pl = len;
      const probing = a !== null && a.probeLen[dir] > 0;
      if (probing) {
        this.appendProbe(a!, dir, buf, off, len);
        pb = a!.probe[dir]!; po = 0; pl = a!.probeLen[dir];
      }
      const v = this.eng.view;
      const r = detectApp(proto, dir === 0, pb, po, pl, v.sport, v.dport);
      if (r === APP_NEED_MORE) {
        if (pl >= APP_DETECT_MAX_BYTES) { this.dirGivesUp(s, dir); return; }
        const st = this.state(s);
        if (!probing) this.appendProbe(st, dir, buf, off, len);
        return;
      }
      if (r !== APP_HTTP && r !== APP_DNS && r !== APP_SOCKS) {
        this.dirGivesUp(s, dir);
        return;
      }
      kind = r;
      f.app[s] = r;
      f.flags[s] |= FF_APP_DONE;
      const st = this.state(s);
      if (r === APP_HTTP) { this.flowsHttp++; st.http = this.newHttp(s); }
      else if (r === APP_SOCKS) { this.flowsSocks++; st.socks = new SocksParser(); }
      else if (proto === PROTO_TCP) this.flowsDnsTcp++;
      else {
        this.flowsDnsUdp++;
        // Direction policy (docs/engine.md): the first sender of a UDP flow is taken as the
        // client; when that first datagram is a DNS response (QR=1) its sender is the server
        // (the query was missed, or the capture/queue started mid-conversation): swap the flow's
        // sides before anything sees the packet, as Suricata does, so answers are to_client.
        if (dir === 0 && (buf[off + 2] & 0x80) !== 0 && f.pkts[2 * s] === 1 && f.pkts[2 * s + 1] === 0) {
          f.reverse(s);
          dir = 1;
        }
      }
      // bytes probed earlier (copied) go to the parser first, to-server side first
      for (let d = 0; d < 2; d++) {
        const p = st.probe[d], n = st.probeLen[d];
        st.probe[d] = null; st.probeLen[d] = 0;
        if (p !== null && n > 0 && !(d === dir && !probing)) this.feed(s, st, kind, d, proto, p, 0, n);
      }
      if (probing) return; // the current view was appended to the probe and fed above
    }
    const st = f.appState[s] as FlowApp;
    if (kind === APP_HTTP || kind === APP_DNS || kind === APP_SOCKS) this.feed(s, st, kind, dir, proto, buf, off, len);
  }

  private appendProbe(a: { probe: (Uint8Array | null)[]; probeLen: number[] }, dir: number, buf: Uint8Array, off: number, len: number): void {
    let p = a.probe[dir];
    const have = a.probeLen[dir];
    const n = Math.min(len, APP_DETECT_MAX_BYTES - have);
    if (n <= 0) return;
    if (p === null || p.length < have + n) {
      const np = new Uint8Array(Math.min(APP_DETECT_MAX_BYTES, Math.max(256, (have + n) * 2)));
      if (p !== null) np.set(p.subarray(0, have));
      p = np; a.probe[dir] = p;
    }
    p.set(buf.subarray(off, off + n), have);
    a.probeLen[dir] = have + n;
    this.probeBytes += n;
  }

  private dirGivesUp(s: number, dir: number): void {
    const f = this.eng.flows;
    // a bit per direction, no object: most flows are neither HTTP nor DNS
    this.dirNone[s] |= 1 << dir;
    const st = f.appState[s] as FlowApp | null;
    if (st !== null) { st.probe[dir] = null; st.probeLen[dir] = 0; }
    if (this.dirNone[s] === 3) {
      f.flags[s] |= FF_APP_DONE;
      f.appState[s] = null; // nothing to keep for an unclassified flow
    }
  }

  private feed(s: number, st: FlowApp, kind: number, dir: number, proto: number, buf: Uint8Array, off: number, len: number): void {
    if (kind === APP_HTTP) {
      if (this.eng.appTap !== null) this.eng.appTap.httpBeforeFeed(s);
      const g = st.http!, tb = g.parser.tunnelBytes, t0 = tb[dir];
      g.feed(dir, buf, off, len, this.eng.curTsUs);
      // Tunnel mode is terminal for a direction and the parser counts every byte it skips there:
      // the last (tb[dir] - t0) bytes of this view went to the tunnel.
      const n = tb[dir] - t0;
      if (n > 0) this.tunnelData(s, st, dir, buf, off + len - n, n);
      return;
    }
    if (kind === APP_SOCKS) {
      // handshake bytes to the SOCKS parser; what follows a successful handshake is tunnel data,
      // probed and parsed exactly like an HTTP CONNECT tunnel's (tunnelData)
      const at = st.socks!.feed(dir, buf, off, len);
      if (at >= 0) this.tunnelData(s, st, dir, buf, at, off + len - at);
      return;
    }
    if (proto !== PROTO_TCP) { this.dnsMessage(s, st, dir, buf, off, len); return; }
    let fr = st.framer[dir];
    if (fr === null) { fr = new DnsTcpFramer(); st.framer[dir] = fr; }
    fr.push(buf, off, len);
    while (fr.next()) this.dnsMessage(s, st, dir, fr.msgBuf, fr.msgOff, fr.msgLen);
  }

  onGap(s: number, dir: number, len: number): void {
    this.gaps++;
    const st = this.eng.flows.appState[s] as FlowApp | null;
    if (st === null) return;
    if (st.http !== null) {
      const tb = st.http.parser.tunnelBytes, t0 = tb[dir];
      st.http.gap(dir, len);
      const t = st.tunnel;
      if (t !== null && tb[dir] > t0) {
        // a hole in the tunnel: the inner parser resyncs like any HTTP parser; a probe cannot go on
        // (WebSocket: the frame boundaries of that direction are lost, nothing more reaches inside)
        if (t.ws !== null) t.ws.gap(dir, len);
        if (t.inner !== null) { if (this.eng.appTap !== null) this.eng.appTap.httpBeforeFeed(s); t.inner.gap(dir as 0 | 1, len); }
        else this.tunnelGivesUp(t, dir);
      }
    }
    const sk = st.socks;
    if (sk !== null) {
      // a hole in the handshake ends it; in the tunnel it is handled as in an HTTP tunnel
      if (sk.state[dir] !== SOCKS_TUNNEL) sk.state[dir] = SOCKS_FAILED;
      else if (st.tunnel !== null) {
        const t = st.tunnel;
        if (t.inner !== null) { if (this.eng.appTap !== null) this.eng.appTap.httpBeforeFeed(s); t.inner.gap(dir as 0 | 1, len); }
        else this.tunnelGivesUp(t, dir);
      }
    }
    const fr = st.framer[dir];
    if (fr !== null) fr.gap();
    if (st.probeLen[dir] > 0) this.dirGivesUp(s, dir);
  }

  /** A new flow took slot s. */
  reset(s: number): void { this.dirNone[s] = 0; }

  onFlowEnd(s: number): void {
    const st = this.eng.flows.appState[s] as FlowApp | null;
    if (st !== null && st.http !== null) {
      const g = st.http;
      g.end();
      if (st.tunnel !== null) {
        if (st.tunnel.inner !== null) st.tunnel.inner.finish();
        const ws = st.tunnel.ws;
        if (ws !== null) for (let i = 0; i < WS_COUNTER_NAMES.length; i++) this.wsCounts[i] += ws.counts[i];
        st.tunnel = null;
      }
      st.http = null;
      this.releaseHttp(g);
    } else if (st !== null && st.socks !== null) {
      if (st.tunnel !== null && st.tunnel.inner !== null) st.tunnel.inner.finish();
      st.tunnel = null;
    }
  }

  private newHttp(s: number): HttpGlue {
    this.promoteHeld();
    const g = this.httpPool.pop();
    if (g !== undefined) { g.reuse(s); this.httpParsersReused++; return g; }
    return new HttpGlue(this, s, this.httpLimits);
  }

  /** Held parsers join the pool once a later packet is processed (nothing refers to their txs). */
  private promoteHeld(): void {
    if (this.httpHeld.length === 0 || this.httpHeldAt === this.eng.pkts) return;
    for (let i = 0; i < this.httpHeld.length; i++) this.httpPool.push(this.httpHeld[i]);
    this.httpHeld.length = 0;
  }

  private releaseHttp(g: HttpGlue): void {
    this.promoteHeld();
    if (this.httpPool.length + this.httpHeld.length >= HTTP_PARSER_POOL) { this.httpParsersDropped++; return; }
    this.httpHeldAt = this.eng.pkts;
    this.httpHeld.push(g);
  }

  /** A direction's FIN was reached in order: no more data that way. */
  onDirEnd(s: number, dir: number): void {
    const st = this.eng.flows.appState[s] as FlowApp | null;
    if (st !== null && st.http !== null) {
      st.http.endDir(dir);
      if (st.tunnel !== null && st.tunnel.inner !== null) st.tunnel.inner.end(dir as 0 | 1);
    } else if (st !== null && st.socks !== null && st.tunnel !== null && st.tunnel.inner !== null) {
      st.tunnel.inner.end(dir as 0 | 1);
    }
  }

  /**
   * Bytes of flow s's HTTP tunnel in direction dir (a view valid during the call): probe them
   * until detectApp decides; HTTP -> an inner HttpParser on the same flow, else opaque.
   */
  private tunnelData(s: number, st: FlowApp, dir: number, buf: Uint8Array, off: number, len: number): void {
    let t = st.tunnel;
    if (t === null) {
      t = new HttpTunnel(); st.tunnel = t; this.tunnels++;
      const hp = st.http !== null ? st.http.parser : null;
      if (hp !== null && hp.tunnelWebSocket) {
        // one parser and one closure per WebSocket flow (not per frame or packet)
        const ws = new WsParser(), tt = t;
        ws.deflate = hp.tunnelWsDeflate;
        ws.onPayload = (d, b, o, n) => this.tunnelPayload(s, tt, d, b, o, n);
        t.ws = ws;
        this.wsTunnels++;
      }
    }
    if (t.ws !== null) { t.ws.feed(dir, buf, off, len); return; }
    this.tunnelPayload(s, t, dir, buf, off, len);
  }

  /** The tunnelled byte stream of direction dir (WebSocket: the message payloads, unmasked). */
  private tunnelPayload(s: number, t: HttpTunnel, dir: number, buf: Uint8Array, off: number, len: number): void {
    if (t.inner !== null) { this.feedInner(s, t.inner, dir, buf, off, len); return; }
    if (t.none & (1 << dir)) return;
    let pb = buf, po = off, pl = len;
    const probing = t.probeLen[dir] > 0;
    if (probing) {
      this.appendProbe(t, dir, buf, off, len);
      pb = t.probe[dir]!; po = 0; pl = t.probeLen[dir];
    }
    const r = detectApp(PROTO_TCP, dir === 0, pb, po, pl);
    if (r === APP_NEED_MORE) {
      if (pl >= APP_DETECT_MAX_BYTES) this.tunnelGivesUp(t, dir);
      else if (!probing) this.appendProbe(t, dir, buf, off, len);
      return;
    }
    if (r !== APP_HTTP) { this.tunnelGivesUp(t, dir); return; }
    // HTTP inside the tunnel: a fresh parser (the outer one stays in tunnel mode and keeps counting)
    const p = new HttpParser(this.httpLimits);
    p.userData = s;
    p.onTx = this.httpCallback;
    t.inner = p;
    this.tunnelsHttp++;
    // bytes probed earlier go first, to-server side first (as for a new flow). Recognised on a
    // request: what the server sent before it is not a response to it (a tunnel's own preamble,
    // e.g. a WebSocket sub-protocol's first message) and is left out; on a response, both go in.
    for (let d = 0; d < 2; d++) {
      const pr = t.probe[d], n = t.probeLen[d];
      t.probe[d] = null; t.probeLen[d] = 0;
      if (pr !== null && n > 0 && !(d === dir && !probing) && !(dir === 0 && d === 1)) this.feedInner(s, p, d, pr, 0, n);
    }
    if (!probing) this.feedInner(s, p, dir, buf, off, len);
  }

  private feedInner(s: number, p: HttpParser, dir: number, buf: Uint8Array, off: number, len: number): void {
    // the inner parser recycles transactions too: detection inspects pending ones first
    if (this.eng.appTap !== null) this.eng.appTap.httpBeforeFeed(s);
    p.feed(dir as 0 | 1, buf, off, len, this.eng.curTsUs * 1000);
  }

  private tunnelGivesUp(t: HttpTunnel, dir: number): void {
    t.none |= 1 << dir;
    t.probe[dir] = null; t.probeLen[dir] = 0;
  }

  /** Summaries for the flow record (before the slot is freed). */
  summary(s: number): AppSummary {
    const st = this.eng.flows.appState[s] as FlowApp | null;
    if (st === null) return new AppSummary([], []);
    const k = st.socks;
    if (k !== null) {
      const reply = k.reply >= 0 ? k.reply : null;
      const socks: SocksSummary = k.user !== '' ? { version: k.version, cmd: k.cmd, host: k.host, port: k.port, user: k.user, reply }
        : { version: k.version, cmd: k.cmd, host: k.host, port: k.port, reply };
      return new AppSummary(st.httpTx, [], socks);
    }
    return new AppSummary(st.httpTx, st.dnsTx.map((d) => d.updates === undefined ? { query: d.query, qtype: d.qtype, rcode: d.rcode, answers: d.answers }
      : { query: d.query, qtype: d.qtype, rcode: d.rcode, answers: d.answers, updates: d.updates }));
  }

  private dnsMessage(s: number, st: FlowApp, dir: number, buf: Uint8Array, off: number, len: number): void {
    const m = this.msg;
    const err = parseDns(buf, off, len, m);
    if (err !== 0) this.dnsParseErrors++;
    if (len < 12) return;
    this.dnsMessages++;
    if (this.eng.appTap !== null) this.eng.appTap.dnsMessage(s, dir, m);
    if (!this.events) { this.dnsSummary(st, m); return; }
    const rec: DnsRecordJson = dnsRecordJson(m);
    if (this.summaries) {
      // an UPDATE's summary also lists the names being changed (updateNames)
      if (m.opcode === DNS_OPCODE_UPDATE) { this.dnsSummary(st, m); this.eng.emitApp(s, dir, 'dns', rec); return; }
      if (!rec.qr) {
        this.pushTx(st.dnsTx, { id: rec.id, query: rec.query, qtype: rec.qtype, rcode: null, answers: [] });
      } else {
        let hit: DnsSummary | null = null;
        for (let i = st.dnsTx.length - 1; i >= 0; i--) {
          const t = st.dnsTx[i];
          if (t.id === rec.id && t.rcode === null && t.query === rec.query) { hit = t; break; }
        }
        if (hit !== null) { hit.rcode = rec.rcode; hit.answers = rec.answers; if (!hit.qtype) hit.qtype = rec.qtype; }
        else this.pushTx(st.dnsTx, { id: rec.id, query: rec.query, qtype: rec.qtype, rcode: rec.rcode, answers: rec.answers });
      }
    }
    if (this.events) this.eng.emitApp(s, dir, 'dns', rec);
  }

  /** Summary only (quell flows): query, qtype, rcode, answers, without the full EVE record. */
  private dnsSummary(st: FlowApp, m: DnsMessage): void {
    const query = m.nq ? (m.qname(0) || '<root>') : '', qtype = m.nq ? suricataRrtype(m.qType[0]) : '';
    if (m.qr === 0) {
      const t: DnsSummary = { id: m.id, query, qtype, rcode: null, answers: [] };
      // UPDATE (RFC 2136): the question is the zone; the names being changed (Zeek logs the first as its query)
      if (m.opcode === DNS_OPCODE_UPDATE) t.updates = updateNames(m);
      this.pushTx(st.dnsTx, t); return;
    }
    const answers: string[] = [];
    for (let i = 0; i < m.nrr; i++) if (m.rrSection[i] === DNS_SEC_ANSWER) answers.push(m.rdataStr(i));
    for (let i = st.dnsTx.length - 1; i >= 0; i--) {
      const t = st.dnsTx[i];
      if (t.id === m.id && t.rcode === null && t.query === query) {
        t.rcode = rcodeName(m.rcode); t.answers = answers; if (!t.qtype) t.qtype = qtype; return;
      }
    }
    const t: DnsSummary = { id: m.id, query, qtype, rcode: rcodeName(m.rcode), answers };
    if (m.opcode === DNS_OPCODE_UPDATE) t.updates = updateNames(m);
    this.pushTx(st.dnsTx, t);
  }

  pushTx<T>(arr: T[], x: T): void {
    if (arr.length >= MAX_FLOW_TX) { this.txSummariesDropped++; return; }
    arr.push(x);
  }

  stats(): Record<string, unknown> {
    return {
      flow: { http: this.flowsHttp, dns_udp: this.flowsDnsUdp, dns_tcp: this.flowsDnsTcp, socks: this.flowsSocks, http_tunnel: this.tunnels, http_in_tunnel: this.tunnelsHttp, websocket: this.wsTunnels },
      websocket: Object.fromEntries(WS_COUNTER_NAMES.map((n, i) => [n, this.wsCounts[i]])),
      tx: { http: this.txHttp, dns: this.dnsMessages },
      dns_parse_errors: this.dnsParseErrors, tx_summaries_dropped: this.txSummariesDropped,
      probe_bytes: this.probeBytes, gaps: this.gaps,
    };
  }
}
