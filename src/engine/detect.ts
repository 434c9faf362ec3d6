/**
 * Detection glue: the compiled signatures (signatures/) run inside the engine's pipeline.
 *
 *   const det = createDetector(ruleset, { mode: 'ids' | 'ips' | 'simulate' });
 *   const engine = createEngine({ detect: det, ruleset });        // the engine calls det.attach(engine)
 *   engine.setRuleset(other);                                     // swapped between batches (identity check per packet)
 *
 * Per packet the engine calls det(pkt, slot, dir, engine) after flow, stream and app layers ran.
 * Before that, while the packet was processed, the app layer told us (engine.appTap, AppTap in
 * pipeline.ts) which HTTP transactions progressed, which DNS messages were seen and which stream
 * bytes were delivered. Rules are split once per ruleset into two classes (classifyRules):
 *  - packet rules (no http.* / dns.* field, no app-only scope): evaluated once per packet
 *    ("packet pass") over payload, stream, L3/L4, flow numbers and tags, decode events, count().
 *  - app rules (an http.* or dns.* buffer/field, or `scope: proto = http|dns`): evaluated once per
 *    fresh HTTP transaction / DNS message of the packet ("app pass"), with that transaction's
 *    fields plus everything the packet pass has. An app rule reports at most once per HTTP
 *    transaction (Suricata semantics), once per DNS message.
 * A pass evaluates its class's rules (Matcher.definePass), plus the rules they reference and the
 * global rules, and keeps only its class's matches (the other class's count() counters are not
 * advanced in that pass).
 *
 * Verdict of a packet: the highest decision over its passes (drop > reject > accept > alert),
 * mapped to io/batch.ts words: drop -> V_DROP (| V_F_FLOW for `drop flow`, + sticky flow verdict),
 * reject -> V_REJECT, accept flow -> V_ACCEPT|V_F_FLOW (+ sticky), replace -> in-place rewrite +
 * V_F_PAYLOAD, mark N -> engine.verdictMark. Mode 'ids' (replay default) computes and reports
 * verdicts but returns V_ACCEPT and keeps no sticky verdict; 'ips' (inline) applies them;
 * 'simulate' (replay --simulate-ips) applies them and writes EVE drop events, including for the
 * later packets of a dropped flow (which are not inspected).
 *
 * Allocation: none per packet in the steady state (one FieldSource, one ByteSlice, reused
 * scratch buffers, typed per-slot arrays). Alerts allocate their event objects (output time).
 * Buffer ownership: every view handed to the Matcher is valid during the detect call only.
 */
import { Matcher, FieldSource, ByteSlice } from '../../signatures/runtime';
import type { CompiledRuleset, RuleEntry } from '../../signatures/ruleset';
import { FIELDS, FIELD_ID, PAYLOAD_FIELD } from '../../signatures/keywords/registry';
import { Op, OP_SIZE, Decision, DECISION_NAMES } from '../../signatures/bytecode';
import { compileSource } from '../../signatures/compiler';
import { PacketView, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 } from '../../decoders/packet';
import {
  HttpTx, HTTP_REQUEST_HEADERS, HTTP_REQUEST_DONE, HTTP_RESPONSE_HEADERS, HTTP_RESPONSE_DONE, HTTP_TX_DONE,
  HTTP_REQUEST_BODY_DATA, HTTP_RESPONSE_BODY_DATA,
  TXF_NO_REQUEST, TXF_REQ_BODY_TRUNC, TXF_RES_BODY_TRUNC, httpTxEve,
} from '../../decoders/app/http';
import { DnsMessage, DNS_SEC_ANSWER, DNS_MAX_EVENTS, rcodeName, suricataRrtype } from '../../decoders/app/dns';
import { EVENT_COUNT } from '../../decoders/events';
import { ipText } from '../../decoders/addr';
import { V_ACCEPT, V_DROP, V_REJECT, V_F_FLOW, V_F_PAYLOAD, V_F_MARK, V_KIND_MASK } from '../io/batch';
import { FS_ESTABLISHED, FF_ALERTED } from './flows';
import { APP_NAMES } from './app';
import type { AppTap, QuellEngine } from './pipeline';
import type { EngineEvent } from './types';
import { WorkerOps, WorkerOpsOptions } from '../ops/runtime';
import { BY_SYN_PENDING } from '../../signatures/keywords/ops';
import { GATE_BLOCK } from '../ops/sets';
import type { CompiledRules, RulesDiagnostic } from '../inline/engine-host';

/** HTTP transactions that can progress during one packet and be inspected (beyond: counted). */
export const MAX_FRESH_TX = 16;
/** DNS messages inspected per packet (TCP can carry several; beyond: counted). */
export const MAX_FRESH_DNS = 4;
/** Bytes of `stream` (in-order data delivered during this packet) kept for matching. */
export const MAX_STREAM_SCAN = 65536;
/**
 * Bytes of a flow direction's stream already inspected that are scanned again in front of the
 * newly delivered bytes (the "tail"), so that a string split across segments matches on the
 * segment that completes it. A match must END in the new bytes to be reported (one that lies
 * entirely in the tail was reported before). A string longer than this (+1) can still be split
 * so that no window holds it whole: a known, bounded limit (Suricata has the same with its
 * inspection window). Cost: one copy of at most this many bytes per flow direction per packet
 * that delivers stream data, and 2 x this many bytes of memory per flow slot that ever carried
 * stream data (only when a rule reads `stream`).
 */
export const STREAM_INSPECT_OVERLAP = 2048;
/** Progressive body inspection (docs/detection.md): a body inspected before its message is done
 *  is scanned from this many bytes before the part not inspected yet (strings crossing the
 *  previous inspection's end), matches ending in the old bytes dropped (minEnd). */
export const BODY_INSPECT_OVERLAP = 2048;
/** Separate stream windows per packet (a packet can release data of both directions, or data
 *  after a gap); beyond: not inspected, counted in stream_sections_dropped. */
export const MAX_STREAM_SECTIONS = 4;
/** Bytes of the dns.answers text buffer per message. */
export const MAX_DNS_ANSWERS_TEXT = 4096;
/** Distinct flow tags stored as bits per flow slot; more tags fall back to a per-slot Set. */
export const TAG_BITS = 32;

export type DetectMode = 'ids' | 'ips' | 'simulate';

export interface DetectorOptions {
  /** 'ids': report only (replay default); 'ips': apply verdicts (inline); 'simulate': apply + drop events. */
  mode?: DetectMode;
  /** Operations runtime (rate counters, local bans). When absent the detector makes its own and,
   *  in 'ips'/'simulate' mode, applies its ban gate itself (`block src for T` then drops). When
   *  given, the caller wraps the hook with ops.wrap() (src/ops/runtime.ts) for the gate. */
  ops?: WorkerOps | null;
  /** Table sizes of the detector's own operations runtime (when `ops` is absent); default: the
   *  runtime's defaults. The inline JIT warm-up's throwaway detectors use small ones. */
  opsOptions?: WorkerOpsOptions;
}

/** The hook plus what the engine and the runners use. */
export interface Detector {
  (pkt: PacketView, slot: number, dir: number, engine: QuellEngine): number;
  attach(engine: QuellEngine): void;
  /** Counters for the engine's stats: alerts, drops, per-rule hits (rule_hits: name -> n). */
  stats(): Record<string, unknown>;
  /** Per-rule hits with sid/name (control API `rules`). */
  ruleHits(): { sid: number; name: string; action: string; hits: number }[];
  readonly mode: DetectMode;
  /** Share an operations runtime (WorkerOps.wrap calls this): its rates and bans; its wrapper gates. */
  useOps(ops: WorkerOps): void;
}

// ---------------------------------------------------------------- field ids
const F = (n: string) => FIELD_ID.get(n) ?? -1;
const IP_SRC = F('ip.src'), IP_DST = F('ip.dst'), IP_PROTO = F('ip.proto'), IP_TTL = F('ip.ttl');
const TCP_SPORT = F('tcp.sport'), TCP_DPORT = F('tcp.dport'), TCP_FLAGS = F('tcp.flags');
const UDP_SPORT = F('udp.sport'), UDP_DPORT = F('udp.dport'), ICMP_TYPE = F('icmp.type'), ICMP_CODE = F('icmp.code');
const FLOW_EST = F('flow.established'), FLOW_TS = F('flow.to_server'), FLOW_TC = F('flow.to_client');
const FLOW_BYTES = F('flow.bytes'), FLOW_PKTS = F('flow.pkts'), FLOW_AGE = F('flow.age');
const STREAM = F('stream');
const H_METHOD = F('http.method'), H_URI = F('http.uri'), H_URI_RAW = F('http.uri.raw'), H_HOST = F('http.host');
const H_UA = F('http.user_agent'), H_HEADER = F('http.header'), H_REQ_BODY = F('http.request_body');
const H_STATUS = F('http.status'), H_SERVER = F('http.server'), H_CTYPE = F('http.content_type'), H_RES_BODY = F('http.response_body');
const D_QUERY = F('dns.query'), D_ANSWERS = F('dns.answers');

/** protoMask bits (runtime.ts FieldSource). */
const PM_IP = 1, PM_TCP = 2, PM_UDP = 4, PM_ICMP = 8, PM_HTTP = 16, PM_DNS = 32;

/** Fields that exist only in an app pass (every http.* and dns.* field of the registry). */
function isAppField(f: number): boolean {
  if (f < 0 || f >= FIELDS.length) return false;
  const n = FIELDS[f].name;
  return n.startsWith('http.') || n.startsWith('dns.');
}

// ---------------------------------------------------------------- ruleset analysis
interface RulesetInfo {
  rs: CompiledRuleset;
  /** per rule: 1 app rule (evaluated in app passes only), 0 packet rule */
  appRule: Uint8Array;
  /** Matcher.definePass selections: the packet pass evaluates only packet rules (they reference
   *  only packet rules) and global rules; an app pass the app rules, every rule they reference
   *  (transitively) and global rules. Without them every rule's bytecode ran in every pass: on
   *  the inline path the HTTP/DNS rules' gates cost more than the packet rules themselves. */
  packetSel: Uint8Array;
  appSel: Uint8Array;
  /** per rule: the L4 protocol it needs (6, 17; 0 = any), see l4Requirement */
  l4Req: Uint8Array;
  /** per counter: 1 when used by an app rule */
  appCounter: Uint8Array;
  /** some app rule has a payload/stream string or reads payload */
  appNeedsPayload: boolean;
  /** some packet rule has a payload/stream string or reads payload: else the packet pass skips the
   *  prefilter scan of the payload (which would only find app rules' atoms: a 64 KB GSO packet
   *  costs ~1 ms of Aho-Corasick for nothing, measured in bench/inline) */
  packetNeedsPayload: boolean;
  anyAppRule: boolean;
  /** some packet rule exists, private ones included (flow.tag side effects); else no packet pass */
  anyPacketRule: boolean;
  usesStream: boolean;
  usesDnsAnswers: boolean;
  /** per rule: report an event (alert, log, drop, reject, replace, block, exec, webhook) */
  reports: Uint8Array;
  /** per rule: decision targets the flow (drop flow / accept flow) */
  flowTarget: Uint8Array;
  /** per rule: matches on reassembled data (app fields or `stream`): a TCP drop must take the flow */
  onStream: Uint8Array;
  /** per rule: replace actions on payload strings [string, bytes] */
  replaces: ({ string: number; bytes: Uint8Array }[] | null)[];
  /** per rule: block action (target, seconds) */
  blocks: ({ target: 'src' | 'dst'; seconds: number } | null)[];
  /** tag name -> bit (first TAG_BITS tags) */
  tagBit: Map<string, number>;
  /** per rule: alert.severity, category, tags metadata, action text */
  severity: Int32Array;
  category: (string | null)[];
  actionText: string[];
  /** rule is only `mark`/`accept` and is silent */
}

/** Walk a rule's bytecode: fields it reads, counters, rules it references, proto masks. */
function scanCode(rs: CompiledRuleset, r: RuleEntry, out: { fields: Set<number>; counters: number[]; rules: number[]; masks: number[]; payloadRead: boolean; appEvent: boolean }): void {
  const code = rs.code;
  for (let pc = r.codeStart; pc < r.codeEnd;) {
    const op = code[pc];
    switch (op) {
      case Op.NUM_FIELD: case Op.BYTES_CMP: case Op.BYTES_MATCH: case Op.BYTES_LEN: case Op.BYTES_DEFINED:
      case Op.BYTES_INSET: case Op.IP_INSET: case Op.BYTES_NUM:
        out.fields.add(code[pc + 1]); break;
      case Op.NUM_INSET: if (code[pc + 1] >= 0) out.fields.add(code[pc + 1]); break;
      case Op.RATE: out.counters.push(code[pc + 1]); break;
      case Op.RULE: out.rules.push(code[pc + 1]); break;
      case Op.PROTO: out.masks.push(code[pc + 1]); break;
      case Op.FILESIZE: case Op.READ_INT: out.payloadRead = true; break;
      case Op.EVENT: if (code[pc + 1] >= EVENT_COUNT) out.appEvent = true; break;
      default: break;
    }
    const n = OP_SIZE[op];
    if (!(n > 0)) break; // unknown opcode: stop walking (the Matcher reports it)
    pc += n;
  }
}

/**
 * The IP protocol (6 TCP, 17 UDP) a rule can only match on, or 0. Proved from the bytecode: one
 * of the rule's top-level `and` operands (a JF_OR_POP whose jump ends the rule false, directly or
 * through further JF_OR_POPs) is `tcp.X <cmp> K` / `udp.X <cmp> K` (NaN, so false, on another
 * protocol), `ip.proto == 6|17`, a `proto` scope of TCP or UDP alone, or `synflood.pending(..)
 * <cmp> K` (NaN off TCP), and no operand before it has a side effect (count(), scan.ports and
 * synflood counters, flow.tag, host tags: skipping the rule must not skip them). Global rules
 * never get one. The Matcher then does not even run such a rule on other packets: the default
 * ruleset's SYN-scan and SYN-flood rules cost nothing on UDP, the UDP-scan rule nothing on TCP.
 */
export function l4Requirement(rs: CompiledRuleset, r: RuleEntry): number {
  if (r.global) return 0;
  const code = rs.code, end = r.codeEnd;
  const endsFalse = (t: number): boolean => {
    for (let k = 0; k < 64; k++) {
      if (t === end || (t === end - 1 && code[t] === Op.TOBOOL)) return true;
      if (t > r.codeStart && t < end && code[t] === Op.JF_OR_POP) { t = code[t + 1]; continue; }
      return false;
    }
    return false;
  };
  const judge = (a: number, b: number): number => {
    const op = code[a];
    if (op === Op.PROTO && b - a === 2) {
      const m = code[a + 1];
      return m === PM_TCP ? 6 : m === PM_UDP ? 17 : 0;
    }
    // X CONST CMP, X = NUM_FIELD f (2 words) or RATE counter by window (4 words)
    const xl = op === Op.NUM_FIELD ? 2 : op === Op.RATE ? 4 : 0;
    if (xl === 0 || b - a !== xl + 3 || code[a + xl] !== Op.CONST) return 0;
    const cmp = code[a + xl + 2];
    if (cmp < Op.EQ || cmp > Op.GE) return 0;
    if (op === Op.RATE) return code[a + 2] === BY_SYN_PENDING ? 6 : 0;
    const name = FIELDS[code[a + 1]]?.name ?? '';
    if (name.startsWith('tcp.')) return 6;
    if (name.startsWith('udp.')) return 17;
    if (name === 'ip.proto' && cmp === Op.EQ) { const k = rs.consts[code[a + xl + 1]]; return k === 6 || k === 17 ? k : 0; }
    return 0;
  };
  // only plain `and` chains: an `or` (JT_OR_POP) or a loop body could make a JF_OR_POP that ends
  // the rule false belong to one alternative only
  for (let pc = r.codeStart; pc < end;) {
    const op = code[pc], n = OP_SIZE[op];
    if (!(n > 0) || op === Op.JT_OR_POP || op === Op.FOR_RANGE || op === Op.FOR_LIST) return 0;
    pc += n;
  }
  let segStart = r.codeStart, effBefore = false, effSeg = false;
  for (let pc = r.codeStart; pc < end;) {
    const op = code[pc], n = OP_SIZE[op];
    if (op === Op.JF_OR_POP && endsFalse(code[pc + 1])) {
      const req = judge(segStart, pc);
      if (req !== 0 && !effBefore) return req;
      effBefore = effBefore || effSeg; effSeg = false;
      segStart = pc + n;
    }
    if (op === Op.RATE || op === Op.FLOW_TAG || op === Op.HOST_TAG) effSeg = true;
    pc += n;
  }
  // the last operand (after the last boundary), without its trailing TOBOOL
  const req = judge(segStart, code[end - 1] === Op.TOBOOL ? end - 1 : end);
  return req !== 0 && !effBefore ? req : 0;
}

function severityOf(meta: Record<string, string | number | boolean>): number {
  const v = meta.severity ?? meta.priority;
  if (typeof v === 'number' && v >= 1) return Math.floor(v);
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'critical' || s === 'high') return 1;
    if (s === 'medium') return 2;
    if (s === 'low' || s === 'info' || s === 'informational') return 3;
    const n = Number(s);
    if (Number.isInteger(n) && n >= 1) return n;
  }
  return 3; // Suricata's default priority
}

export function analyzeRuleset(rs: CompiledRuleset): RulesetInfo {
  const n = rs.rules.length;
  const appRule = new Uint8Array(n);
  const counterRule = new Int32Array(rs.nCounters).fill(-1);
  const refs: number[][] = [];
  let appNeedsPayload = false, usesStream = false, usesDnsAnswers = false;
  const ruleReadsPayload = new Uint8Array(n);
  const onStream = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = rs.rules[i];
    const o = { fields: new Set<number>(), counters: [] as number[], rules: [] as number[], masks: [] as number[], payloadRead: false, appEvent: false };
    scanCode(rs, r, o);
    let app = o.appEvent;
    for (const f of o.fields) if (isAppField(f)) app = true;
    for (const m of o.masks) if ((m & (PM_HTTP | PM_DNS)) !== 0 && (m & (PM_IP | PM_TCP | PM_UDP | PM_ICMP)) === 0) app = true;
    let readsPayload = o.payloadRead;
    for (let s = r.firstString; s < r.firstString + r.stringCount; s++) {
      const se = rs.strings[s];
      if (isAppField(se.field)) app = true;
      if (se.field === PAYLOAD_FIELD || se.field === STREAM) readsPayload = true;
      if (se.field === STREAM) usesStream = true;
      if (se.field === D_ANSWERS) usesDnsAnswers = true;
    }
    if (o.fields.has(STREAM)) { usesStream = true; onStream[i] = 1; }
    for (let s2 = r.firstString; s2 < r.firstString + r.stringCount; s2++) if (rs.strings[s2].field === STREAM) onStream[i] = 1;
    if (o.fields.has(D_ANSWERS)) usesDnsAnswers = true;
    ruleReadsPayload[i] = readsPayload ? 1 : 0;
    appRule[i] = app ? 1 : 0;
    for (const c of o.counters) if (c >= 0 && c < counterRule.length) counterRule[c] = i;
    refs.push(o.rules);
  }
  // a rule that references an app rule is an app rule (fixpoint over `rule` references)
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (appRule[i]) continue;
      if (refs[i].some((j) => j >= 0 && j < n && appRule[j] === 1)) { appRule[i] = 1; changed = true; }
    }
  }
  // global rules gate every rule: evaluate them in both classes (their result is not reported)
  for (let i = 0; i < n; i++) if (appRule[i] && ruleReadsPayload[i]) appNeedsPayload = true;
  let packetNeedsPayload = false;
  for (let i = 0; i < n; i++) if (!appRule[i] && (ruleReadsPayload[i] || onStream[i])) packetNeedsPayload = true;
  for (let i = 0; i < n; i++) if (appRule[i]) onStream[i] = 1;
  const appCounter = new Uint8Array(rs.nCounters);
  for (let c = 0; c < rs.nCounters; c++) appCounter[c] = counterRule[c] >= 0 && appRule[counterRule[c]] ? 1 : 0;
  const tagBit = new Map<string, number>();
  for (const t of rs.tconsts) { if (tagBit.size < TAG_BITS && !tagBit.has(t)) tagBit.set(t, tagBit.size); }
  const reports = new Uint8Array(n), flowTarget = new Uint8Array(n), severity = new Int32Array(n);
  const replaces: ({ string: number; bytes: Uint8Array }[] | null)[] = [];
  const blocks: ({ target: 'src' | 'dst'; seconds: number } | null)[] = [];
  const category: (string | null)[] = [], actionText: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rs.rules[i];
    let rep: { string: number; bytes: Uint8Array }[] | null = null;
    let blk: { target: 'src' | 'dst'; seconds: number } | null = null;
    for (const a of r.actions) {
      if (a.verb !== 'accept' && a.verb !== 'mark') reports[i] = 1;
      if ((a.verb === 'drop' || a.verb === 'accept') && a.target === 'flow') flowTarget[i] = 1;
      if (a.verb === 'replace' && a.string !== undefined && a.bytes && rs.strings[a.string].field === PAYLOAD_FIELD) (rep ??= []).push({ string: a.string, bytes: a.bytes });
      if (a.verb === 'block') blk = { target: a.target === 'dst' ? 'dst' : 'src', seconds: a.value ?? 600 };
    }
    if (r.actions.length === 0) reports[i] = 1; // a rule without actions alerts (default action)
    replaces.push(rep); blocks.push(blk);
    severity[i] = severityOf(r.meta);
    const cat = r.meta.category ?? r.meta.classtype;
    category.push(typeof cat === 'string' ? cat : null);
    actionText.push(r.actions.map((a) => a.verb + (a.target ? ' ' + a.target : '')).join('; ') || 'alert');
  }
  let anyAppRule = false, anyPacketRule = false;
  for (let i = 0; i < n; i++) { if (appRule[i]) anyAppRule = true; else anyPacketRule = true; }
  const packetSel = new Uint8Array(n), appSel = new Uint8Array(n), l4Req = new Uint8Array(n);
  for (let i = 0; i < n; i++) l4Req[i] = l4Requirement(rs, rs.rules[i]);
  for (let i = 0; i < n; i++) {
    if (rs.rules[i].global) { packetSel[i] = 1; appSel[i] = 1; }
    if (appRule[i]) appSel[i] = 1; else packetSel[i] = 1;
  }
  for (let changed = true; changed;) {
    changed = false;
    for (let i = 0; i < n; i++) {
      if (!appSel[i]) continue;
      for (const j of refs[i]) if (j >= 0 && j < n && appSel[j] === 0) { appSel[j] = 1; changed = true; }
    }
  }
  return {
    rs, appRule, packetSel, appSel, l4Req, appCounter, appNeedsPayload, packetNeedsPayload, anyAppRule, anyPacketRule, usesStream, usesDnsAnswers, reports, flowTarget, onStream, replaces, blocks,
    tagBit, severity, category, actionText,
  };
}

// ---------------------------------------------------------------- replace
/**
 * Rewrite, in place, every match of string `si` in the packet payload with `bytes` (same length
 * only; matches of another length are skipped). Returns true when bytes were written. Skipped for
 * reassembled datagrams (their bytes are not in the batch buffer).
 */
export function replaceMatches(m: Matcher, pkt: PacketView, si: number, bytes: Uint8Array): boolean {
  if (pkt.reassembled) return false;
  let wrote = false;
  const n = m.matchCount(si);
  for (let i = 0; i < n; i++) {
    if (m.matchLength(si, i) !== bytes.length) continue;
    const off = pkt.payloadOff + m.matchOffset(si, i);
    if (off + bytes.length > pkt.payloadOff + pkt.payloadLen) continue;
    pkt.buf.set(bytes, off);
    wrote = true;
  }
  return wrote;
}

// ---------------------------------------------------------------- per-packet app captures
const ENC_LOWER = new Uint8Array(256).map((_, b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));

/** A DNS message copied at tap time (the parser's DnsMessage is reused per message). */
class DnsCopy {
  query = new Uint8Array(256); queryLen = -1;
  answers = new Uint8Array(MAX_DNS_ANSWERS_TEXT); answersLen = -1;
  id = 0; qr = 0; rcode = 0; qtype = -1; dir = 0; opcode = 0;
  /** app events (decoders/app/events.ts ids) raised while parsing the message */
  readonly events = new Uint16Array(DNS_MAX_EVENTS); nev = 0;
  /** answer records for the alert's dns record (built only when answers are needed) */
  answerList: { rrname: string; rrtype: string; ttl: number; rdata: string }[] | null = null;
}

/** FieldSource over the current packet + flow + (in an app pass) one HTTP tx or DNS message. */
class DetectFields implements FieldSource {
  pkt: PacketView = new PacketView();
  eng: QuellEngine | null = null;
  slot = -1;
  dir = 0;
  /** app pass: 1 http tx, 2 dns message, 0 packet pass */
  appKind = 0;
  tx: HttpTx | null = null;
  /** per-transaction state of tx (HTTP passes), null otherwise */
  txs: TxState | null = null;
  /** which request/response parts of tx are exposed */
  txReq = false; txReqBody = false; txRes = false; txResBody = false; txResFirst = false;
  dns: DnsCopy | null = null;
  /** in-order stream bytes of this packet (the new bytes of the last window, without its tail) */
  stream: Uint8Array = new Uint8Array(0); streamOff = 0; streamLen = -1;
  /** which counters this pass may advance (by class) */
  passIsApp = false;
  appCounter: Uint8Array = new Uint8Array(0);
  ops: WorkerOps | null = null;
  tagBit: Map<string, number> = new Map();
  tagBits: Uint32Array = new Uint32Array(0);
  tagMore: (Set<string> | null)[] = [];
  nowMs = 0;
  /** http.header["Name"] keys, lower-cased latin1 bytes (bounded by the ruleset's constants) */
  private readonly keyCache = new Map<string, Uint8Array>();

  protoMask(): number {
    const p = this.pkt;
    if (p.ipVer === 0) return 0;
    let m = PM_IP;
    if (p.ipProto === PROTO_TCP && p.hasTcp) m |= PM_TCP;
    else if (p.ipProto === PROTO_UDP && p.l4Off > 0) m |= PM_UDP;
    else if (p.ipProto === PROTO_ICMP || p.ipProto === PROTO_ICMPV6) m |= PM_ICMP;
    if (this.appKind === 1) m |= PM_HTTP;
    else if (this.appKind === 2) m |= PM_DNS;
    return m;
  }

  num(field: number): number {
    const p = this.pkt;
    const s = this.slot, e = this.eng;
    // (the L4 checks only in the cases that need them: this runs per NUM_FIELD op of every rule)
    switch (field) {
      case IP_PROTO: return p.ipVer ? p.ipProto : NaN;
      case IP_TTL: return p.ipVer ? p.ttl : NaN;
      case TCP_SPORT: return p.ipProto === PROTO_TCP && p.hasTcp ? p.sport : NaN;
      case TCP_DPORT: return p.ipProto === PROTO_TCP && p.hasTcp ? p.dport : NaN;
      case TCP_FLAGS: return p.ipProto === PROTO_TCP && p.hasTcp ? p.tcpFlags : NaN;
      case UDP_SPORT: return p.ipProto === PROTO_UDP && p.l4Off > 0 ? p.sport : NaN;
      case UDP_DPORT: return p.ipProto === PROTO_UDP && p.l4Off > 0 ? p.dport : NaN;
      case ICMP_TYPE: return p.icmpType >= 0 ? p.icmpType : NaN;
      case ICMP_CODE: return p.icmpCode >= 0 ? p.icmpCode : NaN;
      case FLOW_TS: return s >= 0 ? (this.dir === 0 ? 1 : 0) : NaN;
      case FLOW_TC: return s >= 0 ? (this.dir === 1 ? 1 : 0) : NaN;
      case FLOW_EST: return s >= 0 && e !== null ? (e.flows.state[s] >= FS_ESTABLISHED ? 1 : 0) : NaN;
      case FLOW_BYTES: return s >= 0 && e !== null ? e.flows.bytes[2 * s] + e.flows.bytes[2 * s + 1] : NaN;
      case FLOW_PKTS: return s >= 0 && e !== null ? e.flows.pkts[2 * s] + e.flows.pkts[2 * s + 1] : NaN;
      case FLOW_AGE: return s >= 0 && e !== null ? Math.floor((e.curTsUs - e.flows.startUs[s]) / 1e6) : NaN;
      // numeric http.status (Op.BYTES_NUM): the code the HTTP parser parsed once per transaction
      case H_STATUS: return this.appKind === 1 && this.txRes && this.tx!.status >= 0 ? this.tx!.status : NaN;
      default: return NaN;
    }
  }

  bytes(field: number, key: string | null, out: ByteSlice): boolean {
    const p = this.pkt;
    if (field === PAYLOAD_FIELD) { out.buf = p.buf; out.off = p.payloadOff; out.len = p.payloadLen; return p.ipVer !== 0; }
    if (field === IP_SRC || field === IP_DST) {
      if (p.addrLen === 0) return false;
      out.buf = p.buf; out.off = field === IP_SRC ? p.srcOff : p.dstOff; out.len = p.addrLen; return true;
    }
    if (field === STREAM) {
      if (this.streamLen < 0) return false;
      out.buf = this.stream; out.off = this.streamOff; out.len = this.streamLen; return true;
    }
    if (this.appKind === 1) return this.httpBytes(field, key, out);
    if (this.appKind === 2) {
      const d = this.dns!;
      if (field === D_QUERY) { if (d.queryLen < 0) return false; out.buf = d.query; out.off = 0; out.len = d.queryLen; return true; }
      if (field === D_ANSWERS) { if (d.answersLen < 0) return false; out.buf = d.answers; out.off = 0; out.len = d.answersLen; return true; }
    }
    return false;
  }

  /** Fill `out` with (b, o, l) unless l < 0 (absent). A method, not a closure: no allocation per call. */
  private view(out: ByteSlice, b: Uint8Array, o: number, l: number): boolean {
    if (l < 0) return false;
    out.buf = b; out.off = o; out.len = l; return true;
  }

  private httpBytes(field: number, key: string | null, out: ByteSlice): boolean {
    const tx = this.tx!;
    const q = tx.req.buf, r = tx.res.buf;
    if (this.txReq) {
      switch (field) {
        case H_METHOD: return this.view(out, q, tx.methodOff, tx.methodLen);
        case H_URI: return this.view(out, q, tx.uriNormOff, tx.uriNormLen);
        case H_URI_RAW: return this.view(out, q, tx.uriOff, tx.uriLen);
        case H_HOST: return this.view(out, q, tx.hostOff, tx.hostLen);
        case H_UA: return this.view(out, q, tx.uaOff, tx.uaLen);
        case H_REQ_BODY: return this.txReqBody ? this.view(out, tx.req.body, 0, tx.req.bodyLen) : false;
        default: break;
      }
    }
    if (this.txRes) {
      switch (field) {
        case H_STATUS: return this.view(out, r, tx.statusOff, tx.statusLen);
        case H_SERVER: return this.view(out, r, tx.serverOff, tx.serverLen);
        case H_CTYPE: return this.view(out, r, tx.ctypeOff, tx.ctypeLen);
        case H_RES_BODY: return this.txResBody ? this.view(out, tx.res.body, 0, tx.res.bodyLen) : false;
        default: break;
      }
    }
    if (field === H_HEADER && key !== null) {
      // the header of the message that progressed (response first when the response is fresh),
      // then the other one. Keys are lower-cased and encoded once (cache), not per lookup.
      let kb = this.keyCache.get(key);
      if (kb === undefined) { kb = Uint8Array.from(Buffer.from(key.toLowerCase(), 'latin1')); this.keyCache.set(key, kb); }
      const k = kb;
      if (this.txRes && this.txResFirst) { const i = tx.res.find(k); if (i >= 0) return this.view(out, r, tx.res.hdr[i * 4 + 2], tx.res.hdr[i * 4 + 3]); }
      if (this.txReq) { const i = tx.req.find(k); if (i >= 0) return this.view(out, q, tx.req.hdr[i * 4 + 2], tx.req.hdr[i * 4 + 3]); }
      if (this.txRes && !this.txResFirst) { const i = tx.res.find(k); if (i >= 0) return this.view(out, r, tx.res.hdr[i * 4 + 2], tx.res.hdr[i * 4 + 3]); }
    }
    return false;
  }

  event(id: number): boolean {
    if (id < EVENT_COUNT) return this.pkt.hasEvent(id);
    // app-layer events (compiler numbers them after the decode events): the tx's / message's own
    const a = id - EVENT_COUNT;
    if (this.appKind === 1) return this.tx!.hasEvent(a);
    if (this.appKind === 2) { const d = this.dns!; for (let i = 0; i < d.nev; i++) if (d.events[i] === a) return true; }
    return false;
  }

  flowHas(tag: string): boolean {
    const s = this.slot;
    if (s < 0) return false;
    const b = this.tagBit.get(tag);
    if (b !== undefined) return (this.tagBits[s] & (1 << b)) !== 0;
    const m = this.tagMore[s];
    return m !== null && m !== undefined && m.has(tag);
  }

  flowTag(tag: string): void {
    const s = this.slot;
    if (s < 0) return;
    const b = this.tagBit.get(tag);
    if (b !== undefined) { this.tagBits[s] |= 1 << b; return; }
    let m = this.tagMore[s];
    if (!m) { m = new Set(); this.tagMore[s] = m; }
    m.add(tag);
  }

  /**
   * host(src|dst).has / .tag (signatures/keywords/host.ts): the ops runtime's per-worker table,
   * packet clock. In an HTTP pass `src` is the transaction's client and `dst` its server, whichever
   * packet made the transaction progress (a response packet's source is the server), and a tag is
   * set once per transaction and tag name (at the first inspection that reaches it, like count()),
   * so that later progress points of the same transaction do not restart its expiry.
   */
  hostHas(tag: string, side: number): boolean {
    if (this.ops === null) return false;
    return this.ops.hostHas(tag, this.appKind === 1 && this.dir === 1 ? 1 - side : side, this.pkt, this.nowMs);
  }
  hostTag(tag: string, side: number, expireMs: number): void {
    if (this.ops === null) return;
    const t = this.txs;
    if (this.appKind === 1 && t !== null) {
      const b = this.tagBit.get(tag); // first TAG_BITS tag names; beyond: set at every inspection
      if (b !== undefined) {
        const bit = 1 << b, w = side & 1;
        if ((t.hostTagged[w] & bit) !== 0) return;
        t.hostTagged[w] |= bit;
      }
    }
    this.ops.hostTag(tag, this.appKind === 1 && this.dir === 1 ? 1 - side : side, expireMs, this.pkt, this.nowMs);
  }

  rate(counter: number, by: number, windowMs: number): number {
    if (this.ops === null) return NaN;
    // count() advances only in the pass of its rule's class (so one packet counts once)
    const isApp = counter < this.appCounter.length && this.appCounter[counter] === 1;
    if (isApp !== this.passIsApp) return NaN;
    // an HTTP transaction counts once per counter (at its first inspection), whatever the number
    // of progress points it is inspected at; later passes see the value it got then
    const t = this.txs;
    if (t !== null && counter < t.counted.length && t.counted[counter] === 1) return t.countedVal[counter];
    const key = this.slot >= 0 && this.eng !== null ? this.eng.flows.flowId[this.slot] : -1;
    const v = this.ops.rate(counter, by, windowMs, this.pkt, key, this.nowMs);
    if (t !== null && counter < t.counted.length) { t.counted[counter] = 1; t.countedVal[counter] = v; }
    return v;
  }
}

/** Per HTTP transaction: rules already reported, count() counters already advanced (and the value). */
interface TxState {
  index: number; fired: Uint8Array; counted: Uint8Array; countedVal: Float64Array; /** host tags set (tagBit bits), [src, dst] */ hostTagged: Uint32Array;
  /** body bytes already inspected progressively (request, response): the next partial
   *  inspection starts BODY_INSPECT_OVERLAP before them */
  bodySeen: Int32Array;
}

/** Pending alert of the current packet (finalized once the packet's verdict is known). */
interface PendingAlert { rule: number; ev: EngineEvent }

// ---------------------------------------------------------------- the detector
export function createDetector(ruleset: CompiledRuleset, opts: DetectorOptions = {}): Detector {
  const mode: DetectMode = opts.mode ?? 'ids';
  const applies = mode !== 'ids';
  let ownOps = opts.ops == null;
  let ops = opts.ops ?? new WorkerOps(null, opts.opsOptions);
  let info = analyzeRuleset(ruleset);
  let m = new Matcher(ruleset);
  let packetPass = m.definePass(info.packetSel, info.l4Req), appPass = m.definePass(info.appSel, info.l4Req);
  let hits = new Float64Array(ruleset.rules.length);
  ops.setCounters(ruleset.counterWindowMs, ruleset.counterBy);
  const fields = new DetectFields();
  fields.ops = ops;
  let engine: QuellEngine | null = null;
  // per flow slot state (sized at attach): tag bits, the flow id they belong to, sticky simulate verdict
  let slotFlowId = new Float64Array(0);
  let simSticky = new Uint8Array(0);
  // per HTTP tx object: reported rules of its current transaction (tx objects are pooled per parser)
  let txFired = new WeakMap<HttpTx, TxState>();
  /** The per-transaction state of `tx` (reset when the pooled object carries a new transaction). */
  const txState = (tx: HttpTx): TxState => {
    const rs = info.rs;
    let f = txFired.get(tx);
    if (f === undefined || f.fired.length !== rs.rules.length || f.counted.length !== rs.nCounters) {
      f = { index: tx.index, fired: new Uint8Array(rs.rules.length), counted: new Uint8Array(rs.nCounters), countedVal: new Float64Array(rs.nCounters), hostTagged: new Uint32Array(2), bodySeen: new Int32Array(2) };
      txFired.set(tx, f);
    } else if (f.index !== tx.index) { f.index = tx.index; f.fired.fill(0); f.counted.fill(0); f.hostTagged.fill(0); f.bodySeen.fill(0); }
    return f;
  };
  // fresh app work of the current packet
  let stamp = -1, stampFlow = -1;
  const freshTx: (HttpTx | null)[] = new Array(MAX_FRESH_TX).fill(null);
  const freshWhat = new Uint16Array(MAX_FRESH_TX);   // bits 1 << what (what <= 8)
  /** the pass runs at flow end (no packet: the payload of engine.view is not this flow's) */
  let pseudo = false;
  let nFresh = 0;
  const dnsCopies = Array.from({ length: MAX_FRESH_DNS }, () => new DnsCopy());
  let nDns = 0;
  // `stream` of the current packet: windows ("sections") [tail of the flow direction + bytes
  // delivered now] laid out one after the other in streamBuf (allocated once, at the first
  // delivery); sec* describe them. streamLen: end of the used part, -1 when nothing was delivered.
  let streamBuf = new Uint8Array(0);
  let streamLen = -1, streamNew = 0;
  const secStart = new Int32Array(MAX_STREAM_SECTIONS), secNew = new Int32Array(MAX_STREAM_SECTIONS);
  const secEnd = new Int32Array(MAX_STREAM_SECTIONS), secD = new Int32Array(MAX_STREAM_SECTIONS);
  const secFlow = new Float64Array(MAX_STREAM_SECTIONS), secTrunc = new Uint8Array(MAX_STREAM_SECTIONS);
  let nSec = 0;
  // per flow direction (index 2 * slot + dir, sized at attach): the last STREAM_INSPECT_OVERLAP
  // bytes inspected (buffer allocated when the slot first delivers stream data, then reused by
  // later flows of the slot), their length, the flow they belong to and the sequence number that
  // must come next for them to be contiguous with the next delivery (else: gap, reset)
  let tails: (Uint8Array | null)[] = [];
  let tailLen = new Int32Array(0), tailNext = new Uint32Array(0), tailFlow = new Float64Array(0);
  // per-packet accumulated result (over passes)
  let pktDecision = 0, pktDecidingRule = -1, pktMark = -1, pktMarkDecision = -1, pktFlags = 0;
  const pending: PendingAlert[] = [];
  const counters = { packets: 0, passes_packet: 0, passes_http: 0, passes_dns: 0, alerts: 0, drops: 0, rejects: 0, flow_drops: 0, replaced: 0, marks: 0, bans: 0, fresh_tx_dropped: 0, fresh_dns_dropped: 0, stream_truncated: 0, stream_tail_resets: 0, stream_sections_dropped: 0, tx_early: 0, body_partial_scans: 0, flow_end_passes: 0 };

  const load = (rs: CompiledRuleset) => {
    info = analyzeRuleset(rs);
    m = new Matcher(rs);
    packetPass = m.definePass(info.packetSel, info.l4Req); appPass = m.definePass(info.appSel, info.l4Req);
    hits = new Float64Array(rs.rules.length);
    ops.setCounters(rs.counterWindowMs, rs.counterBy);
    txFired = new WeakMap();
    fields.appCounter = info.appCounter;
    fields.tagBit = info.tagBit;
    if (slotFlowId.length) { slotFlowId.fill(-1); fields.tagBits.fill(0); fields.tagMore.fill(null); }
  };
  fields.appCounter = info.appCounter;
  fields.tagBit = info.tagBit;

  /** The flow in `slot` is a different flow than the one our per-slot state belongs to: reset it. */
  const syncSlot = (s: number) => {
    const id = engine!.flows.flowId[s];
    if (slotFlowId[s] !== id) {
      slotFlowId[s] = id; fields.tagBits[s] = 0; fields.tagMore[s] = null; simSticky[s] = 0;
    }
  };

  /** New packet (or new flow within a packet): forget the fresh app work collected so far. */
  const syncStamp = (slot: number) => {
    const e = engine!;
    const fid = slot >= 0 ? e.flows.flowId[slot] : -1;
    if (stamp !== e.pkts || stampFlow !== fid) {
      stamp = e.pkts; stampFlow = fid;
      for (let i = 0; i < nFresh; i++) freshTx[i] = null;
      if (nSec > 0) commitTails();
      nFresh = 0; nDns = 0; streamLen = -1; streamNew = 0; nSec = 0;
      pktDecision = 0; pktDecidingRule = -1; pktMark = -1; pktMarkDecision = -1; pktFlags = 0;
      if (pending.length !== 0) pending.length = 0;   // a length store is a runtime call even at 0
    }
  };

  const tap: AppTap = {
    httpProgress(slot, tx, what) {
      if (!info.anyAppRule || engine === null) return;
      syncStamp(slot);
      for (let i = 0; i < nFresh; i++) if (freshTx[i] === tx) { freshWhat[i] |= 1 << what; return; }
      if (what === HTTP_TX_DONE) return; // nothing new to inspect
      if (nFresh >= MAX_FRESH_TX) { counters.fresh_tx_dropped++; return; }
      freshTx[nFresh] = tx; freshWhat[nFresh] = 1 << what; nFresh++;
    },
    httpBeforeFeed(slot) {
      // a second delivery to the same parser within one packet may recycle transactions that got
      // HTTP_TX_DONE: inspect the pending ones now (rare: out-of-order data filled in)
      if (nFresh === 0 || engine === null || stamp !== engine.pkts) return;
      counters.tx_early++;
      syncSlot(slot);
      appPasses(engine.view, slot, engine.flows.dirOf(slot));
    },
    flowEnd(slot) {
      // transactions the parser closed at flow end (HTTP_RESPONSE_DONE etc. delivered through
      // httpProgress during app.onFlowEnd): one pass now, alerts emitted without a verdict (no
      // packet to decide on). Packet fields are those of engine.view; payload is not scanned.
      const e = engine;
      if (e === null || nFresh === 0 || stamp !== e.pkts || stampFlow !== e.flows.flowId[slot]) return;
      counters.flow_end_passes++;
      syncSlot(slot);
      pseudo = true;
      try {
        appPasses(e.view, slot, 1);
        const ts = BigInt(e.flows.lastUs[slot]) * 1000n;
        for (const pa of pending) { pa.ev.tsNs = ts; counters.alerts++; e.flows.flags[slot] |= FF_ALERTED; e.emit(pa.ev); }
      } finally {
        pseudo = false;
        pending.length = 0; nFresh = 0;
        pktDecision = 0; pktDecidingRule = -1; pktMark = -1; pktMarkDecision = -1; pktFlags = 0;
        stamp = -1; stampFlow = -1;
      }
    },
    dnsMessage(slot, dir, msg) {
      if (!info.anyAppRule || engine === null) return;
      syncStamp(slot);
      if (nDns >= MAX_FRESH_DNS) { counters.fresh_dns_dropped++; return; }
      copyDns(dnsCopies[nDns++], msg, dir);
    },
    streamData(slot, dir, buf, off, len) {
      if (!info.usesStream || engine === null) return;
      syncStamp(slot);
      const e = engine, d = 2 * slot + dir, fid = e.flows.flowId[slot];
      // tcp-stream.ts advances `next` after its sink returns: here it is the first byte's sequence
      const seq = e.streams.next[d];
      let broken = false;
      if (tailFlow[d] !== fid || tailNext[d] !== seq) {
        // another flow in the slot, or bytes skipped (gap): the tail is not contiguous any more
        if (tailFlow[d] === fid) counters.stream_tail_resets++;
        tailLen[d] = 0; tailFlow[d] = fid; broken = true;
      }
      tailNext[d] = (seq + len) >>> 0;
      if (streamLen < 0) streamLen = 0;
      let k = nSec - 1;
      if (k < 0 || secD[k] !== d || secFlow[k] !== fid || secEnd[k] !== streamLen || broken) {
        // a new window: this direction's tail, then the bytes
        if (nSec >= MAX_STREAM_SECTIONS) { counters.stream_sections_dropped++; tailFlow[d] = -1; return; }
        if (streamBuf.length === 0) streamBuf = new Uint8Array(MAX_STREAM_SCAN + MAX_STREAM_SECTIONS * STREAM_INSPECT_OVERLAP);
        k = nSec++;
        const tl = tailLen[d], p = streamLen;
        if (tl > 0) streamBuf.set(tails[d]!.subarray(0, tl), p);
        secStart[k] = p; secNew[k] = p + tl; secEnd[k] = p + tl; secD[k] = d; secFlow[k] = fid; secTrunc[k] = 0;
        streamLen = p + tl;
      }
      let n = len;
      if (streamNew + n > MAX_STREAM_SCAN) { n = MAX_STREAM_SCAN - streamNew; counters.stream_truncated++; secTrunc[k] = 1; }
      if (n <= 0) return;
      streamBuf.set(buf.subarray(off, off + n), streamLen);
      streamLen += n; streamNew += n; secEnd[k] = streamLen;
    },
  };

  /** End of a packet's stream work: each window's last bytes become its direction's tail. */
  const commitTails = () => {
    for (let k = 0; k < nSec; k++) {
      const d = secD[k];
      if (tailFlow[d] !== secFlow[k]) continue; // the slot went to another flow meanwhile
      if (secTrunc[k] !== 0) { tailLen[d] = 0; tailFlow[d] = -1; continue; } // bytes not inspected: no continuity
      const n = Math.min(STREAM_INSPECT_OVERLAP, secEnd[k] - secStart[k]);
      let tb = tails[d];
      if (tb === null) { tb = new Uint8Array(STREAM_INSPECT_OVERLAP); tails[d] = tb; }
      // the one copy of the design (bounded by STREAM_INSPECT_OVERLAP); copyWithin-free because
      // the source is the packet's window, not the tail itself
      tb.set(streamBuf.subarray(secEnd[k] - n, secEnd[k]));
      tailLen[d] = n;
    }
    nSec = 0;
  };

  const copyDns = (c: DnsCopy, msg: DnsMessage, dir: number) => {
    c.id = msg.id; c.qr = msg.qr; c.rcode = msg.rcode; c.dir = dir; c.opcode = msg.opcode;
    c.qtype = msg.nq > 0 ? msg.qType[0] : -1;
    c.nev = Math.min(msg.nev, c.events.length);
    for (let i = 0; i < c.nev; i++) c.events[i] = msg.events[i];
    if (msg.nq > 0) {
      const o = msg.qNameOff[0], l = Math.min(msg.qNameLen[0], c.query.length);
      for (let i = 0; i < l; i++) c.query[i] = ENC_LOWER[msg.names[o + i]];
      c.queryLen = l;
    } else c.queryLen = -1;
    c.answersLen = -1; c.answerList = null;
    if (msg.qr === 1 && info.usesDnsAnswers) {
      // text form, one line per answer record: "name type data" (allocates: only rulesets that read dns.answers)
      let w = 0;
      const list: { rrname: string; rrtype: string; ttl: number; rdata: string }[] = [];
      for (let i = 0; i < msg.nrr; i++) {
        if (msg.rrSection[i] !== DNS_SEC_ANSWER) continue;
        const rec = { rrname: msg.rrname(i), rrtype: suricataRrtype(msg.rrType[i]), ttl: msg.rrTtl[i], rdata: msg.rdataStr(i) };
        list.push(rec);
        const line = `${rec.rrname} ${rec.rrtype} ${rec.rdata}\n`;
        for (let k = 0; k < line.length && w < c.answers.length; k++) c.answers[w++] = line.charCodeAt(k) & 0xff;
      }
      c.answersLen = w; c.answerList = list;
    }
  };

  // ---------------------------------------------------------------- passes
  const setupFields = (pkt: PacketView, slot: number, dir: number) => {
    fields.pkt = pkt; fields.eng = engine; fields.slot = slot; fields.dir = dir;
    fields.nowMs = pkt.tsSec * 1000 + Math.floor(pkt.tsNsec / 1e6);
    fields.stream = streamBuf;
    if (nSec > 0) { fields.streamOff = secNew[nSec - 1]; fields.streamLen = secEnd[nSec - 1] - secNew[nSec - 1]; }
    else { fields.streamOff = 0; fields.streamLen = -1; }
  };

  const scanPacketBuffers = (pkt: PacketView) => {
    m.begin();
    if (pkt.payloadLen > 0) m.scanBuffer(PAYLOAD_FIELD, pkt.buf, pkt.payloadOff, pkt.payloadLen);
    else if (pkt.ipVer !== 0) m.scanBuffer(PAYLOAD_FIELD, pkt.buf, pkt.payloadOff, 0);
    // each window: tail + new bytes; matches that end within the tail were reported before
    if (info.usesStream) for (let k = 0; k < nSec; k++) {
      if (secEnd[k] > secNew[k]) m.scanBuffer(STREAM, streamBuf, secStart[k], secEnd[k] - secStart[k], secNew[k] - secStart[k]);
    }
  };

  /** Merge one pass's matches of class `app` into the packet result; returns nothing. */
  const collect = (pkt: PacketView, slot: number, dir: number, app: boolean, tx: HttpTx | null, dns: DnsCopy | null) => {
    const r = m.result;
    if (r.count === 0) return;
    const rs = info.rs;
    const fired: Uint8Array | null = tx !== null ? txState(tx).fired : null;
    for (let k = 0; k < r.count; k++) {
      const ri = r.matchedRules[k];
      if ((info.appRule[ri] === 1) !== app) continue;
      if (fired !== null) { if (fired[ri]) continue; fired[ri] = 1; }
      hits[ri]++;
      const rule = rs.rules[ri];
      if (rule.decision > pktDecision) { pktDecision = rule.decision; pktDecidingRule = ri; }
      if (rule.mark >= 0 && rule.decision > pktMarkDecision) { pktMark = rule.mark; pktMarkDecision = rule.decision; }
      const rep = info.replaces[ri];
      if (rep !== null) for (const a of rep) if (replaceMatches(m, pkt, a.string, a.bytes)) { pktFlags |= V_F_PAYLOAD; counters.replaced++; }
      const blk = info.blocks[ri];
      // a `block` rule is always reported (analyzeRuleset: every verb but accept/mark reports), so
      // its alert reaches the main thread's OpsDispatcher, which makes the ban shared
      if (blk !== null && applies) { ops.ban(blk.target, blk.seconds, pkt, fields.nowMs); counters.bans++; }
      if (info.reports[ri]) pending.push({ rule: ri, ev: alertEvent(pkt, slot, dir, ri, tx, dns) });
    }
  };

  /** flow_id, src/dest ip and port (in the packet's direction), proto of an alert or drop event. */
  const endpoints = (ev: EngineEvent, pkt: PacketView, slot: number, dir: number): void => {
    if (slot >= 0) {
      const f = engine!.flows;
      ev.flow_id = f.flowId[slot];
      const srcSide = dir === 0 ? f.clientSide[slot] : f.clientSide[slot] ^ 1;
      ev.src_ip = f.addrText(slot, srcSide); ev.src_port = f.portOf(slot, srcSide);
      ev.dest_ip = f.addrText(slot, srcSide ^ 1); ev.dest_port = f.portOf(slot, srcSide ^ 1);
      ev.proto = f.protoOf(slot);
    } else {
      ev.flow_id = 0;
      ev.src_ip = pkt.addrLen ? ipText(pkt.buf, pkt.srcOff, pkt.addrLen, true) : ''; ev.src_port = pkt.sport;
      ev.dest_ip = pkt.addrLen ? ipText(pkt.buf, pkt.dstOff, pkt.addrLen, true) : ''; ev.dest_port = pkt.dport;
      ev.proto = pkt.ipProto;
    }
  };

  const alertEvent = (pkt: PacketView, slot: number, dir: number, ri: number, tx: HttpTx | null, dns: DnsCopy | null): EngineEvent => {
    const e = engine!, rule = info.rs.rules[ri];
    const ev: EngineEvent = { event_type: 'alert', tsNs: BigInt(e.curTsUs) * 1000n };
    const f = e.flows;
    endpoints(ev, pkt, slot, dir);
    if (slot >= 0) { const vl = f.vlansOf(slot); if (vl.length) ev.vlan = vl; }
    // offline (replay) the descriptor id is the packet's ordinal in the file: Suricata's pcap_cnt
    if (mode !== 'ips') ev.pcap_cnt = e.curOrd;
    if (tx !== null) ev.tx_id = tx.index;
    const alert: Record<string, unknown> = {
      action: 'allowed', gid: 1, signature_id: rule.sid, rev: rule.rev, signature: rule.msg || rule.name,
    };
    const cat = info.category[ri]; if (cat !== null) alert.category = cat;
    alert.severity = info.severity[ri];
    alert.rule = rule.name;
    if (rule.tags.length) alert.metadata = { tags: rule.tags };
    ev.alert = alert;
    if (slot >= 0) { const a = APP_NAMES[f.app[slot]]; if (a) ev.app_proto = a; }
    if (slot >= 0) ev.direction = dir === 0 ? 'to_server' : 'to_client';
    if (tx !== null) ev.http = httpTxEve(tx);
    if (dns !== null) ev.dns = dnsEve(dns);
    return ev;
  };

  /** Run the app passes for the fresh HTTP transactions and DNS messages of this packet. */
  const appPasses = (pkt: PacketView, slot: number, dir: number) => {
    if (nFresh === 0 && nDns === 0) return;
    setupFields(pkt, slot, dir);
    fields.passIsApp = true;
    for (let i = 0; i < nFresh; i++) {
      const tx = freshTx[i]!;
      const w = freshWhat[i];
      freshTx[i] = null;
      fields.appKind = 1; fields.tx = tx;
      fields.txReq = tx.req.headersDone && (tx.flags & TXF_NO_REQUEST) === 0;
      // bodies: when the message is done or passed the body limit (whole kept body), and while it
      // arrives (HTTP_*_BODY_DATA: the part not inspected yet, see scanHttpBuffers)
      fields.txReqBody = fields.txReq && (tx.req.done || (tx.flags & TXF_REQ_BODY_TRUNC) !== 0 || (w & (1 << HTTP_REQUEST_BODY_DATA)) !== 0);
      // a response whose status line has no valid code ("2xx", "HTTP/1.1", "200\0", a body after a
      // 100 or 204, not "HTTP/" at all) is still a response browsers render: exposed (no http.status)
      fields.txRes = tx.res.headersDone;
      fields.txResBody = fields.txRes && (tx.res.done || (tx.flags & TXF_RES_BODY_TRUNC) !== 0 || (w & (1 << HTTP_RESPONSE_BODY_DATA)) !== 0);
      fields.txResFirst = (w & ((1 << HTTP_RESPONSE_HEADERS) | (1 << HTTP_RESPONSE_DONE))) !== 0;
      if (!fields.txReq && !fields.txRes) continue;
      void HTTP_REQUEST_HEADERS; void HTTP_REQUEST_DONE;
      counters.passes_http++;
      fields.txs = txState(tx);
      if (info.appNeedsPayload && !pseudo) scanPacketBuffers(pkt); else m.begin();
      scanHttpBuffers(tx);
      m.evaluate(fields, appPass, pkt.ipProto);
      collect(pkt, slot, dir, true, tx, null);
    }
    nFresh = 0;
    for (let i = 0; i < nDns; i++) {
      const d = dnsCopies[i];
      fields.appKind = 2; fields.tx = null; fields.dns = d;
      counters.passes_dns++;
      if (info.appNeedsPayload) scanPacketBuffers(pkt); else m.begin();
      if (d.queryLen >= 0) m.scanBuffer(D_QUERY, d.query, 0, d.queryLen);
      if (d.answersLen >= 0) m.scanBuffer(D_ANSWERS, d.answers, 0, d.answersLen);
      m.evaluate(fields, appPass, pkt.ipProto);
      collect(pkt, slot, dir, true, null, d);
    }
    nDns = 0;
    fields.appKind = 0; fields.tx = null; fields.dns = null; fields.txs = null;
  };

  const scanHttpBuffers = (tx: HttpTx) => {
    const q = tx.req.buf, r = tx.res.buf;
    if (fields.txReq) {
      if (tx.methodLen >= 0) m.scanBuffer(H_METHOD, q, tx.methodOff, tx.methodLen);
      if (tx.uriNormLen >= 0) m.scanBuffer(H_URI, q, tx.uriNormOff, tx.uriNormLen);
      if (tx.uriLen >= 0) m.scanBuffer(H_URI_RAW, q, tx.uriOff, tx.uriLen);
      if (tx.hostLen >= 0) m.scanBuffer(H_HOST, q, tx.hostOff, tx.hostLen);
      if (tx.uaLen >= 0) m.scanBuffer(H_UA, q, tx.uaOff, tx.uaLen);
      if (fields.txReqBody) scanBody(H_REQ_BODY, tx, 0, (tx.flags & TXF_REQ_BODY_TRUNC) !== 0);
    }
    if (fields.txRes) {
      if (tx.statusLen >= 0) m.scanBuffer(H_STATUS, r, tx.statusOff, tx.statusLen);
      if (tx.serverLen >= 0) m.scanBuffer(H_SERVER, r, tx.serverOff, tx.serverLen);
      if (tx.ctypeLen >= 0) m.scanBuffer(H_CTYPE, r, tx.ctypeOff, tx.ctypeLen);
      if (fields.txResBody) scanBody(H_RES_BODY, tx, 1, (tx.flags & TXF_RES_BODY_TRUNC) !== 0);
    }
  };

  /**
   * A body field. Done or past the limit: the whole kept body (as before; offsets and lengths
   * exact, the one full scan of a message). Still arriving: only [seen - BODY_INSPECT_OVERLAP,
   * bodyLen), matches ending before `seen` dropped, offsets counted from that window start (as
   * for `stream`); rules fire once per transaction either way. Work: each byte scanned at most
   * twice plus the overlaps (bounded by the body limit).
   */
  const scanBody = (field: number, tx: HttpTx, dir: number, trunc: boolean) => {
    const msg = dir === 0 ? tx.req : tx.res;
    const st = fields.txs!;
    const len = msg.bodyLen;
    if (msg.done || trunc) { st.bodySeen[dir] = len; m.scanBuffer(field, msg.body, 0, len); return; }
    const seen = st.bodySeen[dir];
    if (len <= seen) return;
    const from = seen > BODY_INSPECT_OVERLAP ? seen - BODY_INSPECT_OVERLAP : 0;
    st.bodySeen[dir] = len;
    counters.body_partial_scans++;
    m.scanBuffer(field, msg.body, from, len - from, seen - from);
  };

  /** Finalize the packet: verdict word, mark, sticky flow verdict, alert/drop events. */
  const finish = (pkt: PacketView, slot: number, dir: number): number => {
    const e = engine!;
    let v = V_ACCEPT | pktFlags;
    const dr = pktDecidingRule;
    // A drop decided on reassembled TCP data (http.*, DNS over TCP, stream) drops the flow: those
    // bytes were already consumed by the reassembler, so the sender's retransmission would carry
    // nothing new to inspect and pass (Suricata's IPS mode drops the flow too).
    const flowT = dr >= 0 && (info.flowTarget[dr] === 1 ||
      (pktDecision === Decision.DROP && info.onStream[dr] === 1 && slot >= 0 && pkt.ipProto === PROTO_TCP));
    switch (pktDecision) {
      case Decision.DROP: v = V_DROP | (flowT ? V_F_FLOW : 0); break;
      case Decision.REJECT: v = V_REJECT; break;
      case Decision.ACCEPT: v = V_ACCEPT | (flowT ? V_F_FLOW : 0) | pktFlags; break;
      default: break;
    }
    const dropped = pktDecision === Decision.DROP || pktDecision === Decision.REJECT;
    if (pktDecision === Decision.DROP) counters.drops++;
    if (pktDecision === Decision.REJECT) counters.rejects++;
    for (const pa of pending) {
      const rule = info.rs.rules[pa.rule];
      const a = pa.ev.alert as Record<string, unknown>;
      if (applies && (rule.decision === Decision.DROP || rule.decision === Decision.REJECT) && dropped) a.action = 'blocked';
      if (pa.rule === dr && pktDecision > Decision.NONE) pa.ev.verdict = { action: DECISION_NAMES[pktDecision] };
      counters.alerts++;
      if (slot >= 0) e.flows.flags[slot] |= FF_ALERTED;
      e.emit(pa.ev);
    }
    if (pending.length !== 0) pending.length = 0;
    if (!applies) return V_ACCEPT;
    if (pktMark >= 0) {
      e.verdictMark = pktMark >>> 0; counters.marks++;
      if (pktMark === 0 && (v & V_KIND_MASK) === V_ACCEPT) v |= V_F_MARK; // `mark 0` clears the skb mark
    }
    if (flowT && slot >= 0 && (pktDecision === Decision.DROP || pktDecision === Decision.ACCEPT)) {
      if (pktDecision === Decision.DROP) counters.flow_drops++;
      if (mode === 'simulate') simSticky[slot] = pktDecision === Decision.DROP ? 2 : 1;
      else e.setFlowVerdict(slot, pktDecision === Decision.DROP ? V_DROP : V_ACCEPT);
    }
    if (mode === 'simulate' && dropped) e.emit(dropEvent(pkt, slot, dir, 'rules'));
    return v;
  };

  const dropEvent = (pkt: PacketView, slot: number, dir: number, reason: string): EngineEvent => {
    const e = engine!, f = e.flows;
    const ev: EngineEvent = { event_type: 'drop', tsNs: BigInt(e.curTsUs) * 1000n };
    endpoints(ev, pkt, slot, dir);
    if (slot >= 0) { const a = APP_NAMES[f.app[slot]]; if (a) ev.app_proto = a; }
    if (mode !== 'ips') ev.pcap_cnt = e.curOrd;
    const d: Record<string, unknown> = { len: pkt.ipTotalLen, tos: pkt.tos, ttl: pkt.ttl, ipid: pkt.ipId };
    if (pkt.ipProto === PROTO_TCP && pkt.hasTcp) {
      const fl = pkt.tcpFlags;
      d.tcpseq = pkt.seq; d.tcpack = pkt.ack; d.tcpwin = pkt.win;
      d.syn = (fl & 2) !== 0; d.ack = (fl & 16) !== 0; d.psh = (fl & 8) !== 0; d.rst = (fl & 4) !== 0;
      d.urg = (fl & 32) !== 0; d.fin = (fl & 1) !== 0; d.tcpres = 0; d.tcpurgp = pkt.urgPtr;
    } else if (pkt.ipProto === PROTO_UDP && pkt.l4Off > 0) d.udplen = pkt.udpLen;
    d.reason = reason;
    ev.drop = d;
    return ev;
  };

  const det = ((pkt: PacketView, slot: number, dir: number, eng: QuellEngine): number => {
    if (engine !== eng) attach(eng);
    const e = engine!;
    if (e.ruleset !== info.rs && e.ruleset !== null && e.ruleset !== undefined) load(e.ruleset as CompiledRuleset);
    if (pkt.ipVer === 0) return V_ACCEPT;
    counters.packets++;
    if (slot >= 0) syncSlot(slot);
    syncStamp(slot);
    if (mode === 'simulate' && slot >= 0 && simSticky[slot] !== 0) {
      if (simSticky[slot] === 2) { counters.drops++; e.emit(dropEvent(pkt, slot, dir, 'flow drop')); return V_DROP; }
      return V_ACCEPT;
    }
    if (ownOps && applies && ops.local.size > 0) {
      // no outer ops.wrap(): apply the local ban table (`block src for T`) here
      const now = pkt.tsSec * 1000 + Math.floor(pkt.tsNsec / 1e6);
      if (ops.gatePacket(pkt, now) === GATE_BLOCK) {
        counters.drops++;
        if (mode === 'simulate') e.emit(dropEvent(pkt, slot, dir, 'ban'));
        return V_DROP;
      }
    }
    // app passes first (fresh HTTP tx / DNS messages), then the packet pass
    appPasses(pkt, slot, dir);
    if (info.anyPacketRule) {
      setupFields(pkt, slot, dir);
      fields.appKind = 0; fields.passIsApp = false;
      counters.passes_packet++;
      if (info.packetNeedsPayload) scanPacketBuffers(pkt); else m.begin();
      m.evaluate(fields, packetPass, pkt.ipVer === 0 ? -1 : pkt.ipProto);
      collect(pkt, slot, dir, false, null, null);
    }
    return finish(pkt, slot, dir);
  }) as Detector;

  const attach = (eng: QuellEngine) => {
    engine = eng;
    eng.appTap = tap;
    const n = eng.flows.maxFlows;
    if (slotFlowId.length !== n) {
      slotFlowId = new Float64Array(n).fill(-1);
      simSticky = new Uint8Array(n);
      fields.tagBits = new Uint32Array(n);
      fields.tagMore = new Array(n).fill(null);
      tails = new Array(2 * n).fill(null);
      tailLen = new Int32Array(2 * n); tailNext = new Uint32Array(2 * n); tailFlow = new Float64Array(2 * n).fill(-1);
    }
    if (eng.ruleset === null || eng.ruleset === undefined) eng.ruleset = info.rs;
    stamp = -1;
  };

  Object.defineProperty(det, 'mode', { value: mode });
  det.useOps = (o: WorkerOps) => {
    if (o === ops) return;
    ops = o; ownOps = false; fields.ops = o;
    o.setCounters(info.rs.counterWindowMs, info.rs.counterBy);
  };
  det.attach = attach;
  det.stats = () => {
    const rule_hits: Record<string, number> = {};
    info.rs.rules.forEach((r, i) => { if (!r.private) rule_hits[r.name] = hits[i]; });
    return { ...counters, rule_hits };
  };
  det.ruleHits = () => {
    const out: { sid: number; name: string; action: string; hits: number }[] = [];
    info.rs.rules.forEach((r, i) => { if (!r.private) out.push({ sid: r.sid, name: r.name, action: info.actionText[i], hits: hits[i] }); });
    return out;
  };
  return det;
}

/** EVE dns object of an alert (Suricata 7 alert dns: query or answer record). */
function dnsEve(d: DnsCopy): Record<string, unknown> {
  const rrname = d.queryLen >= 0 ? Buffer.from(d.query.subarray(0, d.queryLen)).toString('latin1') : undefined;
  if (d.qr === 0) return { query: [{ type: 'query', id: d.id, rrname, rrtype: d.qtype >= 0 ? suricataRrtype(d.qtype) : undefined, tx_id: 0, opcode: d.opcode }] };
  const o: Record<string, unknown> = { version: 2, type: 'answer', id: d.id, opcode: d.opcode, rrname, rrtype: d.qtype >= 0 ? suricataRrtype(d.qtype) : undefined, rcode: rcodeName(d.rcode) };
  if (d.answerList && d.answerList.length) o.answers = d.answerList;
  return { answer: o };
}

/** Per-rule hits of several workers' stats (rule_hits objects summed by mergeStats) as the EVE `rules` list. */
export function ruleHitsList(rs: CompiledRuleset, ruleHits: Record<string, number> | undefined): { sid: number; name: string; hits: number }[] {
  return rs.rules.filter((r) => !r.private).map((r) => ({ sid: r.sid, name: r.name, hits: ruleHits?.[r.name] ?? 0 }));
}

/**
 * Control API rule list (src/control/handler.ts RuleInfo): the main thread's compiled ruleset and
 * the rule_hits of its workers' engine.stats().detect (summed by name).
 */
export function ruleInfoList(rs: CompiledRuleset, workerHits: (Record<string, number> | undefined)[]): { sid: number | string; name: string; action: string; hits: number }[] {
  return rs.rules.filter((r) => !r.private).map((r) => {
    let hits = 0;
    for (const h of workerHits) hits += h?.[r.name] ?? 0;
    return { sid: r.sid || r.name, name: r.name, action: r.actions.map((a) => a.verb + (a.target ? ' ' + a.target : '')).join('; ') || 'alert', hits };
  });
}

// ---------------------------------------------------------------- compile entry points
/** Compile rules text; diagnostics in the form engine-host.ts and the CLI print. */
export function compileRules(text: string, file: string): { ruleset: CompiledRuleset | null; diagnostics: RulesDiagnostic[]; errors: number } {
  const res = compileSource(text, file);
  const diagnostics: RulesDiagnostic[] = res.diags.sorted().map((d) => ({
    severity: d.severity, code: d.code, message: d.message, line: d.line, col: d.col, text: res.diags.format(d),
  }));
  const errors = res.diags.errorCount;
  return { ruleset: errors > 0 ? null : res.ruleset, diagnostics, errors };
}

/**
 * engine-host.ts entry (`quell run`): the compiled ruleset and its diagnostics. The detectors
 * (mode 'ips': verdicts applied, sticky flow verdicts through engine.setFlowVerdict) are made by
 * hostEngine, one per engine, so validating a ruleset (the main thread before a reload) builds none.
 */
export function compileForEngine(text: string, file: string): CompiledRules {
  const c = compileRules(text, file);
  return { ruleset: c.ruleset, diagnostics: c.diagnostics, ruleCount: c.ruleset ? c.ruleset.rules.length : 0 };
}
