/**
 * Unit tests of the pattern engine: parse errors with exact spans (and yara agreeing that each is
 * an error), matching semantics on hand-picked cases (each also checked live against yara 4.2.3),
 * bounded work on catastrophic-backtracking patterns, atoms soundness, wide/fullword helpers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  parseRegex, parseHex, literalIR, compilePattern, matchAt, findAll, findAllString, extractAtoms, isUnbounded,
  patternStats, setWorkBudget, PatternIR, RE_SCAN_LIMIT, DEFAULT_WORK_BUDGET, DEFAULT_WORK_BUDGET_PER_BYTE, findAllStarts,
  setDfaEnabled, setDfaMaxStates, dfaStats, DFA_MAX_STATES,
} from './index';
import { caseArb, irsOf } from './testkit';

const YARA = '/usr/bin/yara';
const tmp = mkdtempSync(join(tmpdir(), 'quell-pat-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let nfile = 0;

/** Runs yara with one string definition over data; returns 'error' or the [offset, length] list. */
function yara(def: string, data: Uint8Array): 'error' | [number, number][] {
  const rf = join(tmp, `r${nfile}.yar`), df = join(tmp, `d${nfile++}`);
  writeFileSync(rf, `rule t { strings: $a = ${def} condition: $a or true }\n`);
  writeFileSync(df, data);
  const p = spawnSync(YARA, ['-s', '-L', '-w', rf, df], { encoding: 'latin1' });
  if (p.status !== 0) return 'error';
  const out: [number, number][] = [];
  for (const m of p.stdout.matchAll(/^0x([0-9a-f]+):(\d+):\$a/gm)) out.push([parseInt(m[1], 16), Number(m[2])]);
  return out;
}

function ours(ir: PatternIR, data: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  findAll(compilePattern(ir), data, 0, data.length, (o, l) => out.push([o, l]));
  return out;
}
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
function re(src: string, flags = ''): PatternIR {
  const r = parseRegex(src, { nocase: flags.includes('i'), dotall: flags.includes('s') });
  if ('error' in r) throw new Error(`${src}: ${r.error.message}`);
  return r.ir;
}
function hex(src: string): PatternIR {
  const r = parseHex(src);
  if ('error' in r) throw new Error(`${src}: ${r.error.message}`);
  return r.ir;
}

test('regex parse errors: message and exact span, and yara rejects them too', () => {
  const cases: [string, string, number, number][] = [
    ['a**', 'repeated quantifier', 2, 1],
    ['a{2}{3}', 'repeated quantifier', 4, 1],
    ['[b-a]', 'bad character range', 1, 3],
    ['\\x4', 'illegal escape sequence', 0, 3],
    ['a{3,2}', 'bad repeat interval', 1, 5],
    ['a{0,0}', 'bad repeat interval', 1, 5],
    ['a{1,40000}', 'repeat interval too large', 1, 9],
    ['()', 'empty group', 0, 2],
    ['(?:a)', 'not supported', 1, 1],
    ['ab)', 'unbalanced', 2, 1],
    ['(ab', 'missing )', 0, 1],
    ['a+b*?', "greedy and ungreedy quantifiers can't be mixed", 3, 2],
    ['*a', 'nothing to repeat', 0, 1],
    ['^*', 'nothing to repeat', 1, 1],
    ['[abc', 'unterminated character class', 0, 4],
  ];
  for (const [src, msg, off, len] of cases) {
    const r = parseRegex(src, { nocase: false, dotall: false });
    assert.ok('error' in r, `${src} should be an error`);
    assert.ok(r.error.message.includes(msg), `${src}: ${r.error.message}`);
    assert.deepEqual([r.error.offset, r.error.length], [off, len], `${src} span`);
    assert.equal(yara(`/${src}/`, bytes('x')), 'error', `yara accepts ${src}`);
  }
  // accepted by both: literal `{`, empty alternative, `]` first in a class, unknown escapes are literal
  for (const src of ['x{', 'x{a}', 'a|', '[]a]', '\\q', 'a{,3}', 'a{,}', 'a{2,}']) {
    assert.ok('ir' in parseRegex(src, { nocase: false, dotall: false }), src);
    assert.notEqual(yara(`/${src}/`, bytes('x')), 'error', `yara rejects ${src}`);
  }
});

test('hex parse errors: message and exact span, and yara rejects them too', () => {
  const cases: [string, string, number, number][] = [
    ['[2] 41', 'cannot start with a jump', 0, 3],
    ['41 [2]', 'cannot end with a jump', 3, 3],
    ['41 [3-2] 42', 'invalid jump range', 3, 5],
    ['41 [0] 42', 'invalid jump length', 3, 3],
    ['4', 'uneven number of digits', 0, 1],
    ['41 ( 42 | [-] 43 )', 'unbounded jump inside alternation', 10, 3],
    ['41 ( 42 [300] 44 | 43 )', 'jumps over 200 not allowed inside alternation', 8, 5],
    ['41 ~42', 'not supported', 3, 1],
    ['41 ( | 42 )', 'empty hex sequence', 4, 1],
    ['41 4G', 'invalid character', 4, 1],
    ['41 )', 'unbalanced', 3, 1],
  ];
  for (const [src, msg, off, len] of cases) {
    const r = parseHex(src);
    assert.ok('error' in r, `${src} should be an error`);
    assert.ok(r.error.message.includes(msg), `${src}: ${r.error.message}`);
    assert.deepEqual([r.error.offset, r.error.length], [off, len], `${src} span`);
    assert.equal(yara(`{ ${src} }`, bytes('x')), 'error', `yara accepts { ${src} }`);
  }
  for (const src of ['4142', '41 [1][2] 42', '41 [ 1 - 2 ] 42', '41 /* c */ 42', '( 41 | 43 )', '41 [0-0] 42', '41 4?']) {
    assert.ok('ir' in parseHex(src), src);
    assert.notEqual(yara(`{ ${src} }`, bytes('x')), 'error', `yara rejects { ${src} }`);
  }
});

test('matching semantics (each case checked against yara live)', () => {
  const d1 = bytes('xxaaabcdzzbcdzz aXbXXXb\n\r\x0b\x0c q');
  // [yara string definition, our IR, data, expected (offset, length) list]
  const cases: [string, PatternIR, Uint8Array, [number, number][]][] = [
    ['{ 61 [1-4] 62 }', hex('61 [1-4] 62'), d1, [[2, 4], [3, 3], [16, 3]]], // jumps are lazy
    ['{ 61 [-] 62 }', hex('61 [-] 62'), d1, [[2, 4], [3, 3], [4, 2], [16, 3]]],
    ['{ 61 ( 61 | 61 61 ) }', hex('61 ( 61 | 61 61 )'), d1, [[2, 2], [3, 2]]], // first alternative
    ['/a.*b/', re('a.*b'), d1, [[2, 21], [3, 20], [4, 19], [16, 7]]], // greedy, . excludes \n
    ['/a.*?b/', re('a.*?b'), d1, [[2, 4], [3, 3], [4, 2], [16, 3]]],
    ['/\\s+/', re('\\s+'), d1, [[15, 1], [23, 5], [24, 4], [25, 3], [26, 2], [27, 1]]], // \v \f are spaces
    ['/a(a|aa)/', re('a(a|aa)'), d1, [[2, 2], [3, 2]]],
    ['/zz\\b/', re('zz\\b'), d1, [[13, 2]]],
    ['/\\b /', re('\\b '), bytes(' '), [[0, 1]]], // \b holds at the data edges
    ['/ \\b/', re(' \\b'), bytes(' '), [[0, 1]]],
    ['/\\B /', re('\\B '), bytes(' '), []],
    ['/[^a]/i', re('[^a]', 'i'), bytes('aAb'), [[2, 1]]], // case folded before negation
    ['/a|/', re('a|'), bytes('bab'), [[1, 1]]], // no zero-length matches
    ['/a.?/s', re('a.?', 's'), bytes('a\nb'), [[0, 2]]],
    ['/x{/', re('x{'), bytes('x{x'), [[0, 2]]],
    ['"aa" nocase', literalIR(bytes('aa'), { nocase: true }), bytes('aAaA'), [[0, 2], [1, 2], [2, 2]]],
  ];
  for (const [def, ir, data, want] of cases) {
    assert.deepEqual(ours(ir, data), want, def);
    assert.deepEqual(yara(def, data), want, `yara disagrees on ${def}`);
  }
});

/** yara's -L prints at most 512 (MAX_MATCH_DATA); real lengths are checked with a condition. */
function yaraCond(def: string, cond: string, data: Uint8Array): boolean {
  const rf = join(tmp, `c${nfile}.yar`), df = join(tmp, `c${nfile++}`);
  writeFileSync(rf, `rule t { strings: $a = ${def} condition: ${cond} }\n`);
  writeFileSync(df, data);
  const p = spawnSync(YARA, ['-w', rf, df], { encoding: 'latin1' });
  assert.equal(p.status, 0, p.stderr);
  return p.stdout.startsWith('t ');
}

test('regex matches are capped at RE_SCAN_LIMIT (4096) like yara; hex jumps are not', () => {
  const data = new Uint8Array(6000).fill(0x78);
  data[0] = 0x61; data[5001] = 0x62;
  assert.deepEqual(ours(re('a.*b'), data), []);
  assert.equal(yaraCond('/a.*b/', '$a', data), false);
  assert.deepEqual(ours(hex('61 [-] 62'), data), [[0, 5002]]);
  assert.equal(yaraCond('{ 61 [-] 62 }', '#a == 1 and !a[1] == 5002', data), true);
  assert.deepEqual(ours(re('a.*'), data), [[0, RE_SCAN_LIMIT]]);
  assert.equal(yaraCond('/a.*/', `#a == 1 and !a[1] == ${RE_SCAN_LIMIT}`, data), true);
  const edge = new Uint8Array(4097).fill(0x78); edge[0] = 0x61; edge[4095] = 0x62; edge[4096] = 0x62;
  assert.deepEqual(ours(re('a.*b'), edge), [[0, 4096]]);
  assert.equal(yaraCond('/a.*b/', '#a == 1 and !a[1] == 4096', edge), true);
});

test('ascii/wide/fullword merge follows yara', () => {
  const run = (ascii: PatternIR | null, wide: PatternIR | null, fw: boolean, s: string) => {
    const out: [number, number][] = []; const d = bytes(s);
    findAllString(ascii && compilePattern(ascii), wide && compilePattern(wide), fw, d, 0, d.length, (o, l) => out.push([o, l]));
    return out;
  };
  const A = bytes('A');
  // text: an ascii match failing fullword falls back to the wide form at the same offset
  assert.deepEqual(run(literalIR(A, { nocase: false }), literalIR(A, { nocase: false, wide: true }), true, 'aA\x00'), [[1, 2]]);
  assert.deepEqual(yara('"A" wide ascii fullword', bytes('aA\x00')), [[1, 2]]);
  // regex: the ascii form wins whenever it matches; fullword is applied after
  const w = irsOf({ kind: 'regex', regex: { alts: [[{ t: 'esc', e: '\\w' }]], lazy: false, i: false, s: false }, nocase: false, wide: true, ascii: true, fullword: true, data: [] })!;
  assert.deepEqual(run(w.ascii, w.wide, true, 'aa\x00'), []);
  assert.deepEqual(yara('/\\w/ wide ascii fullword', bytes('aa\x00')), []);
});

const HOSTILE: [string, string][] = [
  ['(a+)+$', 'a'], ['(a|aa)+b', 'a'], ['(.*a){20}', 'a'], ['([a-z]+)*x', 'b'], ['(a*)*b', 'a'],
  ['(x+x+)+y', 'x'], ['(\\w+\\s?)+$', 'a'], ['(.*){1,32}z', 'q'],
];

test('catastrophic-backtracking patterns on 100 KB hostile input stay within the work budget', () => {
  for (const [src, ch] of HOSTILE) {
    const data = new Uint8Array(100_000).fill(ch.charCodeAt(0));
    const p = compilePattern(re(src));
    const before = patternStats.budgetExceeded;
    let n = 0;
    findAll(p, data, 0, data.length, () => { n++; });
    // the budget is checked once per input position: overshoot is at most one step's work
    assert.equal(patternStats.lastBudget, DEFAULT_WORK_BUDGET + DEFAULT_WORK_BUDGET_PER_BYTE * data.length);
    assert.ok(patternStats.lastSteps <= patternStats.lastBudget + 4 * p.header[3] + 64, `${src}: ${patternStats.lastSteps} steps`);
    assert.equal(patternStats.budgetExceeded, before + 1, `${src}: budget should be hit on 100 KB`);
    // one anchored attempt is linear: bounded by RE_SCAN_LIMIT positions x program size
    const len = matchAt(p, data, 0, data.length);
    assert.ok(patternStats.lastSteps <= (RE_SCAN_LIMIT + 1) * 4 * p.header[3], `${src}: matchAt ${patternStats.lastSteps} steps`);
    void len; void n;
  }
});

test('hostile hex strings (unbounded lazy jumps) on 100 KB stay within the work budget', () => {
  const data = new Uint8Array(100_000).fill(0x61);
  for (const h of ['61 [-] 61 [-] 62', '61 [0-4000] 61 [0-4000] 62', '( 61 | 61 61 ) [-] 62']) {
    const p = compilePattern(hex(h));
    const before = patternStats.budgetExceeded;
    findAll(p, data, 0, data.length, () => assert.fail('no match expected'));
    assert.ok(patternStats.lastSteps <= patternStats.lastBudget + 4 * p.header[3] + 64, `${h}: ${patternStats.lastSteps}`);
    assert.equal(patternStats.budgetExceeded, before + 1, h);
  }
});

test('hostile patterns give exact answers on smaller input (linear engine, not a timeout)', () => {
  const old = setWorkBudget(50_000_000);
  try {
    const a = new Uint8Array(300).fill(0x61);
    assert.deepEqual(ours(re('(a|aa)+b'), a), []);
    assert.deepEqual(ours(re('(a+)+$'), a).length, 300);
    const ax = Uint8Array.from([...a, 0x62]);
    const r = ours(re('(a|aa)+b'), ax);
    assert.equal(r.length, 300);
    assert.deepEqual(r[0], [0, 301]);
    assert.equal(patternStats.budgetExceeded > 0, true); // from the previous test
  } finally { setWorkBudget(old); }
});

test('findAllStarts restricts match starts, not the data (prefilter verification)', () => {
  const d = bytes('xxabcabcab');
  const p = compilePattern(re('abc(abc)?'));
  const out: [number, number][] = [];
  findAllStarts(p, d, 0, d.length, 3, 6, (o, l) => out.push([o, l]));
  assert.deepEqual(out, [[5, 3]]);
  const all: [number, number][] = [];
  findAllStarts(p, d, 0, d.length, 0, d.length, (o, l) => all.push([o, l]));
  assert.deepEqual(all, ours(re('abc(abc)?'), d));
  const lit: [number, number][] = [];
  findAllStarts(compilePattern(literalIR(bytes('ab'), { nocase: false })), d, 0, d.length, 3, 9, (o, l) => lit.push([o, l]));
  assert.deepEqual(lit, [[5, 2], [8, 2]]);
});

test('extractAtoms: best atom, backtrack, alternatives, nocase, null when impossible', () => {
  const lit = extractAtoms(literalIR(bytes('hello world'), { nocase: false }))!;
  assert.equal(lit.atoms.length, 1);
  assert.equal(lit.atoms[0].bytes.length, 4);
  const h = extractAtoms(hex('4D 5A ?? [2-4] ( 50 45 | 4E 45 )'))!;
  assert.ok(h.atoms.length >= 1);
  for (const a of h.atoms) assert.ok(a.backtrack >= 0);
  const alt = extractAtoms(re('(abcd|efgh)ij'))!;
  assert.equal(alt.atoms.length, 2);
  const nc = extractAtoms(re('Select', 'i'))!;
  assert.equal(nc.atoms[0].nocase, true);
  assert.equal(extractAtoms(re('.*')), null);
  assert.equal(extractAtoms(re('[a-z]+')), null);
  const tail = extractAtoms(re('[a-z]+hello'))!;
  assert.equal(tail.atoms[0].backtrack, RE_SCAN_LIMIT - 4); // unbounded prefix: capped by the match limit
  assert.equal(isUnbounded(re('a.*b')), true);
  assert.equal(isUnbounded(re('a.{0,5}b')), false);
  assert.equal(isUnbounded(hex('41 [2-] 42')), true);
  assert.equal(isUnbounded(hex('41 [2-3] 42')), false);
});

test('extractAtoms is sound: every match contains an atom within backtrack of its start (property)', () => {
  fc.assert(fc.property(caseArb, (c) => {
    const forms = irsOf(c);
    if (!forms) return true;
    const data = Uint8Array.from(c.data);
    for (const ir of [forms.ascii, forms.wide]) {
      if (!ir) continue;
      const at = extractAtoms(ir);
      if (!at) continue;
      findAll(compilePattern(ir), data, 0, data.length, (off, len) => {
        const ok = at.atoms.some((a) => {
          const maxQ = a.backtrack < 0 ? off + len - a.bytes.length : Math.min(off + a.backtrack, off + len - a.bytes.length);
          for (let q = off; q <= maxQ; q++) {
            let k = 0;
            while (k < a.bytes.length && (a.nocase ? (data[q + k] | 0x20) === (a.bytes[k] | 0x20) && ((data[q + k] | 0x20) >= 0x61 && (data[q + k] | 0x20) <= 0x7a || data[q + k] === a.bytes[k]) : data[q + k] === a.bytes[k])) k++;
            if (k === a.bytes.length) return true;
          }
          return false;
        });
        assert.ok(ok, `no atom in match ${off}:${len} of ${JSON.stringify(c)} atoms=${JSON.stringify(at.atoms.map((a) => [Array.from(a.bytes), a.nocase, a.backtrack]))}`);
      });
    }
    return true;
  }), { numRuns: 1500, seed: 11 });
});

test('compiled patterns are plain typed arrays (structured-clone round trip)', () => {
  const p = compilePattern(re('ab[cd]+e', 'i'));
  const q = structuredClone(p);
  const d = bytes('xxABcDdE abce');
  const a: number[] = [], b: number[] = [];
  findAll(p, d, 0, d.length, (o, l) => a.push(o, l));
  findAll(q, d, 0, d.length, (o, l) => b.push(o, l));
  assert.deepEqual(a, [2, 6, 9, 4]);
  assert.deepEqual(b, a);
  for (const v of Object.values(q)) assert.ok(ArrayBuffer.isView(v));
});

test('hex jumps over 200 (yara chains them into sub-strings) match like lazy jumps: 80 random cases vs yara', () => {
  let seed = 7;
  const r = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return (seed >>> 0) / 4294967296; };
  const pats: string[] = [];
  for (let i = 0; i < 80; i++) {
    const parts = ['61'];
    const n = 1 + Math.floor(r() * 3);
    for (let k = 0; k < n; k++) {
      const lo = Math.floor(r() * 300), hi = lo + Math.floor(r() * 300);
      parts.push(r() < 0.2 ? `[${lo}-]` : `[${lo}-${hi}]`, ['62', '63', '62 63', '6?'][Math.floor(r() * 4)]);
    }
    pats.push(parts.join(' '));
  }
  const data = new Uint8Array(3000);
  for (let i = 0; i < data.length; i++) data[i] = r() < 0.02 ? 0x61 : r() < 0.02 ? 0x62 : r() < 0.02 ? 0x63 : 0x78;
  const rf = join(tmp, 'chain.yar'), df = join(tmp, 'chain.bin');
  writeFileSync(rf, pats.map((h, i) => `rule r${i} { strings: $a = { ${h} } condition: $a }`).join('\n') + '\n');
  writeFileSync(df, data);
  const p = spawnSync(YARA, ['-s', '-L', '-w', rf, df], { encoding: 'latin1', maxBuffer: 64 << 20 });
  assert.equal(p.status, 0, p.stderr);
  const ys = pats.map(() => [] as string[]);
  let cur = -1;
  for (const line of p.stdout.split('\n')) {
    const h = /^r(\d+) /.exec(line);
    if (h) { cur = Number(h[1]); continue; }
    const m = /^0x([0-9a-f]+):(\d+):/.exec(line);
    if (m) ys[cur].push(`${parseInt(m[1], 16)}:${m[2]}`);
  }
  let withMatches = 0;
  pats.forEach((h, i) => {
    // yara -L prints min(length, 512) (MAX_MATCH_DATA)
    const o = ours(hex(h), data).map(([off, len]) => `${off}:${Math.min(len, 512)}`);
    assert.deepEqual(o, ys[i], `{ ${h} }`);
    if (o.length) withMatches++;
  });
  assert.ok(withMatches > 20, `only ${withMatches} patterns matched`);
});

test('lazy DFA and Pike VM give identical matches (2,000 generated cases, plus a state-overflow fallback)', () => {
  const runBoth = (ir: PatternIR, data: Uint8Array) => {
    setDfaEnabled(true);
    const a = ours(ir, data);
    setDfaEnabled(false);
    const b = ours(ir, data);
    setDfaEnabled(true);
    return [a, b];
  };
  const before = dfaStats.states;
  fc.assert(fc.property(caseArb, (c) => {
    const forms = irsOf(c);
    if (!forms) return true;
    for (const ir of [forms.ascii, forms.wide]) {
      if (!ir) continue;
      const [a, b] = runBoth(ir, Uint8Array.from(c.data));
      assert.deepEqual(a, b);
    }
    return true;
  }), { numRuns: 2000, seed: 23 });
  assert.ok(dfaStats.states > before, 'the DFA was not exercised');
  // a DFA that needs more states than the limit falls back to the Pike VM with the same answers
  const fb = dfaStats.fallbacks;
  let x = 12345;
  const data = Uint8Array.from({ length: 400 }, () => { x = (x * 1103515245 + 12345) >>> 0; return x & 0x100 ? 0x61 : 0x62; });
  const oldMax = setDfaMaxStates(16);
  let a: [number, number][], b: [number, number][];
  try { [a, b] = runBoth(re('(a|b)*a(a|b){6}'), data); } finally { setDfaMaxStates(oldMax); }
  assert.deepEqual(a, b);
  assert.ok(a.length > 100);
  assert.equal(dfaStats.fallbacks, fb + 1);
  assert.ok(DFA_MAX_STATES >= 256);
});
