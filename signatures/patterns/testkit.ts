/**
 * Test kit (not a test file): fast-check generators of YARA strings (text / hex / regex with
 * modifiers) and data biased to contain matches, plus printers to YARA syntax. Used by
 * yara-diff.test.ts and atoms.test.ts. Owner: signatures/patterns.
 */
import fc from 'fast-check';
import { parseRegex, parseHex, literalIR, wideIR, compilePattern, findAllString, PatternIR } from './index';

export const ALPHA = [0x61, 0x62, 0x41, 0x42, 0x30, 0x20, 0x0a, 0x00, 0x5f, 0x2d];

// ---------- case model ----------
export type RNode =
  | { t: 'lit'; b: number } | { t: 'dot' } | { t: 'esc'; e: string } | { t: 'anchor'; a: string }
  | { t: 'class'; neg: boolean; items: (number | string | [number, number])[] }
  | { t: 'group'; alts: RNode[][] } | { t: 'rep'; body: RNode; q: string };

export type HTok = { t: 'byte'; b: number } | { t: 'any' } | { t: 'nib'; s: string } | { t: 'alt'; alts: HTok[][] };
export type HItem = HTok | { t: 'jump'; s: string };

export interface Case {
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
export function printAlts(alts: RNode[][], lazy: boolean): string { return alts.map((c) => c.map((n) => printR(n, lazy)).join('')).join('|'); }
export function printR(n: RNode, lazy: boolean): string {
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
export const hx = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
export function printH(items: HItem[]): string {
  return items.map((it) => it.t === 'byte' ? hx(it.b) : it.t === 'any' ? '??' : it.t === 'nib' ? it.s : it.t === 'jump' ? it.s
    : '( ' + it.alts.map(printH).join(' | ') + ' )').join(' ');
}
export function textLiteral(bytes: number[]): string {
  return '"' + bytes.map((b) => b === 0x0a ? '\\n' : b === 0 ? '\\x00' : b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : String.fromCharCode(b)).join('') + '"';
}

/** The YARA string definition (after `$a = `). */
export function yaraString(c: Case): string {
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
export const reTree = fc.letrec<{ alts: RNode[][]; cat: RNode[]; item: RNode; atom: RNode }>((tie) => ({
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

export const caseArb: fc.Arbitrary<Case> = fc.tuple(fc.oneof(
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


/** The IR forms our engine runs for a case (ascii and/or wide), or null if the pattern does not parse. */
export function irsOf(c: Case): { ascii: PatternIR | null; wide: PatternIR | null } | null {
  let ir: PatternIR;
  if (c.kind === 'text') ir = literalIR(Uint8Array.from(c.text!), { nocase: c.nocase });
  else if (c.kind === 'hex') {
    const r = parseHex(printH(c.hex!));
    if ('error' in r) return null;
    ir = r.ir;
  } else {
    const r = parseRegex(printAlts(c.regex!.alts, c.regex!.lazy), { nocase: c.regex!.i || c.nocase, dotall: c.regex!.s });
    if ('error' in r) return null;
    ir = r.ir;
  }
  const useAscii = c.kind === 'hex' || !c.wide || c.ascii;
  const wide = c.kind !== 'hex' && c.wide ? (c.kind === 'text' ? literalIR(Uint8Array.from(c.text!), { nocase: c.nocase, wide: true }) : wideIR(ir)) : null;
  return { ascii: useAscii ? ir : null, wide };
}
