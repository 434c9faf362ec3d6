/**
 * Packet-level rules for the engine's detection hook: compiles rules text with the signature
 * compiler (signatures/compiler.ts) and returns a detect hook (src/engine/pipeline.ts DetectHook)
 * backed by one Matcher per engine.
 *
 * What the hook provides to rules (FieldSource): the packet's payload, ip.src/ip.dst, ip.proto,
 * ip.ttl, tcp.sport/dport/flags, udp.sport/dport, icmp.type/code, decode events, flow tags.
 * Not provided here (undefined -> the condition is false): http.* and dns.* fields, stream,
 * flow.* numbers and count(): they need the engine's app-layer state; the engine owner's glue
 * replaces this adapter when it exists (engine-host.ts prefers it).
 *
 * Verdicts: decision DROP -> V_DROP, REJECT -> V_REJECT, ACCEPT -> V_ACCEPT; `drop flow` /
 * `accept flow` add V_F_FLOW (kept in the kernel by the connmark rules); `replace $s with "..."`
 * rewrites every match of $s in the payload in place and adds V_F_PAYLOAD; `mark N` sets the mark
 * word. Alerts: one EVE alert event per matching rule that has alert/drop/reject/replace.
 */
import { compileSource } from '../../signatures/compiler';
import { Matcher, FieldSource, ByteSlice } from '../../signatures/runtime';
import type { CompiledRuleset } from '../../signatures/ruleset';
import { FIELD_ID, PAYLOAD_FIELD } from '../../signatures/keywords/registry';
import { Decision } from '../../signatures/bytecode';
import { PacketView, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6 } from '../../decoders/packet';
import { V_ACCEPT, V_DROP, V_REJECT, V_F_FLOW, V_F_PAYLOAD } from '../io/batch';
import type { CompiledRules, RulesDiagnostic } from './engine-host';
import { replaceMatches } from '../engine/detect';

/** Flows whose tags are remembered at once; beyond, the table is cleared (counted). */
export const MAX_TAGGED_FLOWS = 65536;

const F = (n: string) => FIELD_ID.get(n) ?? -1;
const IP_SRC = F('ip.src'), IP_DST = F('ip.dst'), IP_PROTO = F('ip.proto'), IP_TTL = F('ip.ttl');
const TCP_SPORT = F('tcp.sport'), TCP_DPORT = F('tcp.dport'), TCP_FLAGS = F('tcp.flags');
const UDP_SPORT = F('udp.sport'), UDP_DPORT = F('udp.dport'), ICMP_TYPE = F('icmp.type'), ICMP_CODE = F('icmp.code');

interface EngineLike {
  emit(ev: { event_type: string; tsNs: bigint; [k: string]: unknown }): void;
  verdictMark: number;
  flows: { flowId: ArrayLike<number> };
  curTsUs: number;
}

/** FieldSource over the current PacketView (set before each evaluate). No allocation per packet. */
class PacketFields implements FieldSource {
  pkt: PacketView = new PacketView();
  flowKey = -1;
  readonly tags = new Map<number, Set<string>>();
  tagResets = 0;
  protoMask(): number {
    const p = this.pkt;
    if (p.ipVer === 0) return 0;
    let m = 1;
    if (p.ipProto === PROTO_TCP && p.hasTcp) m |= 2;
    else if (p.ipProto === PROTO_UDP && p.l4Off > 0) m |= 4;
    else if (p.ipProto === PROTO_ICMP || p.ipProto === PROTO_ICMPV6) m |= 8;
    return m;
  }
  num(field: number): number {
    const p = this.pkt;
    const tcp = p.ipProto === PROTO_TCP && p.hasTcp, udp = p.ipProto === PROTO_UDP && p.l4Off > 0;
    switch (field) {
      case IP_PROTO: return p.ipVer ? p.ipProto : NaN;
      case IP_TTL: return p.ipVer ? p.ttl : NaN;
      case TCP_SPORT: return tcp ? p.sport : NaN;
      case TCP_DPORT: return tcp ? p.dport : NaN;
      case TCP_FLAGS: return tcp ? p.tcpFlags : NaN;
      case UDP_SPORT: return udp ? p.sport : NaN;
      case UDP_DPORT: return udp ? p.dport : NaN;
      case ICMP_TYPE: return p.icmpType >= 0 ? p.icmpType : NaN;
      case ICMP_CODE: return p.icmpCode >= 0 ? p.icmpCode : NaN;
      default: return NaN;
    }
  }
  bytes(field: number, _key: string | null, out: ByteSlice): boolean {
    const p = this.pkt;
    if (field === PAYLOAD_FIELD) { out.buf = p.buf; out.off = p.payloadOff; out.len = p.payloadLen; return p.ipVer !== 0; }
    if ((field === IP_SRC || field === IP_DST) && p.addrLen > 0) { out.buf = p.buf; out.off = field === IP_SRC ? p.srcOff : p.dstOff; out.len = p.addrLen; return true; }
    return false;
  }
  event(id: number): boolean {
    const p = this.pkt;
    for (let i = 0; i < p.eventCount; i++) if (p.events[i] === id) return true;
    return false;
  }
  flowHas(tag: string): boolean { return this.flowKey >= 0 && (this.tags.get(this.flowKey)?.has(tag) ?? false); }
  flowTag(tag: string): void {
    if (this.flowKey < 0) return;
    let s = this.tags.get(this.flowKey);
    if (!s) {
      if (this.tags.size >= MAX_TAGGED_FLOWS) { this.tags.clear(); this.tagResets++; }
      s = new Set(); this.tags.set(this.flowKey, s);
    }
    s.add(tag);
  }
  rate(): number { return NaN; }
}

function ipText(buf: Uint8Array, off: number, len: number): string {
  if (len === 4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((buf[off + i] << 8) | buf[off + i + 1]).toString(16));
  return parts.join(':');
}

/** A detect hook for one engine (one Matcher: engines are single-threaded). */
export function makeDetect(rs: CompiledRuleset): (pkt: PacketView, slot: number, dir: number, engine: EngineLike) => number {
  const m = new Matcher(rs);
  const fields = new PacketFields();
  const replaceRules = rs.rules.map((r) => r.actions.filter((a) => a.verb === 'replace'));
  const flowTarget = rs.rules.map((r) => r.actions.some((a) => (a.verb === 'drop' || a.verb === 'accept') && a.target === 'flow'));
  const alerting = rs.rules.map((r) => r.actions.some((a) => a.verb === 'alert' || a.verb === 'drop' || a.verb === 'reject' || a.verb === 'replace'));
  return (pkt, slot, _dir, engine) => {
    if (pkt.ipVer === 0) return V_ACCEPT;
    fields.pkt = pkt;
    fields.flowKey = slot >= 0 ? engine.flows.flowId[slot] : -1;
    m.begin();
    if (pkt.payloadLen > 0) m.scanBuffer(PAYLOAD_FIELD, pkt.buf, pkt.payloadOff, pkt.payloadLen);
    const r = m.evaluate(fields);
    if (r.count === 0) return V_ACCEPT;
    let flags = 0;
    for (let k = 0; k < r.count; k++) {
      const ri = r.matchedRules[k];
      for (const a of replaceRules[ri]) {
        if (a.string === undefined || !a.bytes) continue;
        // shared with the detection glue (src/engine/detect.ts replaceMatches)
        if (replaceMatches(m, pkt, a.string, a.bytes)) flags |= V_F_PAYLOAD;
      }
      if (alerting[ri]) {
        const rule = rs.rules[ri];
        engine.emit({
          event_type: 'alert', tsNs: BigInt(engine.curTsUs) * 1000n,
          src_ip: ipText(pkt.buf, pkt.srcOff, pkt.addrLen), src_port: pkt.sport, dest_ip: ipText(pkt.buf, pkt.dstOff, pkt.addrLen), dest_port: pkt.dport,
          proto: pkt.ipProto,
          alert: { signature: rule.msg || rule.name, rule: rule.name, sid: rule.sid, rev: rule.rev, action: rule.actions.map((x) => x.verb).join(','), file: rule.file, line: rule.line },
        });
      }
    }
    if (r.mark >= 0) engine.verdictMark = r.mark >>> 0;
    const dr = r.decidingRule;
    switch (r.decision) {
      case Decision.DROP: return V_DROP | (dr >= 0 && flowTarget[dr] ? V_F_FLOW : 0);
      case Decision.REJECT: return V_REJECT;
      case Decision.ACCEPT: return V_ACCEPT | (dr >= 0 && flowTarget[dr] ? V_F_FLOW : 0) | flags;
      default: return V_ACCEPT | flags;
    }
  };
}

/** engine-host.ts compiler entry: text -> ruleset + detect hook + diagnostics. */
export function compileForEngine(text: string, file: string): CompiledRules {
  const res = compileSource(text, file);
  const diagnostics: RulesDiagnostic[] = res.diags.sorted().map((d) => ({
    severity: d.severity, code: d.code, message: d.message, line: d.line, col: d.col, text: res.diags.format(d),
  }));
  const ruleset = res.diags.errorCount > 0 ? null : res.ruleset;
  return { ruleset, detect: ruleset ? makeDetect(ruleset) : null, diagnostics, ruleCount: ruleset ? ruleset.rules.length : 0 };
}
