/**
 * signatures/jit.ts against the bytecode interpreter: generated conditions over numeric fields,
 * booleans, rate counters, events, flow tags, strings (`$a`, `#a`, `any of`), rule references,
 * `and`/`or`/`not`/`defined` and comparisons with undefined (NaN) operands. For every generated
 * rule the compiler accepts, the compiled function and the interpreter must return the same value
 * (NaN included) on every generated input, and the rate counter calls must happen in the same
 * order with the same arguments. Also: what is left to the interpreter, and the Matcher's use.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileSource } from './compiler';
import { Matcher, FieldSource, ByteSlice } from './runtime';
import { compileCondition, JitMatcherView } from './jit';
import { FIELD_ID, PAYLOAD_FIELD } from './keywords/registry';

const NUMS = ['ip.ttl', 'ip.proto', 'tcp.dport', 'tcp.flags', 'udp.dport', 'flow.bytes', 'flow.to_server', 'flow.established'];

/** A field source whose values come from the input; rate() returns a value derived from its
 *  arguments and the call count, and logs the calls (order and arguments must match). */
class GenFields implements FieldSource {
  calls: string[] = [];
  constructor(private readonly v: { nums: (number | null)[]; events: boolean; tag: boolean; rate: number }) {}
  protoMask(): number { return 0b111; }
  num(f: number): number {
    const i = NUMS.findIndex((n) => FIELD_ID.get(n) === f);
    const x = i >= 0 ? this.v.nums[i] : null;
    return x === null || x === undefined ? NaN : x;
  }
  bytes(_f: number, _k: string | null, _o: ByteSlice): boolean { return false; }
  event(_id: number): boolean { return this.v.events; }
  flowHas(_t: string): boolean { return this.v.tag; }
  flowTag(_t: string): void { /* not compiled */ }
  rate(counter: number, by: number, w: number): number { this.calls.push(`${counter}/${by}/${w}`); return this.v.rate + this.calls.length; }
}

const atom = fc.oneof(
  fc.tuple(fc.constantFrom(...NUMS.filter((n) => !n.startsWith('flow.to') && n !== 'flow.established')), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.integer({ min: 0, max: 300 }))
    .map(([f, op, k]) => `${f} ${op} ${k}`),
  fc.constantFrom('flow.to_server', 'flow.established', 'ip.ttl defined', 'tcp.flags defined', '$a', '$b', '#a > 1', 'any of ($a, $b)', 'all of them', 'none of ($a, $b)',
    'event.ipv4.bad_hlen', 'flow.has("x")', 'count(by = src, window = 10s) > 3', 'count(by = dst, window = 1s) < 5', 'true', 'false', 'helper'),
);
const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
  e: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e')).map(([a, o, b]) => `(${a} ${o} ${b})`),
    tie('e').map((a) => `not (${a})`)),
})).e as fc.Arbitrary<string>;

test('compiled conditions return what the interpreter returns, with the same rate calls in the same order', () => {
  let compiled = 0, cases = 0;
  fc.assert(fc.property(fc.array(expr, { minLength: 1, maxLength: 6 }), fc.array(fc.record({
    nums: fc.array(fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }), { minLength: NUMS.length, maxLength: NUMS.length }),
    events: fc.boolean(), tag: fc.boolean(), rate: fc.integer({ min: 0, max: 8 }),
    payload: fc.constantFrom('', 'xx aaa yy', 'bbb', 'aaa bbb aaa'),
  }), { minLength: 1, maxLength: 6 }), (conds, inputs) => {
    const src = 'private rule helper { condition: ip.ttl > 100 }\n' +
      // ($a or $b) keeps both strings referenced (an unreferenced string is error E015)
      conds.map((c, i) => `rule r${i} { strings: $a = "aaa" $b = "bbb" condition: ${c} or (($a or $b) and ip.ttl == 999) }`).join('\n');
    const res = compileSource(src, 'gen.rules');
    assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => res.diags.format(d)).join('\n'));
    const rs = res.ruleset!;
    const m = new Matcher(rs, { jit: false });
    const fns = rs.rules.map((r) => compileCondition(rs, r));
    for (const inp of inputs) {
      m.begin();
      const b = Buffer.from(inp.payload, 'latin1');
      m.scanBuffer(PAYLOAD_FIELD, b, 0, b.length);
      const fi = new GenFields(inp), fj = new GenFields(inp);
      m.evaluate(fi);   // fills the results of every rule (rule references read them)
      const mm = m as unknown as JitMatcherView & { exec(a: number, b: number): void; sp: number; stack: Float64Array; fields: FieldSource };
      rs.rules.forEach((r, i) => {
        const fn = fns[i];
        if (fn === null) return;
        fi.calls = []; fj.calls = [];
        mm.fields = fi; mm.sp = 0; mm.exec(r.codeStart, r.codeEnd);
        const want = mm.stack[0];
        const got = fn(mm, fj);
        assert.ok(Object.is(want, got) || (want === got), `${r.name}: ${conds[i - 1] ?? 'helper'} -> interpreter ${want}, compiled ${got}`);
        assert.deepEqual(fj.calls, fi.calls, `${r.name}: rate calls`);
        compiled++;
      });
      cases++;
    }
  }), { numRuns: 300, seed: 20261121 });
  assert.ok(compiled > 1000 && cases > 300, `compared ${compiled} compiled conditions on ${cases} inputs`);
});

test('operations outside the compiled subset stay with the interpreter; the Matcher gives the same results either way', () => {
  const res = compileSource(`
rule arith { condition: ip.ttl + 1 > 64 }
rule loop { condition: for any i in (1..3) : (i == 2) }
rule tagset { condition: flow.tag("t") }
rule simple { condition: ip.ttl > 10 and not flow.has("t") }
rule str { strings: $a = "aaa" condition: $a }
`, 't.rules');
  const rs = res.ruleset!;
  const byName = (n: string) => rs.rules.find((r) => r.name === n)!;
  assert.equal(compileCondition(rs, byName('arith')), null);
  assert.equal(compileCondition(rs, byName('loop')), null);
  assert.equal(compileCondition(rs, byName('tagset')), null);
  assert.notEqual(compileCondition(rs, byName('simple')), null);
  for (const ttl of [5, 64, 200]) {
    const out: string[][] = [];
    for (const jit of [true, false]) {
      const m = new Matcher(rs, { jit });
      m.begin();
      const b = Buffer.from('zz aaa', 'latin1');
      m.scanBuffer(PAYLOAD_FIELD, b, 0, b.length);
      const r = m.evaluate(new GenFields({ nums: [ttl, 6, 80, 2, null, 10, 1, 1], events: false, tag: false, rate: 0 }));
      out.push(Array.from(r.matchedRules.subarray(0, r.count), (i) => rs.rules[i].name));
    }
    assert.deepEqual(out[0], out[1], `ttl ${ttl}`);
    assert.ok(out[0].includes('str'));
  }
});
