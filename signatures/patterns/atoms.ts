/**
 * Atom extraction for the prefilter. An atom is a short literal (<= maxAtomLen bytes, default 4 as
 * YARA's YR_MAX_ATOM_LENGTH) that every match must contain, at a bounded distance from the match
 * start (or unbounded, backtrack -1). Alternatives yield one atom per branch (an OR set).
 * Quality follows YARA's heuristic idea (atoms.c): common bytes 00 20 FF CC score low, letters a
 * bit lower than other bytes (they get folded by nocase), distinct bytes earn a bonus; a set scores
 * as its worst atom minus a penalty for size. The best-scoring candidate over the pattern is kept.
 */
import { RE_SCAN_LIMIT } from './vm';
import { Node, PatternIR, setSize, setMembers, altCase, lower, maxWidth, minWidth } from './ir';

export interface Atom { bytes: Uint8Array; nocase: boolean; backtrack: number }
export interface AtomSet { atoms: Atom[]; quality: number }

/** Max atoms in one OR-set before we give up on that node (YARA caps atoms per string too). */
export const MAX_ATOMS_PER_SET = 64;

function byteScore(b: number): number {
  if (b === 0x00 || b === 0x20 || b === 0xff || b === 0xcc) return 12;
  if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return 18;
  return 20;
}

/** Quality of one atom (YARA-like scale: 4 distinct non-special bytes ~ 88; 2 bytes ~ 40). */
export function atomQuality(bytes: ArrayLike<number>): number {
  let q = 0;
  const seen = new Set<number>();
  for (let i = 0; i < bytes.length; i++) { q += byteScore(bytes[i]); seen.add(lower(bytes[i])); }
  return q + 2 * seen.size;
}

type Lit = { b: number; nocase: boolean };

/** A cls that is one byte or a case pair {x, X} is literal for atom purposes. */
function asLit(n: Node): Lit | null {
  if (n.t !== 'cls') return null;
  const sz = setSize(n.m);
  if (sz === 1) return { b: setMembers(n.m)[0], nocase: false };
  if (sz === 2) {
    const [a, b] = setMembers(n.m);
    if (altCase(a) === b && a !== b) return { b: lower(a), nocase: true };
  }
  return null;
}

function shift(s: AtomSet, by: number): AtomSet {
  return { quality: s.quality, atoms: s.atoms.map((a) => ({ ...a, backtrack: by < 0 || a.backtrack < 0 ? -1 : a.backtrack + by })) };
}

function better(a: AtomSet | null, b: AtomSet | null): AtomSet | null {
  if (!a) return b; if (!b) return a;
  if (b.quality > a.quality) return b;
  if (b.quality === a.quality) {
    const ba = Math.max(...a.atoms.map((x) => (x.backtrack < 0 ? 1e9 : x.backtrack)));
    const bb = Math.max(...b.atoms.map((x) => (x.backtrack < 0 ? 1e9 : x.backtrack)));
    if (bb < ba) return b;
  }
  return a;
}

function best(n: Node, maxLen: number): AtomSet | null {
  switch (n.t) {
    case 'empty': case 'assert': return null;
    case 'cls': {
      const l = asLit(n);
      if (!l) return null;
      const bytes = Uint8Array.of(l.b);
      return { atoms: [{ bytes, nocase: l.nocase, backtrack: 0 }], quality: atomQuality(bytes) };
    }
    case 'rep': return n.min >= 1 ? best(n.body, maxLen) : null;
    case 'alt': {
      const all: Atom[] = []; let q = Infinity;
      for (const a of n.alts) {
        const s = best(a, maxLen);
        if (!s) return null;
        all.push(...s.atoms); q = Math.min(q, s.quality);
      }
      if (all.length > MAX_ATOMS_PER_SET) return null;
      return { atoms: all, quality: q - Math.floor(Math.log2(all.length)) * 4 };
    }
    case 'cat': {
      let bestSet: AtomSet | null = null;
      let hi = 0; // max offset of the current item from the node start (-1 unbounded)
      let run: { lit: Lit; hi: number }[] = [];
      const flushRun = () => {
        // every window of length min(maxLen, run.length); keep the best
        const w = Math.min(maxLen, run.length);
        for (let i = 0; i + w <= run.length && w > 0; i++) {
          const bytes = Uint8Array.from(run.slice(i, i + w).map((r) => r.lit.b));
          const nocase = run.slice(i, i + w).some((r) => r.lit.nocase);
          const cand: AtomSet = { atoms: [{ bytes, nocase, backtrack: run[i].hi }], quality: atomQuality(bytes) };
          bestSet = better(bestSet, cand);
        }
        run = [];
      };
      for (const it of n.items) {
        const l = asLit(it);
        if (l) run.push({ lit: l, hi });
        else {
          flushRun();
          const s = best(it, maxLen);
          if (s) bestSet = better(bestSet, shift(s, hi));
        }
        const w = maxWidth(it);
        hi = hi < 0 || w < 0 ? -1 : hi + w;
        if (minWidth(it) !== w && l === null && run.length === 0) { /* variable width: offsets of later items become ranges; hi tracks the max */ }
      }
      flushRun();
      return bestSet;
    }
  }
}

export function extractAtomsFromIR(ir: PatternIR, maxAtomLen = 4): AtomSet | null {
  const s = best(ir.root, Math.max(1, maxAtomLen));
  if (!s || s.atoms.length === 0) return null;
  if (ir.kind === 'regex') {
    // A regex match never exceeds RE_SCAN_LIMIT bytes, so an atom is never further than that from the start.
    for (const a of s.atoms) if (a.backtrack < 0 || a.backtrack > RE_SCAN_LIMIT - a.bytes.length) a.backtrack = RE_SCAN_LIMIT - a.bytes.length;
  }
  return s;
}

/** True if the pattern can match unboundedly long input (e.g. `.*`, `+` on a class, hex `[n-]`). */
export function isUnboundedIR(ir: PatternIR): boolean {
  return maxWidth(ir.root) < 0;
}
