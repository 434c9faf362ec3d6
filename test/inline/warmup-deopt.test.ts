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

test('processBatch and onFlowEnd stay optimised through the first real batch and a stats snapshot, processBatch and the HTTP parser through a full GC', () => {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', '-e', CHILD], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const st = JSON.parse(r.stdout) as Record<'before' | 'afterTraffic' | 'afterGc', Record<string, number>>;
  const bits = (x: number) => x.toString(2);
  for (const fn of ['processBatch', 'onFlowEnd']) {
    assert.ok((st.before[fn] & OPTIMIZED) !== 0 && (st.before[fn] & TURBOFANNED) !== 0, `${fn} optimised by the warm-up (status ${bits(st.before[fn])})`);
    assert.ok((st.afterTraffic[fn] & OPTIMIZED) !== 0, `${fn} still optimised after the first batch and stats (status ${bits(st.afterTraffic[fn])})`);
  }
  // onFlowEnd is left out here: V8 drops code whose embedded hidden classes died, and a full GC
  // may collect a flow record's transition map; that is V8's, once, and not about the warm-up
  for (const fn of ['processBatch', 'httpFeed']) {
    assert.ok((st.before[fn] & OPTIMIZED) !== 0, `${fn} optimised by the warm-up (status ${bits(st.before[fn])})`);
    assert.ok((st.afterGc[fn] & OPTIMIZED) !== 0, `${fn} still optimised after a full GC (status ${bits(st.afterGc[fn])})`);
  }
});
