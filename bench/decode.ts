/**
 * Question: how fast does Quell read + decode (L2-L4) a capture, compared with nDPI's ndpiReader
 * on the same file in the same run?
 *
 *   npx tsc -p . && node dist/bench/decode.js [FILE] [--rounds N] [--no-write]
 *
 * FILE defaults to bench/out/big.pcap, made by bench/make-big-capture.sh (>= 100 MB, run first if
 * missing). Per round, alternating, on one core each (ndpiReader reads pcap files in one thread):
 *   - ndpiReader -i FILE: process CPU time (user+sys, from bash `times`), wall time, and the
 *     "nDPI throughput" it prints (its own packet-processing wall time; nDPI also classifies);
 *   - quell decode --no-packets FILE (the CLI, checksums verified, reassembly on): the same
 *     process CPU and wall times;
 *   - in process: openCapture + decodePacket over the file (what the engine pays per packet),
 *     with and without checksum verification.
 * The best round of each is kept. Ratios are packets per CPU-second of quell over ndpiReader: this
 * machine is shared (load average above the core count), so wall times include time spent waiting
 * for a core; wall-time ratios are printed too. Goal: ratio >= 1.5.
 * Headline (ratio_inproc_cpu): read + decode in process, warm, because the issue asks for
 * "read+decode packets/s of quell on one core" (the decoder's rate, what every engine pays per
 * packet). The whole one-shot CLI process (ratio_cli_cpu: + node start-up, module load, JIT
 * warm-up) is printed next to it, never dropped.
 *
 * Prints one JSON line on stdout and, unless --no-write, rewrites the "Decode" section of
 * docs/performance.md with the figures and the machine description.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openCapture } from '../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK } from '../src/io/batch';
import { PacketView } from '../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../decoders/decode';
import { Reassembler } from '../decoders/frag';

const ROOT = path.resolve(__dirname, '..', '..');

interface ProcRun { wall: number; cpu: number; stdout: string }

/** Run a command under bash and read its children's CPU time from `times`. */
function runTimed(cmd: string): ProcRun {
  const script = `s=$(date +%s.%N); ${cmd} > /tmp/quell-bench-decode.$$.out 2>&1; rc=$?; e=$(date +%s.%N); times; echo "WALL $s $e RC $rc"; cat /tmp/quell-bench-decode.$$.out; rm -f /tmp/quell-bench-decode.$$.out`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 600_000 });
  const out = r.stdout ?? '';
  const lines = out.split('\n');
  // `times` prints two lines: shell user/sys, then children user/sys ("0m0.262s 0m0.114s")
  const secs = (s: string): number => { const m = /(\d+)m([\d.]+)s/.exec(s); return m ? Number(m[1]) * 60 + Number(m[2]) : NaN; };
  const child = lines[1].trim().split(/\s+/);
  const w = /WALL (\S+) (\S+) RC (\d+)/.exec(out);
  if (!w || w[3] !== '0') throw new Error(`${cmd} failed: ${out.slice(0, 2000)}`);
  return { wall: Number(w[2]) - Number(w[1]), cpu: secs(child[0]) + secs(child[1]), stdout: lines.slice(3).join('\n') };
}

async function inProcess(file: string, checksums: number): Promise<{ wall: number; cpu: number; packets: number; check: number }> {
  const v = new PacketView();
  const ctx = new DecodeContext(checksums, new Reassembler());
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await openCapture(file);
  let packets = 0, check = 0;
  for (let b = await r.next(1024); b !== null; b = await r.next(1024)) {
    const desc = b.desc, data = b.data;
    for (let i = 0; i < b.count; i++) {
      const d = i * DESC_STRIDE;
      decodePacket(v, data, desc[d + D_OFF], desc[d + D_CAPLEN], desc[d + D_WIRELEN], desc[d + D_LINK], desc[d + D_TS_SEC], desc[d + D_TS_NSEC], ctx);
      check += v.payloadLen + v.eventCount;
    }
    packets += b.count;
    r.complete(b);
  }
  await r.close();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, packets, check };
}

function machine(): Record<string, string | number> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    nproc: os.cpus().length, cpu, mem_gb: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version,
    loadavg: os.loadavg().map((x) => x.toFixed(1)).join(' '),
    ndpi: (spawnSync('ndpiReader', ['-h'], { encoding: 'utf8' }).stdout ?? '').split('\n').find((l) => /nDPI/.test(l))?.replace(/^.*?(nDPI)/, '$1').trim() ?? '?',
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ri = args.indexOf('--rounds');
  const rounds = ri >= 0 ? Number(args.splice(ri, 2)[1]) : 3;
  const nw = args.indexOf('--no-write');
  const write = nw < 0;
  if (nw >= 0) args.splice(nw, 1);
  let file = args[0];
  if (!file) {
    file = path.join(ROOT, 'bench', 'out', 'big.pcap');
    if (!fs.existsSync(file)) {
      const m = spawnSync('bash', [path.join(ROOT, 'bench', 'make-big-capture.sh')], { stdio: 'inherit' });
      if (m.status !== 0) throw new Error('make-big-capture.sh failed');
    }
  }
  const size = fs.statSync(file).size;
  const quell = `node ${JSON.stringify(path.join(ROOT, 'bin', 'quell.js'))} decode --no-packets ${JSON.stringify(file)}`;
  // without -q ndpiReader prints its summary (packet counts, "nDPI throughput"); no -v: no flow list
  const ndpi = `ndpiReader -i ${JSON.stringify(file)}`;
  runTimed(`cat ${JSON.stringify(file)} > /dev/null`);      // page cache warm
  let bestN: ProcRun | null = null, bestQ: ProcRun | null = null, bestJ: ProcRun | null = null;
  let ndpiPps = 0, ndpiProcMs = 0;
  const startup = runTimed(`node ${JSON.stringify(path.join(ROOT, 'bin', 'quell.js'))} decode --no-packets ${JSON.stringify(path.join(ROOT, 'pcaps', 'quell-sample.pcap'))}`);
  let coldCpu = 0;
  let bestIn = { wall: Infinity, cpu: Infinity, packets: 0, check: 0 }, bestInNoCk = { wall: Infinity, cpu: Infinity, packets: 0, check: 0 };
  for (let i = 0; i < rounds; i++) {
    const n = runTimed(ndpi);
    if (!bestN || n.cpu < bestN.cpu) bestN = n;
    const m = /nDPI throughput:\s+([\d.]+) ([KM]?) pps/.exec(n.stdout);
    if (m) ndpiPps = Math.max(ndpiPps, Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'K' ? 1e3 : 1));
    const pt = /Packet Processing Time:\s+(\d+) msec/.exec(n.stdout);
    if (pt && (ndpiProcMs === 0 || Number(pt[1]) < ndpiProcMs)) ndpiProcMs = Number(pt[1]);
    const q = runTimed(quell);
    if (!bestQ || q.cpu < bestQ.cpu) bestQ = q;
    const jl = runTimed(quell.replace(' --no-packets', '') + ' >/dev/null');
    if (!bestJ || jl.cpu < bestJ.cpu) bestJ = jl;
    const a = await inProcess(file, CSUM_ALL);
    if (i === 0) coldCpu = a.cpu;                // first decode in this process: JIT not warm yet
    if (a.cpu < bestIn.cpu) bestIn = { ...a, wall: Math.min(a.wall, bestIn.wall) };
    else bestIn.wall = Math.min(a.wall, bestIn.wall);
    const b = await inProcess(file, 0);
    if (b.cpu < bestInNoCk.cpu) bestInNoCk = b;
  }
  const packets = bestIn.packets;
  const ndpiTotal = /of (\d+) packets total/.exec(bestN!.stdout);
  const res = {
    bench: 'decode', file, bytes: size, packets, rounds,
    ndpi_packets: ndpiTotal ? Number(ndpiTotal[1]) : null,
    ndpi_cpu_s: +bestN!.cpu.toFixed(3), ndpi_wall_s: +bestN!.wall.toFixed(3), ndpi_pps_cpu: Math.round(packets / bestN!.cpu),
    ndpi_reported_pps: Math.round(ndpiPps), ndpi_reported_processing_ms: ndpiProcMs,
    quell_json_cpu_s: +bestJ!.cpu.toFixed(3), quell_json_lines_per_cpu_s: Math.round(packets / bestJ!.cpu),
    quell_cli_cpu_s: +bestQ!.cpu.toFixed(3), quell_cli_wall_s: +bestQ!.wall.toFixed(3), quell_cli_pps_cpu: Math.round(packets / bestQ!.cpu),
    quell_inproc_pps_cpu: Math.round(packets / bestIn.cpu), quell_inproc_pps_wall: Math.round(packets / bestIn.wall),
    quell_inproc_nocsum_pps_cpu: Math.round(packets / bestInNoCk.cpu),
    quell_inproc_cold_cpu_s: +coldCpu.toFixed(3), quell_inproc_warm_cpu_s: +bestIn.cpu.toFixed(3),
    quell_cli_startup_cpu_s: +startup.cpu.toFixed(3),
    ratio_inproc_cpu: +((packets / bestIn.cpu) / (packets / bestN!.cpu)).toFixed(2),
    ratio_cli_cpu: +(bestN!.cpu / bestQ!.cpu).toFixed(2),
    ratio_cli_wall: +(bestN!.wall / bestQ!.wall).toFixed(2),
    ratio_inproc_vs_ndpi_reported: +((packets / bestIn.wall) / ndpiPps).toFixed(2),
    machine: machine(),
  };
  process.stdout.write(JSON.stringify(res) + '\n');
  if (write) writeDoc(res);
}

function writeDoc(r: Record<string, unknown> & { machine: Record<string, unknown> }): void {
  const doc = path.join(ROOT, 'docs', 'performance.md');
  const mm = r.machine;
  const k = (x: unknown): string => (typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
  const section = `## Decode

Question: read + L2-L4 decode throughput of Quell vs \`ndpiReader\` (nDPI) on the same file, same run
(\`node dist/bench/decode.js\`, bench/decode.ts). Goal: >= 1.5x ndpiReader's packets/s.

File: \`${path.relative(ROOT, String(r.file))}\` (bench/make-big-capture.sh), ${k(r.bytes)} bytes, ${k(r.packets)} packets.
Measured ${new Date().toISOString().slice(0, 16)}Z, best of ${r.rounds} rounds. Machine: ${mm.nproc} vCPU ${mm.cpu}, ${mm.mem_gb} GB, Linux ${mm.kernel}, Node ${mm.node}, ${mm.ndpi};
load average at the time ${mm.loadavg} (**shared and busy machine: figures are noisy**, wall times include waiting
for a core, so the headline compares CPU time).

| | CPU s | wall s | packets/s (CPU) |
|---|---|---|---|
| \`ndpiReader -i FILE\` (decode + flows + DPI) | ${r.ndpi_cpu_s} | ${r.ndpi_wall_s} | ${k(r.ndpi_pps_cpu)} |
| \`quell decode --no-packets FILE\` (CLI: node start-up, read, decode, checksums, reassembly) | ${r.quell_cli_cpu_s} | ${r.quell_cli_wall_s} | ${k(r.quell_cli_pps_cpu)} |
| \`quell decode FILE > /dev/null\` (CLI with one JSON line per packet) | ${r.quell_json_cpu_s} | | ${k(r.quell_json_lines_per_cpu_s)} |
| in process, openCapture + decodePacket, checksums on, warm (what a long-running engine pays) | ${r.quell_inproc_warm_cpu_s} | | ${k(r.quell_inproc_pps_cpu)} |
| in process, checksums off, warm | | | ${k(r.quell_inproc_nocsum_pps_cpu)} |

- **Headline: decode throughput, warm, per CPU second: ${r.ratio_inproc_cpu}x ndpiReader** (goal 1.5x; the
  issue asks for read+decode packets/s on one core, i.e. the decoder's rate). Against the
  packets/s ndpiReader prints itself ("nDPI throughput" ${k(r.ndpi_reported_pps)} pps over its ${r.ndpi_reported_processing_ms} ms
  of processing, wall): Quell in process (wall) ${k(r.quell_inproc_pps_wall)} pps = **${r.ratio_inproc_vs_ndpi_reported}x**.
- **The whole CLI process on this 100 MB file: ${r.ratio_cli_cpu}x** per CPU second (wall ${r.ratio_cli_wall}x): the goal is
  *not* met for a cold one-shot run of this size. Fixed costs dominate: node start-up + module load
  (${r.quell_cli_startup_cpu_s} s CPU on a 2 KB capture) and JIT warm-up (in process, the first pass over the file
  costs ${r.quell_inproc_cold_cpu_s} s CPU, a warm pass ${r.quell_inproc_warm_cpu_s} s). \`perf record\` over all threads of the
  CLI: TurboFan compiling (and recompiling after deopts) is the largest share of the cold process.
  bin/quell.js delays TurboFan to functions called 30,000 times (\`--invocation-count-for-turbofan=30000\`,
  Node 24: medium-hot code stays in Maglev); on Node 20 the larger tier-up budget it used then gave
  -6..8% CPU here, and less inlining was faster cold but 20-30% slower warm (not kept). PacketView's u32 fields start as doubles, so the
  first seq/address >= 2^31 no longer changes its hidden class (that deoptimised every decoder at
  once, 6 times per run). These costs are paid once per process: inline and replay engines run
  warm, and larger files amortise them.
- nDPI also builds flows and classifies; this step only decodes, so the comparison is an upper bound on
  what the full pipeline will reach. Checksum verification (TCP/UDP over the whole segment) is the
  largest single decode cost (warm: checksums off is ${(Number(r.quell_inproc_nocsum_pps_cpu) / Number(r.quell_inproc_pps_cpu)).toFixed(1)}x faster); inline, packets the kernel flags
  CHECKSUM_NOT_READY skip it.
- Hot-path choices that moved these numbers: dense dispatch arrays instead of Maps; the checksum
  loop reads 8 bytes per iteration through one DataView per buffer (2.5x faster than byte pairs);
  fragment length/size checks before building the reassembly key (the bench file holds 160,000
  malformed tiny fragments).
`;
  let text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '# Performance\n\nOne section per benchmark; each says its question, baseline, machine and date.\n';
  const start = text.indexOf('## Decode\n');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 1);
    text = text.slice(0, start) + section + (next >= 0 ? text.slice(next + 1) : '');
  } else {
    text = text.replace(/\s*$/, '\n\n') + section;
  }
  fs.mkdirSync(path.dirname(doc), { recursive: true });
  fs.writeFileSync(doc, text);
}

main().catch((e) => { process.stderr.write(String(e && (e as Error).stack || e) + '\n'); process.exit(1); });
