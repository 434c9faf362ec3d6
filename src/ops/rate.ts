/**
 * Rate conditions and scan detectors, bounded in memory.
 *
 * - RateCounter: `count(by = src|dst|flow, window = 60s) > N`. A sliding-window counter per key
 *   made of two fixed buckets (the current window and the previous one, weighted by how much of
 *   it still overlaps the sliding window): estimate = prev * (1 - elapsed/W) + cur. Exact when
 *   traffic is uniform within a window, and never off by more than the previous bucket's count;
 *   two numbers per key instead of a timestamp per event.
 * - ScanDetector: N distinct destination ports from one source in a window. Per source a
 *   512-bit linear-counting bitmap per bucket (current + previous, OR-ed): the distinct count is
 *   -m ln(zeros/m), within a few percent up to ~1000 ports, 128 bytes per source.
 * - SynFloodDetector: per destination, SYNs minus completed handshakes in a sliding window.
 *
 * Every structure has a named capacity and evicts the least recently used key when full,
 * counting `evictions` (an evicted key restarts from zero: under attack this errs toward
 * under-counting the oldest keys, never toward unbounded memory).
 *
 * Clocks: `now` is ms on the caller's clock (packet time). Windows are aligned to multiples of
 * the window length on that clock.
 */
import { KeyedLru } from './keyed-lru';

/** Default keys tracked per rate condition. */
export const RATE_MAX_KEYS = 65536;
/** Default sources tracked by the scan detector. */
export const SCAN_MAX_SOURCES = 65536;
/** Default destinations tracked by the SYN-flood detector. */
export const SYNFLOOD_MAX_DESTS = 65536;
/** Bits per source per bucket in the scan detector's linear counter. */
export const SCAN_BITS = 512;
const SCAN_WORDS = SCAN_BITS / 32;

/** Key kinds (word 4 of a key). */
export const BY_SRC = 1, BY_DST = 2, BY_FLOW = 3;

export class RateCounter {
  readonly lru: KeyedLru;
  private readonly start: Float64Array;
  private readonly cur: Float64Array;
  private readonly prev: Float64Array;
  /** Times the condition was evaluated (hits). */
  hits = 0;

  constructor(readonly windowMs: number, capacity = RATE_MAX_KEYS) {
    if (!(windowMs > 0)) throw new RangeError('window must be > 0 ms');
    this.lru = new KeyedLru(capacity);
    this.start = new Float64Array(capacity);
    this.cur = new Float64Array(capacity);
    this.prev = new Float64Array(capacity);
  }

  get evictions(): number { return this.lru.evictions; }

  /** Count one event for the key at `now`; returns the sliding-window estimate including it. */
  hit(k0: number, k1: number, k2: number, k3: number, kind: number, now: number): number {
    this.hits++;
    const e = this.lru.touch(k0, k1, k2, k3, kind);
    const W = this.windowMs;
    const ws = now - (now % W);
    if (this.lru.fresh) { this.start[e] = ws; this.cur[e] = 0; this.prev[e] = 0; }
    else if (this.start[e] !== ws) {
      this.prev[e] = ws - this.start[e] === W ? this.cur[e] : 0;
      this.cur[e] = 0;
      this.start[e] = ws;
    }
    this.cur[e]++;
    return this.prev[e] * (1 - (now - ws) / W) + this.cur[e];
  }

  /** Current estimate without counting (0 for unknown keys). */
  peek(k0: number, k1: number, k2: number, k3: number, kind: number, now: number): number {
    const e = this.lru.find(k0, k1, k2, k3, kind);
    if (e < 0) return 0;
    const W = this.windowMs;
    const ws = now - (now % W);
    if (this.start[e] === ws) return this.prev[e] * (1 - (now - ws) / W) + this.cur[e];
    if (ws - this.start[e] === W) return this.cur[e] * (1 - (now - ws) / W);
    return 0;
  }

  /** IPv4 address key (src or dst). */
  hit4(a: number, kind: number, now: number): number { return this.hit(a >>> 0, 0, 0, 0, kind, now); }
  /** IPv6 address key: 16 bytes at buf[off]. */
  hit6(buf: Uint8Array, off: number, kind: number, now: number): number {
    return this.hit(rd32(buf, off), rd32(buf, off + 4), rd32(buf, off + 8), rd32(buf, off + 12), kind | 0x100, now);
  }
  /** Flow key: the engine's flow slot and its generation (so a reused slot is a new key). */
  hitFlow(flowSlot: number, generation: number, now: number): number { return this.hit(flowSlot >>> 0, generation >>> 0, 0, 0, BY_FLOW, now); }
}

function rd32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }

export class ScanDetector {
  readonly lru: KeyedLru;
  private readonly start: Float64Array;
  /** per source: SCAN_WORDS words current bucket, then SCAN_WORDS previous bucket */
  private readonly bits: Uint32Array;
  /** per source: the distinct-port estimate of its bitmaps as they are (recomputed only when a
   *  bit or the window changes: a busy flow repeats its port, and the popcount of 16 words plus
   *  a log per packet was the detector's main cost on the inline path) */
  private readonly est: Float64Array;
  /** Sources seen over the threshold (counted by the caller's rule, kept here for stats). */
  observed = 0;

  constructor(readonly windowMs: number, capacity = SCAN_MAX_SOURCES) {
    if (!(windowMs > 0)) throw new RangeError('window must be > 0 ms');
    this.lru = new KeyedLru(capacity);
    this.start = new Float64Array(capacity);
    this.bits = new Uint32Array(capacity * SCAN_WORDS * 2);
    this.est = new Float64Array(capacity).fill(-1);
  }
  /** the previous observe()'s key, port, window start and entry (see observe) */
  private memoK0 = -1; private memoK1 = -1; private memoK2 = -1; private memoK3 = -1;
  private memoFam = -1; private memoPort = -1; private memoWs = -1; private memoE = -1;
  get evictions(): number { return this.lru.evictions; }

  /**
   * Record (source, destination port) at `now`; returns the estimated number of distinct
   * destination ports from this source over the current and previous window.
   */
  observe(k0: number, k1: number, k2: number, k3: number, fam: number, dport: number, now: number): number {
    this.observed++;
    const W = this.windowMs;
    const ws = now - (now % W);
    // The same source and port as the previous call, same window, estimate known: nothing can
    // have changed (a flow's packets repeat its port), and the entry is the LRU head already
    // (the last one touched), so skipping touch() keeps the LRU order exact. Saves the 5-word
    // hash and the probe for every packet of a conversation after its first.
    if (this.memoE >= 0 && this.memoK0 === k0 && this.memoK1 === k1 && this.memoK2 === k2 && this.memoK3 === k3 &&
        this.memoFam === fam && this.memoPort === dport && this.memoWs === ws) {
      const est = this.est[this.memoE];
      if (est >= 0) return est;
    }
    const e = this.lru.touch(k0, k1, k2, k3, fam);
    this.memoK0 = k0; this.memoK1 = k1; this.memoK2 = k2; this.memoK3 = k3; this.memoFam = fam; this.memoPort = dport; this.memoWs = ws; this.memoE = e;
    const o = e * SCAN_WORDS * 2;
    const b = this.bits;
    if (this.lru.fresh) { b.fill(0, o, o + 2 * SCAN_WORDS); this.start[e] = ws; this.est[e] = -1; }
    else if (this.start[e] !== ws) {
      if (ws - this.start[e] === W) b.copyWithin(o + SCAN_WORDS, o, o + SCAN_WORDS);
      else b.fill(0, o + SCAN_WORDS, o + 2 * SCAN_WORDS);
      b.fill(0, o, o + SCAN_WORDS);
      this.start[e] = ws;
      this.est[e] = -1;
    }
    // murmur3 finaliser of the port -> one of 512 bits. Linear counting assumes random
    // placement: a plain multiplicative hash spreads sequential ports too evenly and biases up.
    let h = Math.imul(dport ^ 0x5bd1e995, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    h = h >>> (32 - 9);
    const wi = o + (h >>> 5), bit = 1 << (h & 31);
    if ((b[wi] & bit) !== 0 && this.est[e] >= 0) return this.est[e];   // port already counted
    b[wi] |= bit;
    let ones = 0;
    for (let w = 0; w < SCAN_WORDS; w++) ones += popcount32(b[o + w] | b[o + SCAN_WORDS + w]);
    const zeros = SCAN_BITS - ones;
    // saturated: report the ceiling
    const est = zeros === 0 ? SCAN_BITS * Math.log(SCAN_BITS) : -SCAN_BITS * Math.log(zeros / SCAN_BITS);
    this.est[e] = est;
    return est;
  }

  observe4(src: number, dport: number, now: number): number { return this.observe(src >>> 0, 0, 0, 0, 4, dport, now); }
  observe6(buf: Uint8Array, off: number, dport: number, now: number): number {
    return this.observe(rd32(buf, off), rd32(buf, off + 4), rd32(buf, off + 8), rd32(buf, off + 12), 6, dport, now);
  }
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/**
 * SYN flood: per destination address, SYNs (without ACK) minus completed handshakes (the
 * client's ACK that completes the 3-way handshake, or any ACK-only segment of the flow the
 * engine reports as established) in a sliding window. `syn*` returns the pending estimate.
 */
export class SynFloodDetector {
  private readonly syns: RateCounter;
  private readonly acks: RateCounter;
  constructor(readonly windowMs: number, capacity = SYNFLOOD_MAX_DESTS) {
    this.syns = new RateCounter(windowMs, capacity);
    this.acks = new RateCounter(windowMs, capacity);
  }
  get evictions(): number { return this.syns.evictions + this.acks.evictions; }

  syn4(dst: number, now: number): number {
    const s = this.syns.hit4(dst, BY_DST, now);
    return Math.max(0, s - this.acks.peek(dst >>> 0, 0, 0, 0, BY_DST, now));
  }
  established4(dst: number, now: number): void { this.acks.hit4(dst, BY_DST, now); }
  syn6(buf: Uint8Array, off: number, now: number): number {
    const s = this.syns.hit6(buf, off, BY_DST, now);
    return Math.max(0, s - this.acks.peek(rd32(buf, off), rd32(buf, off + 4), rd32(buf, off + 8), rd32(buf, off + 12), BY_DST | 0x100, now));
  }
  established6(buf: Uint8Array, off: number, now: number): void { this.acks.hit6(buf, off, BY_DST, now); }
  pending4(dst: number, now: number): number {
    return Math.max(0, this.syns.peek(dst >>> 0, 0, 0, 0, BY_DST, now) - this.acks.peek(dst >>> 0, 0, 0, 0, BY_DST, now));
  }
}
