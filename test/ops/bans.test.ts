import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BanTable, BanStore, parseDuration } from '../../src/ops/bans';
import { parsePrefix, parseIPv4, parseIPv6 } from '../../src/ops/addr';
import { StateFileError } from '../../src/ops/errors';

const P = (s: string) => parsePrefix(s)!;
function b6(s: string): Uint8Array {
  const w = parseIPv6(s)!; const b = new Uint8Array(16);
  for (let q = 0; q < 4; q++) { b[4 * q] = w[q] >>> 24; b[4 * q + 1] = w[q] >>> 16; b[4 * q + 2] = w[q] >>> 8; b[4 * q + 3] = w[q]; }
  return b;
}

test('durations', () => {
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('30s'), 30_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('10'), -1);
  assert.equal(parseDuration('-1m'), -1);
});

test('expiry is exact at lookup time, per entry; renewal extends to max(old, new)', () => {
  const t = new BanTable();
  const t0 = 1_700_000_000_000;
  t.add(P('192.0.2.1'), t0 + 600_000);
  t.add(P('192.0.2.2'), t0 + 600_000);
  // both renewed "together" by events at different times: each gets its own expiry
  t.add(P('192.0.2.1'), t0 + 5_000 + 600_000);
  t.add(P('192.0.2.2'), t0 + 7_000 + 600_000);
  const a1 = parseIPv4('192.0.2.1'), a2 = parseIPv4('192.0.2.2');
  assert.equal(t.has4(a1, t0 + 604_999), true);
  assert.equal(t.has4(a1, t0 + 605_000), false, 'expired exactly at expiresAt');
  assert.equal(t.has4(a2, t0 + 605_000), true, 'the other renewal has its own expiry');
  assert.equal(t.has4(a2, t0 + 606_999), true);
  assert.equal(t.has4(a2, t0 + 607_000), false);
  // renewal never shortens
  t.add(P('198.51.100.1'), t0 + 10_000);
  t.add(P('198.51.100.1'), t0 + 1_000);
  assert.equal(t.expiryOf(P('198.51.100.1'), t0), t0 + 10_000);
  assert.equal(t.counters.renewed, 3);
  assert.equal(t.counters.expired, 2);
  // networks and IPv6
  t.add(P('203.0.113.0/24'), Infinity);
  assert.equal(t.has4(parseIPv4('203.0.113.77'), t0), true);
  assert.equal(t.has4(parseIPv4('203.0.114.77'), t0), false);
  t.add(P('2001:db8::1'), t0 + 1000);
  t.add(P('2001:db8:1::/48'), t0 + 1000);
  assert.equal(t.has6(b6('2001:db8::1'), 0, t0), true);
  assert.equal(t.has6(b6('2001:db8::2'), 0, t0), false);
  assert.equal(t.has6(b6('2001:db8:1:2::3'), 0, t0), true);
  assert.equal(t.has6(b6('2001:db8:1:2::3'), 0, t0 + 1000), false);
  assert.equal(t.remove(P('203.0.113.0/24')), true);
  assert.equal(t.has4(parseIPv4('203.0.113.77'), t0), false);
});

test('many entries, deletes and growth stay consistent with a Map reference', () => {
  const t = new BanTable(16);
  const ref = new Map<number, number>();
  let x = 99;
  const r = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  const now = 1000;
  for (let i = 0; i < 30000; i++) {
    const a = r() % 50000;
    const op = r() % 4;
    const w = new Uint32Array(4); w[0] = a;
    if (op === 0) { t.remove({ family: 4, words: w, len: 32 }); ref.delete(a); }
    else { const e = now + 1 + (r() % 1000); t.add({ family: 4, words: w, len: 32 }, e); ref.set(a, Math.max(ref.get(a) ?? 0, e)); }
  }
  for (let a = 0; a < 50000; a += 7) {
    const at = now + 500;
    assert.equal(t.has4(a, at), (ref.get(a) ?? 0) > at, `addr ${a}`);
  }
  // sweep reclaims everything once all expired
  let swept = 0;
  for (let k = 0; k < 100; k++) swept += t.sweep(now + 2000);
  assert.equal(t.size, 0);
  assert.ok(swept > 0);
});

test('capacity bound is named and counted', () => {
  const t = new BanTable(16, 100);
  let ok = 0;
  for (let i = 0; i < 150; i++) { const w = new Uint32Array(4); w[0] = i; if (t.add({ family: 4, words: w, len: 32 }, Infinity)) ok++; }
  assert.equal(ok, 100);
  assert.equal(t.counters.full, 50);
});

test('state file: debounced atomic write, survives restart, expired entries discarded, corrupt file reported', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-bans-'));
  try {
    const file = path.join(d, 'state', 'bans.json');
    let clock = 1_700_000_000_000;
    const t = new BanTable();
    const store = new BanStore(file, new Map([['bans', t]]), () => clock, 50);
    t.add(P('192.0.2.10'), clock + 60_000);
    t.add(P('192.0.2.11'), clock + 1_000);
    t.add(P('2001:db8::7'), Infinity);
    // nothing written synchronously (debounced, off the hot path)
    assert.equal(fs.existsSync(file), false);
    for (let i = 0; i < 100 && store.writes === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(store.writes, 1, 'three changes -> one debounced write');
    assert.equal(fs.readdirSync(path.dirname(file)).filter((n) => n.includes('.tmp')).length, 0, 'no temp file left');
    const st = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(st.version, 1);
    assert.equal(st.tables.bans.length, 3);
    assert.equal((fs.statSync(file).mode & 0o777), 0o600);

    // restart 2 s later: the 1 s ban is gone, the others are back with the same expiry
    clock += 2_000;
    const t2 = new BanTable();
    const store2 = new BanStore(file, new Map([['bans', t2]]), () => clock, 50);
    const res = store2.load();
    assert.deepEqual(res, { loaded: 2, discarded: 1 });
    assert.equal(t2.has4(parseIPv4('192.0.2.10'), clock), true);
    assert.equal(t2.has4(parseIPv4('192.0.2.11'), clock), false);
    assert.equal(t2.has6(b6('2001:db8::7'), 0, clock), true);
    assert.equal(t2.expiryOf(P('192.0.2.10'), clock), 1_700_000_000_000 + 60_000);
    // tables unknown to the caller are created
    const store3 = new BanStore(file, new Map(), () => clock, 50);
    store3.load();
    assert.ok(store3.tables.get('bans'));
    store2.flushSync();
    store2.close(); store3.close(); store.close();

    fs.writeFileSync(file, '{"version":1,"tables":{"bans":[["nope",1]]}}');
    assert.throws(() => new BanStore(file, new Map()).load(), (e: unknown) => e instanceof StateFileError && /bad entry/.test(e.message));
    fs.writeFileSync(file, 'garbage');
    assert.throws(() => new BanStore(file, new Map()).load(), /not JSON/);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});
