/**
 * Does per-batch verdict-latency measurement allocate? (src/inline/latency.ts)
 *
 *   node --max-semi-space-size=1 dist/bench/inline/latency-alloc.js
 *
 * Runs a batch-like loop (stamp, a little work, stop(n)) 5M times after warm-up, with each clock
 * candidate, and counts garbage collections (PerformanceObserver 'gc') during the timed part. With a
 * 1 MiB semi-space every ~1 MiB allocated shows up as a scavenge, so 0 means no allocation per batch.
 */
import { PerformanceObserver, performance } from 'perf_hooks';
import { LatencyHist } from '../../src/inline/latency';

const N = 5_000_000;
const WARM = 200_000;

function run(name: string, step: () => void): Promise<void> {
  for (let i = 0; i < WARM; i++) step();
  let gcs = 0;
  const obs = new PerformanceObserver((l) => { gcs += l.getEntries().length; });
  obs.observe({ entryTypes: ['gc'] });
  const t0 = process.hrtime();
  for (let i = 0; i < N; i++) step();
  const d = process.hrtime(t0);
  return new Promise((r) => setTimeout(() => {
    obs.disconnect();
    process.stdout.write(JSON.stringify({ clock: name, steps: N, gcs, ns_per_step: Math.round((d[0] * 1e9 + d[1]) / N) }) + '\n');
    r();
  }, 50));
}

async function main(): Promise<void> {
  const h = new LatencyHist();
  const acc = new Float64Array(2);
  let x = 0;
  await run('LatencyHist (process.hrtime)', () => { h.start(); x = (x + 1) & 7; h.stop(1 + x); });
  await run('performance.now', () => { const t0 = performance.now(); x = (x + 1) & 7; acc[0] += performance.now() - t0; acc[1] += 1 + x; });
  await run('Date.now', () => { const t0 = Date.now(); x = (x + 1) & 7; acc[0] += Date.now() - t0; acc[1] += 1 + x; });
  await run('process.hrtime.bigint', () => { const t0 = process.hrtime.bigint(); x = (x + 1) & 7; acc[0] += Number(process.hrtime.bigint() - t0); acc[1] += 1 + x; });
}

void main();
