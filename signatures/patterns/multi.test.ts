/**
 * MultiMatcher (Aho-Corasick DFA over byte classes): every (id, end) hit equals a naive search,
 * with case-sensitive and nocase atoms mixed (including the same letters both ways), overlapping
 * and duplicate atoms; serialization round trip; empty atoms ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MultiMatcher } from './index';

type A = { bytes: Uint8Array; nocase: boolean; id: number };
const low = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 32 : b);

function naive(atoms: A[], buf: Uint8Array): string[] {
  const out: string[] = [];
  for (const a of atoms) {
    const n = a.bytes.length;
    if (n === 0) continue;
    for (let e = n; e <= buf.length; e++) {
      let k = 0;
      while (k < n && (a.nocase ? low(buf[e - n + k]) === low(a.bytes[k]) : buf[e - n + k] === a.bytes[k])) k++;
      if (k === n) out.push(`${a.id}@${e}`);
    }
  }
  return [...new Set(out)].sort();
}
function hits(m: MultiMatcher, buf: Uint8Array): string[] {
  const out: string[] = [];
  m.scan(buf, 0, buf.length, (id, end) => out.push(`${id}@${end}`));
  assert.equal(new Set(out).size, out.length, 'a hit was reported twice');
  return out.sort();
}

const alpha = fc.constantFrom(0x61, 0x62, 0x41, 0x42, 0x30, 0x00, 0xff, 0x7a, 0x5a);
const atomsArb = fc.array(fc.record({ bytes: fc.uint8Array({ minLength: 0, maxLength: 5 }).chain((u) => fc.array(alpha, { minLength: u.length, maxLength: u.length })).map((x) => Uint8Array.from(x)), nocase: fc.boolean() }), { minLength: 1, maxLength: 30 })
  .map((xs) => xs.map((x, i) => ({ ...x, id: i % 7 === 6 ? 0 : i }))); // some atoms share an id

test('MultiMatcher hits equal a naive search (property, 3000 runs)', () => {
  fc.assert(fc.property(atomsArb, fc.array(alpha, { maxLength: 200 }), (atoms, data) => {
    const buf = Uint8Array.from(data);
    const m = MultiMatcher.build(atoms);
    assert.deepEqual(hits(m, buf), naive(atoms, buf));
    const m2 = MultiMatcher.fromSerialized(structuredClone(m.serialize()));
    assert.deepEqual(hits(m2, buf), naive(atoms, buf));
    assert.equal(m.any(buf, 0, buf.length), naive(atoms, buf).length > 0);
  }), { numRuns: 3000, seed: 5 });
});

test('MultiMatcher respects [start, end) and compresses the alphabet', () => {
  const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  const m = MultiMatcher.build([
    { bytes: enc('abc'), nocase: false, id: 1 }, { bytes: enc('ABC'), nocase: true, id: 2 },
    { bytes: enc('bc'), nocase: false, id: 3 }, { bytes: new Uint8Array(0), nocase: false, id: 4 },
  ]);
  const buf = enc('xxabcABCaBc');
  assert.deepEqual(hits(m, buf), ['1@5', '2@11', '2@5', '2@8', '3@5'].sort());
  const part: string[] = [];
  m.scan(buf, 3, 8, (id, end) => part.push(`${id}@${end}`));
  assert.deepEqual(part.sort(), ['2@8', '3@5']); // 'bc' = buf[3,5) is inside [3, 8)
  // 'a','b','c' case-sensitive and folded: a, A, b, B, c, C each need a class + 1 class for the rest
  assert.equal(m.stats.classes, 7);
});
