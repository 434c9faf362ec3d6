/**
 * Pattern IR: a small regular-expression AST shared by text, hex and regex strings.
 * Plain JSON (numbers, strings, arrays, objects) so the compiler can cache or ship it.
 * Owner: signatures/patterns (H4). Consumers treat it as opaque.
 */

/** A set of bytes as 8 x 32-bit words (bit b of word b>>5 set = byte b is in the set). */
export type ByteSet = number[];

export type Node =
  | { t: 'cls'; m: ByteSet }                                   // one byte from a set
  | { t: 'cat'; items: Node[] }                                // concatenation
  | { t: 'alt'; alts: Node[] }                                 // ordered alternation (first = preferred)
  | { t: 'rep'; min: number; max: number; greedy: boolean; body: Node } // max -1 = unbounded
  | { t: 'assert'; kind: 'bol' | 'eol' | 'wordb' | 'nwordb'; wide?: boolean }  // ^ $ \b \B (wide: 2-byte chars)
  | { t: 'empty' };

export type PatternKind = 'literal' | 'hex' | 'regex';

export interface PatternIR {
  kind: PatternKind;
  root: Node;
  /** For kind 'literal': the bytes (as numbers) and nocase, kept for the memcmp fast path. */
  lit?: number[];
  nocase?: boolean;
  /** True when the IR was expanded for the `wide` modifier (UTF-16LE interleave). */
  wide?: boolean;
}

export function setEmpty(): ByteSet { return [0, 0, 0, 0, 0, 0, 0, 0]; }
export function setAll(): ByteSet { return [-1, -1, -1, -1, -1, -1, -1, -1].map((x) => x >>> 0); }
export function setAdd(s: ByteSet, b: number): void { s[b >> 5] = (s[b >> 5] | (1 << (b & 31))) >>> 0; }
export function setHas(s: ByteSet, b: number): boolean { return (s[b >> 5] & (1 << (b & 31))) !== 0; }
export function setAddRange(s: ByteSet, lo: number, hi: number): void { for (let b = lo; b <= hi; b++) setAdd(s, b); }
export function setUnion(a: ByteSet, b: ByteSet): ByteSet { return a.map((w, i) => (w | b[i]) >>> 0); }
export function setNegate(s: ByteSet): ByteSet { return s.map((w) => (~w) >>> 0); }
export function setSize(s: ByteSet): number {
  let n = 0;
  for (let b = 0; b < 256; b++) if (setHas(s, b)) n++;
  return n;
}
export function setMembers(s: ByteSet): number[] {
  const r: number[] = [];
  for (let b = 0; b < 256; b++) if (setHas(s, b)) r.push(b);
  return r;
}
export function setOf(...bytes: number[]): ByteSet { const s = setEmpty(); for (const b of bytes) setAdd(s, b); return s; }

/** ASCII case partner of b, or b itself (YARA folds ASCII letters only). */
export function altCase(b: number): number {
  if (b >= 0x41 && b <= 0x5a) return b + 32;
  if (b >= 0x61 && b <= 0x7a) return b - 32;
  return b;
}
export function lower(b: number): number { return b >= 0x41 && b <= 0x5a ? b + 32 : b; }

/** The set closed under ASCII case folding (YARA nocase: c matches if c or altcase(c) is in the set). */
export function setFold(s: ByteSet): ByteSet {
  const r = s.slice();
  for (let b = 0; b < 256; b++) if (setHas(s, b)) setAdd(r, altCase(b));
  return r;
}

export function cls(m: ByteSet): Node { return { t: 'cls', m }; }
export function cat(items: Node[]): Node {
  const flat: Node[] = [];
  for (const it of items) {
    if (it.t === 'cat') flat.push(...it.items);
    else if (it.t !== 'empty') flat.push(it);
  }
  if (flat.length === 0) return { t: 'empty' };
  if (flat.length === 1) return flat[0];
  return { t: 'cat', items: flat };
}

/** Number of VM instructions the node compiles to (used to enforce MAX_PROGRAM_SIZE before expanding). */
export function progSize(n: Node): number {
  switch (n.t) {
    case 'cls': case 'assert': return 1;
    case 'empty': return 0;
    case 'cat': { let s = 0; for (const i of n.items) s += progSize(i); return s; }
    case 'alt': { let s = 0; for (const a of n.alts) s += progSize(a) + 2; return s; }
    case 'rep': {
      const b = progSize(n.body);
      if (n.max < 0) return b * n.min + b + 2;
      return b * n.max + (n.max - n.min);
    }
  }
}

/** True if the node can match the empty string. */
export function nullable(n: Node): boolean {
  switch (n.t) {
    case 'cls': return false;
    case 'assert': case 'empty': return true;
    case 'cat': return n.items.every(nullable);
    case 'alt': return n.alts.some(nullable);
    case 'rep': return n.min === 0 || nullable(n.body);
  }
}

/** Maximum match length of the node, or -1 if unbounded. */
export function maxWidth(n: Node): number {
  switch (n.t) {
    case 'cls': return 1;
    case 'assert': case 'empty': return 0;
    case 'cat': { let s = 0; for (const i of n.items) { const w = maxWidth(i); if (w < 0) return -1; s += w; } return s; }
    case 'alt': { let s = 0; for (const a of n.alts) { const w = maxWidth(a); if (w < 0) return -1; s = Math.max(s, w); } return s; }
    case 'rep': {
      if (n.max < 0) return maxWidth(n.body) === 0 ? 0 : -1;
      const w = maxWidth(n.body); return w < 0 ? -1 : w * n.max;
    }
  }
}

/** Minimum match length. */
export function minWidth(n: Node): number {
  switch (n.t) {
    case 'cls': return 1;
    case 'assert': case 'empty': return 0;
    case 'cat': { let s = 0; for (const i of n.items) s += minWidth(i); return s; }
    case 'alt': { let s = Infinity; for (const a of n.alts) s = Math.min(s, minWidth(a)); return s; }
    case 'rep': return minWidth(n.body) * n.min;
  }
}
