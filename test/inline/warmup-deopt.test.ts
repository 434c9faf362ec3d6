/**
 * The inline warm-up's compiled code survives what happens after it (src/inline/engine-host.ts,
 * hostEngine): the first real batch (its `count` written after the batch literal, as
 * NfqueueSource.recvSync does), the first stats snapshot, and a full garbage collection. Each of
 * these used to deoptimise the hot path right when traffic began:
 *   - batch.count was a "const" field during the warm-up, so the first real batch deoptimised
 *     processBatch;
 *   - stats() built `{ http: <number>, ... }` literals that share hidden classes with the flow
 *     summaries, which deoptimised onFlowEnd;
 *   - the throwaway engines died, and the next full GC deoptimised every function specialised on
 *     their objects (64 of them, processBatch included; 34, the HTTP parser's among them, once
 *     the real engine was created after the warm-up).
 * V8's own optimisation status is read in a child process (node --allow-natives-syntax), before
 * and after those three steps. No root needed: the batch is fed in process. (Each fix undone alone
 * fails this test: processBatch at the first batch, onFlowEnd at the stats, the HTTP parser's feed
 * at the GC.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { ROOT } from '../helpers/paths';

const CHILD = `
const fs = require('fs');
const { hostEngine } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'inline', 'engine-host.js'))});
const { warmupFrames } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'inline', 'warmup.js'))});
const { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_LINK, D_TS_SEC, D_ID } = require(${JSON.stringify(path.join(ROOT, 'dist', 'src', 'io', 'batch.js'))});
const rules = ${JSON.stringify(path.join(ROOT, 'signatures', 'rules', 'default.rules'))};
const host = hostEngine({ rulesText: fs.readFileSync(rules, 'utf8'), rulesFile: rules, engineModule: null, engineOptions: {}, warmupPackets: 150000 });
%FinalizeOptimization();
const proto = Object.getPrototypeOf(host.engine);
const { HttpParser } = require(${JSON.stringify(path.join(ROOT, 'dist', 'decoders', 'app', 'http.js'))});
const fns = { processBatch: proto.processBatch, onFlowEnd: proto.onFlowEnd, httpFeed: HttpParser.prototype.feed };
const status = () => Object.fromEntries(Object.entries(fns).map(([k, f]) => [k, %GetOptimizationStatus(f)]));
const before = status();
// a batch like bench/inline's: IPv4 UDP datagrams to port 9000 (from the warm-up's mix, Ethernet
// header removed), its count written after the literal
const frames = warmupFrames().filter((f) => f[12] === 8 && f[13] === 0 && f[23] === 17 && f[36] === 0x23 && f[37] === 0x28).slice(0, 40).map((f) => f.subarray(14));
if (frames.length < 8) throw new Error('no UDP datagrams to port 9000 in the warm-up mix');
const data = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
const desc = new Uint32Array(frames.length * DESC_STRIDE);
let o = 0;
frames.forEach((f, i) => {
  data.set(f, o); const d = i * DESC_STRIDE;
  desc[d + D_OFF] = o; desc[d + D_CAPLEN] = f.length; desc[d + D_WIRELEN] = f.length; desc[d + D_LINK] = 101;
  desc[d + D_TS_SEC] = Math.floor(Date.now() / 1000); desc[d + D_ID] = i + 1; o += f.length;
});
const batch = { data, desc, verdict: new Uint32Array(frames.length * 2), count: 0 };
batch.count = frames.length;
host.engine.processBatch(batch);
host.engine.drainEvents();
host.engine.stats();
const afterTraffic = status();
global.gc();
host.engine.processBatch(batch);
host.engine.stats();
process.stdout.write(JSON.stringify({ before, afterTraffic, afterGc: status() }));
`;

/** V8's OptimizationStatus bits (src/runtime/runtime.h): optimised, TurboFan code */
const OPTIMIZED = 1 << 4, TURBOFANNED = 1 << 6;

/** What this test guards, for one child run: the list of failed expectations (empty = all hold). */
function failures(st: Record<'before' | 'afterTraffic' | 'afterGc', Record<string, number>>): string[] {
  const out: string[] = [];
  const bits = (x: number) => x.toString(2);
  const need = (ok: boolean, msg: string) => { if (!ok) out.push(msg); };
  for (const fn of ['processBatch', 'onFlowEnd']) {
    need((st.before[fn] & OPTIMIZED) !== 0 && (st.before[fn] & TURBOFANNED) !== 0, `${fn} optimised by the warm-up (status ${bits(st.before[fn])})`);
    need((st.afterTraffic[fn] & OPTIMIZED) !== 0, `${fn} still optimised after the first batch and stats (status ${bits(st.afterTraffic[fn])})`);
  }
  // onFlowEnd is left out here: V8 drops code whose embedded hidden classes died, and a full GC
  // may collect a flow record's transition map; that is V8's, once, and not about the warm-up
  for (const fn of ['processBatch', 'httpFeed']) {
    need((st.before[fn] & OPTIMIZED) !== 0, `${fn} optimised by the warm-up (status ${bits(st.before[fn])})`);
    need((st.afterGc[fn] & OPTIMIZED) !== 0, `${fn} still optimised after a full GC (status ${bits(st.afterGc[fn])})`);
  }
  return out;
}

// Up to 3 child runs; the first in which every expectation holds passes. Each fix undone makes
// every run fail (deterministic: the deopt is caused by the code), while a rare run disturbed from
// outside (seen once in about 40 runs, right after a rebuild, on a loaded machine) does not fail CI.
test('processBatch and onFlowEnd stay optimised through the first real batch and a stats snapshot, processBatch and the HTTP parser through a full GC', () => {
  const attempts: string[][] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '-e', CHILD], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const f = failures(JSON.parse(r.stdout));
    if (f.length === 0) {
      if (attempts.length) console.log(`passed at run ${i + 1}; earlier runs: ${JSON.stringify(attempts)}`);
      return;
    }
    attempts.push(f);
  }
  assert.fail(`every run failed:\n${attempts.map((f, i) => `run ${i + 1}: ${f.join('; ')}`).join('\n')}`);
});
