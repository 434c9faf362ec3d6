/**
 * bench/flows/steady: the engine's per-core rate once the JIT has warmed up, in-process (no CLI
 * startup, no file I/O): the capture is loaded into memory, the first half of its batches warms
 * the engine up, then the CPU time (process.cpuUsage, all threads) of the second half is measured,
 * in `quell flows` configuration. Next to it, ndpiReader's CPU rate over the whole file, same run.
 *
 *   node dist/bench/flows/steady.js [FILE]     (default bench/out/big.pcap)
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, PacketBatch } from '../../src/io/batch';
import { QuellEngine } from '../../src/engine/pipeline';

async function main(): Promise<void> {
  const file = process.argv[2] ?? path.resolve(__dirname, '..', '..', '..', 'bench', 'out', 'big.pcap');
  const r = await openCapture(file);
  const batches: PacketBatch[] = [];
  for (let b = await r.next(1024); b !== null; b = await r.next(1024)) {
    const last = (b.count - 1) * DESC_STRIDE;
    const end = b.desc[last + D_OFF] + b.desc[last + D_CAPLEN];
    batches.push({ data: Uint8Array.from(b.data.subarray(0, end)), desc: b.desc.slice(0, b.count * DESC_STRIDE), verdict: new Uint32Array(b.count * 2), count: b.count });
  }
  await r.close();
  const e = new QuellEngine({ appEvents: false, flowSummaries: true, httpLimits: { maxRequestBody: 0, maxResponseBody: 0 } });
  const half = batches.length >> 1;
  let warm = 0, n = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < half; i++) { e.processBatch(batches[i]); warm += batches[i].count; e.drainEvents(); }
  const c1 = process.cpuUsage();
  for (let i = half; i < batches.length; i++) { e.processBatch(batches[i]); n += batches[i].count; e.drainEvents(); }
  const c2 = process.cpuUsage();
  const cpu = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1e6;
  const nd = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S', 'ndpiReader', '-i', file, '-q'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /TIME ([\d.]+) ([\d.]+)/.exec(nd.stderr);
  const ndCpu = m ? +m[1] + +m[2] : NaN;
  const total = warm + n;
  const out = {
    file, packets: total,
    quell_first_half_cpu_pps: Math.round(warm / cpu(c0, c1)),
    quell_second_half_cpu_pps: Math.round(n / cpu(c1, c2)),
    ndpiReader_cpu_pps: Math.round(total / ndCpu),
    ratio_steady_cpu: +((n / cpu(c1, c2)) / (total / ndCpu)).toFixed(3),
  };
  console.log(JSON.stringify(out, null, 2));
}

void main();
