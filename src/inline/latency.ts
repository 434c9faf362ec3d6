/**
 * Per-packet verdict latency of one inline worker (src/inline/worker.ts), a histogram over
 * LATENCY_BUCKETS_S that the worker ships with its stats and the operations layer exposes as
 * quell_verdict_latency_seconds (src/ops/host.ts onRunnerStats).
 */
import { LATENCY_BUCKETS_S } from '../outputs/metrics';

/**
 * Verdict latency of a worker, per packet: for each batch, the time from just after recv
 * returned to just before its verdicts are sent (engine, ops gate, fan-out, pcap of drops),
 * attributed to every packet of the batch. Buckets are LATENCY_BUCKETS_S (seconds, upper bounds)
 * plus +Inf; counts are non-cumulative. Shipped with every stats snapshot (`latency`).
 *
 * Clock: process.hrtime() through monoSec() (CLOCK_MONOTONIC). Once the worker loop is optimised,
 * V8 inlines hrtime() and removes its [sec, nsec] array (escape analysis); the stamp lives in a
 * Float64Array, so nothing is allocated per batch. Measured by bench/inline/latency-alloc.ts with a
 * 1 MiB semi-space, 5M batches: 0 scavenges; performance.now() and Date.now() 156 (they return a
 * heap number from C++, 16 B per call), process.hrtime.bigint() 196 (a BigInt per call).
 */
/**
 * Monotonic seconds (CLOCK_MONOTONIC; ~2 ns resolution at the uptimes seen in practice). Kept as a
 * function that returns the number: when the caller stores it, V8 inlines this and removes the
 * [sec, nsec] array; writing hrtime()'s fields into a typed array inside the same function kept
 * the array alive in our measurements (one 2-element array per call).
 */
export function monoSec(): number { const h = process.hrtime(); return h[0] + h[1] / 1e9; }

/** What a worker ships: upper bounds (s), non-cumulative counts (last = +Inf), sum (s), count (packets). */
export interface LatencySnapshot { bounds: number[]; counts: number[]; sum: number; count: number }

export class LatencyHist {
  /** [0] = recv stamp (monotonic s), [1] = sum of per-packet latency (s), [2] = count (packets) */
  readonly t = new Float64Array(3);
  readonly counts = new Float64Array(LATENCY_BUCKETS_S.length + 1);
  private readonly bounds = Float64Array.from(LATENCY_BUCKETS_S);

  /** Right after recv returned. */
  start(): void { this.t[0] = monoSec(); }

  /** Right before the verdicts are sent: add the batch's latency once per packet (count = n). */
  stop(n: number): void {
    const s = monoSec() - this.t[0];
    const b = this.bounds;
    let i = 0;
    while (i < b.length && s > b[i]) i++;
    this.counts[i] += n;
    this.t[1] += s * n;
    this.t[2] += n;
  }

  /** For the stats message (once per stats round, not per batch). */
  snapshot(): LatencySnapshot {
    return { bounds: LATENCY_BUCKETS_S.slice(), counts: Array.from(this.counts), sum: this.t[1], count: this.t[2] };
  }
}

