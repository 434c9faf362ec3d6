/**
 * Userspace fan-out: one NFQUEUE queue spread over several engines by a symmetric 5-tuple hash,
 * because the kernel's --queue-balance hashes only the address pair (every flow between two hosts
 * lands on one queue). The reader worker owns the queue's socket; helper workers (inspector.ts)
 * each own an engine and one shared area. Flow affinity: both directions of a flow hash alike.
 *
 * Per batch, lock-step (verdicts must leave through the socket that owns the queue, in id order
 * for VERDICT_BATCH):
 *   1. the reader hashes each packet; shard 0 stays with the reader (its descriptors are compacted
 *      into a local batch over the same data: no copy), shard j >= 1 is copied into helper j's
 *      SharedArrayBuffer area (bytes + descriptor);
 *   2. it bumps each helper's REQ word (Atomics.notify), runs its own shard, then waits for each
 *      helper's DONE word (spin SPIN_LOOPS loads first: a sleeping thread costs ~50 us to wake on
 *      the reference VM, a spinning one 0.2 us), bounded by HELPER_TIMEOUT_MS;
 *   3. it gathers the verdicts back into the batch order (and rewritten payloads back into the
 *      batch bytes) and sends them as usual.
 * Cost: one copy of the packets that go to helpers, and a thread wake-up per batch when the
 * helpers were idle. Worth it only when inspection, not the kernel path, is the bottleneck.
 *
 * Ownership: a helper reads/writes its area only between REQ and DONE; the reader only outside.
 */
import {
  PacketBatch, DESC_STRIDE, D_OFF, D_CAPLEN, V_ACCEPT, V_DROP, V_F_PAYLOAD,
} from '../io/batch';
import { SLOT_SIZE } from '../io/nfqueue';
import type { Engine } from '../engine/types';

export const CTL_REQ = 0, CTL_DONE = 1, CTL_COUNT = 2, CTL_WORDS = 8;
/** Loads of the DONE word before sleeping on it. */
export const SPIN_LOOPS = 20000;
/** A helper that does not answer within this time gets the policy verdict for its packets (counted). */
export const HELPER_TIMEOUT_MS = 1000;

export interface FanoutShared {
  ctl: SharedArrayBuffer;
  data: SharedArrayBuffer;
  desc: SharedArrayBuffer;
  verdict: SharedArrayBuffer;
  maxBatch: number;
}

export function createShared(maxBatch: number): FanoutShared {
  return {
    ctl: new SharedArrayBuffer(CTL_WORDS * 4),
    data: new SharedArrayBuffer(maxBatch * SLOT_SIZE),
    desc: new SharedArrayBuffer(maxBatch * DESC_STRIDE * 4),
    verdict: new SharedArrayBuffer(maxBatch * 2 * 4),
    maxBatch,
  };
}

/** The batch a helper sees over its shared area (count set per request). */
export function sharedBatch(s: FanoutShared): PacketBatch {
  return { data: new Uint8Array(s.data), desc: new Uint32Array(s.desc), verdict: new Uint32Array(s.verdict), count: 0 };
}

/**
 * Symmetric 5-tuple shard of a raw IPv4/IPv6 packet: (src, sport) and (dst, dport) enter through
 * XOR, so both directions of a flow land on the same shard. Non-IP/short packets go to shard 0.
 */
export function flowShard(d: Uint8Array, off: number, len: number, k: number): number {
  if (k <= 1 || len < 20) return 0;
  const v = d[off] >> 4;
  let a = 0, proto = 0, l4 = -1;
  if (v === 4) {
    const ihl = (d[off] & 15) * 4;
    proto = d[off + 9];
    a = ((d[off + 12] << 24) | (d[off + 13] << 16) | (d[off + 14] << 8) | d[off + 15]) ^
        ((d[off + 16] << 24) | (d[off + 17] << 16) | (d[off + 18] << 8) | d[off + 19]);
    const frag = ((d[off + 6] << 8) | d[off + 7]) & 0x3fff;
    if (frag === 0) l4 = off + ihl;
  } else if (v === 6 && len >= 40) {
    proto = d[off + 6];
    for (let i = 8; i < 24; i += 4) {
      a ^= (d[off + i] << 24) | (d[off + i + 1] << 16) | (d[off + i + 2] << 8) | d[off + i + 3];
      a ^= (d[off + i + 16] << 24) | (d[off + i + 17] << 16) | (d[off + i + 18] << 8) | d[off + i + 19];
    }
    l4 = off + 40;
  } else return 0;
  let p = 0;
  if ((proto === 6 || proto === 17) && l4 >= 0 && l4 + 4 <= off + len) {
    p = ((d[l4] << 8) | d[l4 + 1]) ^ ((d[l4 + 2] << 8) | d[l4 + 3]);
  }
  let h = Math.imul(a ^ Math.imul(p, 0x9e3779b1) ^ proto, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % k;
}

export interface FanoutCounters { toHelpers: number; ownPackets: number; helperTimeouts: number; spins: number; sleeps: number }

export class FanoutDispatcher {
  readonly k: number;
  readonly counters: FanoutCounters = { toHelpers: 0, ownPackets: 0, helperTimeouts: 0, spins: 0, sleeps: 0 };
  private readonly helpers: { ctl: Int32Array; data: Uint8Array; desc: Uint32Array; verdict: Uint32Array; count: number; used: number; req: number }[];
  private readonly own: PacketBatch;
  private readonly where: Uint32Array;   // per packet: shard << 16 | position

  constructor(shared: FanoutShared[], maxBatch: number, private readonly failOpen: boolean) {
    this.k = shared.length + 1;
    this.helpers = shared.map((s) => ({ ctl: new Int32Array(s.ctl), data: new Uint8Array(s.data), desc: new Uint32Array(s.desc), verdict: new Uint32Array(s.verdict), count: 0, used: 0, req: 0 }));
    this.own = { data: new Uint8Array(0), desc: new Uint32Array(maxBatch * DESC_STRIDE), verdict: new Uint32Array(maxBatch * 2), count: 0 };
    this.where = new Uint32Array(maxBatch);
  }

  /** Inspect `batch` across the reader's engine and the helpers; verdicts end up in batch.verdict. */
  process(batch: PacketBatch, engine: Engine): void {
    const n = batch.count, desc = batch.desc, data = batch.data, k = this.k;
    const own = this.own;
    own.data = data;
    own.count = 0;
    for (const h of this.helpers) { h.count = 0; h.used = 0; }
    for (let i = 0; i < n; i++) {
      const d = i * DESC_STRIDE;
      const off = desc[d + D_OFF], len = desc[d + D_CAPLEN];
      const sh = flowShard(data, off, len, k);
      if (sh === 0) {
        own.desc.set(desc.subarray(d, d + DESC_STRIDE), own.count * DESC_STRIDE);
        own.verdict[2 * own.count] = V_ACCEPT; own.verdict[2 * own.count + 1] = 0;
        this.where[i] = own.count++;
      } else {
        const h = this.helpers[sh - 1];
        const hd = h.count * DESC_STRIDE;
        h.desc.set(desc.subarray(d, d + DESC_STRIDE), hd);
        h.desc[hd + D_OFF] = h.used;
        h.data.set(data.subarray(off, off + len), h.used);
        h.used += (len + 3) & ~3;
        h.verdict[2 * h.count] = V_ACCEPT; h.verdict[2 * h.count + 1] = 0;
        this.where[i] = (sh << 16) | h.count++;
      }
    }
    for (const h of this.helpers) {
      if (h.count === 0) continue;
      this.counters.toHelpers += h.count;
      Atomics.store(h.ctl, CTL_COUNT, h.count);
      h.req = (Atomics.add(h.ctl, CTL_REQ, 1) + 1) | 0;
      Atomics.notify(h.ctl, CTL_REQ);
    }
    if (own.count > 0) { engine.processBatch(own); this.counters.ownPackets += own.count; }
    for (const h of this.helpers) {
      if (h.count === 0) continue;
      if (!this.waitDone(h)) {
        this.counters.helperTimeouts++;
        const v = this.failOpen ? V_ACCEPT : V_DROP;
        for (let j = 0; j < h.count; j++) { h.verdict[2 * j] = v; h.verdict[2 * j + 1] = 0; }
      }
    }
    const bv = batch.verdict;
    for (let i = 0; i < n; i++) {
      const w = this.where[i], sh = w >>> 16, pos = w & 0xffff;
      if (sh === 0) { bv[2 * i] = own.verdict[2 * pos]; bv[2 * i + 1] = own.verdict[2 * pos + 1]; continue; }
      const h = this.helpers[sh - 1];
      const kind = h.verdict[2 * pos];
      bv[2 * i] = kind; bv[2 * i + 1] = h.verdict[2 * pos + 1];
      if (kind & V_F_PAYLOAD) {   // the helper rewrote its copy: bring the bytes back
        const hd = pos * DESC_STRIDE, d = i * DESC_STRIDE;
        data.set(h.data.subarray(h.desc[hd + D_OFF], h.desc[hd + D_OFF] + desc[d + D_CAPLEN]), desc[d + D_OFF]);
      }
    }
  }

  private waitDone(h: { ctl: Int32Array; req: number }): boolean {
    for (let i = 0; i < SPIN_LOOPS; i++) if (Atomics.load(h.ctl, CTL_DONE) === h.req) { this.counters.spins++; return true; }
    this.counters.sleeps++;
    const end = Date.now() + HELPER_TIMEOUT_MS;
    for (;;) {
      const cur = Atomics.load(h.ctl, CTL_DONE);
      if (cur === h.req) return true;
      const left = end - Date.now();
      if (left <= 0) return false;
      Atomics.wait(h.ctl, CTL_DONE, cur, left);
    }
  }
}
