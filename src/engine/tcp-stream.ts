/**
 * TCP state machine and per-direction in-order reassembly.
 *
 * State lives in typed arrays indexed by flow slot (state) or slot*2+dir (sequence tracking),
 * sized like the flow table. dir 0 = to_server (client -> server), 1 = to_client.
 *
 * Reassembly policy ("first data wins"): bytes are delivered to the sink exactly once, in
 * sequence order. A byte that was already delivered, or already stored out of order, is never
 * replaced by a later segment carrying different bytes for the same sequence numbers
 * (retransmissions and overlaps are trimmed against what arrived first).
 *
 * The one copy: a segment that arrives ahead of the next expected sequence is copied into the
 * flow direction's out-of-order store (an object allocated only when that first happens).
 * In-order data is handed to the sink straight from the packet buffer, without copying; the
 * view (buf, off, len) is valid only during the sink call.
 *
 * Bounds (named limits, counter when hit):
 * - depth: at most `depth` bytes per direction are delivered (DEFAULT_STREAM_DEPTH); after that
 *   nothing more is delivered for that direction and the flow is marked truncated
 *   (counter depthReached).
 * - out-of-order store: at most MAX_OOO_BYTES bytes and MAX_OOO_SEGS segments per direction;
 *   segments beyond are dropped (counter oooDropped) and later surface as a gap.
 *
 * Gaps: when the peer acknowledges data beyond what we have (ack > next expected, not counting
 * a FIN), or when the flow closes with stored segments after a hole, the missing range is
 * skipped: sink.onGap(slot, dir, len) is called and the gap counter increments.
 *
 * Sequence arithmetic is modulo 2^32 throughout (seqLt etc.).
 */
import { TH_ACK, TH_FIN, TH_RST, TH_SYN } from '../../decoders/packet';

export const DEFAULT_STREAM_DEPTH = 1 << 20;  // bytes delivered per direction (like Suricata's reassembly depth)
export const MAX_OOO_BYTES = 1 << 20;         // out-of-order bytes stored per direction
export const MAX_OOO_SEGS = 2048;             // out-of-order segments stored per direction
/**
 * Largest hole an acknowledgement may declare missing. An ACK further ahead of the data we have
 * is taken as bogus (broken stacks, acks relative to a connection we did not see start) and
 * ignored (counter ackGapIgnored): measured on bench/out/big.pcap, 8 of 1,568 ack gaps were
 * 16 MiB..930 MiB "holes" totalling 7 GB, all on flows picked up midstream.
 */
export const MAX_ACK_GAP = 16 << 20;

/** TCP connection states. */
export const TS_NONE = 0, TS_SYN_SENT = 1, TS_SYN_RCVD = 2, TS_ESTABLISHED = 3, TS_FIN_WAIT = 4,
  TS_CLOSING = 5, TS_CLOSED = 6;
export const TCP_STATE_NAMES = ['none', 'syn_sent', 'syn_recv', 'established', 'fin_wait', 'closing', 'closed'] as const;

/** Midstream policy: what to do with a TCP flow whose SYN we never saw. */
export type MidstreamPolicy = 'accept' | 'ignore';
export const MIDSTREAM_ACCEPT: MidstreamPolicy = 'accept';
export const MIDSTREAM_IGNORE: MidstreamPolicy = 'ignore';

export function seqLt(a: number, b: number): boolean { return ((a - b) | 0) < 0; }
export function seqLeq(a: number, b: number): boolean { return ((a - b) | 0) <= 0; }
export function seqDiff(a: number, b: number): number { return (a - b) | 0; }

export interface StreamSink {
  /** In-order bytes of one direction. The view is valid only during the call. */
  onData(slot: number, dir: number, buf: Uint8Array, off: number, len: number): void;
  /** `len` bytes are missing before the next onData of that direction. */
  onGap(slot: number, dir: number, len: number): void;
  /** The direction's FIN was reached in order (all its data delivered or skipped). */
  onEnd(slot: number, dir: number): void;
}

interface OooStore { seqs: number[]; data: Uint8Array[]; bytes: number }

export class TcpStreams {
  readonly state: Uint8Array;          // slot
  readonly next: Uint32Array;          // slot*2+dir: next expected sequence number
  readonly init: Uint8Array;           // slot*2+dir: sequence tracking started
  readonly finSeq: Uint32Array;        // slot*2+dir: sequence number of the FIN
  readonly fin: Uint8Array;            // slot*2+dir: 1 FIN seen, 2 FIN consumed in order
  readonly delivered: Float64Array;    // slot*2+dir: bytes delivered (depth accounting)
  readonly truncated: Uint8Array;      // slot*2+dir
  readonly gapped: Uint8Array;         // slot*2+dir: had a gap
  private readonly ooo: (OooStore | null)[];
  depth: number;
  sink: StreamSink;

  // counters
  segments = 0;
  retransmitted = 0;      // segments carrying only already-seen data
  overlaps = 0;           // segments partly overlapping seen data (trimmed, first data wins)
  outOfOrder = 0;         // segments stored ahead of the next expected byte
  oooDropped = 0;         // limit MAX_OOO_BYTES / MAX_OOO_SEGS hit
  depthReached = 0;       // limit depth hit (directions)
  gaps = 0;
  gapBytes = 0;
  midstream = 0;
  ackGapIgnored = 0;      // limit MAX_ACK_GAP hit

  constructor(maxFlows: number, sink: StreamSink, depth = DEFAULT_STREAM_DEPTH) {
    this.state = new Uint8Array(maxFlows);
    this.next = new Uint32Array(maxFlows * 2);
    this.init = new Uint8Array(maxFlows * 2);
    this.finSeq = new Uint32Array(maxFlows * 2);
    this.fin = new Uint8Array(maxFlows * 2);
    this.delivered = new Float64Array(maxFlows * 2);
    this.truncated = new Uint8Array(maxFlows * 2);
    this.gapped = new Uint8Array(maxFlows * 2);
    this.ooo = new Array<OooStore | null>(maxFlows * 2).fill(null);
    this.depth = depth;
    this.sink = sink;
  }

  /** Reset a slot for a new flow. */
  reset(s: number): void {
    this.state[s] = TS_NONE;
    for (let d = 2 * s; d < 2 * s + 2; d++) {
      this.next[d] = 0; this.init[d] = 0; this.finSeq[d] = 0; this.fin[d] = 0; this.delivered[d] = 0;
      this.truncated[d] = 0; this.gapped[d] = 0; this.ooo[d] = null;
    }
  }

  /**
   * One TCP segment of flow `s` in direction `dir`. `reassemble` false: track state only
   * (midstream "ignore" policy). Payload is buf[off, off+len).
   */
  segment(s: number, dir: number, seq: number, ack: number, flags: number, buf: Uint8Array, off: number, len: number,
    reassemble: boolean): void {
    this.segments++;
    const d = 2 * s + dir, o = 2 * s + (dir ^ 1);
    // ---- state machine
    const st = this.state[s];
    if (flags & TH_RST) {
      this.state[s] = TS_CLOSED;
    } else if (flags & TH_SYN) {
      if (!this.init[d] || !(flags & TH_ACK) || st <= TS_SYN_RCVD) {
        // (re)start sequence tracking of this direction at ISN+1; the SYN payload (TFO) is skipped
        if (!this.init[d] || st <= TS_SYN_RCVD) { this.next[d] = (seq + 1) >>> 0; this.init[d] = 1; }
      }
      if (flags & TH_ACK) { if (st < TS_SYN_RCVD) this.state[s] = TS_SYN_RCVD; }
      else if (st === TS_NONE) this.state[s] = TS_SYN_SENT;
      return;
    } else {
      if (st === TS_SYN_RCVD && dir === 0 && (flags & TH_ACK)) this.state[s] = TS_ESTABLISHED;
      else if (st === TS_NONE || st === TS_SYN_SENT) {
        if (st === TS_NONE) this.midstream++;
        this.state[s] = TS_ESTABLISHED;
      }
    }
    if (!this.init[d]) {
      // midstream pickup (or first data of a direction whose SYN we missed): start here
      this.next[d] = seq >>> 0; this.init[d] = 1;
    }
    if (reassemble) {
      // the peer acknowledges beyond what we have of the other direction: that data is missing
      if ((flags & TH_ACK) && this.init[o] && !(flags & TH_RST)) this.ackGap(s, dir ^ 1, ack >>> 0);
      if (len > 0) this.data(s, dir, seq >>> 0, buf, off, len);
    }
    if (flags & TH_FIN) {
      if (!this.fin[d]) { this.fin[d] = 1; this.finSeq[d] = (seq + len) >>> 0; }
      if (reassemble && this.fin[d] === 1 && this.next[d] === this.finSeq[d]) { this.fin[d] = 2; this.sink.onEnd(s, dir); }
      const cur = this.state[s];
      if (cur < TS_FIN_WAIT) this.state[s] = TS_FIN_WAIT;
      else if (cur === TS_FIN_WAIT && this.fin[o]) this.state[s] = TS_CLOSING;
    } else if ((flags & TH_ACK) && this.state[s] === TS_CLOSING && this.fin[o] &&
      seqLt(this.finSeq[o], ack >>> 0) && this.fin[d]) {
      this.state[s] = TS_CLOSED; // last ACK of both FINs
    }
  }

  private ackGap(s: number, dir: number, ack: number): void {
    const d = 2 * s + dir;
    let target = ack;
    // a FIN consumes one sequence number: acking it is not a gap
    if (this.fin[d] && seqLt(this.finSeq[d], target)) target = this.finSeq[d];
    if (!seqLt(this.next[d], target)) return;
    const st = this.ooo[d];
    let gapEnd = target;
    if (st !== null && st.seqs.length > 0 && seqLt(st.seqs[0], gapEnd)) gapEnd = st.seqs[0];
    const gap = seqDiff(gapEnd, this.next[d]);
    if (gap <= 0) return;
    // branch-free count of a rare limit (no property store first reached after optimisation:
    // that deoptimised segment once per run)
    const bogus = gap > MAX_ACK_GAP;
    this.ackGapIgnored += bogus ? 1 : 0;
    if (bogus) return;
    this.skip(s, dir, gap);
    this.flushStore(s, dir);
  }

  private skip(s: number, dir: number, gap: number): void {
    const d = 2 * s + dir;
    this.next[d] = (this.next[d] + gap) >>> 0;
    this.gaps++; this.gapBytes += gap; this.gapped[d] = 1;
    if (!this.truncated[d]) this.sink.onGap(s, dir, gap);
  }

  private data(s: number, dir: number, seq: number, buf: Uint8Array, off: number, len: number): void {
    const d = 2 * s + dir;
    const next = this.next[d];
    const end = (seq + len) >>> 0;
    if (seqLeq(end, next)) { this.retransmitted++; return; }
    if (seqLt(next, seq)) { this.store(d, seq, buf, off, len); return; }
    if (seqLt(seq, next)) {
      // overlap with delivered data: the first copy won, deliver only the new tail
      this.overlaps++;
      const cut = seqDiff(next, seq);
      off += cut; len -= cut; seq = next;
    }
    // in order: deliver from the packet, interleaving any stored bytes that arrived first
    let pos = seq;
    for (;;) {
      this.flushStore(s, dir);
      const nx = this.next[d];
      if (seqLt(pos, nx)) pos = nx;
      if (!seqLt(pos, end)) break;
      let limit = end;
      const st = this.ooo[d];
      if (st !== null && st.seqs.length > 0 && seqLt(st.seqs[0], end)) limit = st.seqs[0];
      this.deliver(s, dir, buf, off + seqDiff(pos, seq), seqDiff(limit, pos));
      this.next[d] = limit;
      pos = limit;
    }
  }

  /** Deliver stored segments that are now in order. */
  private flushStore(s: number, dir: number): void {
    const d = 2 * s + dir;
    const st = this.ooo[d];
    if (st === null) return;
    while (st.seqs.length > 0 && seqLeq(st.seqs[0], this.next[d])) {
      const sq = st.seqs[0], buf = st.data[0];
      const e = (sq + buf.length) >>> 0;
      if (seqLt(this.next[d], e)) {
        const skip = seqDiff(this.next[d], sq);
        this.deliver(s, dir, buf, skip, buf.length - skip);
        this.next[d] = e;
      }
      st.seqs.shift(); st.data.shift(); st.bytes -= buf.length;
    }
  }

  /** Copy an out-of-order segment into the store, keeping only bytes not already stored. */
  private store(d: number, seq: number, buf: Uint8Array, off: number, len: number): void {
    this.outOfOrder++;
    let st = this.ooo[d];
    if (st === null) { st = { seqs: [], data: [], bytes: 0 }; this.ooo[d] = st; }
    let a = seq;
    const end = (seq + len) >>> 0;
    let i = 0;
    let trimmed = false;
    while (seqLt(a, end)) {
      // skip stored segments entirely before a
      while (i < st.seqs.length && seqLeq((st.seqs[i] + st.data[i].length) >>> 0, a)) i++;
      let b = end;
      if (i < st.seqs.length) {
        const ss = st.seqs[i];
        if (seqLeq(ss, a)) { // a is inside stored segment i: first data wins, skip it
          a = (ss + st.data[i].length) >>> 0; trimmed = true; i++; continue;
        }
        if (seqLt(ss, b)) { b = ss; trimmed = true; }
      }
      const n = seqDiff(b, a);
      if (st.bytes + n > MAX_OOO_BYTES || st.seqs.length >= MAX_OOO_SEGS) { this.oooDropped++; return; }
      const o2 = off + seqDiff(a, seq);
      // the copy: `buf` may be a Node Buffer, whose slice() is a view, so copy explicitly
      const copy = new Uint8Array(n);
      copy.set(buf.subarray(o2, o2 + n));
      st.seqs.splice(i, 0, a); st.data.splice(i, 0, copy); st.bytes += n;
      i++;
      a = b;
    }
    if (trimmed) this.overlaps++;
  }

  private deliver(s: number, dir: number, buf: Uint8Array, off: number, len: number): void {
    if (len <= 0) return;
    const d = 2 * s + dir;
    if (this.truncated[d]) return;
    const room = this.depth - this.delivered[d];
    // Reaching the depth is rare (12 directions on big.pcap): its stores are written branch-free
    // (truncated[d] is 0 here) because a property store first reached after V8 optimised this
    // function has no type feedback and deoptimises it and every function it was inlined into
    // (segment, data, deliver: three deopts and recompiles per run before).
    const over = len > room;
    if (over) len = room;
    this.truncated[d] = over ? 1 : 0;
    this.depthReached += over ? 1 : 0;
    if (len > 0) { this.delivered[d] += len; this.sink.onData(s, dir, buf, off, len); }
  }

  /** The flow ends: stored data after a hole is delivered after a gap, in order. */
  close(s: number): void {
    for (let dir = 0; dir < 2; dir++) {
      const d = 2 * s + dir;
      const st = this.ooo[d];
      while (st !== null && st.seqs.length > 0) {
        const gap = seqDiff(st.seqs[0], this.next[d]);
        if (gap > 0) this.skip(s, dir, gap);
        this.flushStore(s, dir);
      }
      this.ooo[d] = null;
    }
  }

  /** True when the flow direction was truncated at the depth. */
  isTruncated(s: number): boolean { return this.truncated[2 * s] === 1 || this.truncated[2 * s + 1] === 1; }
  hadGap(s: number): boolean { return this.gapped[2 * s] === 1 || this.gapped[2 * s + 1] === 1; }
}
