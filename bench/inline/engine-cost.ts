/**
 * The inline engine's own cost per packet, in process, without the kernel: the two shapes of
 * bench/inline's traffic (64-byte UDP datagrams of one flow, raw IPv4 as NFQUEUE delivers them).
 *
 *   node dist/bench/inline/engine-cost.js [--rules FILE|--no-rules|--only-rules] [--gap-us 100] [--n 200000] [--warmup PACKETS]
 *
 * - drain: batches of 64 back to back (what bench/inline (a) asks of the worker), ns per packet;
 * - one_b2b: batches of 1 back to back, ns per batch (stamp included): a warm engine's floor per packet in (b);
 * - rtt: batches of 1 with the thread asleep `--gap-us` between them (Atomics.wait, as the worker
 *   sleeps in recv), µs per batch, p50 and p99: the engine's share of bench/inline (b).
 * - cold: the first 50,000 packets of the process's first engine, after `--warmup PACKETS` of
 *   src/inline/warmup.ts (0: none), what bench/inline's drain meets right after `quell run` starts.
 * - `--pollute KB`: between two rtt packets, write one byte per cache line of KB other memory.
 * Both columns (the rules given, and none) are measured in the same run, so their ratio holds
 * whatever the machine is doing. This is a development bench: the figures of record come from
 * bench/inline/inline.ts, which measures the whole path through the kernel.
 */
import * as fs from 'fs';
import { hostEngine } from '../../src/inline/engine-host';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, D_ID, D_HOOK, D_FLAGS, F_CSUM_NOT_READY, PacketBatch } from '../../src/io/batch';

const LINKTYPE_RAW = 101;   // NFQUEUE delivers the IP header first

function arg(name: string, dflt: string | null): string | null {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** A 64-byte IPv4/UDP datagram 10.0.0.1:40000 -> 10.0.0.2:9000 (checksum left 0). */
function udpPacket(payloadLen: number, sport: number): Uint8Array {
  const len = 20 + 8 + payloadLen;
  const p = new Uint8Array(len);
  p[0] = 0x45; p[2] = len >> 8; p[3] = len & 0xff; p[8] = 64; p[9] = 17;
  p.set([10, 0, 0, 1], 12); p.set([10, 0, 0, 2], 16);
  p[20] = sport >> 8; p[21] = sport & 0xff; p[22] = 9000 >> 8; p[23] = 9000 & 0xff;
  p[24] = (8 + payloadLen) >> 8; p[25] = (8 + payloadLen) & 0xff;
  for (let i = 0; i < payloadLen; i++) p[28 + i] = 0x61 + (i % 26);
  return p;
}

function makeBatch(max: number, pkt: Uint8Array): PacketBatch {
  const data = new Uint8Array(max * 2048);
  const desc = new Uint32Array(max * DESC_STRIDE);
  for (let i = 0; i < max; i++) {
    data.set(pkt, i * 2048);
    const d = i * DESC_STRIDE;
    desc[d + D_OFF] = i * 2048; desc[d + D_CAPLEN] = pkt.length; desc[d + D_WIRELEN] = pkt.length;
    desc[d + D_LINK] = LINKTYPE_RAW; desc[d + D_HOOK] = 1;
    desc[d + D_FLAGS] = F_CSUM_NOT_READY;   // as the addon reports local UDP on veth (offloaded checksum)
  }
  return { data, desc, verdict: new Uint32Array(max * 2), count: max };
}

/** Packet clock: starts at the wall clock, then 2 µs per packet (about the drain's arrival rate),
 *  or the wall clock when the packets are sent one by one (rtt). */
let clockNs = Date.now() * 1e6;
function stamp(b: PacketBatch, id: number): number {
  if (b.count === 1) clockNs = Math.max(clockNs, Date.now() * 1e6);
  for (let i = 0; i < b.count; i++) {
    const d = i * DESC_STRIDE;
    clockNs += 2000;
    b.desc[d + D_TS_SEC] = Math.floor(clockNs / 1e9); b.desc[d + D_TS_NSEC] = clockNs % 1e9;
    b.desc[d + D_ID] = id++;
  }
  return id;
}

function pct(a: number[], p: number): number { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; }

function measure(rulesText: string | null, rulesFile: string | null, n: number, gapUs: number): Record<string, number> {
  const host = hostEngine({ rulesText, rulesFile, engineModule: null, engineOptions: {}, warmupPackets: Number(arg('--warmup', '0')) });
  const engine = host.engine;
  const wr = host.warmup;
  const pkt = udpPacket(64 - 28, 40000);
  const big = makeBatch(64, pkt);
  let id = 1;
  // cold: the first 50,000 packets of a fresh engine (what bench/inline's drain sees right after
  // `quell run` starts, JIT not warm yet: meaningful only for the first column of a process)
  const c0 = process.hrtime.bigint();
  if (process.env.COLD_TRACE) console.log('--- cold phase starts');
  const per: number[] = [];
  for (let r = 0; r < 782; r++) { const b0 = process.hrtime.bigint(); id = stamp(big, id); engine.processBatch(big); engine.drainEvents(); per.push(Number(process.hrtime.bigint() - b0) / 1000); }
  if (process.env.COLD_TRACE) process.stderr.write(JSON.stringify(per.map((x, i) => i < 10 || i % 50 === 0 ? Math.round(x) : -1).filter((x) => x >= 0)) + '\n');
  const coldNs = Number(process.hrtime.bigint() - c0) / (782 * 64);
  // drain: warm up, then time
  for (let r = 0; r < 2000; r++) { id = stamp(big, id); engine.processBatch(big); engine.drainEvents(); }
  const t0 = process.hrtime.bigint();
  const u0 = process.cpuUsage();
  const rounds = Math.ceil(n / 64);
  for (let r = 0; r < rounds; r++) { id = stamp(big, id); engine.processBatch(big); engine.drainEvents(); }
  const drainNs = Number(process.hrtime.bigint() - t0) / (rounds * 64);
  // CPU time as well: on a shared machine wall time includes waiting for a core
  const u = process.cpuUsage(u0);
  const drainCpuNs = ((u.user + u.system) * 1000) / (rounds * 64);
  // one packet per batch, back to back (no sleep, one clock read for all): the per-batch cost of
  // a warm engine with warm caches, the floor under (b)'s verdict latency inline
  const one = makeBatch(1, pkt);
  for (let r = 0; r < 20_000; r++) { id = stamp(one, id); engine.processBatch(one); engine.drainEvents(); }
  const b0 = process.hrtime.bigint();
  const nb = Math.min(n, 200_000);
  for (let r = 0; r < nb; r++) { id = stamp(one, id); engine.processBatch(one); engine.drainEvents(); }
  const oneB2bNs = Number(process.hrtime.bigint() - b0) / nb;
  // rtt: one packet per batch, asleep between
  const sab = new Int32Array(new SharedArrayBuffer(4));
  const lat: number[] = [];
  const m = Math.min(n, 5000);
  // --pollute KB: touch that much other memory between two packets (one write per cache line),
  // as the kernel, the echo server and other tenants do on the consumer's CPU inline
  const pol = new Uint8Array(Number(arg('--pollute', '0')) * 1024);
  for (let r = 0; r < m; r++) {
    if (gapUs > 0) Atomics.wait(sab, 0, 0, gapUs / 1000);
    for (let i = 0; i < pol.length; i += 64) pol[i]++;
    id = stamp(one, id);
    const s = process.hrtime.bigint();
    engine.processBatch(one);
    engine.drainEvents();
    lat.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  return { warmup_ms: wr.ms, warmup_packets: wr.packets, cold_ns_per_pkt: Math.round(coldNs), drain_ns_per_pkt: Math.round(drainNs), drain_cpu_ns_per_pkt: Math.round(drainCpuNs), one_b2b_ns_per_batch: Math.round(oneB2bNs), rtt_p50_us: +pct(lat, 0.5).toFixed(2), rtt_p99_us: +pct(lat, 0.99).toFixed(2) };
}

function main(): void {
  const noRules = process.argv.includes('--no-rules');
  const onlyRules = process.argv.includes('--only-rules');
  const rulesFile = arg('--rules', 'signatures/rules/default.rules')!;
  const n = Number(arg('--n', '200000'));
  const gapUs = Number(arg('--gap-us', '100'));
  const rows: Record<string, unknown>[] = [];
  if (!noRules) rows.push({ column: rulesFile, ...measure(fs.readFileSync(rulesFile, 'utf8'), rulesFile, n, gapUs) });
  if (!onlyRules) rows.push({ column: 'no rules', ...measure(null, null, n, gapUs) });
  for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
}

main();
