/**
 * bench/flows/steady: the engine's per-core rate once the JIT has warmed up, in-process (no CLI
 * startup, no file I/O): the capture is loaded into memory, the first half of its batches warms
 * the engine up, then the CPU time (process.cpuUsage, all threads) of the second half is measured,
 * in `quell flows` configuration. Next to it, ndpiReader's CPU rate over the whole file, same run.
 * Also counted over the second half (load-independent): garbage collections (perf_hooks 'gc'
 * entries) by kind. With --rounds N a fresh engine runs N times in the same process and the best
 * second half is kept (fully warm code); the first half of the first round is printed as the cold figure.
 *
 *   node dist/bench/flows/steady.js [FILE] [--rounds N]    (default bench/out/big.pcap, 1 round)
 *
 * One JSON object on stdout (bench/flows/run.js runs this and merges it into flows.json).
 * STEADY_VERBOSE=1 prints every round's second-half rate on stderr. They vary a lot within one
 * process (Node 24, 2026-11-21: 0.8-2.6 M pps). `--trace-deopt` shows call sites TurboFan
 * specialised for the previous engine's closures deoptimising ("wrong call target") after each
 * fresh engine, and process.cpuUsage counts the recompiling (and GC) of background threads in the
 * round: most likely the spread; hence best of N.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { PerformanceObserver } from 'perf_hooks';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, PacketBatch } from '../../src/io/batch';
import { QuellEngine } from '../../src/engine/pipeline';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ri = args.indexOf('--rounds');
  const rounds = ri >= 0 ? Math.max(1, Number(args.splice(ri, 2)[1])) : 1;
  const file = args[0] ?? path.resolve(__dirname, '..', '..', '..', 'bench', 'out', 'big.pcap');
  const r = await openCapture(file);
  const batches: PacketBatch[] = [];
  for (let b = await r.next(1024); b !== null; b = await r.next(1024)) {
    const last = (b.count - 1) * DESC_STRIDE;
    const end = b.desc[last + D_OFF] + b.desc[last + D_CAPLEN];
    batches.push({ data: Uint8Array.from(b.data.subarray(0, end)), desc: b.desc.slice(0, b.count * DESC_STRIDE), verdict: new Uint32Array(b.count * 2), count: b.count });
  }
  await r.close();
  const half = batches.length >> 1;
  const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1e6;
  const gcKinds: Record<number, string> = { 1: 'scavenge', 2: 'mark_compact', 4: 'incremental', 8: 'weak_cb' };
  let best: { warm: number; n: number; gcs: Record<string, number> } | null = null;
  let coldCpu = 0, coldN = 0;
  for (let round = 0; round < rounds; round++) {
    // a fresh engine per round; rounds after the first reuse optimised code (the same process)
    const e = new QuellEngine({ appEvents: false, flowSummaries: true, httpLimits: { maxRequestBody: 0, maxResponseBody: 0 } });
    let warm = 0, n = 0;
    const c0 = process.cpuUsage();
    for (let i = 0; i < half; i++) { e.processBatch(batches[i]); warm += batches[i].count; e.drainEvents(); }
    const c1 = process.cpuUsage();
    const gcs: Record<string, number> = {};
    const obs = new PerformanceObserver((l) => {
      for (const x of l.getEntries()) {
        const k = gcKinds[(x as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
        gcs[k] = (gcs[k] ?? 0) + 1;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    for (let i = half; i < batches.length; i++) { e.processBatch(batches[i]); n += batches[i].count; e.drainEvents(); }
    const c2 = process.cpuUsage();
    await new Promise((res) => setTimeout(res, 20));   // let the observer deliver
    obs.disconnect();
    const w = cpu(c1, c2);
    if (round === 0) { coldCpu = cpu(c0, c1); coldN = warm; }    // the first half of the first round: JIT cold
    if (process.env.STEADY_VERBOSE) process.stderr.write(`round ${round}: second half ${Math.round(n / w)} pps\n`);
    if (best === null || w < best.warm) best = { warm: w, n, gcs };
  }
  const nd = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S', 'ndpiReader', '-i', file, '-q'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /TIME ([\d.]+) ([\d.]+)/.exec(nd.stderr);
  const ndCpu = m ? +m[1] + +m[2] : NaN;
  const total = coldN + best!.n;
  const out = {
    file, packets: total, rounds,
    quell_cold_first_half_cpu_pps: Math.round(coldN / coldCpu),
    quell_second_half_cpu_pps: Math.round(best!.n / best!.warm),
    quell_second_half_gcs: best!.gcs,
    ndpiReader_cpu_pps: Math.round(total / ndCpu),
    ratio_steady_cpu: +((best!.n / best!.warm) / (total / ndCpu)).toFixed(3),
  };
  console.log(JSON.stringify(out, null, 2));
}

void main();
