import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedLru } from '../../src/ops/keyed-lru';
import { RateCounter, ScanDetector, SynFloodDetector, BY_SRC } from '../../src/ops/rate';
import { TimeOfDay } from '../../src/ops/time';
import { OpsConfigError } from '../../src/ops/errors';

test('KeyedLru: bounded, evicts least recently used, index stays consistent through churn', () => {
  const m = new KeyedLru(100);
  for (let i = 0; i < 100; i++) m.touch(i, 0, 0, 0, 1);
  m.touch(0, 0, 0, 0, 1); // 0 becomes most recent: 1 is now the LRU
  m.touch(1000, 0, 0, 0, 1);
  assert.equal(m.evictions, 1);
  assert.equal(m.find(1, 0, 0, 0, 1), -1, 'LRU key evicted');
  assert.ok(m.find(0, 0, 0, 0, 1) >= 0, 'recently touched key kept');
  assert.equal(m.size, 100);
  // churn with a reference LRU
  let x = 7; const r = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const ref: number[] = [];
  const big = new KeyedLru(257);
  for (let i = 0; i < 50000; i++) {
    const k = r() % 600;
    big.touch(k, k * 3, 0, 7, 2);
    const p = ref.indexOf(k); if (p >= 0) ref.splice(p, 1);
    ref.push(k); if (ref.length > 257) ref.shift();
  }
  for (let k = 0; k < 600; k++) assert.equal(big.find(k, k * 3, 0, 7, 2) >= 0, ref.includes(k), `key ${k}`);
});

test('RateCounter: sliding window estimate, keys independent, bounded with eviction counter', () => {
  const W = 60_000;
  const rc = new RateCounter(W, 1000);
  const t0 = 6_000_000; // aligned to W
  let est = 0;
  for (let i = 0; i < 30; i++) est = rc.hit4(0x0a000001, BY_SRC, t0 + i * 1000);
  assert.equal(est, 30);
  assert.equal(rc.hit4(0x0a000002, BY_SRC, t0 + 30_000), 1, 'another source has its own count');
  // half-way through the next window, the previous window's 30 count half: 15 + 1
  assert.equal(rc.hit4(0x0a000001, BY_SRC, t0 + W + 30_000), 16);
  assert.equal(rc.peek(0x0a000001, 0, 0, 0, BY_SRC, t0 + W + 30_000), 16);
  // two windows later everything is gone
  assert.equal(rc.hit4(0x0a000001, BY_SRC, t0 + 3 * W), 1);
  // the condition count(by=src, window=60s) > 20 on a steady 1/s stream crosses once per source
  const c2 = new RateCounter(W, 10);
  let firstOver = -1;
  for (let s = 0; s < 120; s++) if (c2.hit4(1, BY_SRC, t0 + s * 1000) > 20 && firstOver < 0) firstOver = s;
  assert.equal(firstOver, 20);
  // bounded
  const small = new RateCounter(W, 8);
  for (let i = 0; i < 100; i++) small.hit4(i, BY_SRC, t0);
  assert.equal(small.lru.size, 8);
  assert.equal(small.evictions, 92);
  // IPv6 and flow keys
  const b = new Uint8Array(16); b[0] = 0x20; b[15] = 1;
  assert.equal(rc.hit6(b, 0, BY_SRC, t0), 1);
  assert.equal(rc.hit6(b, 0, BY_SRC, t0 + 1), 2);
  assert.equal(rc.hitFlow(5, 1, t0), 1);
  assert.equal(rc.hitFlow(5, 2, t0), 1, 'reused flow slot with a new generation is a new key');
});

test('ScanDetector: distinct ports counted (repeats do not count), windows age out, accuracy within 10%', () => {
  const W = 10_000;
  const sd = new ScanDetector(W, 100);
  const t0 = 1_000_000;
  let est = 0;
  for (let i = 0; i < 500; i++) est = sd.observe4(0xc0000201, 80, t0 + i);
  assert.ok(Math.abs(est - 1) < 0.01, `one port many times: ${est}`);
  const src = 0xc0000202;
  for (let p = 1; p <= 100; p++) est = sd.observe4(src, p, t0 + p);
  assert.ok(est > 90 && est < 110, `100 distinct ports -> ${est}`);
  for (let p = 1; p <= 1000; p++) est = sd.observe4(0xc0000203, 1000 + p * 7, t0 + 5);
  assert.ok(est > 900 && est < 1100, `1000 distinct ports -> ${est}`);
  // a web client hitting 3 ports is far below any threshold
  for (let i = 0; i < 200; i++) est = sd.observe4(0xc0000204, [80, 443, 53][i % 3], t0 + i);
  assert.ok(est < 4);
  // two windows later the scanner's count restarts
  est = sd.observe4(src, 1, t0 + 2 * W + 1);
  assert.ok(est < 2, `aged out: ${est}`);
  const b = new Uint8Array(16); b[0] = 0xfe;
  for (let p = 0; p < 50; p++) est = sd.observe6(b, 0, 2000 + p, t0);
  assert.ok(est > 45 && est < 55);
});

test('ScanDetector: the cached estimate equals a fresh computation (repeats, new ports, windows)', () => {
  const W = 1000;
  const cached = new ScanDetector(W, 16);
  let rnd = 12345;
  const next = () => { rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0; return rnd; };
  const seen: [number, number, number][] = [];
  let now = 10_000;
  for (let i = 0; i < 5000; i++) {
    const src = 0x0a000000 + (next() % 12);
    const port = next() % 3 === 0 ? 80 : 1 + (next() % 2000);
    now += next() % 5;
    seen.push([src, port, now]);
    const got = cached.observe4(src, port, now);
    // reference: a fresh detector replaying this source's events of the last two windows
    const ref = new ScanDetector(W, 16);
    let want = 0;
    for (const [s2, p2, t2] of seen) if (s2 === src && t2 >= now - 2 * W) want = ref.observe4(s2, p2, t2);
    assert.equal(got, want, `event ${i}`);
  }
  assert.equal(cached.evictions, 0);
});

test('SynFloodDetector: SYNs without completion per destination', () => {
  const sf = new SynFloodDetector(10_000, 100);
  const t0 = 50_000;
  let pending = 0;
  // normal clients: SYN then handshake completes
  for (let i = 0; i < 50; i++) { pending = sf.syn4(0x0a000001, t0 + i); sf.established4(0x0a000001, t0 + i); }
  assert.ok(pending <= 1, `completed handshakes do not accumulate: ${pending}`);
  for (let i = 0; i < 300; i++) pending = sf.syn4(0x0a000002, t0 + i);
  assert.equal(pending, 300);
  assert.equal(sf.pending4(0x0a000001, t0 + 100), 0);
  assert.equal(sf.pending4(0x0a000002, t0 + 30_000), 0, 'window passed');
});

test('TimeOfDay: hour and weekday in a zone, DST aware, cached per second', () => {
  const utc = new TimeOfDay('UTC');
  const ms = Date.UTC(2026, 10, 20, 13, 30, 0); // Friday 2026-11-20 13:30 UTC
  assert.equal(utc.hour(ms), 13);
  assert.equal(utc.weekday(ms), 5);
  const paris = new TimeOfDay('Europe/Paris');
  assert.equal(paris.hour(ms), 14, 'CET = UTC+1 in November');
  assert.equal(paris.hour(Date.UTC(2026, 6, 1, 13, 0, 0)), 15, 'CEST = UTC+2 in July');
  const tokyo = new TimeOfDay('Asia/Tokyo');
  assert.equal(tokyo.weekday(Date.UTC(2026, 10, 20, 20, 0, 0)), 6, 'already Saturday in Tokyo');
  const c = new TimeOfDay('America/New_York');
  const base = Date.UTC(2026, 0, 5, 12, 0, 0);
  for (let i = 0; i < 10000; i++) c.hour(base + (i % 1000)); // same second
  assert.equal(c.computes, 1);
  c.hour(base + 1000);
  assert.equal(c.computes, 2);
  assert.equal(c.hour(base), 7);
  assert.throws(() => new TimeOfDay('Mars/Olympus'), OpsConfigError);
});
