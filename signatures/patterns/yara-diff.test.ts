/**
 * Differential property test: the pattern engine against the real `yara` 4.2.3 binary.
 * Generates random text / hex / regex strings (YARA-compatible grammar, modifiers nocase wide ascii
 * fullword, regex flags i s) and small data biased to contain matches (same small alphabet);
 * runs yara once per batch (one rules file with one rule per case, `filesize == L` ties a rule to
 * its data file) and compares, per case, the full set of (offset, length) matches reported by
 * `yara -s -L` with ours, and also whether the pattern is accepted at all.
 * On a mismatch, fast-check replays the property case by case (yara per case) and shrinks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRegex, parseHex, literalIR, wideIR, compilePattern, findAllString, PatternIR } from './index';

const YARA = '/usr/bin/yara';
const CASES = Number(process.env.PATTERN_DIFF_CASES ?? 2500);
const SEED = Number(process.env.PATTERN_DIFF_SEED ?? 4242);

const ALPHA = [0x61, 0x62, 0x41, 0x42, 0x30, 0x20, 0x0a, 0x00, 0x5f, 0x2d];

// ---------- case model ----------
type RNode =
  | { t: 'lit'; b: number } | { t: 'dot' } | { t: 'esc'; e: string } | { t: 'anchor'; a: string }
  | { t: 'class'; neg: boolean; items: (number | string | [number, number])[] }
  | { t: 'group'; alts: RNode[][] } | { t: 'rep'; body: RNode; q: string };

type HTok = { t: 'byte'; b: number } | { t: 'any' } | { t: 'nib'; s: string } | { t: 'alt'; alts: HTok[][] };
type HItem = HTok | { t: 'jump'; s: string };

interface Case {
  kind: 'text' | 'hex' | 'regex';
  text?: number[];
  regex?: { alts: RNode[][]; lazy: boolean; i: boolean; s: boolean };
  hex?: HItem[];
  nocase: boolean; wide: boolean; ascii: boolean; fullword: boolean;
  data: number[];
}

function reChar(b: number, inClass: boolean): string {
  if (b === 0x0a) return '\\n';
  if (b === 0x00) return '\\x00';
  if (b === 0x2d && inClass) return '\\-';
  return String.fromCharCode(b);
}
function printAlts(alts: RNode[][], lazy: boolean): string { return alts.map((c) => c.map((n) => printR(n, lazy)).join('')).join('|'); }
function printR(n: RNode, lazy: boolean): string {
  switch (n.t) {
    case 'lit': return reChar(n.b, false);
    case 'dot': return '.';
    case 'esc': return n.e;
    case 'anchor': return n.a;
    case 'class': return '[' + (n.neg ? '^' : '') + n.items.map((it) => typeof it === 'number' ? reChar(it, true) : typeof it === 'string' ? it : reChar(it[0], true) + '-' + reChar(it[1], true)).join('') + ']';
    case 'group': return '(' + printAlts(n.alts, lazy) + ')';
    case 'rep': return printR(n.body, lazy) + n.q + (lazy ? '?' : '');
  }
}
const hx = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
function printH(items: HItem[]): string {
  return items.map((it) => it.t === 'byte' ? hx(it.b) : it.t === 'any' ? '??' : it.t === 'nib' ? it.s : it.t === 'jump' ? it.s
    : '( ' + it.alts.map(printH).join(' | ') + ' )').join(' ');
}
function textLiteral(bytes: number[]): string {
  return '"' + bytes.map((b) => b === 0x0a ? '\\n' : b === 0 ? '\\x00' : b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : String.fromCharCode(b)).join('') + '"';
}

/** The YARA string definition (after `$a = `). */
function yaraString(c: Case): string {
  const mods: string[] = [];
  if (c.kind !== 'hex') {
    if (c.nocase) mods.push('nocase');
    if (c.wide) mods.push('wide');
    if (c.ascii) mods.push('ascii');
    if (c.fullword) mods.push('fullword');
  }
  if (c.kind === 'text') return [textLiteral(c.text!), ...mods].join(' ');
  if (c.kind === 'hex') return '{ ' + printH(c.hex!) + ' }';
  const r = c.regex!;
  return ['/' + printAlts(r.alts, r.lazy) + '/' + (r.i ? 'i' : '') + (r.s ? 's' : ''), ...mods].join(' ');
}

function rNullable(n: RNode): boolean {
  switch (n.t) {
    case 'anchor': return true;
    case 'group': return n.alts.some((c) => c.every(rNullable));
    case 'rep': return /^(\*|\?|\{0|\{,)/.test(n.q) || rNullable(n.body);
    default: return false;
  }
}

// ---------- arbitraries ----------
const alphaByte = fc.constantFrom(...ALPHA);
const reLeaf: fc.Arbitrary<RNode> = fc.oneof(
  { weight: 6, arbitrary: alphaByte.map((b) => ({ t: 'lit', b }) as RNode) },
  { weight: 1, arbitrary: fc.constant({ t: 'dot' } as RNode) },
  { weight: 1, arbitrary: fc.constantFrom('\\w', '\\W', '\\s', '\\S', '\\d', '\\D').map((e) => ({ t: 'esc', e }) as RNode) },
  { weight: 2, arbitrary: fc.record({
    neg: fc.boolean(),
    items: fc.array(fc.oneof(alphaByte as fc.Arbitrary<number | string | [number, number]>,
      fc.constantFrom('\\w', '\\d', '\\s'), fc.constantFrom<[number, number]>([0x61, 0x62], [0x41, 0x61], [0x30, 0x39], [0x00, 0x20])), { minLength: 1, maxLength: 3 }),
  }).map((r) => ({ t: 'class', ...r }) as RNode) },
);
const quant = fc.constantFrom('*', '+', '?', '{2}', '{1,}', '{0,2}', '{,2}', '{1,3}');
const reTree = fc.letrec<{ alts: RNode[][]; cat: RNode[]; item: RNode; atom: RNode }>((tie) => ({
  alts: fc.array(tie('cat'), { minLength: 1, maxLength: 3 }),
  cat: fc.array(tie('item'), { minLength: 1, maxLength: 4 }),
  item: fc.oneof(
    { weight: 4, arbitrary: tie('atom') },
    // Loops over a body that can match empty (e.g. (^|.)*) are excluded: YARA's engine handles empty
    // iterations its own way (documented deviation in docs/patterns.md); bounded repeats are kept.
    { weight: 3, arbitrary: fc.record({ body: tie('atom'), q: quant }).map((r) => ({ t: 'rep', body: r.body, q: rNullable(r.body) && /[*+]|,\}/.test(r.q) ? '{0,2}' : r.q }) as RNode) },
    { weight: 1, arbitrary: fc.constantFrom('^', '$', '\\b', '\\B').map((a) => ({ t: 'anchor', a }) as RNode) },
  ),
  atom: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: reLeaf },
    { weight: 1, arbitrary: tie('alts').map((alts) => ({ t: 'group', alts }) as RNode) }),
}));
const hexTok: fc.Arbitrary<HTok> = fc.oneof(
  { weight: 6, arbitrary: alphaByte.map((b) => ({ t: 'byte', b }) as HTok) },
  { weight: 1, arbitrary: fc.constant({ t: 'any' } as HTok) },
  { weight: 1, arbitrary: alphaByte.chain((b) => fc.constantFrom(hx(b)[0] + '?', '?' + hx(b)[1])).map((s) => ({ t: 'nib', s }) as HTok) },
);
function hexSeq(top: boolean, depth: number): fc.Arbitrary<HItem[]> {
  // Alternatives: branches of equal width without jumps (which branch yara reports first depends on
  // its atom order, not on branch order: documented deviation, see docs/patterns.md).
  const tok: fc.Arbitrary<HTok> = depth > 0
    ? fc.oneof({ weight: 5, arbitrary: hexTok }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).chain((w) =>
      fc.array(fc.array(hexTok, { minLength: w, maxLength: w }), { minLength: 2, maxLength: 3 })).map((alts) => ({ t: 'alt', alts }) as HTok) })
    : hexTok;
  const jump = fc.oneof(
    fc.integer({ min: 1, max: 3 }).map((n) => `[${n}]`),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 })).map(([a, b]) => `[${a}-${a + b}]`),
    ...(top ? [fc.integer({ min: 0, max: 2 }).map((n) => `[${n}-]`), fc.constant('[-]')] : []),
  ).map((s) => ({ t: 'jump', s }) as HItem);
  return fc.tuple(tok, fc.array(fc.tuple(fc.option(jump, { freq: 3 }), tok), { maxLength: 4 }))
    .map(([first, rest]) => [first as HItem, ...rest.flatMap(([j, t]) => (j ? [j, t] : [t]) as HItem[])]);
}
const mods = fc.record({ nocase: fc.boolean(), wide: fc.boolean(), ascii: fc.boolean(), fullword: fc.boolean() });
const data = fc.array(alphaByte, { maxLength: 32 });
/**
 * Core regex grammar: each top-level alternative is a fixed-width head (plain items, no quantifier)
 * followed by at most one variable item (quantified atom or group). Assertions only at the edges.
 * Within it YARA's atom-anchored matching (backward from the atom, forward from it) provably equals
 * leftmost-first matching from the start offset when the atom lies in the head; see docs/patterns.md.
 */
const coreAlt: fc.Arbitrary<RNode[]> = fc.record({
  bol: fc.constantFrom('', '', '', '^', '\\b'),
  head: fc.array(reLeaf, { minLength: 1, maxLength: 4 }),
  tail: fc.option(reTree.item.filter((n) => n.t !== 'anchor'), { freq: 2 }),
  eol: fc.constantFrom('', '', '', '$', '\\b'),
}).map(({ bol, head, tail, eol }) => [
  ...(bol ? [{ t: 'anchor', a: bol } as RNode] : []), ...head, ...(tail ? [tail] : []), ...(eol ? [{ t: 'anchor', a: eol } as RNode] : [])]);
/** Top-level alternatives start with distinct literal bytes (case-insensitively), so at most one can match at an offset. */
const coreRegex = fc.uniqueArray(fc.record({ first: alphaByte, alt: coreAlt }), { minLength: 1, maxLength: 3, selector: (r) => r.first | 0x20 })
  .map((rs) => rs.map((r) => {
    const i = r.alt[0]?.t === 'anchor' ? 1 : 0;
    return [...r.alt.slice(0, i), { t: 'lit', b: r.first } as RNode, ...r.alt.slice(i)];
  }));

const caseArb: fc.Arbitrary<Case> = fc.tuple(fc.oneof(
  fc.record({ text: fc.array(alphaByte, { minLength: 1, maxLength: 5 }), m: mods, data, inject: fc.boolean() })
    .map(({ text, m, data, inject }) => ({ kind: 'text', text, ...m, data: inject ? [...data.slice(0, 10), ...text, ...data.slice(10)] : data }) as Case),
  fc.record({ hex: hexSeq(true, 2), data })
    .map(({ hex, data }) => ({ kind: 'hex', hex, nocase: false, wide: false, ascii: false, fullword: false, data }) as Case),
  fc.record({ t: process.env.PATTERN_DIFF_FULL ? reTree.alts : coreRegex, lazy: fc.boolean(), i: fc.boolean(), s: fc.boolean(), m: mods, data })
    // `wide ascii` regexes: yara picks the form from the forward half of the match only (the part after
    // its atom), which depends on its atom choice: documented deviation, so the core uses one form.
    .map(({ t, lazy, i, s, m, data }) => ({ kind: 'regex', regex: { alts: t, lazy, i, s }, ...m, ascii: m.wide && !process.env.PATTERN_DIFF_FULL ? false : m.ascii, data }) as Case),
), fc.integer()).map(([c, seed]) => withSample(c, seed));

// ---------- data bias: a random instance of the pattern is spliced into the data ----------
function rng(seed: number): () => number {
  let x = (seed | 0) || 1;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
}
const memberCache = new Map<string, number[]>();
function classMembers(src: string, nocase: boolean, dotall: boolean): number[] {
  const key = src + nocase + dotall;
  let m = memberCache.get(key);
  if (!m) {
    const r = parseRegex(src, { nocase, dotall });
    m = [];
    if ('ir' in r) { const p = compilePattern(r.ir); for (const b of ALPHA) if (findFirst(p, b)) m.push(b); }
    memberCache.set(key, m);
  }
  return m;
}
function findFirst(p: ReturnType<typeof compilePattern>, b: number): boolean {
  let hit = false; findAllString(p, null, false, Uint8Array.of(b), 0, 1, () => { hit = true; }); return hit;
}
function sampleRegex(alts: RNode[][], r: () => number, nocase: boolean, dotall: boolean, out: number[]): void {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  const one = (n: RNode): void => {
    switch (n.t) {
      case 'anchor': return;
      case 'lit': out.push(nocase && r() < 0.5 ? (n.b >= 0x61 && n.b <= 0x7a ? n.b - 32 : n.b >= 0x41 && n.b <= 0x5a ? n.b + 32 : n.b) : n.b); return;
      case 'dot': case 'esc': case 'class': { const m = classMembers(printR(n, false), nocase, dotall); if (m.length) out.push(pick(m)); return; }
      case 'group': pick(n.alts).forEach(one); return;
      case 'rep': { const k = /^\{(\d+)\}$/.exec(n.q) ? Number(n.q.slice(1, -1)) : n.q === '+' || n.q.startsWith('{1') ? 1 + Math.floor(r() * 2) : Math.floor(r() * 3); for (let i = 0; i < k; i++) one(n.body); return; }
    }
  };
  pick(alts).forEach(one);
}
function sampleHex(items: HItem[], r: () => number, out: number[]): void {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)];
  for (const it of items) {
    if (it.t === 'byte') out.push(it.b);
    else if (it.t === 'any') out.push(pick(ALPHA));
    else if (it.t === 'nib') out.push(pick(ALPHA.filter((b) => (it.s[0] === '?' || hx(b)[0] === it.s[0]) && (it.s[1] === '?' || hx(b)[1] === it.s[1]))) ?? 0);
    else if (it.t === 'jump') { const m = /\[(\d*)-?(\d*)\]/.exec(it.s)!; const lo = Number(m[1] || 0); const n = lo + Math.floor(r() * 3); for (let i = 0; i < n; i++) out.push(pick(ALPHA)); }
    else sampleHex(pick(it.alts), r, out);
  }
}
function withSample(c: Case, seed: number): Case {
  const r = rng(seed);
  if (c.kind === 'text' || r() < 0.25) return c;
  const s: number[] = [];
  if (c.kind === 'hex') sampleHex(c.hex!, r, s);
  else sampleRegex(c.regex!.alts, r, c.nocase || c.regex!.i, c.regex!.s, s);
  const ins = c.wide && !(c.ascii && r() < 0.5) ? s.flatMap((b) => [b, 0]) : s;
  const at = Math.floor(r() * (c.data.length + 1));
  return { ...c, data: [...c.data.slice(0, at), ...ins, ...c.data.slice(at)] };
}

// ---------- our engine ----------
type Result = { ok: true; matches: Map<number, number> } | { ok: false };
function ours(c: Case): Result {
  let ir: PatternIR;
  if (c.kind === 'text') ir = literalIR(Uint8Array.from(c.text!), { nocase: c.nocase });
  else if (c.kind === 'hex') {
    const r = parseHex(printH(c.hex!));
    if ('error' in r) return { ok: false };
    ir = r.ir;
  } else {
    const r = parseRegex(printAlts(c.regex!.alts, c.regex!.lazy), { nocase: c.regex!.i || c.nocase, dotall: c.regex!.s });
    if ('error' in r) return { ok: false };
    ir = r.ir;
  }
  const buf = Uint8Array.from(c.data);
  const out = new Map<number, number>();
  const useAscii = c.kind === 'hex' || !c.wide || c.ascii;
  const wideIr = c.kind !== 'hex' && c.wide ? (c.kind === 'text' ? literalIR(Uint8Array.from(c.text!), { nocase: c.nocase, wide: true }) : wideIR(ir)) : null;
  findAllString(useAscii ? compilePattern(ir) : null, wideIr ? compilePattern(wideIr) : null, c.fullword, buf, 0, buf.length, (off, len) => {
    assert.ok(!out.has(off), 'offset reported twice');
    out.set(off, len);
  });
  return { ok: true, matches: out };
}

// ---------- yara oracle ----------
/** Runs yara over many cases at once. Returns per case: 'error' (yara rejects the string) or the match map. */
function yaraBatch(cases: Case[], dir: string): (Map<number, number> | 'error')[] {
  const res: (Map<number, number> | 'error')[] = new Array(cases.length);
  // group cases so that data lengths are unique within a group (rule i is tied to file i by filesize)
  const groups: number[][] = [];
  const used: Set<number>[] = [];
  cases.forEach((c, i) => {
    let g = used.findIndex((u) => !u.has(c.data.length));
    if (g < 0) { g = groups.length; groups.push([]); used.push(new Set()); }
    groups[g].push(i); used[g].add(c.data.length);
  });
  groups.forEach((g, gi) => {
    const gdir = join(dir, 'g' + gi);
    mkdirSync(gdir);
    for (const i of g) writeFileSync(join(gdir, 'f' + i), Uint8Array.from(cases[i].data));
    let active = g.slice();
    for (let attempt = 0; attempt < 3 && active.length > 0; attempt++) {
      const rules = active.map((i) => `rule r${i} { strings: $a = ${yaraString(cases[i])} condition: filesize == ${cases[i].data.length} and ($a or true) }`).join('\n') + '\n';
      const rf = join(dir, `rules${gi}.yar`);
      writeFileSync(rf, rules);
      const p = spawnSync(YARA, ['-p', '1', '-s', '-L', '-w', rf, gdir], { encoding: 'latin1', maxBuffer: 64 << 20 });
      if (p.status !== 0) {
        const lines = rules.split('\n');
        const bad = new Set<number>();
        for (const m of p.stderr.matchAll(/\((\d+)\): /g)) {
          const ln = Number(m[1]);
          const rm = /^rule r(\d+) /.exec(lines[ln - 1] ?? '');
          if (rm) bad.add(Number(rm[1]));
        }
        if (bad.size === 0) throw new Error('yara failed: ' + p.stderr);
        for (const i of bad) res[i] = 'error';
        active = active.filter((i) => !bad.has(i));
        continue;
      }
      for (const i of active) res[i] = new Map();
      let cur = -1;
      for (const line of p.stdout.split('\n')) {
        const h = /^r(\d+) /.exec(line);
        if (h) { cur = Number(h[1]); continue; }
        const m = /^0x([0-9a-f]+):(\d+):\$a/.exec(line);
        if (m && cur >= 0) {
          const mp = res[cur] as Map<number, number>;
          const off = parseInt(m[1], 16);
          if (mp.has(off)) throw new Error(`yara reported offset ${off} twice for r${cur}`);
          mp.set(off, Number(m[2]));
        }
      }
      active = [];
    }
  });
  return res;
}

function describe(c: Case): string {
  return `$a = ${yaraString(c)}\ndata (${c.data.length} bytes) = ${JSON.stringify(Buffer.from(c.data).toString('latin1'))}`;
}
function fmt(m: Map<number, number> | 'error' | undefined): string {
  if (m === undefined) return 'undefined';
  if (m === 'error') return 'compile error';
  return '[' + [...m].sort((a, b) => a[0] - b[0]).map(([o, l]) => `${o}:${l}`).join(' ') + ']';
}
function agree(c: Case, y: Map<number, number> | 'error'): boolean {
  const o = ours(c);
  if (y === 'error' || !o.ok) return y === 'error' && !o.ok;
  if (o.matches.size !== y.size) return false;
  for (const [k, v] of y) if (o.matches.get(k) !== v) return false;
  return true;
}

test(`patterns agree with yara ${execFileSync(YARA, ['--version']).toString().trim()} on ${CASES} generated cases`, { timeout: 240_000 }, () => {
  // Phase 1: collect the cases exactly as fc.check generates them (same seed as phase 2).
  const cases: Case[] = [];
  fc.check(fc.property(caseArb, (c) => { cases.push(c); return true; }), { seed: SEED, numRuns: CASES });
  const dir = mkdtempSync(join(tmpdir(), 'quell-patdiff-'));
  try {
    const ys = yaraBatch(cases, dir);
    const bad: number[] = [];
    const kinds = { text: 0, hex: 0, regex: 0, rejected: 0, withMatches: 0 };
    const known = new Map<string, Map<number, number> | 'error'>();
    cases.forEach((c, i) => {
      kinds[c.kind]++;
      known.set(JSON.stringify(c), ys[i]);
      if (ys[i] === 'error') kinds.rejected++; else if ((ys[i] as Map<number, number>).size > 0) kinds.withMatches++;
      if (!agree(c, ys[i])) bad.push(i);
    });
    if (bad.length > 0) {
      let msg = `${bad.length}/${CASES} cases disagree; first ones:\n` + bad.slice(0, Number(process.env.PATTERN_DIFF_SHOW ?? 3)).map((i) =>
        `${describe(cases[i])}\nyara: ${fmt(ys[i])}\nours: ${fmt(((r) => (r.ok ? r.matches : 'error'))(ours(cases[i])))}`).join('\n');
      // Phase 2: the same run again, answered from the batch for known cases and by yara per case
      // for the shrunk ones, so fast-check can shrink the first failure to a minimal case.
      const sdir = join(dir, 'shrink'); mkdirSync(sdir);
      let n = 0;
      const oracle = (c: Case) => {
        const k = known.get(JSON.stringify(c));
        if (k !== undefined) return k;
        const d = join(sdir, String(n++)); mkdirSync(d);
        return yaraBatch([c], d)[0];
      };
      const out = fc.check(fc.property(caseArb, (c) => agree(c, oracle(c))), { seed: SEED, numRuns: CASES });
      if (out.failed && out.counterexample) {
        const c = out.counterexample[0];
        msg += `\nminimal case after shrinking (${out.numShrinks} shrinks):\n${describe(c)}\nyara: ${fmt(oracle(c))}\nours: ${fmt(((r) => (r.ok ? r.matches : 'error'))(ours(c)))}`;
      }
      assert.fail(msg);
    }
    // the generator must exercise matching, not just produce silent or rejected cases
    assert.ok(kinds.withMatches > CASES / 3, `too few cases with matches: ${JSON.stringify(kinds)}`);
    assert.ok(kinds.rejected < CASES / 5, `too many rejected cases: ${JSON.stringify(kinds)}`);
    console.log(`# yara differential: ${JSON.stringify(kinds)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
