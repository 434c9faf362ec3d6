/**
 * signatures/ac.ts, the one Aho-Corasick builder (prefilter DFA; it absorbed the former
 * patterns/multi.ts MultiMatcher, whose tests these are, pointed at the survivor):
 * - exact mode: every (id, end) hit equals a naive search, with case-sensitive and nocase atoms
 *   mixed (the same letters both ways), overlapping, duplicate and empty atoms, shared ids; no hit
 *   reported twice; structured-clone round trip of the tables; acAny agrees;
 * - folded mode (what the compiler builds): hits equal a naive case-insensitive search, and the
 *   tables equal an exact build whose atoms are all nocase (same automaton, same numbering);
 * - [start, end) is respected, the alphabet is compressed, the size limit is enforced and counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildAc, acScan, acAny, acSize, acStats, AcLimitError, AcTables, AcAtom, AC_MAX_STATES } from './ac';

type A = { bytes: Uint8Array; nocase: boolean; id: number };
const low = (b: number) => (b >= 0x41 && b <= 0x5a ? b + 32 : b);

function naive(atoms: A[], buf: Uint8Array, foldAll = false): string[] {
  const out: string[] = [];
  for (const a of atoms) {
    const n = a.bytes.length;
    if (n === 0) continue;
    const nc = foldAll || a.nocase;
    for (let e = n; e <= buf.length; e++) {
      let k = 0;
      while (k < n && (nc ? low(buf[e - n + k]) === low(a.bytes[k]) : buf[e - n + k] === a.bytes[k])) k++;
      if (k === n) out.push(`${a.id}@${e}`);
    }
  }
  return [...new Set(out)].sort();
}
function hits(t: AcTables, buf: Uint8Array, start = 0, end = buf.length): string[] {
  const out: string[] = [];
  acScan(t, buf, start, end, (id, e) => out.push(`${id}@${e}`));
  assert.equal(new Set(out).size, out.length, 'a hit was reported twice');
  return out.sort();
}

const alpha = fc.constantFrom(0x61, 0x62, 0x41, 0x42, 0x30, 0x00, 0xff, 0x7a, 0x5a);
const atomsArb = fc.array(fc.record({ bytes: fc.uint8Array({ minLength: 0, maxLength: 5 }).chain((u) => fc.array(alpha, { minLength: u.length, maxLength: u.length })).map((x) => Uint8Array.from(x)), nocase: fc.boolean() }), { minLength: 1, maxLength: 30 })
  .map((xs) => xs.map((x, i) => ({ ...x, id: i % 7 === 6 ? 0 : i }))); // some atoms share an id

test('exact mode: hits equal a naive search (property, 3000 runs)', () => {
  fc.assert(fc.property(atomsArb, fc.array(alpha, { maxLength: 200 }), (atoms, data) => {
    const buf = Uint8Array.from(data);
    const t = buildAc(atoms, { exact: true });
    const want = naive(atoms, buf);
    assert.deepEqual(hits(t, buf), want);
    assert.deepEqual(hits(structuredClone(t), buf), want);
    assert.equal(acAny(t, buf, 0, buf.length), want.length > 0);
  }), { numRuns: 3000, seed: 5, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true }); // bounded even while shrinking
});

test('exact mode, ids shared by overlapping atoms, data made of the atoms: each id once per end (property, 1500 runs)', () => {
  // few ids, short atoms over 4 symbols and data that concatenates atoms: suffix atoms with the
  // same id end together often (the output merge along failure links must deduplicate)
  const sym = fc.constantFrom(0x61, 0x41, 0x62, 0x30);
  const arb = fc.array(fc.record({ bytes: fc.array(sym, { minLength: 1, maxLength: 4 }).map((x) => Uint8Array.from(x)), nocase: fc.boolean(), id: fc.integer({ min: 0, max: 2 }) }), { minLength: 2, maxLength: 12 });
  fc.assert(fc.property(arb, fc.array(fc.oneof(sym.map((b) => [b]), fc.nat(11).map((k) => [-1 - k])), { maxLength: 60 }), (atoms, parts) => {
    const data: number[] = [];
    for (const [x] of parts) { if (x >= 0) data.push(x); else { const a = atoms[(-1 - x) % atoms.length]; data.push(...a.bytes); } }
    const buf = Uint8Array.from(data);
    const t = buildAc(atoms, { exact: true });
    assert.deepEqual(hits(t, buf), naive(atoms, buf));
  }), { numRuns: 1500, seed: 7, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true });
});

test('folded mode (the prefilter): hits equal a naive case-insensitive search, same tables as all-nocase exact (property, 1500 runs)', () => {
  // distinct ids and no empty atoms, as the compiler builds them; every byte value may occur
  const fAtoms = fc.array(fc.uint8Array({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 40 })
    .map((xs) => xs.map((bytes, id) => ({ bytes, nocase: false, id })));
  const dataArb = fc.array(fc.oneof(alpha, fc.integer({ min: 0, max: 255 })), { maxLength: 300 });
  fc.assert(fc.property(fAtoms, dataArb, (atoms, data) => {
    // plant some atoms (in flipped case) so that hits are common
    for (let i = 0; i < atoms.length && i < 5; i++) data.push(...Array.from(atoms[i].bytes, (b) => (i & 1 ? b ^ (low(b) !== b || (b >= 0x61 && b <= 0x7a) ? 0x20 : 0) : b)));
    const buf = Uint8Array.from(data);
    const t = buildAc(atoms.map(({ bytes, id }) => ({ bytes, id })));
    assert.deepEqual(hits(t, buf), naive(atoms, buf, true));
    const e = buildAc(atoms.map(({ bytes, id }) => ({ bytes, id, nocase: true })), { exact: true });
    assert.equal(e.nClasses, t.nClasses);
    assert.deepEqual(e.trans, t.trans);
    assert.deepEqual(e.classOf, t.classOf);
    assert.deepEqual(e.outIds, t.outIds);
  }), { numRuns: 1500, seed: 11, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true });
});

test('folded mode: classes numbered by first appearance of each folded byte, class 0 = bytes of no atom', () => {
  const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  const t = buildAc([{ bytes: enc('xY1'), id: 0 }, { bytes: enc('yZ'), id: 1 }]);
  assert.equal(t.nClasses, 5);
  assert.deepEqual([..."xXyY1zZ#"].map((c) => t.classOf[c.charCodeAt(0)]), [1, 1, 2, 2, 3, 4, 4, 0]);
  // all 256 byte values in atoms: 230 folded values + class 0 (empty) as before
  const all = buildAc([{ bytes: Uint8Array.from({ length: 256 }, (_, i) => i), id: 0 }]);
  assert.equal(all.nClasses, 231);
  // exact mode: all 256 bytes distinguished, no empty class, ids fit in the Uint8Array
  const ex = buildAc([{ bytes: Uint8Array.from({ length: 256 }, (_, i) => i), id: 0 }], { exact: true });
  assert.equal(ex.nClasses, 256);
  assert.equal(new Set(ex.classOf).size, 256);
  const buf = Uint8Array.from({ length: 600 }, (_, i) => i % 256);
  assert.deepEqual(hits(ex, buf), ['0@256', '0@512']);
});

test('[start, end) is respected and the alphabet is compressed', () => {
  const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  const atoms: AcAtom[] = [
    { bytes: enc('abc'), nocase: false, id: 1 }, { bytes: enc('ABC'), nocase: true, id: 2 },
    { bytes: enc('bc'), nocase: false, id: 3 }, { bytes: new Uint8Array(0), nocase: false, id: 4 },
  ];
  const t = buildAc(atoms, { exact: true });
  const buf = enc('xxabcABCaBc');
  assert.deepEqual(hits(t, buf), ['1@5', '2@11', '2@5', '2@8', '3@5'].sort());
  assert.deepEqual(hits(t, buf, 3, 8), ['2@8', '3@5']); // 'bc' = buf[3,5) is inside [3, 8)
  // 'a','b','c' case-sensitive and folded: a, A, b, B, c, C each need a class + 1 class for the rest
  assert.equal(acSize(t).classes, 7);
  // folded: the same atoms need a, b, c + the rest, and 'ABC' and 'abc' end in one state
  const f = buildAc(atoms);
  assert.equal(f.nClasses, 4);
  assert.deepEqual(hits(f, buf), ['1@11', '1@5', '1@8', '2@11', '2@5', '2@8', '3@11', '3@5', '3@8']);
});

test('size limits: refused with a stable code and counted; AC_MAX_STATES is the default bound', () => {
  const enc = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  const atoms = ['abcdef', 'bcdxyz', 'qqqq'].map((w, id) => ({ bytes: enc(w), id }));
  const ok = buildAc(atoms);
  const { states, classes } = acSize(ok);
  assert.equal(states, 1 + 6 + 6 + 4);
  // exactly states x classes entries pass, one class-row fewer is refused
  assert.equal(acSize(buildAc(atoms, { maxTableEntries: states * classes })).states, states);
  const before = acStats.limitRefused;
  assert.throws(() => buildAc(atoms, { maxTableEntries: states * classes - 1 }), (e: unknown) => e instanceof AcLimitError && e.code === 'QUELL_E_AC_LIMIT');
  assert.equal(acStats.limitRefused, before + 1);
  // exact mode: a nocase atom whose letters a case-sensitive atom splits branches (2^8 paths),
  // bounded by the same limit before the branches are built
  const split = [{ bytes: enc('ABCDEFGH'), id: 0, nocase: false }, { bytes: enc('abcdefgh'), id: 1, nocase: true }];
  const big = buildAc(split, { exact: true });
  assert.ok(acSize(big).states > 256, `states ${acSize(big).states}`);
  assert.deepEqual(hits(big, enc('aBcDeFgH ABCDEFGH')), ['0@17', '1@17', '1@8']);
  assert.throws(() => buildAc(split, { exact: true, maxTableEntries: 100 * acSize(big).classes }), AcLimitError);
  assert.equal(acStats.limitRefused, before + 2);
  assert.ok(AC_MAX_STATES >= 1_000_000);
});
