/**
 * Flow table: struct-of-arrays, open addressing, symmetric 5-tuple (+ VLAN ids) key.
 *
 * Layout: a flow lives in a *slot* (0..maxFlows-1). Every per-flow field is one typed array
 * indexed by slot (or slot*2+dir for per-direction fields, dir 0 = to_server, 1 = to_client).
 * A separate bucket array (power of two, >= 2x maxFlows, linear probing) maps hash -> slot+1.
 * Deletion uses backward-shift (no tombstones), so probe chains never rot.
 * Cost avoided: a JS object per flow/packet would put every packet through the GC; here a
 * lookup touches a handful of typed-array words and allocates nothing.
 *
 * Key: both endpoints as 4 u32 words each (IPv4 uses word 0 only and the family in the meta
 * word), ports, protocol, up to 2 VLAN ids. The key is stored in canonical order (the "lower"
 * endpoint first), so A->B and B->A packets find the same slot; `clientSide` says which of the
 * canonical sides is the client.
 *
 * Timeouts: one LRU list (ordered by last packet time) per timeout class. Because every flow of
 * a class has the same timeout, the head of each list is the next to expire: a sweep is O(expired).
 * Memcap: at most `maxFlows` flows; when a new flow needs a slot and none is free, the flow idle
 * the longest (oldest last-seen among the list heads) is evicted, ended with reason "memcap", and
 * counted in `evictions`. There is no separate emergency mode: eviction is always oldest-idle-first.
 *
 * Who owns what: the table owns all arrays. Slots are reused after a flow ends: callers must not
 * keep a slot number across a call that may end flows (lookup of a new flow, sweep()).
 */
import { ipv4U32Text, ipv6WordsText } from '../../decoders/addr';

export const DEFAULT_MAX_FLOWS = 131072;

/** Flow states (reported as strings by the outputs). */
export const FS_NEW = 0, FS_ESTABLISHED = 1, FS_CLOSING = 2, FS_CLOSED = 3;
export const FLOW_STATE_NAMES = ['new', 'established', 'closing', 'closed'] as const;

/** Timeout classes: each has its own LRU list and timeout. */
export const TC_TCP_NEW = 0, TC_TCP_EST = 1, TC_TCP_CLOSING = 2, TC_TCP_CLOSED = 3,
  TC_UDP_NEW = 4, TC_UDP_EST = 5, TC_ICMP = 6, TC_OTHER = 7;
export const TC_COUNT = 8;

/** Default timeouts in seconds, per class (Suricata's defaults where one exists). */
export const TIMEOUT_TCP_NEW_S = 60;
export const TIMEOUT_TCP_EST_S = 600;
export const TIMEOUT_TCP_CLOSING_S = 120;
export const TIMEOUT_TCP_CLOSED_S = 60;
export const TIMEOUT_UDP_NEW_S = 30;
export const TIMEOUT_UDP_EST_S = 300;
export const TIMEOUT_ICMP_S = 30;
export const TIMEOUT_OTHER_S = 30;

export interface FlowTimeouts {
  tcpNew: number; tcpEstablished: number; tcpClosing: number; tcpClosed: number;
  udpNew: number; udpEstablished: number; icmp: number; other: number;
}
export const DEFAULT_TIMEOUTS: FlowTimeouts = {
  tcpNew: TIMEOUT_TCP_NEW_S, tcpEstablished: TIMEOUT_TCP_EST_S, tcpClosing: TIMEOUT_TCP_CLOSING_S,
  tcpClosed: TIMEOUT_TCP_CLOSED_S, udpNew: TIMEOUT_UDP_NEW_S, udpEstablished: TIMEOUT_UDP_EST_S,
  icmp: TIMEOUT_ICMP_S, other: TIMEOUT_OTHER_S,
};

/** Flow flag bits (flags[slot]). */
export const FF_MIDSTREAM = 1;      // TCP flow picked up without its SYN
export const FF_TRUNCATED = 2;      // a direction hit the reassembly depth
export const FF_GAP = 4;            // a direction had missing data
export const FF_NO_STREAM = 8;      // midstream policy "ignore": counted but not reassembled
export const FF_APP_DONE = 16;      // detection finished (app set or given up)
export const FF_SAW_SYN = 32;
export const FF_ENDED_TCP_CLOSE = 64;
export const FF_ALERTED = 128;     // detection raised an alert in this flow (EVE flow.alerted; set by detect.ts)
export const FF_DROPPED = 256;     // the flow was dropped (sticky drop verdict, real or --simulate-ips): no more stream/app work

/** Why a flow ended (EVE flow.reason). */
export const END_TIMEOUT = 0, END_MEMCAP = 1, END_SHUTDOWN = 2, END_TCP_REUSE = 3;
/** EVE flow.reason. tcp_reuse: a new SYN arrived on a closed TCP flow (port reuse). */
export const END_REASON_NAMES = ['timeout', 'memcap', 'shutdown', 'tcp_reuse'] as const;

/** Direction policy for flows picked up midstream: the higher (ephemeral) port is the client. */
export const DIRECTION_POLICY_CLIENT_PORT = 'client-port-heuristic';

const KEY_WORDS = 8;

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51); k = (k << 15) | (k >>> 17); k = Math.imul(k, 0x1b873593);
  h ^= k; h = (h << 13) | (h >>> 19); return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16; return h >>> 0;
}

// Long one-off loops in functions of their own, with nothing after the loop: V8 optimises a long
// loop on-stack while it runs, and code after it (never run yet) would then deoptimise.
/** The free-slot stack of a new table: n-1 ... 0 (slot 0 on top). */
function descendingSlots(n: number): Int32Array {
  const free = new Int32Array(n);
  for (let i = 0; i < n; i++) free[i] = n - 1 - i;
  return free;
}
function usedSlots(used: Uint8Array): number[] {
  const slots: number[] = [];
  for (let s = 0; s < used.length; s++) if (used[s]) slots.push(s);
  return slots;
}

/** Called when a flow ends (before its slot is freed). */
export type FlowEndHook = (slot: number, reason: number) => void;

export class FlowTable {
  readonly maxFlows: number;
  private readonly mask: number;
  private readonly buckets: Int32Array;     // slot+1, 0 = empty
  // ---- key
  readonly key: Uint32Array;                // slot*8: side A addr (4 words), side B addr (4 words)
  readonly keyPorts: Uint32Array;           // portA<<16 | portB
  readonly keyMeta: Uint32Array;            // proto | ipVer<<8 | vlanCount<<12 | tunnelled<<16
  readonly keyVlan: Uint32Array;            // vlan0<<16 | vlan1
  readonly keyCtx: Uint32Array;             // tunnelled flows: ipPairHash of the outermost IP header (shard.ts); 0 otherwise
  readonly hash: Uint32Array;
  // ---- flow data
  readonly used: Uint8Array;
  readonly clientSide: Uint8Array;          // 0: canonical side A is the client, 1: side B
  readonly state: Uint8Array;
  readonly tclass: Uint8Array;
  readonly flags: Uint16Array;
  readonly app: Uint8Array;                 // APP_* from the pipeline (0 = not yet known)
  readonly startUs: Float64Array;           // µs since epoch (fits a double exactly)
  readonly lastUs: Float64Array;
  readonly flowId: Float64Array;
  readonly pkts: Float64Array;              // slot*2+dir
  readonly bytes: Float64Array;             // slot*2+dir, wire bytes of the whole packet
  /** Per-flow app-parser state: allocated only when a flow is classified (the one per-flow object). */
  readonly appState: (object | null)[];
  // ---- LRU per timeout class
  private readonly lruPrev: Int32Array;
  private readonly lruNext: Int32Array;
  private readonly lruHead: Int32Array;
  private readonly lruTail: Int32Array;
  readonly timeoutUs: Float64Array;
  // ---- free slots (stack)
  private readonly free: Int32Array;
  private freeTop: number;
  // ---- scratch for the packet being looked up (no allocation per packet)
  private readonly cur = new Uint32Array(KEY_WORDS);
  /** Int32 views of `key` and `cur` for sameKey: equal bits compare equal, and every load is an
   *  int32. Loads from the Uint32Arrays are above int32 for half of all addresses, and the first
   *  such compare after V8 optimised sameKey deoptimised it ("not int32", 4 times per run of
   *  `quell flows` on big.pcap, each a recompile of sameKey and what it was inlined into). */
  private readonly curI = new Int32Array(this.cur.buffer);
  private keyI: Int32Array;
  /** Set by lookup(): which canonical side sent the packet (0 = A). */
  lastSrcSide = 0;
  /** Set by lookup(): true when the flow was created by this packet. */
  lastCreated = false;
  /** Slot of the last lookup's flow (-1: none); see lookup. */
  private memo = -1;

  // ---- counters
  active = 0;
  created = 0;
  ended = 0;
  evictions = 0;      // flows ended because the memcap was reached (limit: maxFlows)
  timeouts = 0;
  reversed = 0;       // flows whose client and server were swapped after their first packet (reverse())
  tcpReuse = 0;       // flows ended because a SYN arrived on a closed TCP flow (lookup's reuseClosedTcp)

  onEnd: FlowEndHook = () => {};

  constructor(maxFlows = DEFAULT_MAX_FLOWS, timeouts: FlowTimeouts = DEFAULT_TIMEOUTS) {
    if (!(maxFlows >= 1)) throw new RangeError('maxFlows must be >= 1');
    this.maxFlows = maxFlows;
    let size = 16; while (size < maxFlows * 2) size <<= 1;
    this.mask = size - 1;
    this.buckets = new Int32Array(size);
    const n = maxFlows;
    this.key = new Uint32Array(n * KEY_WORDS); this.keyI = new Int32Array(this.key.buffer);
    this.keyPorts = new Uint32Array(n); this.keyMeta = new Uint32Array(n); this.keyVlan = new Uint32Array(n); this.keyCtx = new Uint32Array(n);
    this.hash = new Uint32Array(n);
    this.used = new Uint8Array(n); this.clientSide = new Uint8Array(n); this.state = new Uint8Array(n);
    this.tclass = new Uint8Array(n); this.flags = new Uint16Array(n); this.app = new Uint8Array(n);
    this.startUs = new Float64Array(n); this.lastUs = new Float64Array(n); this.flowId = new Float64Array(n);
    this.pkts = new Float64Array(n * 2); this.bytes = new Float64Array(n * 2);
    this.appState = new Array<object | null>(n).fill(null);
    this.lruPrev = new Int32Array(n).fill(-1); this.lruNext = new Int32Array(n).fill(-1);
    this.lruHead = new Int32Array(TC_COUNT).fill(-1); this.lruTail = new Int32Array(TC_COUNT).fill(-1);
    this.timeoutUs = new Float64Array(TC_COUNT);
    this.setTimeouts(timeouts);
    this.free = descendingSlots(n);
    this.freeTop = n;
  }

  setTimeouts(t: FlowTimeouts): void {
    const s = 1e6;
    this.timeoutUs[TC_TCP_NEW] = t.tcpNew * s; this.timeoutUs[TC_TCP_EST] = t.tcpEstablished * s;
    this.timeoutUs[TC_TCP_CLOSING] = t.tcpClosing * s; this.timeoutUs[TC_TCP_CLOSED] = t.tcpClosed * s;
    this.timeoutUs[TC_UDP_NEW] = t.udpNew * s; this.timeoutUs[TC_UDP_EST] = t.udpEstablished * s;
    this.timeoutUs[TC_ICMP] = t.icmp * s; this.timeoutUs[TC_OTHER] = t.other * s;
  }

  /** Slot s holds the canonical address words of the current lookup (this.cur). */
  private sameKey(s: number): boolean {
    const k = s * KEY_WORDS, key = this.keyI, c = this.curI;
    return key[k] === c[0] && key[k + 1] === c[1] && key[k + 2] === c[2] && key[k + 3] === c[3] &&
      key[k + 4] === c[4] && key[k + 5] === c[5] && key[k + 6] === c[6] && key[k + 7] === c[7];
  }

  /**
   * Find or create the flow of a packet. Addresses are read from `buf` at srcOff/dstOff
   * (addrLen 4 or 16); for IPv4 pass addrLen 4. Returns the slot; sets lastSrcSide/lastCreated.
   * A found flow whose timeout has passed at `tsUs` is ended first (reason timeout) and a new
   * one created, so the decision depends only on this flow's own packets (deterministic
   * whatever the worker count). With `reuseClosedTcp` (the packet is a TCP SYN without ACK), a
   * found flow in state FS_CLOSED is ended too (reason tcp_reuse, counter tcpReuse): TCP port
   * reuse, a new connection on a closed one starts a new flow.
   *
   * `tunnel` is ipPairHash (shard.ts) of the outermost IP header for a packet decoded inside a
   * tunnel, -1 for a packet that is not: the inner tuple seen through two different outer address
   * pairs is two flows. Unlike Suricata (inner tuple only): one tunnel's packets cannot reach
   * another tunnel's flow state (overlapping tenant address spaces, injection into another tunnel's
   * TCP stream), and every packet of a flow has the same shard in offline replay (the shard is the
   * same hash of the outermost pair), so the output does not depend on --workers.
   */
  lookup(buf: Uint8Array, srcOff: number, dstOff: number, addrLen: number, sport: number, dport: number,
    proto: number, vlans: Uint16Array, vlanCount: number, tsUs: number, tclass: number, reuseClosedTcp = false, tunnel = -1): number {
    const c = this.cur;
    // computed for every packet: a comparison first evaluated after optimisation (equal
    // addresses, rare) has no feedback and deoptimised lookup once per run
    const portsLe = sport <= dport;
    let srcFirst: boolean;
    if (addrLen === 4) {
      const s = ((buf[srcOff] << 24) | (buf[srcOff + 1] << 16) | (buf[srcOff + 2] << 8) | buf[srcOff + 3]) >>> 0;
      const d = ((buf[dstOff] << 24) | (buf[dstOff + 1] << 16) | (buf[dstOff + 2] << 8) | buf[dstOff + 3]) >>> 0;
      srcFirst = s < d || (s === d && portsLe);
      c[0] = srcFirst ? s : d; c[1] = 0; c[2] = 0; c[3] = 0;
      c[4] = srcFirst ? d : s; c[5] = 0; c[6] = 0; c[7] = 0;
    } else {
      let cmp = 0;
      for (let i = 0; i < 16 && cmp === 0; i++) cmp = buf[srcOff + i] - buf[dstOff + i];
      srcFirst = cmp < 0 || (cmp === 0 && portsLe);
      const a = srcFirst ? srcOff : dstOff, b = srcFirst ? dstOff : srcOff;
      for (let w = 0; w < 4; w++) {
        c[w] = ((buf[a + 4 * w] << 24) | (buf[a + 4 * w + 1] << 16) | (buf[a + 4 * w + 2] << 8) | buf[a + 4 * w + 3]) >>> 0;
        c[4 + w] = ((buf[b + 4 * w] << 24) | (buf[b + 4 * w + 1] << 16) | (buf[b + 4 * w + 2] << 8) | buf[b + 4 * w + 3]) >>> 0;
      }
    }
    const ports = srcFirst ? ((sport << 16) | dport) >>> 0 : ((dport << 16) | sport) >>> 0;
    const vc = vlanCount > 2 ? 2 : vlanCount;
    // bit 16: tunnelled (so a tunnel context of 0 is not the untunnelled key)
    const tun = tunnel >= 0 ? 1 : 0, tctx = tunnel >= 0 ? tunnel >>> 0 : 0;
    const meta = (proto | (addrLen === 4 ? 4 : 6) << 8 | vc << 12 | tun << 16) >>> 0;
    // the tunnel context joins the hash through the VLAN word: untunnelled flows hash (and get
    // flow_id) as before
    const vl = (((vc > 0 ? vlans[0] : 0) << 16) | (vc > 1 ? vlans[1] : 0)) >>> 0;
    this.lastSrcSide = srcFirst ? 0 : 1;
    this.lastCreated = false;
    // The previous lookup's flow first: packets of one flow come in runs (a TCP burst, a batch of
    // one conversation), and a hit skips the 12-word hash and the bucket probe (a third of the
    // engine's time per packet without rules, bench/inline/engine-cost.ts). The key comparison
    // below still decides; an ended slot fails it (used) or holds another key.
    const mm = this.memo;
    let h = 0;
    const viaMemo = mm >= 0 && this.used[mm] === 1 && this.keyPorts[mm] === ports && this.keyMeta[mm] === meta &&
      this.keyVlan[mm] === vl && this.keyCtx[mm] === tctx && this.sameKey(mm);
    if (viaMemo) h = this.hash[mm];
    else {
      h = 0x9747b28c;
      for (let i = 0; i < KEY_WORDS; i++) h = mix(h, c[i]);
      h = fmix(mix(mix(mix(h, ports), meta), (vl ^ tctx) >>> 0));
    }

    const mask = this.mask, bk = this.buckets;
    // the probe step runs at the top of every iteration (from home - 1), so it has type feedback
    // from the first lookup on; as the last statement it ran only on collisions, and the first
    // collision after optimisation deoptimised lookup (and everything it was inlined into)
    let i = (h - 1) & mask;
    for (;;) {
      i = (i + 1) & mask;
      // via the memo: the slot is known, no probe (the loop runs once and returns or breaks)
      const e = viaMemo ? mm + 1 : bk[i];
      if (e === 0) break;
      const s = e - 1;
      // (the memo's slot was compared above)
      if (viaMemo || (this.hash[s] === h && this.keyPorts[s] === ports && this.keyMeta[s] === meta && this.keyVlan[s] === vl && this.keyCtx[s] === tctx && this.sameKey(s))) {
        // The two rare ways a found flow ends here share one branch (one end() call site, more
        // likely to have type feedback before V8 optimises: a call first reached afterwards
        // deoptimises every function it was inlined into), and its counters are branch-free.
        const expired = tsUs - this.lastUs[s] > this.timeoutUs[this.tclass[s]];
        const closed = this.state[s] === FS_CLOSED;
        if (expired || (reuseClosedTcp && closed)) {
          this.timeouts += expired ? 1 : 0;
          this.tcpReuse += expired ? 0 : 1;
          // both reasons read whichever way (exported constants are property loads in the
          // compiled module: one read only on a port reuse had no feedback)
          const rTimeout = END_TIMEOUT, rReuse = END_TCP_REUSE;
          this.end(s, expired ? rTimeout : rReuse);
          break; // re-probe below via create
        }
        this.memo = s;
        return s;
      }
    }
    // ---- create
    if (this.freeTop === 0) this.evictOldest();
    const s = this.free[--this.freeTop];
    const k = s * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.key[k + w] = c[w];
    this.keyPorts[s] = ports; this.keyMeta[s] = meta; this.keyVlan[s] = vl; this.keyCtx[s] = tctx; this.hash[s] = h;
    let j = (h - 1) & mask;
    do j = (j + 1) & mask; while (bk[j] !== 0);   // the step always runs once (feedback, see above)
    bk[j] = s + 1;
    this.used[s] = 1; this.state[s] = FS_NEW; this.flags[s] = 0; this.app[s] = 0;
    this.clientSide[s] = this.lastSrcSide; // default: first sender is the client (callers may flip)
    this.startUs[s] = tsUs; this.lastUs[s] = tsUs;
    this.pkts[2 * s] = 0; this.pkts[2 * s + 1] = 0; this.bytes[2 * s] = 0; this.bytes[2 * s + 1] = 0;
    this.appState[s] = null;
    // flow_id: stable 53-bit number from the tuple hash and the start time (same whatever worker)
    const t = fmix(mix(mix(h, tsUs % 4294967296 >>> 0), Math.floor(tsUs / 4294967296) >>> 0));
    this.flowId[s] = (h & 0x1fffff) * 4294967296 + t;
    this.tclass[s] = tclass;
    this.lruPush(s, tclass);
    this.active++; this.created++;
    this.lastCreated = true;
    this.memo = s;
    return s;
  }

  /** Record a packet on a flow: counters, last-seen, LRU position. */
  touch(s: number, dir: number, wireLen: number, tsUs: number): void {
    this.pkts[2 * s + dir]++;
    this.bytes[2 * s + dir] += wireLen;
    if (tsUs > this.lastUs[s]) this.lastUs[s] = tsUs;
    const tc = this.tclass[s];
    if (this.lruTail[tc] !== s) { this.lruUnlink(s, tc); this.lruPush(s, tc); }
  }

  /** Move a flow to another timeout class (state change). */
  setClass(s: number, tc: number): void {
    const old = this.tclass[s];
    if (old === tc) return;
    this.lruUnlink(s, old);
    this.tclass[s] = tc;
    this.lruPush(s, tc);
  }

  /**
   * Swap client and server of flow s: clientSide and the per-direction counters (pkts, bytes).
   * For a flow whose first packet turned out to come from the server (a DNS response opening a
   * UDP flow); callers fix their own per-direction state. The key and flow_id do not change.
   */
  reverse(s: number): void {
    this.clientSide[s] ^= 1;
    const a = 2 * s, b = a + 1;
    let t = this.pkts[a]; this.pkts[a] = this.pkts[b]; this.pkts[b] = t;
    t = this.bytes[a]; this.bytes[a] = this.bytes[b]; this.bytes[b] = t;
    this.reversed++;
  }

  /** Direction of the last looked-up packet on flow s: 0 to_server, 1 to_client. */
  dirOf(s: number): number { return this.lastSrcSide === this.clientSide[s] ? 0 : 1; }

  /** End every flow whose timeout passed at `nowUs`. Returns how many ended. */
  sweep(nowUs: number): number {
    let n = 0;
    for (let tc = 0; tc < TC_COUNT; tc++) {
      const to = this.timeoutUs[tc];
      for (;;) {
        const s = this.lruHead[tc];
        if (s < 0 || nowUs - this.lastUs[s] <= to) break;
        this.timeouts++;
        this.end(s, END_TIMEOUT);
        n++;
      }
    }
    return n;
  }

  /** End all flows (end of input), in (last seen, start, flow_id) order. */
  flushAll(): void { while (this.flushSome(Infinity) > 0) { /* until empty */ } }

  private flushOrder: number[] | null = null;
  private flushPos = 0;
  /**
   * End up to `max` of the flows alive at the first call, in (last seen, start, flow_id) order,
   * so a caller can drain events between chunks (bounded memory at end of input). Returns how
   * many of them remain. Flows created after the first call are not included (none are: the
   * input has ended).
   */
  flushSome(max: number): number {
    // The loops live in their own small functions: a long loop gets optimised on-stack (OSR)
    // while running, and code after it, never run before, then deoptimised for lack of type
    // feedback (four deopts and recompiles of flushSome per run on big.pcap before).
    if (this.flushOrder === null) { this.flushOrder = this.flushSlots(); this.flushPos = 0; }
    const order = this.flushOrder;
    const from = this.flushPos, to = Math.min(order.length, from + Math.min(max, order.length));
    this.flushPos = to;
    this.endSlots(order, from, to);
    const left = order.length - to;
    if (left === 0) this.flushOrder = null;
    return left;
  }

  /** The used slots in (last seen, start, flow_id) order. */
  private flushSlots(): number[] {
    const slots = usedSlots(this.used);
    const l = this.lastUs, st = this.startUs, id = this.flowId;
    slots.sort((a, b) => (l[a] - l[b]) || (st[a] - st[b]) || (id[a] - id[b]));
    return slots;
  }

  private endSlots(order: number[], from: number, to: number): void {
    for (let i = from; i < to; i++) this.end(order[i], END_SHUTDOWN);
  }

  /** End a flow: hook, then free the slot. */
  end(s: number, reason: number): void {
    if (!this.used[s]) return;
    this.onEnd(s, reason);
    this.remove(s);
    this.ended++;
  }

  /** Compare two slots' canonical keys (for a deterministic tie-break). */
  private evictOldest(): void {
    let best = -1, bestT = Infinity;
    for (let tc = 0; tc < TC_COUNT; tc++) {
      const s = this.lruHead[tc];
      if (s >= 0 && this.lastUs[s] < bestT) { bestT = this.lastUs[s]; best = s; }
    }
    if (best < 0) throw new Error('flow table: no flow to evict (bug)');
    this.evictions++;
    this.end(best, END_MEMCAP);
  }

  private remove(s: number): void {
    const mask = this.mask, bk = this.buckets;
    let i = (this.hash[s] - 1) & mask;
    do i = (i + 1) & mask; while (bk[i] !== s + 1);   // the step always runs once (see lookup)
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = bk[j];
      if (e === 0) break;
      const k = this.hash[e - 1] & mask;
      // can e move to i? only if its home k is not cyclically in (i, j]
      if ((i <= j) ? (k <= i || k > j) : (k <= i && k > j)) { bk[i] = e; i = j; }
    }
    bk[i] = 0;
    this.lruUnlink(s, this.tclass[s]);
    this.used[s] = 0;
    this.appState[s] = null;
    this.free[this.freeTop++] = s;
    this.active--;
  }

  private lruPush(s: number, tc: number): void {
    const t = this.lruTail[tc];
    this.lruPrev[s] = t; this.lruNext[s] = -1;
    if (t >= 0) this.lruNext[t] = s; else this.lruHead[tc] = s;
    this.lruTail[tc] = s;
  }
  private lruUnlink(s: number, tc: number): void {
    const p = this.lruPrev[s], n = this.lruNext[s];
    if (p >= 0) this.lruNext[p] = n; else this.lruHead[tc] = n;
    if (n >= 0) this.lruPrev[n] = p; else this.lruTail[tc] = p;
    this.lruPrev[s] = -1; this.lruNext[s] = -1;
  }

  // ---- key accessors for outputs (not hot)
  /** Address of a canonical side as text, as EVE writes it (IPv4-mapped IPv6: ::ffff:a.b.c.d, like Suricata). */
  addrText(s: number, side: number): string {
    const k = s * KEY_WORDS + side * 4;
    if (((this.keyMeta[s] >>> 8) & 0xf) === 4) return ipv4U32Text(this.key[k]);
    return ipv6WordsText(this.key, k, true);
  }
  portOf(s: number, side: number): number { return side === 0 ? this.keyPorts[s] >>> 16 : this.keyPorts[s] & 0xffff; }
  protoOf(s: number): number { return this.keyMeta[s] & 0xff; }
  vlansOf(s: number): number[] {
    const vc = (this.keyMeta[s] >>> 12) & 0xf, v = this.keyVlan[s];
    return vc === 0 ? [] : vc === 1 ? [v >>> 16] : [v >>> 16, v & 0xffff];
  }
}

