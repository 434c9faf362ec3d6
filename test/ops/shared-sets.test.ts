import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { SetRegistry, NamedSet, SetGate, GATE_BLOCK, GATE_ALLOW, GATE_NONE } from '../../src/ops/sets';
import { BanTable, BanReader } from '../../src/ops/bans';
import { parsePrefix, parseIPv4 } from '../../src/ops/addr';

const SETS_JS = path.resolve(__dirname, '..', '..', 'src', 'ops', 'sets.js');

test('snapshot in the same thread: SetGate over readers answers like the registry', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-shared-'));
  try {
    fs.writeFileSync(path.join(d, 'b.txt'), '10.0.0.0/8\n2001:db8::/32\n');
    fs.writeFileSync(path.join(d, 'a.txt'), '10.1.1.1\n');
    const reg = new SetRegistry();
    const b = new NamedSet('b', 'block', path.join(d, 'b.txt'), {}, undefined, true, 1000);
    reg.add(b);
    reg.add(new NamedSet('a', 'allow', path.join(d, 'a.txt'), {}, undefined, true, 1000));
    const g = SetGate.fromSnapshot(reg.snapshot());
    const now = 5000;
    for (const [ip, want] of [['10.9.9.9', GATE_BLOCK], ['10.1.1.1', GATE_ALLOW], ['11.0.0.1', GATE_NONE]] as const) {
      assert.equal(g.gate4(parseIPv4(ip), now), want, ip);
    }
    b.addEntry(parsePrefix('192.0.2.9')!, now, 1000);
    assert.equal(g.gate4(parseIPv4('192.0.2.9'), now), GATE_BLOCK, 'dynamic entry visible through the shared table at once');
    assert.equal(g.gate4(parseIPv4('192.0.2.9'), now + 1000), GATE_NONE, 'reader honours expiry without writing');
    assert.equal(g.gatePair4(parseIPv4('198.51.100.1'), parseIPv4('10.2.3.4'), now), GATE_BLOCK);
    assert.equal(g.gatePair4(parseIPv4('10.1.1.1'), parseIPv4('10.2.3.4'), now), GATE_ALLOW);
    // shared table capacity is fixed and bounded
    const t = new BanTable({ shared: true, maxEntries: 10 });
    for (let i = 0; i < 20; i++) { const w = new Uint32Array(4); w[0] = i; t.add({ family: 4, words: w, len: 32 }, Infinity); }
    assert.equal(t.size, 10); assert.equal(t.counters.full, 10);
    // churn forces in-place rehashes; a reader stays right
    const r = new BanReader(t.buffer);
    for (let k = 0; k < 2000; k++) {
      const w = new Uint32Array(4); w[0] = k % 10;
      t.remove({ family: 4, words: w, len: 32 }); t.add({ family: 4, words: w, len: 32 }, Infinity);
    }
    for (let i = 0; i < 10; i++) assert.equal(r.has4(i, 0), true);
    assert.equal(r.has4(11, 0), false);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('a worker thread sees an entry added on the main thread from its next lookup; seqlock never lies under churn', async () => {
  const reg = new SetRegistry();
  const bans = new NamedSet('bans', 'block', null, {}, undefined, true, 4096);
  reg.add(bans);
  bans.addEntry(parsePrefix('198.51.100.200')!, 0, Infinity); // permanent key, checked under churn
  const ctl = new Int32Array(new SharedArrayBuffer(64)); // [0] state, [1] polls until seen, [2] misses, [3] contended, [4] lookups
  const src = `
    const { parentPort, workerData } = require('worker_threads');
    const { SetGate } = require(${JSON.stringify(SETS_JS)});
    const g = SetGate.fromSnapshot(workerData.snap);
    const ctl = workerData.ctl;
    const target = 0xC0000263, perm = 0xC63364C8; // 192.0.2.99, 198.51.100.200
    Atomics.store(ctl, 0, 1); Atomics.notify(ctl, 0);
    let polls = 0;
    const end = Date.now() + 10000;
    while (g.gate4(target, 1) !== 2 && Date.now() < end) polls++;
    Atomics.store(ctl, 1, polls);
    Atomics.store(ctl, 0, 2); Atomics.notify(ctl, 0);
    // churn phase: main thread adds/removes other keys; the permanent key must always be found
    // (give-ups counted before this phase, while polling for the target, are not this phase's)
    const r = g.members()[0].timed;
    const c0 = r.contended;
    let misses = 0, n = 0;
    while (Atomics.load(ctl, 0) !== 3 && n < 5000000) { if (g.gate4(perm, 1) !== 2) misses++; n++; }
    Atomics.store(ctl, 2, misses); Atomics.store(ctl, 3, r.contended - c0); Atomics.store(ctl, 4, n);
    Atomics.store(ctl, 0, 4); Atomics.notify(ctl, 0);
  `;
  const w = new Worker(src, { eval: true, workerData: { snap: reg.snapshot(), ctl } });
  try {
    const waitFor = async (v: number) => { for (let i = 0; i < 2000 && Atomics.load(ctl, 0) < v; i++) await new Promise((r) => setTimeout(r, 5)); };
    await waitFor(1);
    const t0 = process.hrtime.bigint();
    bans.addEntry(parsePrefix('192.0.2.99')!, 0, 600_000);
    await waitFor(2);
    const seenMs = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.equal(Atomics.load(ctl, 0), 2, 'worker saw the API-added entry');
    // churn: 20k writes (adds, removes, renewals) while the worker reads
    for (let k = 0; k < 20000; k++) {
      const p = parsePrefix(`203.0.113.${k % 200}`)!;
      if (k % 3 === 2) bans.removeEntry(p); else bans.addEntry(p, 0, 1000 + k);
      if ((k & 1023) === 0) await new Promise((r) => setImmediate(r));
    }
    Atomics.store(ctl, 0, 3);
    await waitFor(4);
    const misses = Atomics.load(ctl, 2), contended = Atomics.load(ctl, 3), lookups = Atomics.load(ctl, 4);
    assert.ok(lookups > 0);
    assert.equal(misses, contended, 'a miss of a present key only ever comes from a counted seqlock give-up');
    process.stderr.write(`# shared ban visible to worker after ${seenMs.toFixed(3)} ms (informational); ${lookups} lookups under churn, ${contended} contended\n`);
  } finally { await w.terminate(); }
});
