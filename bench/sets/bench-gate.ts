/**
 * bench/sets/bench-gate: what does the pre-signature gate (allowlist + 100k-network block list +
 * 1,000 bans, WorkerOps.wrap) add per packet to engine.processBatch, next to the same engine
 * without it, in the same run?
 *
 *   node dist/bench/sets/bench-gate.js [--packets 20000] [--rounds 20]
 *
 * Traffic: TCP SYNs from 2,000 sources (none listed, so every packet walks every structure and
 * the engine runs fully), 64 packets per batch, the same batches replayed each round (each round
 * uses a new engine so flows are created again). Best of 3; noisy shared machine.
 */
import { createEngine } from '../../src/engine/pipeline';
import { tcpFrame } from '../../src/io/craft';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK, D_ID, PacketBatch } from '../../src/io/batch';
import { SetRegistry, NamedSet } from '../../src/ops/sets';
import { CidrSet } from '../../src/ops/cidr-set';
import { WorkerOps } from '../../src/ops/runtime';
import { parsePrefix } from '../../src/ops/addr';
import { generate } from './bench-sets';

function batchOf(frames: Uint8Array[], tsSec: number): PacketBatch {
  let n = 0; for (const f of frames) n += f.length;
  const data = new Uint8Array(n), desc = new Uint32Array(frames.length * DESC_STRIDE);
  let o = 0;
  frames.forEach((f, i) => {
    data.set(f, o); const d = i * DESC_STRIDE;
    desc[d + D_OFF] = o; desc[d + D_CAPLEN] = f.length; desc[d + D_WIRELEN] = f.length; desc[d + D_TS_SEC] = tsSec; desc[d + D_TS_NSEC] = i * 1000;
    desc[d + D_LINK] = 1; desc[d + D_ID] = i + 1; o += f.length;
  });
  return { data, desc, verdict: new Uint32Array(frames.length * 2), count: frames.length };
}

function main(): void {
  const argv = process.argv.slice(2);
  const arg = (k: string, d: number) => { const i = argv.indexOf(k); return i >= 0 ? Number(argv[i + 1]) : d; };
  const P = arg('--packets', 20000), ROUNDS = arg('--rounds', 10);
  const T0 = 1_763_683_200;
  const batches: PacketBatch[] = [];
  for (let b = 0; b < P / 64; b++) {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      const k = b * 64 + i;
      const src = `100.${64 + ((k % 2000) >> 8)}.${(k % 2000) & 255}.${1 + (k % 7)}`;
      frames.push(tcpFrame(src, '10.0.0.1', '', { sport: 1024 + (k % 60000), dport: 80, seq: k, flags: 'S' }));
    }
    batches.push(batchOf(frames, T0));
  }
  // sets: the generated 100k list minus anything covering 100.64.0.0/10 (the sources), an allowlist, 1,000 bans
  const { text } = generate(100_000);
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#')).filter((l) => !l.startsWith('100.'));
  const reg = new SetRegistry();
  const drop = new NamedSet('drop', 'block', null, {}, undefined, true, 4096);
  drop.cidrs = CidrSet.fromText(lines.join('\n'), 'gen');
  reg.add(drop);
  const allow = new NamedSet('mgmt', 'allow', null, {}, undefined, true, 16);
  allow.cidrs = CidrSet.fromText('192.0.2.0/24\n', 'mgmt');
  reg.add(allow);
  for (let i = 0; i < 1000; i++) drop.addEntry(parsePrefix(`198.18.${i >> 8}.${i & 255}`)!, T0 * 1000, 3_600_000);
  const snap = reg.snapshot();

  const run = (withOps: boolean): number => {
    let best = Infinity;
    for (let rep = 0; rep < 3; rep++) {
      let total = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const ops = withOps ? new WorkerOps(snap) : null;
        const engine = createEngine({ detect: ops ? ops.wrap(null) : null });
        const t0 = process.hrtime.bigint();
        for (const b of batches) engine.processBatch(b);
        total += Number(process.hrtime.bigint() - t0);
      }
      best = Math.min(best, total / (ROUNDS * batches.length * 64));
    }
    return best;
  };
  run(false); run(true); // warm up
  const base = run(false);
  const gated = run(true);
  const row = { packets_per_round: batches.length * 64, rounds: ROUNDS, engine_ns_per_pkt: +base.toFixed(0), engine_with_gate_ns_per_pkt: +gated.toFixed(0),
    gate_ns_per_pkt: +(gated - base).toFixed(0), ratio: +(gated / base).toFixed(3) };
  process.stdout.write(JSON.stringify(row) + '\n');
}

if (require.main === module) main();
