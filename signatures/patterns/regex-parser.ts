/**
 * Parser for YARA's regular-expression dialect (the text between the slashes), written from
 * YARA 4.2's documented behaviour and checked against the `yara` 4.2.3 binary:
 *  - literals, `.` (not \n unless dotall), classes `[...]` `[^...]` with ranges and \w\W\s\S\d\D,
 *    `]` first in a class is literal, anchors ^ $, \b \B, groups (non-capturing semantics, `(?:` is a
 *    syntax error as in YARA), alternation (empty alternatives allowed, empty group `()` is an error),
 *    quantifiers * + ? {n} {n,} {,m} {n,m} {,} with lazy `?` forms; stacked quantifiers are errors.
 *  - `{` that does not start a valid repeat is a literal `{`.
 *  - escapes: \xHH (exactly two hex digits, else "illegal escape sequence"), \n \t \r \f \a,
 *    any other escaped char is itself (e.g. \. \/ \q).
 *  - nocase folds ASCII letters of a class before negation (/[^a]/i matches neither a nor A, as in yara).
 * Errors carry offset/length within `source`.
 */
import {
  Node, ByteSet, PatternIR, cls, cat, setAdd, setAddRange, setAll, setEmpty, setFold, setHas, setNegate,
  setOf, setUnion, progSize,
} from './ir';
import { PatternError } from './errors';

/** YARA's RE_MAX_RANGE (INT16_MAX): a repeat bound above it is "repeat interval too large". */
export const RE_MAX_RANGE = 32767;
/** Our cap on compiled program size (instructions); bigger patterns are rejected at parse time. */
export const MAX_PROGRAM_SIZE = 1 << 16;

const WORD = (() => { const s = setEmpty(); setAddRange(s, 0x30, 0x39); setAddRange(s, 0x41, 0x5a); setAddRange(s, 0x61, 0x7a); setAdd(s, 0x5f); return s; })();
const DIGIT = (() => { const s = setEmpty(); setAddRange(s, 0x30, 0x39); return s; })();
const SPACE = setOf(0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d);

class ParseFail { constructor(public err: PatternError) {} }

export function parseRegexSource(source: string, flags: { nocase: boolean; dotall: boolean }): { ir: PatternIR } | { error: PatternError } {
  let pos = 0;
  let sawGreedy = false, sawLazy = false;
  const src = source;
  const fail = (message: string, offset: number, length = 1): never => {
    throw new ParseFail({ message, offset, length: Math.max(0, Math.min(length, src.length - offset)) });
  };
  const fold = (s: ByteSet): ByteSet => (flags.nocase ? setFold(s) : s);

  function byteAt(i: number): number {
    const c = src.charCodeAt(i);
    if (c > 0xff) fail('non-ASCII character in regular expression', i);
    return c;
  }

  function hex2(i: number): number {
    const h = src.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(h)) fail('illegal escape sequence', i - 2, 4);
    return parseInt(h, 16);
  }

  /** Escape at src[pos] === '\\'. Returns a set (class escapes and chars) or an assertion kind. */
  function escape(inClass: boolean): ByteSet | 'wordb' | 'nwordb' {
    const start = pos;
    pos++;
    if (pos >= src.length) fail('illegal escape sequence', start, 1);
    const c = src[pos];
    pos++;
    switch (c) {
      case 'x': { const v = hex2(pos); pos += 2; return setOf(v); }
      case 'n': return setOf(0x0a);
      case 't': return setOf(0x09);
      case 'r': return setOf(0x0d);
      case 'f': return setOf(0x0c);
      case 'a': return setOf(0x07);
      case 'w': return WORD.slice();
      case 'W': return setNegate(WORD);
      case 'd': return DIGIT.slice();
      case 'D': return setNegate(DIGIT);
      case 's': return SPACE.slice();
      case 'S': return setNegate(SPACE);
      case 'b': if (inClass) fail('\\b is not allowed in a character class', start, 2); return 'wordb';
      case 'B': if (inClass) fail('\\B is not allowed in a character class', start, 2); return 'nwordb';
      default: return setOf(byteAt(pos - 1));
    }
  }

  function parseClass(): Node {
    const open = pos;
    pos++; // [
    let neg = false;
    if (src[pos] === '^') { neg = true; pos++; }
    let set = setEmpty();
    let first = true;
    for (;;) {
      if (pos >= src.length) fail('unterminated character class', open, src.length - open);
      const c = src[pos];
      if (c === ']' && !first) { pos++; break; }
      first = false;
      // one class atom
      let lo: number;
      const itemStart = pos;
      if (c === '\\') {
        const e = escape(true) as ByteSet;
        let n = 0; let v = -1;
        for (let b = 0; b < 256; b++) if (setHas(e, b)) { n++; v = b; }
        if (n !== 1) { set = setUnion(set, e); continue; }
        lo = v;
      } else { lo = byteAt(pos); pos++; }
      if (src[pos] === '-' && pos + 1 < src.length && src[pos + 1] !== ']') {
        pos++;
        let hi: number;
        if (src[pos] === '\\') {
          const e = escape(true) as ByteSet;
          const mem: number[] = [];
          for (let b = 0; b < 256; b++) if (setHas(e, b)) mem.push(b);
          if (mem.length !== 1) fail('bad character range', itemStart, pos - itemStart);
          hi = mem[0];
        } else { hi = byteAt(pos); pos++; }
        if (hi < lo) fail('bad character range', itemStart, pos - itemStart);
        setAddRange(set, lo, hi);
      } else {
        setAdd(set, lo);
      }
    }
    // YARA folds case before negating: /[^a]/i matches neither a nor A.
    set = fold(set);
    if (neg) set = setNegate(set);
    return cls(set);
  }

  /** Tries to read a repeat {n} {n,} {,m} {n,m} {,} at pos; returns null if not a valid repeat (then `{` is literal). */
  function tryRepeat(): { min: number; max: number; start: number } | null {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(src.slice(pos, pos + 32));
    if (!m) return null;
    if (m[2] === '' && m[1] === '') return null; // "{}" is not a repeat
    if (m[2] === '' && m[3] !== '') return null;
    const start = pos;
    const len = m[0].length;
    let min: number; let max: number;
    if (m[2] === '') { min = max = Number(m[1]); }
    else { min = m[1] === '' ? 0 : Number(m[1]); max = m[3] === '' ? -1 : Number(m[3]); }
    if (min > RE_MAX_RANGE || max > RE_MAX_RANGE) fail('repeat interval too large', start, len);
    if ((max >= 0 && min > max) || (max === 0)) fail('bad repeat interval', start, len);
    pos += len;
    return { min, max, start };
  }

  function parseAtom(): Node | null {
    const c = src[pos];
    switch (c) {
      case '(': {
        const open = pos;
        pos++;
        if (src[pos] === ')') fail('syntax error: empty group', open, 2);
        if (src[pos] === '?') fail('syntax error: (? groups are not supported', pos, 1);
        const n = parseAlt();
        if (src[pos] !== ')') fail('syntax error: missing )', open, 1);
        pos++;
        return { t: 'cat', items: [n] }; // group marker: quantifiers apply to the whole group
      }
      case '[': return parseClass();
      case '.': pos++; return cls(flags.dotall ? setAll() : setNegate(setOf(0x0a)));
      case '^': pos++; return { t: 'assert', kind: 'bol' };
      case '$': pos++; return { t: 'assert', kind: 'eol' };
      case '\\': {
        const e = escape(false);
        if (e === 'wordb' || e === 'nwordb') return { t: 'assert', kind: e };
        return cls(fold(e));
      }
      case ')': case '|': return null;
      case '*': case '+': case '?': fail('syntax error: nothing to repeat', pos, 1); return null;
      case '{': {
        if (tryRepeatPeek()) fail('syntax error: nothing to repeat', pos, 1);
        pos++; return cls(fold(setOf(0x7b)));
      }
      default: { const b = byteAt(pos); pos++; return cls(fold(setOf(b))); }
    }
  }

  function tryRepeatPeek(): boolean {
    const save = pos;
    try { return tryRepeat() !== null; } catch { return true; } finally { pos = save; }
  }

  function parseRepeat(): Node | null {
    const atomStart = pos;
    const atom = parseAtom();
    if (atom === null) return null;
    let q: { min: number; max: number; start: number } | null = null;
    const c = src[pos];
    if (c === '*') { q = { min: 0, max: -1, start: pos }; pos++; }
    else if (c === '+') { q = { min: 1, max: -1, start: pos }; pos++; }
    else if (c === '?') { q = { min: 0, max: 1, start: pos }; pos++; }
    else if (c === '{') q = tryRepeat();
    if (q === null) return atom;
    if (atom.t === 'assert') fail('syntax error: nothing to repeat', q.start, 1);
    let greedy = true;
    if (src[pos] === '?') { greedy = false; pos++; }
    // YARA's grammar has no repeat of a repeat: a** a{2}{3} a*+ are syntax errors.
    if (src[pos] === '*' || src[pos] === '+' || src[pos] === '?' || (src[pos] === '{' && tryRepeatPeek())) {
      fail('syntax error: repeated quantifier', pos, 1);
    }
    if (greedy) sawGreedy = true; else sawLazy = true;
    if (sawGreedy && sawLazy) fail("greedy and ungreedy quantifiers can't be mixed in a regular expression", q.start, pos - q.start);
    const body = atom.t === 'cat' && atom.items.length === 1 ? atom.items[0] : atom;
    const node: Node = { t: 'rep', min: q.min, max: q.max, greedy, body };
    if (progSize(node) > MAX_PROGRAM_SIZE) fail('regular expression too complex (program size limit)', atomStart, pos - atomStart);
    return node;
  }

  function parseConcat(): Node {
    const items: Node[] = [];
    for (;;) {
      if (pos >= src.length) break;
      const n = parseRepeat();
      if (n === null) break;
      items.push(n.t === 'cat' && n.items.length === 1 ? n.items[0] : n);
    }
    return cat(items);
  }

  function parseAlt(): Node {
    const alts: Node[] = [parseConcat()];
    while (src[pos] === '|') { pos++; alts.push(parseConcat()); }
    const n: Node = alts.length === 1 ? alts[0] : { t: 'alt', alts };
    if (progSize(n) > MAX_PROGRAM_SIZE) fail('regular expression too complex (program size limit)', 0, src.length);
    return n;
  }

  try {
    if (src.length === 0) fail('empty regular expression', 0, 0);
    const root = parseAlt();
    if (pos < src.length) fail(src[pos] === ')' ? 'syntax error: unbalanced )' : 'syntax error', pos, 1);
    return { ir: { kind: 'regex', root } };
  } catch (e) {
    if (e instanceof ParseFail) return { error: e.err };
    throw e;
  }
}
