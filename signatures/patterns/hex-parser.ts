/**
 * Parser for YARA 4.2 hex strings (the text between `{` and `}`), checked against `yara` 4.2.3:
 * bytes `4D`, nibble wildcards `?A` `A?` `??`, bytes may be adjacent (`4D5A`), jumps `[n]` `[n-m]`
 * `[n-]` `[-]` (spaces allowed inside), consecutive jumps add up, alternatives `( .. | .. )` nested,
 * comments. Jumps are LAZY (yara reports the shortest gap), `[0]` is "invalid jump length",
 * `[3-2]` "invalid jump range", a sequence may not start or end with a jump, unbounded jumps are not
 * allowed inside alternatives and bounded ones over 200 neither (YR_STRING_CHAINING_THRESHOLD).
 * `~` (not-byte) is YARA 4.3+ and is rejected, as 4.2 does.
 */
import { Node, PatternIR, cls, cat, setAll, setEmpty, setAdd, setOf, progSize } from './ir';
import { PatternError } from './errors';

/** YARA's YR_STRING_CHAINING_THRESHOLD: max jump inside an alternative. */
export const HEX_MAX_JUMP_IN_ALT = 200;
/** Our program-size cap for hex strings (bounded jumps expand to 2 instructions per byte of range). */
export const MAX_HEX_PROGRAM_SIZE = 1 << 18;

class ParseFail { constructor(public err: PatternError) {} }

type Item = { kind: 'tok'; node: Node } | { kind: 'jump'; min: number; max: number; start: number; end: number };

export function parseHexSource(source: string): { ir: PatternIR } | { error: PatternError } {
  const src = source;
  let pos = 0;
  const fail = (message: string, offset: number, length = 1): never => {
    throw new ParseFail({ message, offset, length: Math.max(0, Math.min(length, src.length - offset)) });
  };
  const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);

  function skipWs(): void {
    for (;;) {
      const c = src[pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { pos++; continue; }
      if (c === '/' && src[pos + 1] === '*') {
        const e = src.indexOf('*/', pos + 2);
        if (e < 0) fail('unterminated comment', pos, 2);
        pos = e + 2; continue;
      }
      if (c === '/' && src[pos + 1] === '/') {
        while (pos < src.length && src[pos] !== '\n') pos++;
        continue;
      }
      return;
    }
  }

  function num(): number {
    const m = /^\d+/.exec(src.slice(pos, pos + 12));
    if (!m) fail('syntax error: expected a number', pos, 1);
    pos += m![0].length;
    return Number(m![0]);
  }

  function parseJump(): Item {
    const start = pos;
    pos++; // [
    skipWs();
    let min: number; let max: number;
    if (src[pos] === '-') {
      pos++; skipWs(); min = 0; max = -1;
    } else {
      min = num(); skipWs();
      if (src[pos] === '-') {
        pos++; skipWs();
        if (src[pos] === ']') max = -1; else { max = num(); skipWs(); }
      } else {
        max = min;
        if (min === 0) { skipWs(); if (src[pos] === ']') fail('invalid jump length', start, pos + 1 - start); }
      }
    }
    if (src[pos] !== ']') fail('syntax error in jump', start, pos - start + 1);
    pos++;
    if (max >= 0 && min > max) fail('invalid jump range', start, pos - start);
    return { kind: 'jump', min, max, start, end: pos };
  }

  function parseByte(): Node {
    const start = pos;
    const a = src[pos]; const b = src[pos + 1];
    const ok = (c: string | undefined) => c !== undefined && (isHex(c) || c === '?');
    if (!ok(a)) fail('invalid character in hex string', pos, 1);
    if (!ok(b)) {
      if (b === undefined || /[\s\]|()\[]/.test(b) || b === '/') fail('uneven number of digits in hex string', start, 1);
      fail('invalid character in hex string', pos + 1, 1);
    }
    pos += 2;
    if (a === '?' && b === '?') return cls(setAll());
    const m = setEmpty();
    for (let v = 0; v < 256; v++) {
      const hi = v >> 4, lo = v & 15;
      if ((a === '?' || parseInt(a, 16) === hi) && (b === '?' || parseInt(b, 16) === lo)) setAdd(m, v);
    }
    return cls(m);
  }

  /** A sequence of tokens and jumps, ended by `|`, `)` or end of input. */
  function parseSeq(insideAlt: boolean, seqStart: number): Node {
    const items: Item[] = [];
    for (;;) {
      skipWs();
      if (pos >= src.length) break;
      const c = src[pos];
      if (c === '|' || c === ')') break;
      if (c === '[') {
        const j = parseJump() as Extract<Item, { kind: 'jump' }>;
        if (insideAlt && j.max < 0) fail('syntax error: unbounded jump inside alternation', j.start, j.end - j.start);
        if (insideAlt && (j.max > HEX_MAX_JUMP_IN_ALT || j.min > HEX_MAX_JUMP_IN_ALT)) {
          fail(`jumps over ${HEX_MAX_JUMP_IN_ALT} not allowed inside alternation (|)`, j.start, j.end - j.start);
        }
        const prev = items[items.length - 1];
        if (prev && prev.kind === 'jump') {
          prev.min += j.min; prev.max = prev.max < 0 || j.max < 0 ? -1 : prev.max + j.max; prev.end = j.end;
        } else items.push(j);
        continue;
      }
      if (c === '(') {
        const open = pos;
        pos++;
        const alts: Node[] = [parseSeq(true, pos)];
        for (;;) {
          skipWs();
          if (src[pos] === '|') { pos++; alts.push(parseSeq(true, pos)); continue; }
          if (src[pos] === ')') { pos++; break; }
          fail('syntax error: missing )', open, 1);
        }
        items.push({ kind: 'tok', node: alts.length === 1 ? alts[0] : { t: 'alt', alts } });
        continue;
      }
      if (c === '~') fail('syntax error: ~ (not) is not supported by YARA 4.2 hex strings', pos, 1);
      items.push({ kind: 'tok', node: parseByte() });
    }
    if (items.length === 0) fail('syntax error: empty hex sequence', seqStart, 1);
    const first = items[0], last = items[items.length - 1];
    if (first.kind === 'jump') fail('syntax error: a hex string cannot start with a jump', first.start, first.end - first.start);
    if (last.kind === 'jump') fail('syntax error: a hex string cannot end with a jump', last.start, last.end - last.start);
    const nodes: Node[] = items.map((it) => it.kind === 'tok' ? it.node
      : { t: 'rep', min: it.min, max: it.max, greedy: false, body: cls(setAll()) } as Node);
    return cat(nodes);
  }

  try {
    const root = parseSeq(false, 0);
    skipWs();
    if (pos < src.length) fail('syntax error: unbalanced ' + src[pos], pos, 1);
    if (progSize(root) > MAX_HEX_PROGRAM_SIZE) fail('hex string too complex (jump ranges too large for this engine)', 0, src.length);
    return { ir: { kind: 'hex', root } };
  } catch (e) {
    if (e instanceof ParseFail) return { error: e.err };
    throw e;
  }
}
void setOf;
