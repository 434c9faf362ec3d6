/**
 * Glue between the operations layer and the engine / inline runner.
 *
 * Worker side (the thread that runs engine.processBatch):
 *   const ops = new WorkerOps(setsSnapshot, { mode: 'src' });
 *   engine.detect = ops.wrap(detectFromRules);          // gate before signatures, allowlist after
 *   fields.rate = (c, by, w) => ops.rate(c, by, w, pkt, flowId, nowMs);   // count(by=..., window=...)
 *   on a `block src for 10m` match: ops.ban('src', 600, pkt, nowMs)    // local at once; main makes it shared
 *
 * Main-thread side (the runner, which receives the workers' events once per tick):
 *   const d = new OpsDispatcher(registry, actionRunner, { banSet: 'bans' });
 *   d.setRules(ruleset.rules);                            // names/sids -> actions (block, exec, webhook)
 *   d.onEvents(events);                                   // alerts -> shared bans + exec/webhook submits
 *
 * Why the split: ban tables are single-writer shared memory (see bans.ts). A worker that matches a
 * block rule bans locally (its very next packet from that source is dropped) and the main thread,
 * seeing the alert a tick later, writes the shared table every worker reads.
 */
import { PacketView } from '../../decoders/packet';
import { V_ACCEPT, V_DROP, V_REJECT, V_KIND_MASK } from '../io/batch';
import { SetGate, SetsSnapshot, SetRegistry, GATE_ALLOW, GATE_BLOCK, GATE_NONE } from './sets';
import { BanTable } from './bans';
import { RateCounter, ScanDetector, SynFloodDetector, BY_SRC, BY_DST, RATE_MAX_KEYS, SCAN_MAX_SOURCES } from './rate';
import { BY_SCAN_PORTS, BY_SYN_PENDING, BY_TIME_HOUR, BY_TIME_WEEKDAY, BY_TIME_MINUTE } from '../../signatures/keywords/ops';
import { ActionRunner, ActionSpec as RunAction } from './actions';
import { TimeOfDay, defaultTimeZone } from './time';
import { parsePrefix } from './addr';
import { HostTags, HOST_TAGS_MAX } from './host-tags';

/** Which address the gate checks. 'src': inbound queues; 'dst': outbound queues; 'pair': either end. */
export type GateMode = 'src' | 'dst' | 'pair';

/** Worker-local bans (before the main thread has made them shared). */
export const LOCAL_BANS_MAX = 65536;
/** Rate/scan/SYN-flood call sites whose tables setCounters() allocates at ruleset load. */
export const PREALLOC_COUNTERS = 8;

export interface WorkerOpsOptions {
  mode?: GateMode;
  timeZone?: string;
  rateMaxKeys?: number;
  /** sources (destinations) per scan.ports (synflood.pending) call site; default SCAN_MAX_SOURCES */
  scanMaxSources?: number;
  /** host x tag entries of `host(src).tag(...)` (host-tags.ts); default HOST_TAGS_MAX */
  hostTagsMax?: number;
}

/** Engine shape the hook needs (QuellEngine satisfies it). */
export interface EngineForOps {
  flowVerdict: Uint8Array;
}
export type Detect = (pkt: PacketView, slot: number, dir: number, engine: any) => number; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface WorkerOpsCounters { gated: number; blocked: number; allowed: number; allowOverrides: number; localBans: number; localBlocked: number }

export class WorkerOps {
  gate: SetGate;
  readonly local: BanTable;
  readonly mode: GateMode;
  readonly time: TimeOfDay;
  private rates: (RateCounter | undefined)[] = new Array<RateCounter | undefined>(0).fill(undefined);
  private readonly rateMaxKeys: number;
  private readonly scanMaxSources: number;
  /** `host(src|dst).tag/has` state of this worker (host-tags.ts): per worker, like the rate counters */
  readonly hostTags: HostTags;
  readonly counters: WorkerOpsCounters = { gated: 0, blocked: 0, allowed: 0, allowOverrides: 0, localBans: 0, localBlocked: 0 };

  constructor(snap: SetsSnapshot | null, o: WorkerOpsOptions = {}) {
    this.gate = snap ? SetGate.fromSnapshot(snap) : new SetGate();
    this.local = new BanTable({ initialCap: 1024, maxEntries: LOCAL_BANS_MAX });
    this.mode = o.mode ?? 'src';
    this.time = new TimeOfDay(o.timeZone ?? defaultTimeZone());
    this.rateMaxKeys = o.rateMaxKeys ?? RATE_MAX_KEYS;
    this.scanMaxSources = o.scanMaxSources ?? SCAN_MAX_SOURCES;
    this.hostTags = new HostTags(o.hostTagsMax ?? HOST_TAGS_MAX);
  }

  /** `host(src|dst).tag(tag, expire = expireMs)` (side 0 src, 1 dst) at packet time `now` (ms). */
  hostTag(tag: string, side: number, expireMs: number, pkt: PacketView, now: number): void { this.hostTags.tagPacket(tag, side, expireMs, pkt, now); }
  /** `host(src|dst).has(tag)`: set and not expired at packet time `now` (ms). No allocation. */
  hostHas(tag: string, side: number, pkt: PacketView, now: number): boolean { return this.hostTags.hasPacket(tag, side, pkt, now); }

  /** New sets snapshot from the main thread (file reload). Call between batches. */
  setSnapshot(snap: SetsSnapshot): void {
    const g = SetGate.fromSnapshot(snap);
    g.blocked = this.gate.blocked; g.allowed = this.gate.allowed; // counters stay cumulative
    this.gate = g;
  }

  /**
   * The ruleset's rate counters (CompiledRuleset.counterBy / counterWindowMs). Call on ruleset swap.
   * With `by`, the tables of the first PREALLOC_COUNTERS call sites are allocated now, at load,
   * instead of inside the first packet that reaches them (a ScanDetector zeroes ~9 MB: a few ms in
   * one packet's verdict). The rest, and every site without `by`, are created on first use, so a
   * ruleset of thousands of count() rules does not reserve ~2 MB per rule up front.
   */
  setCounters(windowMs: ArrayLike<number>, by?: ArrayLike<number>): void {
    const n = windowMs.length;
    // packed arrays (fill), the same elements kind whichever engine built them: a holey array in
    // one engine and a packed one in another made rate() polymorphic ("wrong map" deopts)
    this.rates = new Array<RateCounter | undefined>(n).fill(undefined);
    this.scanAt = new Array<ScanDetector | undefined>(n).fill(undefined);
    this.floodAt = new Array<SynFloodDetector | undefined>(n).fill(undefined);
    if (!by) return;
    for (let c = 0; c < n && c < PREALLOC_COUNTERS; c++) {
      const b = by[c], w = windowMs[c];
      if (!(w > 0)) continue;
      if (b === BY_SCAN_PORTS) this.scanAt[c] = new ScanDetector(w, this.scanMaxSources);
      else if (b === BY_SYN_PENDING) this.floodAt[c] = new SynFloodDetector(w, this.scanMaxSources);
      else if (b >= 0 && b <= 2) this.rates[c] = new RateCounter(w, this.rateMaxKeys);
    }
  }

  /** Packet time in ms (the clock bans and windows use). */
  static nowMs(pkt: PacketView): number { return pkt.tsSec * 1000 + Math.floor(pkt.tsNsec / 1e6); }

  /** GATE_* for a decoded packet. No allocation. */
  gatePacket(pkt: PacketView, now: number): number {
    this.counters.gated++;
    let g = GATE_NONE;
    if (pkt.ipVer === 4) {
      g = this.mode === 'pair' ? this.gate.gatePair4(pkt.src4, pkt.dst4, now) : this.gate.gate4(this.mode === 'dst' ? pkt.dst4 : pkt.src4, now);
      if (g === GATE_NONE && this.local.size > 0) {
        const hit = this.mode === 'pair' ? this.local.has4(pkt.src4, now) || this.local.has4(pkt.dst4, now) : this.local.has4(this.mode === 'dst' ? pkt.dst4 : pkt.src4, now);
        if (hit) { this.counters.localBlocked++; g = GATE_BLOCK; }
      }
    } else if (pkt.ipVer === 6) {
      const a = this.mode === 'dst' ? pkt.dstOff : pkt.srcOff;
      g = this.mode === 'pair' ? this.gate.gatePair6(pkt.buf, pkt.srcOff, pkt.dstOff, now) : this.gate.gate6(pkt.buf, a, now);
      if (g === GATE_NONE && this.local.size > 0) {
        const hit = this.mode === 'pair' ? this.local.has6(pkt.buf, pkt.srcOff, now) || this.local.has6(pkt.buf, pkt.dstOff, now) : this.local.has6(pkt.buf, a, now);
        if (hit) { this.counters.localBlocked++; g = GATE_BLOCK; }
      }
    }
    if (g === GATE_BLOCK) this.counters.blocked++;
    else if (g === GATE_ALLOW) this.counters.allowed++;
    return g;
  }

  /**
   * Wrap the rules' detect hook: blocked -> V_DROP before any signature (no sticky flow verdict,
   * so an expired ban frees the flow); allowlisted -> signatures still run (alerts are logged)
   * but a drop/reject becomes accept and a sticky drop of the flow is cleared.
   */
  wrap(inner: Detect | null): Detect {
    const w: Detect = (pkt, slot, dir, engine) => {
      if (pkt.ipVer === 0) return inner ? inner(pkt, slot, dir, engine) : V_ACCEPT;
      const now = WorkerOps.nowMs(pkt);
      const g = this.gatePacket(pkt, now);
      if (g === GATE_BLOCK) return V_DROP;
      const v = inner ? inner(pkt, slot, dir, engine) : V_ACCEPT;
      if (g === GATE_ALLOW) {
        const k = v & V_KIND_MASK;
        if (k === V_DROP || k === V_REJECT) {
          this.counters.allowOverrides++;
          const fv = (engine as EngineForOps).flowVerdict;
          if (slot >= 0 && fv && fv[slot] !== 0) fv[slot] = 0;
          return V_ACCEPT;
        }
      }
      return v;
    };
    // detection glue (src/engine/detect.ts): share this runtime (count() rates, `block` bans) and
    // keep its attach()/stats() reachable through the wrapper (the engine looks for them)
    const d = inner as unknown as { attach?: unknown; stats?: unknown; useOps?: (o: WorkerOps) => void } | null;
    if (d) {
      if (typeof d.useOps === 'function') d.useOps(this);
      Object.assign(w, { attach: d.attach, stats: d.stats });
    }
    return w;
  }

  /**
   * `count(by = src|dst|flow, window = W) > N`: count this packet for counter `counter` and return
   * the sliding-window estimate. by: 0 src, 1 dst, 2 flow (signatures/runtime.ts FieldSource.rate).
   */
  rate(counter: number, by: number, windowMs: number, pkt: PacketView, flowKey: number, now: number): number {
    if (by >= BY_SCAN_PORTS) {
      // operations keywords (signatures/keywords/ops.ts), one detector per call site
      switch (by) {
        case BY_TIME_HOUR: return this.time.hour(now);
        case BY_TIME_WEEKDAY: return this.time.weekday(now);
        case BY_TIME_MINUTE: return this.time.minute(now);
        case BY_SCAN_PORTS: {
          if (counter < 0 || counter > 4096) return NaN;
          if (pkt.ipProto !== 6 && pkt.ipProto !== 17 && pkt.ipProto !== 132) return NaN;
          let sd = this.scanAt[counter];
          if (!sd) sd = this.scanAt[counter] = new ScanDetector(windowMs, this.scanMaxSources);
          return this.scanPortsWith(sd, pkt, now);
        }
        case BY_SYN_PENDING: {
          if (counter < 0 || counter > 4096) return NaN;
          let fd = this.floodAt[counter];
          if (!fd) fd = this.floodAt[counter] = new SynFloodDetector(windowMs, this.scanMaxSources);
          return this.synPendingWith(fd, pkt, now);
        }
        default: return NaN;
      }
    }
    let rc = this.rates[counter];
    if (!rc) {
      // ruleset not announced through setCounters(): create on first use (bounded by the ruleset)
      if (counter < 0 || counter > 4096) return NaN;
      rc = this.rates[counter] = new RateCounter(windowMs, this.rateMaxKeys);
    }
    if (by === 2) return flowKey >= 0 ? rc.hitFlow(flowKey, 0, now) : NaN;
    if (pkt.ipVer === 4) return rc.hit4(by === 1 ? pkt.dst4 : pkt.src4, by === 1 ? BY_DST : BY_SRC, now);
    if (pkt.ipVer === 6) return rc.hit6(pkt.buf, by === 1 ? pkt.dstOff : pkt.srcOff, by === 1 ? BY_DST : BY_SRC, now);
    return NaN;
  }

  private scans = new Map<number, ScanDetector>();
  private floods = new Map<number, SynFloodDetector>();
  /** per counter id (call site) of `scan.ports(...)` / `synflood.pending(...)` */
  private scanAt: (ScanDetector | undefined)[] = new Array<ScanDetector | undefined>(0).fill(undefined);
  private floodAt: (SynFloodDetector | undefined)[] = new Array<SynFloodDetector | undefined>(0).fill(undefined);

  /**
   * Distinct destination ports from this packet's source in the window (a `scan.ports(window)`
   * keyword; one detector per window length, created on first use). NaN without L4 ports.
   */
  scanPorts(windowMs: number, pkt: PacketView, now: number): number {
    if (pkt.dport === 0 && pkt.sport === 0) return NaN;
    let d = this.scans.get(windowMs);
    if (!d) { d = new ScanDetector(windowMs); this.scans.set(windowMs, d); }
    return this.scanPortsWith(d, pkt, now);
  }

  private scanPortsWith(d: ScanDetector, pkt: PacketView, now: number): number {
    if (pkt.dport === 0 && pkt.sport === 0) return NaN;
    if (pkt.ipVer === 4) return d.observe4(pkt.src4, pkt.dport, now);
    if (pkt.ipVer === 6) return d.observe6(pkt.buf, pkt.srcOff, pkt.dport, now);
    return NaN;
  }

  /**
   * SYN-flood signal for the packet's destination: a SYN (no ACK) counts as an attempt and returns
   * the pending estimate; the client's ACK of a handshake counts as a completion (returns NaN).
   */
  synPending(windowMs: number, pkt: PacketView, now: number): number {
    if (pkt.ipProto !== 6 || pkt.ipVer !== 4) return NaN;
    let d = this.floods.get(windowMs);
    if (!d) { d = new SynFloodDetector(windowMs); this.floods.set(windowMs, d); }
    return this.synPendingWith(d, pkt, now);
  }

  private synPendingWith(d: SynFloodDetector, pkt: PacketView, now: number): number {
    if (pkt.ipProto !== 6 || pkt.ipVer !== 4) return NaN;
    const f = pkt.tcpFlags & 0x12; // SYN|ACK bits
    if (f === 0x02) return d.syn4(pkt.dst4, now);
    if (f === 0x10 && pkt.payloadLen === 0) d.established4(pkt.dst4, now);
    return NaN;
  }

  /** time.hour / time.weekday for the packet's time in the configured zone (cached per second). */
  hour(now: number): number { return this.time.hour(now); }
  weekday(now: number): number { return this.time.weekday(now); }
  minute(now: number): number { return this.time.minute(now); }

  /** `block src|dst for N s`: ban locally at once (never the allowlisted; the gate checks allow first). */
  ban(target: 'src' | 'dst', seconds: number, pkt: PacketView, now: number): void {
    if (pkt.ipVer === 0) return;
    const off = target === 'dst' ? pkt.dstOff : pkt.srcOff;
    const w = new Uint32Array(4);
    if (pkt.ipVer === 4) w[0] = target === 'dst' ? pkt.dst4 : pkt.src4;
    else for (let q = 0; q < 4; q++) w[q] = ((pkt.buf[off + 4 * q] << 24) | (pkt.buf[off + 4 * q + 1] << 16) | (pkt.buf[off + 4 * q + 2] << 8) | pkt.buf[off + 4 * q + 3]) >>> 0;
    if (this.local.add({ family: pkt.ipVer === 4 ? 4 : 6, words: w, len: pkt.ipVer === 4 ? 32 : 128 }, now + seconds * 1000)) this.counters.localBans++;
  }

  stats(): Record<string, unknown> {
    let evictions = 0;
    for (const r of this.rates) if (r) evictions += r.evictions;
    let scanEvictions = 0;
    for (const x of this.scanAt) if (x) scanEvictions += x.evictions;
    for (const x of this.floodAt) if (x) scanEvictions += x.evictions;
    // blocked/allowed from the gate itself (also counts direct gate4/gate6 callers), + local bans
    return { ...this.counters, blocked: this.gate.blocked + this.counters.localBlocked, allowed: this.gate.allowed, rateEvictions: evictions, scanEvictions, timeComputes: this.time.computes, localBanEntries: this.local.size, ...this.hostTags.stats() };
  }
}

/** A rule's actions as the ruleset gives them (signatures/ruleset.ts ActionSpec, the parts used here). */
export interface RuleActions { name: string; sid: number; actions: { verb: string; target?: string; value?: number; argv?: string[]; url?: string }[] }

export interface DispatcherOptions {
  /** Set that `block` actions add to (created by the runner as a shared block set). */
  banSet?: string;
  clock?: () => number;
}

export interface DispatcherCounters { alerts: number; bans: number; banFailed: number; actionsSubmitted: number; unknownRule: number }

/** Main thread: turn alert events into shared bans and exec/webhook runs. */
export class OpsDispatcher {
  private byName = new Map<string, RuleActions>();
  private bySid = new Map<number, RuleActions>();
  readonly banSet: string;
  private readonly clock: () => number;
  readonly counters: DispatcherCounters = { alerts: 0, bans: 0, banFailed: 0, actionsSubmitted: 0, unknownRule: 0 };

  constructor(readonly registry: SetRegistry, readonly runner: ActionRunner | null, o: DispatcherOptions = {}) {
    this.banSet = o.banSet ?? 'bans';
    this.clock = o.clock ?? Date.now;
  }

  /** Ban `ip` in the shared ban set for `seconds` from the event's packet time. */
  private applyBan(ip: unknown, seconds: number, ev: Record<string, unknown>): void {
    const set = this.registry.get(this.banSet);
    const p = typeof ip === 'string' ? parsePrefix(ip) : null;
    if (!set || !p || !(seconds > 0)) { this.counters.banFailed++; return; }
    const ts = typeof ev.tsNs === 'bigint' ? Number(ev.tsNs / 1_000_000n) : this.clock();
    const r = set.addEntry(p, ts, seconds * 1000);
    if (r.ok) this.counters.bans++; else this.counters.banFailed++;
  }

  /** Call with the compiled ruleset's rules whenever rules are (re)loaded. */
  setRules(rules: readonly RuleActions[]): void {
    this.byName.clear(); this.bySid.clear();
    for (const r of rules) {
      if (!r.actions.some((a) => a.verb === 'block' || a.verb === 'exec' || a.verb === 'webhook')) continue;
      this.byName.set(r.name, r);
      if (r.sid) this.bySid.set(r.sid, r);
    }
  }

  /** Events drained from the engine (any types; only alerts with block/exec/webhook rules act). */
  onEvents(events: readonly Record<string, unknown>[]): void {
    for (const ev of events) {
      // a worker's local ban, announced without an alert (rules with `block` but no `alert`):
      // {event_type:'ban', addr:'192.0.2.1', seconds: 600, rule?: 'name'}
      if (ev.event_type === 'ban') { this.applyBan(ev.addr, Number(ev.seconds ?? 600), ev); continue; }
      if (this.byName.size === 0) continue;
      if (ev.event_type !== 'alert' && ev.event_type !== 'drop') continue;
      const a = (ev.alert ?? {}) as Record<string, unknown>;
      const r = (typeof a.rule === 'string' ? this.byName.get(a.rule) : undefined)
        ?? (typeof (a.sid ?? a.signature_id) === 'number' ? this.bySid.get((a.sid ?? a.signature_id) as number) : undefined);
      if (!r) continue;
      this.counters.alerts++;
      const ruleKey = r.sid ? String(r.sid) : r.name;
      for (const act of r.actions) {
        if (act.verb === 'block') {
          this.applyBan(act.target === 'dst' ? ev.dest_ip : ev.src_ip, act.value ?? 600, ev);
        } else if ((act.verb === 'exec' || act.verb === 'webhook') && this.runner) {
          const spec: RunAction = act.verb === 'exec'
            ? { kind: 'exec', program: (act.argv ?? [])[0] ?? '', args: (act.argv ?? []).slice(1) }
            : { kind: 'webhook', url: act.url ?? '' };
          this.runner.submit(ruleKey, spec, ev);
          this.counters.actionsSubmitted++;
        }
      }
    }
  }
}
