/**
 * Pattern engine under the signature language (issue 4). Owner: H4 (signatures/patterns/).
 * Consumers: the compiler/evaluator in signatures/ (H3).
 *
 * Semantics are YARA 4.2.3's (checked by a differential test against /usr/bin/yara):
 * matches are reported per start offset (overlapping), with the length YARA's engine reports
 * (leftmost-first priority: greedy/lazy as a backtracking engine would choose; hex jumps are lazy),
 * regex matches capped at RE_SCAN_LIMIT (4096) bytes, zero-length matches not reported.
 * See docs/patterns.md.
 *
 * Buffer ownership: every function that takes `buf` reads it only during the call and keeps no
 * reference. Compiled patterns and matchers are immutable and may be shared/transferred.
 * Not re-entrant across threads by design (module-level VM scratch): one instance per worker.
 */
import { PatternIR, Node, cls, cat, setOf, setFold, setAdd, setEmpty, lower } from './ir';
import { PatternError } from './errors';
import { parseRegexSource } from './regex-parser';
import { parseHexSource } from './hex-parser';
import { extractAtomsFromIR, isUnboundedIR } from './atoms';

export type { PatternError } from './errors';
export type { PatternIR, Node as PatternNode } from './ir';
export { compilePattern, matchAt, findAll, findAllStarts, findAllString, fullwordOk, patternStats, setWorkBudget, RE_SCAN_LIMIT, DEFAULT_WORK_BUDGET, DEFAULT_WORK_BUDGET_PER_BYTE, setDfaEnabled, setDfaMaxStates, dfaStats, DFA_MAX_STATES } from './vm';
export type { CompiledPattern } from './vm';
// Multi-pattern (Aho-Corasick) matching of atoms: signatures/ac.ts (buildAc, acScan), the one
// implementation since the former MultiMatcher (./multi) was merged into it.
export { RE_MAX_RANGE, MAX_PROGRAM_SIZE } from './regex-parser';
export { HEX_MAX_JUMP_IN_ALT, MAX_HEX_PROGRAM_SIZE } from './hex-parser';
export { atomQuality, MAX_ATOMS_PER_SET } from './atoms';

/**
 * Parses a YARA regex body (the text between the slashes, without flags). `nocase` = /i or the
 * nocase modifier, `dotall` = /s. Errors have offset/length within `source`.
 */
export function parseRegex(source: string, flags: { nocase: boolean; dotall: boolean }): { ir: PatternIR } | { error: PatternError } {
  const r = parseRegexSource(source, flags);
  if ('ir' in r && flags.nocase) r.ir.nocase = true;
  return r;
}

/** Parses a YARA hex string body (the text between `{` and `}`). */
export function parseHex(source: string): { ir: PatternIR } | { error: PatternError } {
  return parseHexSource(source);
}

/**
 * IR for a text string (escapes already decoded by the caller into bytes). `wide: true` gives the
 * UTF-16LE form (each byte followed by 00) — for `wide ascii` call twice (once wide, once not) and
 * merge the matches per offset as YARA does (both forms are separate strings in YARA's engine too).
 */
export function literalIR(bytes: Uint8Array, opts: { nocase: boolean; wide?: boolean }): PatternIR {
  const src = Array.from(bytes);
  const lit = opts.wide ? src.flatMap((b) => [b, 0]) : src;
  const root = cat(lit.map((b) => cls(opts.nocase ? setFold(setOf(b)) : setOf(b))));
  return { kind: 'literal', root, lit, nocase: opts.nocase, wide: !!opts.wide };
}

/**
 * The `wide` form of a regex IR (YARA: each matched byte is followed by 00). Classes are
 * interleaved with a 00 byte; \b and \B look at 2-byte characters (a word char is [A-Za-z0-9_]
 * followed by 00), as yara does.
 */
export function wideIR(ir: PatternIR): PatternIR {
  const zero = setEmpty(); setAdd(zero, 0);
  const w = (n: Node): Node => {
    switch (n.t) {
      case 'cls': return cat([n, cls(zero.slice())]);
      case 'cat': return cat(n.items.map(w));
      case 'alt': return { t: 'alt', alts: n.alts.map(w) };
      case 'rep': return { ...n, body: w(n.body) };
      case 'assert': return n.kind === 'wordb' || n.kind === 'nwordb' ? { ...n, wide: true } : n;
      default: return n;
    }
  };
  const out: PatternIR = { kind: ir.kind === 'literal' ? 'regex' : ir.kind, root: w(ir.root), nocase: ir.nocase, wide: true };
  if (ir.kind === 'literal' && ir.lit) { out.kind = 'literal'; out.lit = ir.lit.flatMap((b) => [b, 0]); }
  return out;
}

/**
 * Atoms for the prefilter: every match contains at least one atom, whose start is at most
 * `backtrack` bytes after the match start (-1: unbounded). `nocase` atoms must be matched
 * case-insensitively (ASCII). Returns null when no atom can be extracted (scan the pattern fully).
 * quality: higher is better (YARA-like scale; under ~40 means "may slow down scanning").
 */
export function extractAtoms(ir: PatternIR, maxAtomLen = 4): { atoms: { bytes: Uint8Array; nocase: boolean; backtrack: number }[]; quality: number } | null {
  return extractAtomsFromIR(ir, maxAtomLen);
}

/** True if matches can be unboundedly long (`.*`, `x+`, hex `[n-]`); YARA warns for these. */
export function isUnbounded(ir: PatternIR): boolean {
  return isUnboundedIR(ir);
}

void lower;
