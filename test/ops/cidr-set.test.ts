import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CidrSet } from '../../src/ops/cidr-set';
import { parsePrefix, parseIPv4, parseIPv6, formatIPv6 } from '../../src/ops/addr';
import { SetFileError } from '../../src/ops/errors';
import { NamedSet, SetRegistry, GATE_ALLOW, GATE_BLOCK, GATE_NONE } from '../../src/ops/sets';

function tmpdir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'quell-sets-')); }

/** xorshift32, deterministic */
function rng(seed: number): () => number { let x = seed >>> 0 || 1; return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; }; }

function v6bytes(s: string): Uint8Array {
  const w = parseIPv6(s)!; const b = new Uint8Array(20);
  for (let q = 0; q < 4; q++) { b[2 + 4 * q] = w[q] >>> 24; b[3 + 4 * q] = w[q] >>> 16; b[4 + 4 * q] = w[q] >>> 8; b[5 + 4 * q] = w[q]; }
  return b; // address at offset 2: checks the offset is honoured
}

test('address parsing: strict IPv4, IPv6 with :: and v4 tail, host bits cleared', () => {
  assert.equal(parseIPv4('10.1.2.3'), 0x0a010203);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['10.1.2', '10.1.2.3.4', '256.1.1.1', '01.1.1.1', '1..1.1', 'a.b.c.d', '']) assert.equal(parseIPv4(bad), -1, bad);
  assert.equal(formatIPv6(parseIPv6('2001:db8::1')!), '2001:db8::1');
  assert.equal(formatIPv6(parseIPv6('::ffff:10.0.0.1')!), '::ffff:a00:1');
  assert.equal(parseIPv6('1::2::3'), null);
  assert.equal(parseIPv6('1:2:3:4:5:6:7:8:9'), null);
  const p = parsePrefix('10.1.2.3/8')!;
  assert.equal(p.words[0], 0x0a000000); assert.equal(p.len, 8);
  assert.equal(parsePrefix('10.0.0.0/33'), null);
  assert.equal(parsePrefix('2001:db8::/129'), null);
});

test('file with comments, blanks, single addresses and IPv6; errors name file:line', () => {
  const d = tmpdir();
  try {
    const f = path.join(d, 'bad.txt');
    fs.writeFileSync(f, '# drop list\n\n10.0.0.0/8\n  192.0.2.7   # one host\n198.51.100.0/24\n2001:db8:1::/48\n2001:db8:ffff::42\n');
    const s = CidrSet.fromFile(f);
    assert.equal(s.size, 5);
    assert.equal(s.contains(parseIPv4('10.200.3.4')), true);
    assert.equal(s.contains(parseIPv4('11.0.0.0')), false);
    assert.equal(s.contains(parseIPv4('192.0.2.7')), true);
    assert.equal(s.contains(parseIPv4('192.0.2.8')), false);
    assert.equal(s.contains(parseIPv4('198.51.100.255')), true);
    assert.equal(s.contains6(v6bytes('2001:db8:1:ffff::1'), 2), true);
    assert.equal(s.contains6(v6bytes('2001:db8:2::1'), 2), false);
    assert.equal(s.contains6(v6bytes('2001:db8:ffff::42'), 2), true);
    assert.equal(s.contains6(v6bytes('2001:db8:ffff::43'), 2), false);
    assert.deepEqual(s.list(), ['10.0.0.0/8', '192.0.2.7', '198.51.100.0/24', '2001:db8:1::/48', '2001:db8:ffff::42']);

    const g = path.join(d, 'broken.txt');
    fs.writeFileSync(g, '10.0.0.0/8\n# fine\n10.0.0.0/40\n');
    assert.throws(() => CidrSet.fromFile(g), (e: unknown) => e instanceof SetFileError && e.code === 'QUELL_E_SET_SYNTAX' && e.message.startsWith(`${g}:3:`));
    fs.writeFileSync(g, 'example.com\n');
    assert.throws(() => CidrSet.fromFile(g), /broken\.txt:1: not an address/);
    assert.throws(() => CidrSet.fromFile(path.join(d, 'missing.txt')), (e: unknown) => (e as { code: string }).code === 'QUELL_E_FILE');
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('aggregation: one bad host implies its network', () => {
  const s = CidrSet.fromText('203.0.113.9\n2001:db8:5:6:7::1\n10.0.0.0/8\n', 'mem', { aggregate4: 24, aggregate6: 64 });
  assert.equal(s.contains(parseIPv4('203.0.113.200')), true);
  assert.equal(s.contains(parseIPv4('203.0.114.1')), false);
  assert.equal(s.contains6(v6bytes('2001:db8:5:6:ffff::9'), 2), true);
  assert.equal(s.contains6(v6bytes('2001:db8:5:7::9'), 2), false);
  assert.deepEqual(s.list(), ['203.0.113.0/24', '10.0.0.0/8', '2001:db8:5:6::/64']);
});

test('random prefixes agree with a brute-force reference (IPv4 and IPv6), add and remove', () => {
  const r = rng(12345);
  const prefixes: { a: number; len: number }[] = [];
  const s = new CidrSet();
  for (let i = 0; i < 3000; i++) {
    const len = 8 + (r() % 25);
    const a = len === 32 ? r() : (r() & ~(0xffffffff >>> len)) >>> 0;
    prefixes.push({ a, len });
    s.add(`${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${len}`);
  }
  const ref = (x: number): boolean => prefixes.some((p) => p.len === 0 || ((x ^ p.a) >>> (32 - p.len)) === 0);
  for (let i = 0; i < 20000; i++) {
    // half probes near a listed network, half random
    const p = prefixes[r() % prefixes.length];
    const x = i & 1 ? r() : (p.a ^ (r() & (p.len === 32 ? 0 : (0xffffffff >>> p.len)) ^ (r() % 3 === 0 ? (1 << (32 - p.len)) : 0))) >>> 0;
    assert.equal(s.contains(x), ref(x), `probe ${x}`);
  }
  // remove a third of them, compare again
  for (let i = 0; i < 1000; i++) {
    const p = prefixes.pop()!;
    const w = new Uint32Array(4); w[0] = p.a;
    const copies = prefixes.filter((q) => q.a === p.a && q.len === p.len).length + 1;
    assert.equal(s.remove({ family: 4, words: w, len: p.len }), copies);
    for (let k = prefixes.length - 1; k >= 0; k--) if (prefixes[k].a === p.a && prefixes[k].len === p.len) prefixes.splice(k, 1);
  }
  for (let i = 0; i < 5000; i++) { const x = r(); assert.equal(s.contains(x), ref(x)); }
  for (const p of prefixes.slice(0, 500)) assert.equal(s.contains(p.a), true);

  // IPv6
  const p6: { w: Uint32Array; len: number }[] = [];
  const s6 = new CidrSet();
  for (let i = 0; i < 1000; i++) {
    const len = 16 + (r() % 113);
    const w = Uint32Array.of(0x20010db8, r(), r(), r());
    if (i % 2) w[1] = 0x1000 + (r() % 4); // clustered, so probes share paths
    const pre = parsePrefix(`${formatIPv6(w)}/${len}`)!;
    p6.push({ w: pre.words, len });
    s6.addPrefix(pre);
  }
  const inPrefix = (x: Uint32Array, p: { w: Uint32Array; len: number }): boolean => {
    for (let q = 0; q < 4; q++) {
      const keep = Math.max(0, Math.min(32, p.len - 32 * q));
      if (keep === 0) break;
      const m = keep === 32 ? 0xffffffff : ~(0xffffffff >>> keep);
      if (((x[q] & m) >>> 0) !== ((p.w[q] & m) >>> 0)) return false;
    }
    return true;
  };
  for (let i = 0; i < 5000; i++) {
    const base = p6[r() % p6.length].w;
    const x = Uint32Array.of(base[0], i % 3 ? base[1] : r(), i % 2 ? base[2] : r(), r());
    const buf = v6bytes(formatIPv6(x));
    assert.equal(s6.contains6(buf, 2), p6.some((p) => inPrefix(x, p)));
    assert.equal(s6.containsWords(6, x), p6.some((p) => inPrefix(x, p)));
  }
});

test('a /0 matches everything; empty set matches nothing', () => {
  const e = new CidrSet();
  assert.equal(e.contains(0), false); assert.equal(e.contains(0xffffffff), false);
  const all = CidrSet.fromText('0.0.0.0/0\n', 'mem');
  assert.equal(all.contains(0x01020304), true);
  assert.equal(all.contains6(v6bytes('::1'), 2), false);
});

test('named sets: reload swaps atomically, a bad file keeps the old networks; allowlist wins over block and bans', () => {
  const d = tmpdir();
  try {
    const bf = path.join(d, 'block.txt'); const af = path.join(d, 'allow.txt');
    fs.writeFileSync(bf, '10.0.0.0/8\n');
    fs.writeFileSync(af, '10.9.9.9\n');
    const reg = new SetRegistry();
    const block = new NamedSet('bad', 'block', bf);
    reg.add(block);
    reg.add(new NamedSet('mgmt', 'allow', af));
    const now = 1_000_000;
    assert.equal(reg.gate4(parseIPv4('10.1.1.1'), now), GATE_BLOCK);
    assert.equal(reg.gate4(parseIPv4('10.9.9.9'), now), GATE_ALLOW);
    assert.equal(reg.gate4(parseIPv4('192.0.2.1'), now), GATE_NONE);
    // a ban on the management address still does not lock it out
    block.addEntry(parsePrefix('10.9.9.9')!, now, 600_000);
    block.addEntry(parsePrefix('192.0.2.1')!, now, 600_000);
    assert.equal(reg.gate4(parseIPv4('10.9.9.9'), now), GATE_ALLOW);
    assert.equal(reg.gate4(parseIPv4('192.0.2.1'), now), GATE_BLOCK);
    assert.equal(reg.gate4(parseIPv4('192.0.2.1'), now + 600_000), GATE_NONE, 'ban expired exactly at its expiry');
    // reload
    fs.writeFileSync(bf, '172.16.0.0/12\n');
    assert.equal(block.reload(), 1);
    assert.equal(reg.gate4(parseIPv4('10.1.1.1'), now), GATE_NONE);
    assert.equal(reg.gate4(parseIPv4('172.20.0.1'), now), GATE_BLOCK);
    fs.writeFileSync(bf, '172.16.0.0/12\nnot-an-ip\n');
    assert.throws(() => block.reload(), /block\.txt:2:/);
    assert.equal(reg.gate4(parseIPv4('172.20.0.1'), now), GATE_BLOCK, 'old networks stay after a failed reload');
    const res = reg.reloadAll();
    assert.equal(res.find((x) => x.name === 'bad')!.ok, false);
    assert.equal(res.find((x) => x.name === 'mgmt')!.ok, true);
    // IPv6 gate
    const b6 = v6bytes('2001:db8::5');
    assert.equal(reg.gate6(b6, 2, now), GATE_NONE);
    block.addEntry(parsePrefix('2001:db8::/32')!, now, Infinity);
    assert.equal(reg.gate6(b6, 2, now), GATE_BLOCK);
    assert.ok(block.hits >= 3);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});
