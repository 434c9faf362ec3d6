/**
 * Host tags (`host(src|dst).tag("x", expire = D)`, `host(src|dst).has("x")`) and numeric
 * `http.status` comparisons (issue 4, docs/language.md "State"):
 * - compile errors: code, exact span and help line; valid uses compile to the expected operands;
 * - the Matcher: HOST_TAG is always true and calls the FieldSource; a source without host tags
 *   gives false; http.status compares as a number from the engine's value or from its text;
 * - HostTags / WorkerOps (the runtime behind them): exact expiry against the packet clock, IPv4 and
 *   IPv6 keys kept apart, src vs dst, LRU eviction at the named capacity with its counter, the
 *   tag-name bound, no allocation per lookup (heap growth over 200,000 lookups).
 * The end-to-end behaviour through `quell replay` is test/replay/host-tags (run by cases.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOneError, DiagCase } from './diag-cases';
import { compileSource } from '../../signatures/compiler';
import { Matcher, FieldSource, ByteSlice, EMPTY_FIELDS } from '../../signatures/runtime';
import { Op } from '../../signatures/bytecode';
import { FIELD_ID } from '../../signatures/keywords/registry';
import { HOST_SRC, HOST_DST } from '../../signatures/keywords/host';
import { HostTags, HOST_TAG_MAX_NAMES } from '../../src/ops/host-tags';
import { WorkerOps } from '../../src/ops/runtime';
import { createEngine } from '../../src/engine/pipeline';
import { tcpFrame } from '../../src/io/craft';
import { V_ACCEPT } from '../../src/io/batch';
import { PacketView } from '../../decoders/packet';
import { batchOf } from '../engine/harness';

// ------------------------------------------------------------------ compile
test('compile: host(src).tag / host(dst).has emit HOST_TAG tag side expire / HOST_HAS tag side', () => {
  const r = compileSource(`
rule a { condition: tcp.dport == 22 and host(src).tag("scanner", expire = 10m) }
rule b { condition: host(dst).has("scanner") or host(src).has("other") }
rule c { condition: host(dst).tag("x", expire = 1500ms) }
`, 't.rules');
  assert.ok(r.ruleset, JSON.stringify(r.diags.list));
  const rs = r.ruleset!;
  const ops: number[][] = [];
  for (let pc = 0; pc < rs.code.length;) {
    const op = rs.code[pc];
    if (op === Op.HOST_TAG) { ops.push([op, rs.code[pc + 2], rs.code[pc + 3]]); assert.equal(rs.tconsts[rs.code[pc + 1]], ops.length === 1 ? 'scanner' : 'x'); pc += 4; continue; }
    if (op === Op.HOST_HAS) { ops.push([op, rs.code[pc + 2]]); pc += 3; continue; }
    pc++; // operands never equal these opcodes in this small program (checked by the exact list below)
  }
  assert.deepEqual(ops, [[Op.HOST_TAG, HOST_SRC, 600_000], [Op.HOST_HAS, HOST_DST], [Op.HOST_HAS, HOST_SRC], [Op.HOST_TAG, HOST_DST, 1500]]);
});

test('compile: bad host tag uses are errors with the span of the culprit and a help line', () => {
  const cases: DiagCase[] = [
    { src: 'host(src).tag("s")', code: 'E017', msg: /`tag` needs `expire = DURATION`/, span: 'host(src).tag("s")', help: /host\(src\)\.tag\("scanner", expire = 10m\)/ },
    { src: 'host(src).tag("s", expire = 10)', code: 'E017', msg: /`expire` takes a duration/, span: 'expire = 10', help: /expire = 10m/ },
    { src: 'host(src).tag("s", 10m)', code: 'E017', msg: /the expiry is named/, span: '10m', help: /expire = 10m/ },
    { src: 'host(src).tag("s", window = 10m)', code: 'E017', msg: /unknown argument `window`/, span: 'window = 10m', help: /expire = 10m/ },
    { src: 'host(src).tag("s", expire = 1m, expire = 2m)', code: 'E017', msg: /`expire` given twice/, span: 'expire = 2m', help: /expire = 10m/ },
    { src: 'host(src).tag("s", expire = 8d)', code: 'E017', msg: /expire must be between 1ms and 7d/, span: 'host(src).tag("s", expire = 8d)', help: /expire = 10m/ },
    { src: 'host(src).tag(scanner, expire = 1m)', code: 'E017', msg: /takes the tag name as a string first/, span: 'scanner', help: /tag\("scanner"/ },
    { src: 'host(src).has()', code: 'E017', msg: /takes the tag name as a string first/, span: 'host(src).has()', help: /host\(src\)\.has\("scanner"\)/ },
    { src: 'host(dst).has("s", expire = 1m)', code: 'E017', msg: /`has` takes only the tag name/, span: 'expire = 1m', help: /host\(dst\)\.has\("scanner"\)/ },
    { src: 'host(flow).has("s")', code: 'E017', msg: /`host\(\.\.\.\)` takes `src` or `dst`/, span: 'flow', help: /host\(src\)\.has/ },
    { src: 'host(src, dst).has("s")', code: 'E017', msg: /takes `src` or `dst`/, span: 'src, dst', help: /host\(src\)\.has/ },
    { src: 'host(src).hass("s")', code: 'E023', msg: /unknown method `hass` of `host\(\.\.\.\)`/, span: 'hass', help: /did you mean `has`/ },
    { src: 'hots(src).has("s")', code: 'E023', msg: /unknown object `hots\(\.\.\.\)`/, span: 'hots', help: /host\(src\)/ },
    { src: 'host(src)', code: 'E017', msg: /`host\(\.\.\.\)` is not a value/, span: 'host(src)', help: /host\(src\)\.has\("x"\)/ },
    { src: 'http.status > "500"', code: 'E017', msg: /`>` does not apply to bytes/, span: '>', help: /http\.status\.len/ },
  ];
  assertOneError(cases);
});

// ------------------------------------------------------------------ Matcher
const H_STATUS = FIELD_ID.get('http.status')!;

/** A FieldSource with http.status (as bytes and/or as the engine's number) and a host tag log. */
class Src implements FieldSource {
  calls: string[] = [];
  has = new Set<string>();
  constructor(private statusText: string | null, private statusNum = NaN) {}
  protoMask(): number { return 1 | 16; }
  num(f: number): number { return f === H_STATUS ? this.statusNum : NaN; }
  bytes(f: number, _k: string | null, out: ByteSlice): boolean {
    if (f !== H_STATUS || this.statusText === null) return false;
    out.buf = Buffer.from(this.statusText, 'latin1'); out.off = 0; out.len = this.statusText.length; return true;
  }
  event(): boolean { return false; }
  flowHas(): boolean { return false; }
  flowTag(): void { /* none */ }
  rate(): number { return NaN; }
  hostHas(tag: string, side: number): boolean { this.calls.push(`has ${side} ${tag}`); return this.has.has(`${side} ${tag}`); }
  hostTag(tag: string, side: number, expireMs: number): void { this.calls.push(`tag ${side} ${tag} ${expireMs}`); }
}

function matched(src: string, fields: FieldSource): string[] {
  const r = compileSource(src, 't.rules');
  assert.ok(r.ruleset, JSON.stringify(r.diags.list));
  const m = new Matcher(r.ruleset!);
  m.begin();
  const res = m.evaluate(fields);
  return Array.from(res.matchedRules.subarray(0, res.count), (i) => r.ruleset!.rules[i].name);
}

test('Matcher: host tags call the FieldSource; tag is true; a source without host tags has none', () => {
  const rules = `
rule t { condition: host(src).tag("scan", expire = 2s) }
rule h { condition: host(dst).has("scan") }
rule n { condition: not host(src).has("scan") }
`;
  const s = new Src(null);
  s.has.add(`${HOST_DST} scan`);
  assert.deepEqual(matched(rules, s), ['t', 'h', 'n']);
  assert.deepEqual(s.calls, [`tag ${HOST_SRC} scan 2000`, `has ${HOST_DST} scan`, `has ${HOST_SRC} scan`]);
  // EMPTY_FIELDS (quell scan) has no hostTag/hostHas: tag stays true, has is false
  assert.deepEqual(matched(rules, EMPTY_FIELDS), ['t', 'n']);
});

test('Matcher: http.status compares as a number with numbers, as text with strings; absent is undefined', () => {
  const rules = `
rule ge500 { condition: http.status >= 500 }
rule lt600 { condition: http.status < 600 }
rule eq404 { condition: http.status == 404 }
rule ne404 { condition: http.status != 404 }
rule rev { condition: 500 <= http.status }
rule text { condition: http.status == "503" }
rule pfx { condition: http.status startswith "5" }
rule arith { condition: http.status >= 400 + 100 }
`;
  assert.deepEqual(matched(rules, new Src('503')), ['ge500', 'lt600', 'ne404', 'rev', 'text', 'pfx', 'arith']);
  assert.deepEqual(matched(rules, new Src('404')), ['lt600', 'eq404']);
  // the engine's parsed value wins over the text (detect.ts gives the transaction's status)
  assert.deepEqual(matched(rules, new Src('200', 502)), ['ge500', 'lt600', 'ne404', 'rev', 'arith']);
  // absent: every comparison is undefined (even !=), as for any absent field
  assert.deepEqual(matched(rules, new Src(null)), []);
  // text that is not a number: numeric comparisons undefined, text ones still work
  assert.deepEqual(matched(rules, new Src('5x3')), ['pfx']);
});

// ------------------------------------------------------------------ HostTags / WorkerOps
test('HostTags: expiry is exact (now < set time + expire), re-tagging restarts it, v4/v6/tag names are separate keys', () => {
  const h = new HostTags(16);
  assert.equal(h.size, 0);
  const v6 = Buffer.from('20010db8000000000000000000000066', 'hex');
  const v6b = Buffer.from('20010db8000000000000000000000067', 'hex');
  h.set('scanner', 4, 0xcb007142, v6, 0, 60_003); // 203.0.113.66 until 60.003 s
  assert.equal(h.has('scanner', 4, 0xcb007142, v6, 0, 60_002), true);
  assert.equal(h.has('scanner', 4, 0xcb007142, v6, 0, 60_003), false); // exactly at the expiry: gone
  assert.equal(h.has('other', 4, 0xcb007142, v6, 0, 1), false);
  assert.equal(h.has('scanner', 4, 0xcb007143, v6, 0, 1), false);
  // the IPv6 address whose first word equals the IPv4 one is another key
  assert.equal(h.has('scanner', 6, 0, Buffer.from('cb007142000000000000000000000000', 'hex'), 0, 1), false);
  h.set('scanner', 6, 0, v6, 0, 5000);
  assert.equal(h.has('scanner', 6, 0, v6, 0, 4999), true);
  assert.equal(h.has('scanner', 6, 0, v6b, 0, 4999), false);
  h.set('scanner', 6, 0, v6, 0, 9000); // re-tag: new expiry
  assert.equal(h.has('scanner', 6, 0, v6, 0, 8999), true);
  assert.equal(h.stats().hostTagEntries, 2);
  assert.equal(h.counters.sets, 3);
  assert.equal(h.counters.expiredHits, 1);
});

test('HostTags: bounded: LRU eviction at capacity (counted), tag names bounded (counted)', () => {
  const h = new HostTags(4);
  const z = new Uint8Array(16);
  for (let a = 1; a <= 6; a++) h.set('t', 4, a, z, 0, 1000);
  assert.equal(h.size, 4);
  assert.equal(h.evictions, 2);
  assert.equal(h.has('t', 4, 1, z, 0, 0), false); // the two oldest went
  assert.equal(h.has('t', 4, 2, z, 0, 0), false);
  for (let a = 3; a <= 6; a++) assert.equal(h.has('t', 4, a, z, 0, 0), true, String(a));
  // lookups do not refresh: re-tagging does
  h.set('t', 4, 3, z, 0, 1000);
  h.set('t', 4, 7, z, 0, 1000);
  assert.equal(h.has('t', 4, 4, z, 0, 0), false);
  assert.equal(h.has('t', 4, 3, z, 0, 0), true);
  const n = new HostTags(8);
  for (let i = 0; i < HOST_TAG_MAX_NAMES + 3; i++) n.set(`tag${i}`, 4, 1, z, 0, 10);
  assert.equal(n.counters.namesDropped, 3);
  assert.equal(n.has(`tag${HOST_TAG_MAX_NAMES + 1}`, 4, 1, z, 0, 0), false);
});

/** Decode frames through a real engine and call `fn` with each PacketView (valid during the call). */
function eachPacket(frames: { data: Uint8Array; tsSec: number; tsNsec: number }[], fn: (pkt: PacketView, i: number) => void): void {
  let i = 0;
  const engine = createEngine({ detect: (pkt: PacketView) => { fn(pkt, i++); return V_ACCEPT; } });
  engine.processBatch(batchOf(frames));
}
const T0 = 1_709_251_200;
const at = (ms: number) => ({ tsSec: T0 + Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1_000_000 });

test('WorkerOps: tag the source of one packet, see it on later packets from (src) or to (dst) that host, v4 and v6, on the packet clock', () => {
  const syn = (s: string, d: string, ms: number, sport: number) => ({ data: tcpFrame(s, d, '', { sport, dport: 22, seq: 1, ack: 0, flags: 'S' }), ...at(ms) });
  const frames = [
    syn('203.0.113.66', '198.51.100.80', 0, 1000),       // 0: tag src for 10 s
    syn('2001:db8::66', '2001:db8::80', 1, 1001),        // 1: tag src (v6) for 10 s
    syn('203.0.113.66', '198.51.100.80', 9_999, 1002),   // 2: has src: yes (0 + 10000 > 9999)
    syn('198.51.100.80', '203.0.113.66', 9_999, 1003),   // 3: has dst: yes; has src: no
    syn('2001:db8::66', '2001:db8::81', 10_000, 1004),   // 4: has src (v6): yes (1 + 10000 > 10000)
    syn('203.0.113.66', '198.51.100.80', 10_000, 1005),  // 5: has src: no (expired at 10000 exactly)
    syn('2001:db8::66', '2001:db8::80', 10_001, 1006),   // 6: has src (v6): no
  ];
  const ops = new WorkerOps(null, { hostTagsMax: 64 });
  const got: string[] = [];
  eachPacket(frames, (pkt, i) => {
    const now = WorkerOps.nowMs(pkt);
    if (i < 2) { ops.hostTag('scanner', HOST_SRC, 10_000, pkt, now); return; }
    got.push(`${i}:${ops.hostHas('scanner', HOST_SRC, pkt, now) ? 'S' : '-'}${ops.hostHas('scanner', HOST_DST, pkt, now) ? 'D' : '-'}`);
  });
  assert.deepEqual(got, ['2:S-', '3:-D', '4:S-', '5:--', '6:--']);
  const st = ops.stats() as Record<string, number>;
  assert.equal(st.hostTagEntries, 2);
  assert.equal(st.hostTagSets, 2);
  assert.equal(st.hostTagHits, 3);
});

test('WorkerOps.hostHas: no allocation per lookup (heap growth over 2,000,000 lookups < 4 bytes per lookup)', () => {
  const ops = new WorkerOps(null);
  let done = false;
  const frames = [{ data: tcpFrame('2001:db8::66', '2001:db8::80', '', { sport: 1, dport: 22, seq: 1, ack: 0, flags: 'S' }), ...at(0) }];
  eachPacket(frames, (pkt) => {
    const now = WorkerOps.nowMs(pkt);
    ops.hostTag('scanner', HOST_SRC, 60_000, pkt, now);
    // the view is valid during the call only: run the lookups here
    const look = (n: number): number => {
      let hits = 0;
      for (let i = 0; i < n; i++) if (ops.hostHas(i & 1 ? 'scanner' : 'other', i & 2 ? HOST_DST : HOST_SRC, pkt, now)) hits++;
      return hits;
    };
    assert.equal(look(300_000), 75_000); // warm-up (JIT) with the measured call shapes
    // the smallest growth of 3 measured rounds: an allocation per lookup shows in every round
    // (16 bytes, one boxed number, would be 32 MB), GC or JIT activity at most in some of them
    let grew = Infinity;
    for (let round = 0; round < 3; round++) {
      const before = process.memoryUsage().heapUsed;
      const hits = look(2_000_000);
      grew = Math.min(grew, process.memoryUsage().heapUsed - before);
      assert.equal(hits, 500_000);
    }
    assert.ok(grew < 8_000_000, `heap grew ${grew} bytes (a boxed number per lookup: 32 MB)`);
    done = true;
  });
  assert.ok(done);
});
