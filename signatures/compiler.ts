/**
 * Compiler: parse -> check -> lower -> atoms/prefilter -> group -> emit.
 *
 *  - parse:  parser.ts (per top-level item, with recovery), includes resolved relative to the
 *            including file, cycles detected (E011), depth bounded (MAX_INCLUDE_DEPTH).
 *  - check:  declarations (duplicates, consts/sets, strings, modifiers, scope, meta, actions)
 *            and, while lowering, names and types of every condition term.
 *  - lower:  conditions to stack bytecode (bytecode.ts); `for .. of` and `N of` are unrolled
 *            over their (static) string sets; `for .. in` becomes a loop instruction.
 *  - atoms:  text strings give one atom per variant (best <= MAX_ATOM window by byte rarity);
 *            hex/regex atoms come from the pattern engine (signatures/patterns).
 *  - group:  atoms are grouped per buffer into one Aho-Corasick DFA each (ac.ts).
 *  - emit:   CompiledRuleset (ruleset.ts): typed arrays + plain data.
 */
import { parseDuration } from './duration';
import * as fs from 'fs';
import * as path from 'path';
import { parseSource } from './parser';
import type { N } from './ast-build';
import type { Tok } from './lexer';
import { DiagnosticBag } from './diagnostics';
import { Op, OP_SIZE, Quant, CMP_OPS, L4_DPORT, L4_SPORT, Decision } from './bytecode';
import { FIELDS, FIELD_ID, PAYLOAD_FIELD } from './keywords/registry';
import { OPS_FIELDS, OPS_FUNCS, BY_SYN_PENDING } from './keywords/ops';
import { HOST_SIDES, HOST_TAG_MAX_EXPIRE_MS } from './keywords/host';
import type { Proto } from './keywords/types';
import { EVENT_NAMES } from '../decoders/events';
import { APP_EVENT_NAMES } from '../decoders/app/events';
import { buildAc, AcAtom, AcLimitError } from './ac';
import * as P from './patterns';
import type { CompiledRuleset, StringEntry, RuleEntry, SetEntry, PrefilterEntry, ActionSpec } from './ruleset';
import { RULESET_FORMAT } from './ruleset';

export const MAX_INCLUDE_DEPTH = 16;
/** longest atom taken from a text string for the prefilter */
export const MAX_ATOM = 4;
/** longest atom taken from a text string: longer than YARA's 4 because a literal's atom is
 *  verified by a memcmp; 8 bytes cut false prefilter hits on text data by orders of magnitude
 *  for ~2x the automaton states (measured in bench/scan). */
export const LIT_ATOM = 12;
/** loop nesting limit (YARA: 4) */
export const MAX_LOOP_DEPTH = 4;
/** set files larger than this are refused (E029) */
export const MAX_SET_FILE_BYTES = 64 * 1024 * 1024;

export interface CompileOptions {
  /** read a file (tests inject sources); default fs.readFileSync utf8 */
  readFile?: (p: string) => string;
  /** table-entry limit of each prefilter automaton (states x byte classes); default ac.ts's
   *  AC_MAX_TABLE_ENTRIES (then only AC_MAX_STATES bites). Over it: error E038. */
  acMaxTableEntries?: number;
}

export interface CompileResult {
  ruleset: CompiledRuleset | null;
  diags: DiagnosticBag;
}

interface ConstDef { name: string; file: string; node: N; set: number; kind: SetEntry['kind'] | 'num' | 'str'; value?: number | string }

interface RuleCtx {
  file: string;
  rule: N;
  ruleIdx: number;
  strings: Map<string, number>;   // "$a" -> global string index
  stringOrder: string[];
  used: Set<string>;
  vars: Map<string, number>;
  cur: number;                    // string index bound by for..of ($), -1 none
  loopDepth: number;
  protos: Set<Proto> | null;
}

type Res =
  | { t: 'num' }
  | { t: 'bool' }
  | { t: 'field'; field: number; key: number; node: N }
  | { t: 'str'; bytes: Uint8Array; node: N }
  | { t: 'regex'; node: N; pat: number }
  | { t: 'ip'; field: number; node: N }
  | { t: 'set'; set: number; node: N }
  | { t: 'err' };

const LATIN1 = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** Decode a text string token ("...") into bytes; reports E033 on bad escapes. */
export function unescapeText(tok: Tok, file: string, diags: DiagnosticBag | null): Uint8Array {
  const s = tok.text.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x5c) { if (c > 0xff) { for (const b of Buffer.from(s[i], 'utf8')) out.push(b); } else out.push(c); continue; }
    const n = s[++i];
    switch (n) {
      case 'n': out.push(10); break;
      case 't': out.push(9); break;
      case 'r': out.push(13); break;
      case '"': out.push(34); break;
      case '\\': out.push(92); break;
      case 'x': {
        const h = s.slice(i + 1, i + 3);
        if (/^[0-9a-fA-F]{2}$/.test(h)) { out.push(parseInt(h, 16)); i += 2; }
        else diags?.error('E033', file, tok.offset + 1 + i - 1, 2 + h.length, `invalid escape \`\\x${h}\``, 'write two hex digits: `\\x41`');
        break;
      }
      default:
        diags?.error('E033', file, tok.offset + 1 + i - 1, 2, `invalid escape \`\\${n ?? ''}\``, 'valid escapes: \\n \\t \\r \\" \\\\ \\xNN');
    }
  }
  return Uint8Array.from(out);
}

/** `a OP b` computed as `b OP' a` (numeric text fields, whose value is pushed after the number). */
const MIRROR_OP: Record<string, Op> = { '<': Op.GT, '<=': Op.GE, '>': Op.LT, '>=': Op.LE, '==': Op.EQ, '!=': Op.NE };

function parseNumberTok(t: Tok): number {
  const v = t.text;
  if (v.startsWith('0x')) return parseInt(v.slice(2), 16);
  if (v.startsWith('0o')) return parseInt(v.slice(2), 8);
  if (v.endsWith('KB')) return parseInt(v, 10) * 1024;
  if (v.endsWith('MB')) return parseInt(v, 10) * 1024 * 1024;
  return parseInt(v, 10);
}

/** A duration token (the lexer guarantees its shape). */
function durationMs(t: Tok): number { return parseDuration(t.text); }

function parseIPv4(s: string): number | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return null;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return null;
  return ((p[0] * 256 + p[1]) * 256 + p[2]) * 256 + p[3];
}

function parseIPv6(s: string): string | null {
  // returns 32 lower-case hex digits
  const parts = s.split('::');
  if (parts.length > 2) return null;
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  if (parts.length === 1 && head.length !== 8) return null;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (parts.length === 2 && fill < 1)) return null;
  const groups = [...head, ...Array(parts.length === 2 ? fill : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  return groups.map((g) => g.toLowerCase().padStart(4, '0')).join('');
}

function v6RangeEnd(hex: string, bits: number, high: boolean): string {
  let bin = '';
  for (const c of hex) bin += parseInt(c, 16).toString(2).padStart(4, '0');
  bin = bin.slice(0, bits) + (high ? '1' : '0').repeat(128 - bits);
  let out = '';
  for (let i = 0; i < 128; i += 4) out += parseInt(bin.slice(i, i + 4), 2).toString(16);
  return out;
}

/** Levenshtein distance, for "did you mean" help. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]; d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}
function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined, bd = 3;
  for (const c of candidates) { const dd = editDistance(name, c); if (dd < bd) { bd = dd; best = c; } }
  return best ? `did you mean \`${best}\`?` : undefined;
}

const LETTER_FREQ = ' etaoinshrdlcumwfgypbvkjxqz';
/** rarity score of a byte for atom choice: higher = rarer in text */
const RARITY = new Uint8Array(256).map((_, b) => byteRarityOf(b));
function byteRarity(b: number): number { return RARITY[b]; }
function byteRarityOf(b: number): number {
  const c = b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
  const i = LETTER_FREQ.indexOf(String.fromCharCode(c));
  if (i >= 0) return 2 + i;            // letters/space: 2..28
  if (c === 0 || c === 0xff) return 1; // padding bytes are common in binaries
  if (c >= 0x30 && c <= 0x39) return 20;
  return 30;
}

/** best window of up to MAX_ATOM bytes; returns its start */
export function bestAtomStart(lit: Uint8Array, maxAtom = MAX_ATOM): number {
  if (lit.length <= maxAtom) return 0;
  // sliding window: rarity sum plus 4 points per distinct (case-folded) byte
  const seen = ATOM_SEEN;
  let best = 0, bestScore = -1, sum = 0, distinct = 0;
  for (let i = 0; i < lit.length; i++) {
    const b = lit[i] | 0x20;
    sum += byteRarity(lit[i]);
    if (seen[b]++ === 0) distinct++;
    if (i >= maxAtom) {
      const o = lit[i - maxAtom] | 0x20;
      sum -= byteRarity(lit[i - maxAtom]);
      if (--seen[o] === 0) distinct--;
    }
    if (i >= maxAtom - 1) {
      const score = sum + distinct * 4;
      if (score > bestScore) { bestScore = score; best = i - maxAtom + 1; }
    }
  }
  for (let i = Math.max(0, lit.length - maxAtom); i < lit.length; i++) seen[lit[i] | 0x20] = 0;
  return best;
}
const ATOM_SEEN = new Uint16Array(256);

class Emitter {
  code: number[] = [];
  consts: number[] = [];
  constIdx = new Map<number, number>();
  emit(op: Op, ...args: number[]): number {
    const at = this.code.length;
    this.code.push(op, ...args);
    if (OP_SIZE[op] !== 1 + args.length) throw new Error(`bad operand count for op ${op}`);
    return at;
  }
  k(v: number): number {
    let i = this.constIdx.get(v);
    if (i === undefined) { i = this.consts.length; this.consts.push(v); this.constIdx.set(v, i); }
    return i;
  }
  pushNum(v: number): void { this.emit(Op.CONST, this.k(v)); }
}

export class Compiler {
  readonly diags = new DiagnosticBag();
  private readonly readFile: (p: string) => string;
  private readonly em = new Emitter();
  private readonly rules: RuleEntry[] = [];
  private readonly ruleIdx = new Map<string, { idx: number; node: N; file: string }>();
  private readonly strings: StringEntry[] = [];
  private readonly consts = new Map<string, ConstDef>();
  private readonly sets: SetEntry[] = [];
  private readonly bconsts: Uint8Array[] = [];
  private readonly tconsts: string[] = [];
  private readonly tconstIdx = new Map<string, number>();
  private readonly condPatterns: P.CompiledPattern[] = [];
  private readonly sids = new Map<number, { file: string; node: N }>();
  private nVars = 0;
  private readonly counterBy: number[] = [];
  private readonly counterWin: number[] = [];
  private readonly t0 = Date.now();
  /** regex/hex atom details per string variant, for the prefilter */
  private readonly patAtoms = new Map<number, { atoms: { bytes: Uint8Array; nocase: boolean; backtrack: number }[] | null }[]>();

  constructor(opts: CompileOptions = {}) {
    this.readFile = opts.readFile ?? ((p) => fs.readFileSync(p, 'utf8'));
    this.acMaxTableEntries = opts.acMaxTableEntries;
  }
  private readonly acMaxTableEntries: number | undefined;

  /** Compile files (each with its includes). */
  compileFiles(files: string[]): CompileResult {
    for (const f of files) this.loadFile(path.resolve(f), f, [], null);
    return this.finish();
  }

  /** Compile a source text given as if it were file `name` (includes resolve relative to it). */
  compileSource(src: string, name = '<rules>'): CompileResult {
    this.loadText(src, name, path.resolve(name), []);
    return this.finish();
  }

  private displayName(abs: string, fallback: string): string {
    const rel = path.relative(process.cwd(), abs);
    return rel && !rel.startsWith('..') ? rel : fallback || abs;
  }

  private loadFile(abs: string, shown: string, stack: string[], from: { file: string; node: N } | null): void {
    let text: string;
    try {
      text = this.readFile(abs);
    } catch (e) {
      const msg = `cannot read ${JSON.stringify(shown)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
      if (from) this.diags.error('E010', from.file, from.node.s, from.node.e - from.node.s, msg, 'include paths are relative to the including file');
      else this.diags.error('E010', shown, 0, 0, msg);
      return;
    }
    this.loadText(text, shown, abs, stack);
  }

  private loadText(text: string, file: string, abs: string, stack: string[]): void {
    this.diags.addSource(file, text);
    const items = parseSource(text, file, this.diags);
    const nstack = [...stack, abs];
    for (const it of items) {
      switch (it.k) {
        case 'include': {
          const rel = unescapeText(it.path, file, this.diags);
          const target = path.resolve(path.dirname(abs), LATIN1(rel));
          if (nstack.includes(target)) {
            this.diags.error('E011', file, it.s, it.e - it.s, `include cycle: ${[...nstack, target].map((p) => path.basename(p)).join(' -> ')}`, 'remove one of the includes');
          } else if (nstack.length >= MAX_INCLUDE_DEPTH) {
            this.diags.error('E011', file, it.s, it.e - it.s, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
          } else {
            this.loadFile(target, this.displayName(target, LATIN1(rel)), nstack, { file, node: it });
          }
          break;
        }
        case 'import':
          this.diags.error('E021', file, it.s, it.e - it.s, 'modules (`import`) are not supported', 'network fields (http.*, dns.*, ip.*) are built in; remove the import');
          break;
        case 'const':
        case 'set':
          this.declareConst(it, file, abs);
          break;
        case 'rule':
          this.compileRule(it, file);
          break;
      }
    }
  }

  // ---------------------------------------------------------------- constants and sets
  private declareConst(it: N, file: string, abs: string): void {
    const name = it.name.text as string;
    if (this.consts.has(name)) {
      const prev = this.consts.get(name)!;
      this.diags.error('E032', file, it.name.offset, name.length, `\`${name}\` is already defined`, `first defined in ${prev.file}`);
      return;
    }
    const v: N = it.value;
    const def: ConstDef = { name, file, node: it, set: -1, kind: 'str' };
    if (v.k === 'list') {
      const set = this.listToSet(v.items, file, name);
      if (!set) return;
      def.set = this.sets.length; this.sets.push(set); def.kind = set.kind;
    } else if (v.k === 'loader') {
      const fn = v.fn.text as string;
      const rel = LATIN1(unescapeText(v.path, file, this.diags));
      const target = path.resolve(path.dirname(abs), rel);
      let text: string;
      try {
        const st = fs.statSync(target);
        if (st.size > MAX_SET_FILE_BYTES) throw new Error(`larger than ${MAX_SET_FILE_BYTES} bytes`);
        text = this.readFile(target);
      } catch (e) {
        this.diags.error('E010', file, v.path.offset, v.path.text.length, `cannot read ${JSON.stringify(rel)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'set files are relative to the rule file');
        return;
      }
      const lines = text.split(/\r?\n/).map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l.length > 0);
      let set: SetEntry | null = null;
      if (fn === 'domains') set = { kind: 'domain', name, strs: lines.map((l) => l.toLowerCase().replace(/\.$/, '')) };
      else if (fn === 'strings') set = { kind: 'str', name, strs: lines };
      else if (fn === 'cidrs') {
        set = this.cidrSet(lines.map((l) => ({ text: l, node: v.path as Tok })), file, name);
      } else {
        this.diags.error('E029', file, v.fn.offset, fn.length, `unknown set loader \`${fn}\``, 'use domains("file"), cidrs("file") or strings("file")');
        return;
      }
      if (!set) return;
      def.set = this.sets.length; this.sets.push(set); def.kind = set.kind;
    } else if (v.k === 'num') {
      def.kind = 'num'; def.value = parseNumberTok(v.tok) * (v.neg ? -1 : 1);
    } else if (v.k === 'str') {
      def.kind = 'str'; def.value = LATIN1(unescapeText(v.tok, file, this.diags));
    } else if (v.k === 'ip') {
      const set = this.cidrSet([{ text: v.tok.text, node: v.tok }], file, name);
      if (!set) return;
      def.set = this.sets.length; this.sets.push(set); def.kind = 'cidr';
    } else {
      this.diags.error('E029', file, v.s, v.e - v.s, 'a constant is a number, a string, an address or a list `[...]`');
      return;
    }
    this.consts.set(name, def);
  }

  private cidrSet(items: { text: string; node: Tok }[], file: string, name: string): SetEntry | null {
    const v4: [number, number][] = [];
    const v6: [string, string][] = [];
    let ok = true;
    for (const it of items) {
      const [addr, bitsS] = it.text.split('/');
      if (addr.includes(':')) {
        const hex = parseIPv6(addr);
        const bits = bitsS === undefined ? 128 : Number(bitsS);
        if (!hex || !(bits >= 0 && bits <= 128)) { ok = false; this.diags.error('E029', file, it.node.offset, it.node.text.length, `invalid IPv6 network \`${it.text}\``); continue; }
        v6.push([v6RangeEnd(hex, bits, false), v6RangeEnd(hex, bits, true)]);
      } else {
        const a = parseIPv4(addr);
        const bits = bitsS === undefined ? 32 : Number(bitsS);
        if (a === null || !(bits >= 0 && bits <= 32)) { ok = false; this.diags.error('E029', file, it.node.offset, it.node.text.length, `invalid IPv4 network \`${it.text}\``); continue; }
        const size = 2 ** (32 - bits);
        const start = Math.floor(a / size) * size;
        v4.push([start, start + size - 1]);
      }
    }
    if (!ok) return null;
    v4.sort((x, y) => x[0] - y[0]);
    const merged: number[] = [];
    for (const [s, e] of v4) {
      const n = merged.length;
      if (n && s <= merged[n - 1] + 1) merged[n - 1] = Math.max(merged[n - 1], e);
      else merged.push(s, e);
    }
    v6.sort((x, y) => (x[0] < y[0] ? -1 : 1));
    return { kind: 'cidr', name, v4: Float64Array.from(merged), v6: v6.flat() };
  }

  private listToSet(items: N[], file: string, name: string): SetEntry | null {
    if (items.length === 0) return { kind: 'str', name, strs: [] };
    const kinds = new Set<string>();
    const cidrs: { text: string; node: Tok }[] = [];
    const ports: number[] = [];
    const strs: string[] = [];
    for (const it of items) {
      if (it.k === 'ip') { kinds.add('cidr'); cidrs.push({ text: it.tok.text, node: it.tok }); }
      else if (it.k === 'num') {
        kinds.add('port'); const n = parseNumberTok(it.tok);
        if (n > 65535 || it.neg) { this.diags.error('E029', file, it.s, it.e - it.s, `port ${n} out of range 0..65535`); return null; }
        ports.push(n, n);
      } else if (it.k === 'range') {
        kinds.add('port'); const lo = parseNumberTok(it.lo), hi = parseNumberTok(it.hi);
        if (lo > hi || hi > 65535) { this.diags.error('E029', file, it.s, it.e - it.s, `invalid port range ${lo}..${hi}`, 'write lo..hi with lo <= hi <= 65535'); return null; }
        ports.push(lo, hi);
      } else if (it.k === 'str') { kinds.add('str'); strs.push(LATIN1(unescapeText(it.tok, file, this.diags))); }
      else if (it.k === 'ref') {
        const c = this.consts.get(it.name.text);
        if (!c || c.set < 0) { this.diags.error('E016', file, it.s, it.e - it.s, `\`${it.name.text}\` is not a defined list`, suggest(it.name.text, this.consts.keys())); return null; }
        const s = this.sets[c.set];
        kinds.add(s.kind === 'domain' ? 'str' : s.kind);
        if (s.kind === 'cidr') { for (let i = 0; i < s.v4!.length; i += 2) { cidrs.push({ text: '', node: it.name }); } return this.mergeRefSets(items, file, name); }
        if (s.kind === 'port') for (const p of s.ports!) ports.push(p);
        if (s.kind === 'str' || s.kind === 'domain') strs.push(...s.strs!);
      } else { this.diags.error('E029', file, it.s, it.e - it.s, 'unexpected item in a list'); return null; }
    }
    if (kinds.size > 1) {
      this.diags.error('E029', file, items[0].s, items[items.length - 1].e - items[0].s, `list \`${name}\` mixes ${[...kinds].join(' and ')} items`, 'a list holds only networks, only ports or only strings');
      return null;
    }
    const kind = [...kinds][0];
    if (kind === 'cidr') return this.cidrSet(cidrs, file, name);
    if (kind === 'port') {
      const pairs: [number, number][] = [];
      for (let i = 0; i < ports.length; i += 2) pairs.push([ports[i], ports[i + 1]]);
      pairs.sort((a, b) => a[0] - b[0]);
      return { kind: 'port', name, ports: Int32Array.from(pairs.flat()) };
    }
    return { kind: 'str', name, strs };
  }

  /** list of networks that references other network sets: union of ranges */
  private mergeRefSets(items: N[], file: string, name: string): SetEntry | null {
    const v4: number[] = [];
    const v6: string[] = [];
    for (const it of items) {
      if (it.k === 'ip') {
        const s = this.cidrSet([{ text: it.tok.text, node: it.tok }], file, name);
        if (!s) return null;
        v4.push(...s.v4!); v6.push(...s.v6!);
      } else if (it.k === 'ref') {
        const c = this.consts.get(it.name.text)!;
        const s = this.sets[c.set];
        if (s.kind !== 'cidr') { this.diags.error('E029', file, it.s, it.e - it.s, `list \`${name}\` mixes networks and ${s.kind} items`); return null; }
        v4.push(...s.v4!); v6.push(...s.v6!);
      } else { this.diags.error('E029', file, it.s, it.e - it.s, `list \`${name}\` mixes networks and other items`); return null; }
    }
    const pairs: [number, number][] = [];
    for (let i = 0; i < v4.length; i += 2) pairs.push([v4[i], v4[i + 1]]);
    pairs.sort((a, b) => a[0] - b[0]);
    const merged: number[] = [];
    for (const [s, e] of pairs) { const n = merged.length; if (n && s <= merged[n - 1] + 1) merged[n - 1] = Math.max(merged[n - 1], e); else merged.push(s, e); }
    const p6: [string, string][] = [];
    for (let i = 0; i < v6.length; i += 2) p6.push([v6[i], v6[i + 1]]);
    p6.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return { kind: 'cidr', name, v4: Float64Array.from(merged), v6: p6.flat() };
  }

  // ---------------------------------------------------------------- rules
  private tconst(s: string): number {
    let i = this.tconstIdx.get(s);
    if (i === undefined) { i = this.tconsts.length; this.tconsts.push(s); this.tconstIdx.set(s, i); }
    return i;
  }

  private compileRule(r: N, file: string): void {
    const d = this.diags;
    const name = r.name.text as string;
    const mods = new Set<string>();
    for (const m of r.mods as Tok[]) {
      if (mods.has(m.text)) d.error('E027', file, m.offset, m.text.length, `duplicate rule modifier \`${m.text}\``);
      mods.add(m.text);
    }
    if (this.ruleIdx.has(name)) {
      const prev = this.ruleIdx.get(name)!;
      const pos = d.source(prev.file)?.pos(prev.node.name.offset);
      d.error('E012', file, r.name.offset, name.length, `duplicate rule \`${name}\``, `first declared at ${prev.file}:${pos?.line}:${pos?.col}; rename one of them`);
      return;
    }
    if (this.consts.has(name)) {
      d.error('E012', file, r.name.offset, name.length, `rule \`${name}\` has the name of a constant or set`);
      return;
    }
    const wc = this.usedWildcards.find((w) => name.startsWith(w.prefix));
    if (wc) {
      const p = d.source(wc.file)?.pos(wc.offset);
      d.error('E012', file, r.name.offset, name.length, `rule \`${name}\` matches the rule set \`${wc.prefix}*\` used before it`, `the set was used at ${wc.file}:${p?.line}:${p?.col}; rename the rule or declare it earlier`);
      return;
    }
    const secs = new Map<string, N>();
    for (const s of r.sections as N[]) {
      if (secs.has(s.k)) { d.error('E027', file, s.s, s.e - s.s, `duplicate \`${s.k}:\` section`, 'merge the two sections'); continue; }
      secs.set(s.k, s);
    }
    const cond = secs.get('condition');
    if (!cond) {
      d.error('E027', file, r.name.offset, name.length, `rule \`${name}\` has no \`condition:\` section`, 'add `condition: ...` (for example `condition: any of them`)');
      return;
    }
    const pos = d.source(file)!.pos(r.s);
    const idx = this.rules.length;
    const entry: RuleEntry = {
      name, file, line: pos.line, private: mods.has('private'), global: mods.has('global'),
      tags: (r.tags as Tok[]).map((t) => t.text), meta: {}, sid: 0, rev: 0, msg: '',
      codeStart: 0, codeEnd: 0, firstString: this.strings.length, stringCount: 0, needsString: false,
      decision: Decision.NONE, mark: -1, actions: [], lookupField: -1,
    };
    const tagSeen = new Set<string>();
    for (const t of r.tags as Tok[]) {
      if (tagSeen.has(t.text)) d.error('E027', file, t.offset, t.text.length, `duplicate tag \`${t.text}\``);
      tagSeen.add(t.text);
    }
    // meta
    const meta = secs.get('meta');
    if (meta) {
      for (const p of meta.pairs as N[]) {
        const key = p.key.text as string;
        const v: N = p.value;
        let val: string | number | boolean;
        if (v.k === 'str') val = LATIN1(unescapeText(v.tok, file, d));
        else if (v.k === 'num') val = parseNumberTok(v.tok) * (v.neg ? -1 : 1);
        else if (v.k === 'bool') val = v.v;
        else { d.error('E036', file, v.s, v.e - v.s, 'meta values are strings, numbers or true/false'); continue; }
        entry.meta[key] = val;
        if (key === 'sid' || key === 'rev') {
          if (typeof val !== 'number' || val < 0) { d.error('E036', file, v.s, v.e - v.s, `\`${key}\` must be a non-negative number`); continue; }
          if (key === 'sid') {
            entry.sid = val;
            const prev = this.sids.get(val);
            if (prev) {
              const pp = d.source(prev.file)?.pos(prev.node.s);
              d.warn('W004', file, v.s, v.e - v.s, `sid ${val} is also used by rule \`${prev.node.name.text}\``, `at ${prev.file}:${pp?.line}:${pp?.col}; give each rule its own sid`);
            } else this.sids.set(val, { file, node: r });
          } else entry.rev = val;
        }
        if (key === 'msg' && typeof val === 'string') entry.msg = val;
      }
    }
    // scope
    const ctx: RuleCtx = { file, rule: r, ruleIdx: idx, strings: new Map(), stringOrder: [], used: new Set(), vars: new Map(), cur: -1, loopDepth: 0, protos: null };
    const scopeCode: (() => void)[] = [];
    const scope = secs.get('scope');
    if (scope) this.compileScope(scope, ctx, scopeCode);
    // strings
    const strs = secs.get('strings');
    if (strs) for (const def of strs.defs as N[]) this.declareString(def, ctx, entry);
    entry.stringCount = this.strings.length - entry.firstString;
    // condition
    const em = this.em;
    entry.codeStart = em.code.length;
    const jumps: number[] = [];
    for (const sc of scopeCode) { sc(); jumps.push(em.emit(Op.JF_OR_POP, 0)); }
    const res = this.expr(cond.expr, ctx);
    this.toBool(res, cond.expr, ctx);
    if (jumps.length) em.emit(Op.TOBOOL);
    for (const j of jumps) em.code[j + 1] = em.code.length;
    entry.codeEnd = em.code.length;
    entry.needsString = this.requiresString(cond.expr, ctx);
    // `FIELD == "a" or FIELD == "b" ...` (the IOC rule shape): index the rule by the constants so
    // it runs only when the field's value is one of them (hash lookup per field, not a scan/compare per rule)
    const lk = entry.needsString ? null : this.lookupShape(cond.expr);
    if (lk) {
      entry.lookupField = lk.field;
      for (const v of lk.values) {
        let l = this.lookups.get(lk.field);
        if (!l) this.lookups.set(lk.field, (l = new Map()));
        let rl = l.get(v);
        if (!rl) l.set(v, (rl = []));
        if (rl[rl.length - 1] !== idx) rl.push(idx);
      }
    }
    // unreferenced strings (YARA: error)
    for (const sname of ctx.stringOrder) {
      if (sname === '$' || ctx.used.has(sname)) continue;
      const si = ctx.strings.get(sname)!;
      const def = (strs!.defs as N[]).find((x) => x.id.text === sname)!;
      void si;
      d.error('E015', file, def.id.offset, sname.length, `string \`${sname}\` is never used in the condition`, `use it (\`${sname}\`, \`any of them\`) or remove it`);
    }
    // actions
    const act = secs.get('action');
    if (act) this.compileActions(act, ctx, entry);
    this.rules.push(entry);
    this.ruleIdx.set(name, { idx, node: r, file });
  }

  private compileScope(scope: N, ctx: RuleCtx, out: (() => void)[]): void {
    const d = this.diags, file = ctx.file, em = this.em;
    const seen = new Set<string>();
    for (const p of scope.pairs as N[]) {
      const key = p.key.text as string;
      const v: N = p.value;
      if (seen.has(key)) { d.error('E028', file, p.key.offset, key.length, `\`${key}\` given twice in scope`); continue; }
      seen.add(key);
      const names = v.k === 'alt' ? (v.names as Tok[]).map((t) => t.text) : null;
      if (key === 'proto') {
        if (!names) { d.error('E028', file, v.s, v.e - v.s, 'proto takes names: `proto = http | dns`'); continue; }
        const all = ['ip', 'tcp', 'udp', 'icmp', 'http', 'dns'];
        let mask = 0;
        const protos = new Set<Proto>();
        for (const t of v.names as Tok[]) {
          const i = all.indexOf(t.text);
          if (i < 0) { d.error('E028', file, t.offset, t.text.length, `unknown protocol \`${t.text}\``, suggest(t.text, all) ?? `one of ${all.join(', ')}`); continue; }
          mask |= 1 << i; protos.add(t.text as Proto);
        }
        ctx.protos = protos;
        out.push(() => em.emit(Op.PROTO, mask));
      } else if (key === 'dir') {
        const dir = names?.length === 1 ? names[0] : '';
        if (dir === 'any') continue;
        if (dir !== 'to_server' && dir !== 'to_client') { d.error('E028', file, v.s, v.e - v.s, '`dir` is `to_server`, `to_client` or `any`'); continue; }
        const f = FIELD_ID.get(dir === 'to_server' ? 'flow.to_server' : 'flow.to_client')!;
        out.push(() => em.emit(Op.NUM_FIELD, f));
      } else if (key === 'src' || key === 'dst') {
        const set = this.scopeSet(v, ctx, 'cidr');
        if (set < 0) continue;
        const f = FIELD_ID.get(key === 'src' ? 'ip.src' : 'ip.dst')!;
        out.push(() => em.emit(Op.IP_INSET, f, set));
      } else if (key === 'sport' || key === 'dport') {
        const set = this.scopeSet(v, ctx, 'port');
        if (set < 0) continue;
        out.push(() => em.emit(Op.NUM_INSET, key === 'sport' ? L4_SPORT : L4_DPORT, set));
      } else {
        d.error('E028', file, p.key.offset, key.length, `unknown scope key \`${key}\``, suggest(key, ['proto', 'dir', 'src', 'dst', 'sport', 'dport']) ?? 'scope keys: proto, dir, src, dst, sport, dport');
      }
    }
  }

  private scopeSet(v: N, ctx: RuleCtx, kind: 'cidr' | 'port'): number {
    const d = this.diags, file = ctx.file;
    if (v.k === 'list') {
      const s = this.listToSet(v.items, file, '(scope)');
      if (!s) return -1;
      if (s.kind !== kind && !(s.kind === 'str' && v.items.length === 0)) { d.error('E028', file, v.s, v.e - v.s, `expected a list of ${kind === 'cidr' ? 'networks' : 'ports'}`); return -1; }
      this.sets.push(s); return this.sets.length - 1;
    }
    if (v.k === 'num') {
      if (kind !== 'port') { d.error('E028', file, v.s, v.e - v.s, 'expected networks, not a number'); return -1; }
      const n = parseNumberTok(v.tok);
      this.sets.push({ kind: 'port', name: '(scope)', ports: Int32Array.from([n, n]) }); return this.sets.length - 1;
    }
    if (v.k === 'alt' && v.names.length === 1) {
      const nm = v.names[0].text as string;
      const c = this.consts.get(nm);
      if (!c || c.set < 0) { d.error('E016', file, v.s, v.e - v.s, `undefined list \`${nm}\``, suggest(nm, this.consts.keys()) ?? 'define it with `const NAME = [...]`'); return -1; }
      if (this.sets[c.set].kind !== kind) { d.error('E028', file, v.s, v.e - v.s, `\`${nm}\` is a ${this.sets[c.set].kind} list, expected ${kind === 'cidr' ? 'networks' : 'ports'}`); return -1; }
      return c.set;
    }
    d.error('E028', file, v.s, v.e - v.s, 'expected a list `[...]`, a number or a constant name');
    return -1;
  }

  private declareString(def: N, ctx: RuleCtx, entry: RuleEntry): void {
    const d = this.diags, file = ctx.file;
    const sname = def.id.text as string;
    if (sname.endsWith('*')) { d.error('E013', file, def.id.offset, sname.length, `a string identifier cannot end with \`*\``); return; }
    if (sname !== '$' && ctx.strings.has(sname)) {
      d.error('E013', file, def.id.offset, sname.length, `duplicate string \`${sname}\``, 'rename one of them');
      return;
    }
    const mods = new Map<string, N>();
    let field = PAYLOAD_FIELD, key: string | null = null;
    for (const m of def.mods as N[]) {
      const mname = m.k === 'bind' ? 'in' : m.name;
      if (mods.has(mname)) { d.error('E020', file, m.s, m.e - m.s, `duplicate modifier \`${mname}\``); continue; }
      mods.set(mname, m);
      if (m.k === 'bind') {
        const bn = m.buf.name.text as string;
        const fid = FIELD_ID.get(bn);
        if (fid === undefined || FIELDS[fid].type !== 'buffer') {
          const bufs = FIELDS.filter((f) => f.type === 'buffer').map((f) => f.name);
          d.error('E022', file, m.buf.name.offset, bn.length, `unknown buffer \`${bn}\``, suggest(bn, bufs) ?? `buffers: ${bufs.join(', ')}`);
          continue;
        }
        const fd = FIELDS[fid];
        if (fd.keyed && !m.buf.key) { d.error('E022', file, m.buf.name.offset, bn.length, `\`${bn}\` needs a name: \`${bn}["Name"]\``); continue; }
        if (!fd.keyed && m.buf.key) { d.error('E022', file, m.buf.key.offset, m.buf.key.text.length, `\`${bn}\` takes no name`); continue; }
        field = fid;
        key = m.buf.key ? LATIN1(unescapeText(m.buf.key, file, d)).toLowerCase() : null;
        if (ctx.protos && !fd.protos.some((p) => ctx.protos!.has(p))) {
          d.warn('W003', file, m.buf.name.offset, bn.length, `buffer \`${bn}\` is never present in this rule's scope (proto = ${[...ctx.protos].join(' | ')})`, `\`${bn}\` exists for proto ${fd.protos.join(' | ')}`);
        }
      }
    }
    const kind = def.kind as 'text' | 'hex' | 'regex';
    const has = (m: string) => mods.has(m);
    const bad = (m: string, why: string) => { const n = mods.get(m)!; d.error('E020', file, n.s, n.e - n.s, why); };
    for (const m of ['xor', 'base64', 'base64wide']) if (has(m)) { bad(m, `modifier \`${m}\` is not supported`); }
    if (kind === 'hex') for (const m of ['nocase', 'wide', 'ascii', 'fullword']) if (has(m)) bad(m, `modifier \`${m}\` cannot be used with hex strings`);
    const nocase = has('nocase'), wide = has('wide'), ascii = has('ascii') || !wide, fullword = has('fullword');
    const se: StringEntry = { rule: ctx.ruleIdx, name: sname, kind, private: has('private'), field, key, nocase, fullword,
      lits: [], litWide: [], pats: [], patWide: [], fullScan: false };
    const sidx = this.strings.length;
    if (kind === 'text') {
      const bytes = unescapeText(def.pat, file, d);
      if (bytes.length === 0) { d.error('E020', file, def.pat.offset, def.pat.text.length, 'empty text string'); return; }
      if (ascii) { se.lits.push(bytes); se.litWide.push(false); }
      if (wide) { const w = new Uint8Array(bytes.length * 2); bytes.forEach((b, i) => { w[2 * i] = b; }); se.lits.push(w); se.litWide.push(true); }
      const best = Math.min(MAX_ATOM, bytes.length);
      if (best < 3 && !has('private')) {
        d.warn('W001', file, def.pat.offset, def.pat.text.length, `string \`${sname}\` has a ${best}-byte atom and may slow down scanning`, 'use a longer string (3 bytes or more)');
      }
    } else {
      const body = kind === 'hex' ? (def.pat.text as string).replace(/^=\s*\{/, '').replace(/\}$/, '') : (def.pat.text as string).replace(/^\//, '').replace(/\/[a-zA-Z]*$/, '');
      const bodyOff = kind === 'hex' ? def.pat.offset + (def.pat.text as string).indexOf('{') + 1 : def.pat.offset + 1;
      let flags = { nocase, dotall: false };
      if (kind === 'regex') {
        const fl = /\/([a-zA-Z]*)$/.exec(def.pat.text)![1];
        for (const c of fl) {
          if (c === 'i') flags.nocase = true; else if (c === 's') flags.dotall = true;
          else d.error('E019', file, def.pat.offset + def.pat.text.length - fl.length + fl.indexOf(c), 1, `unknown regex flag \`${c}\``, 'flags are `i` (nocase) and `s` (dot matches newline)');
        }
      }
      flags = { ...flags };
      const r = kind === 'hex' ? P.parseHex(body) : P.parseRegex(body, flags);
      if ('error' in r) {
        d.error(kind === 'hex' ? 'E018' : 'E019', file, bodyOff + r.error.offset, Math.max(1, r.error.length), `invalid ${kind === 'hex' ? 'hex string' : 'regular expression'} \`${sname}\`: ${r.error.message}`);
        return;
      }
      const irs: { ir: P.PatternIR; wide: boolean }[] = [];
      if (kind === 'hex' || ascii) irs.push({ ir: r.ir, wide: false });
      if (kind === 'regex' && wide) irs.push({ ir: P.wideIR(r.ir), wide: true });
      const atomInfo: { atoms: { bytes: Uint8Array; nocase: boolean; backtrack: number }[] | null }[] = [];
      let minQ = Infinity;
      for (const x of irs) {
        se.pats.push(P.compilePattern(x.ir)); se.patWide.push(x.wide);
        const a = P.extractAtoms(x.ir, MAX_ATOM);
        const usable = a && a.atoms.length > 0 && a.atoms.every((t) => t.backtrack >= 0 && t.bytes.length > 0) ? a.atoms : null;
        if (!usable) se.fullScan = true;
        atomInfo.push({ atoms: usable });
        const maxLen = usable ? Math.min(...usable.map((t) => t.bytes.length)) : 0;
        minQ = Math.min(minQ, maxLen);
      }
      this.patAtoms.set(sidx, atomInfo);
      const patOff = kind === 'hex' ? bodyOff - 1 : def.pat.offset;
      const patLen = def.pat.offset + def.pat.text.length - patOff;
      if (minQ < 3 && !has('private')) d.warn('W001', file, patOff, patLen, `string \`${sname}\` has ${minQ === 0 ? 'no atom' : `a ${minQ}-byte atom`} and may slow down scanning`, 'add a literal run of 3 or more bytes');
      if (kind === 'regex' && P.isUnbounded(r.ir)) d.warn('W002', file, patOff, patLen, `regular expression \`${sname}\` is unbounded (matches are capped at ${P.RE_SCAN_LIMIT} bytes)`, 'bound the repetition: `.{0,100}` instead of `.*`');
    }
    this.strings.push(se);
    ctx.strings.set(sname === '$' ? `$#anon${sidx}` : sname, sidx);
    ctx.stringOrder.push(sname === '$' ? `$#anon${sidx}` : sname);
    if (sname === '$') ctx.used.add(`$#anon${sidx}`);
    void entry;
  }

  private compileActions(act: N, ctx: RuleCtx, entry: RuleEntry): void {
    const d = this.diags, file = ctx.file;
    const verbs = ['accept', 'drop', 'reject', 'replace', 'mark', 'alert', 'log', 'block', 'exec', 'webhook'];
    for (const a of act.items as N[]) {
      const verb = a.verb.text as string;
      const args = a.args as Tok[];
      const span = () => [a.s, a.e - a.s] as const;
      const fail = (msg: string, help?: string) => d.error('E025', file, ...span(), msg, help);
      switch (verb) {
        case 'accept': case 'drop': {
          const target = args[0]?.text ?? 'packet';
          if (args.length > 1 || (target !== 'packet' && target !== 'flow')) { fail(`\`${verb}\` takes \`packet\` or \`flow\``, `\`${verb} packet\` or \`${verb} flow\``); break; }
          entry.actions.push({ verb, target });
          entry.decision = Math.max(entry.decision, verb === 'drop' ? Decision.DROP : Decision.ACCEPT);
          break;
        }
        case 'reject':
          if (args.length) { fail('`reject` takes no arguments'); break; }
          entry.actions.push({ verb }); entry.decision = Math.max(entry.decision, Decision.REJECT); break;
        case 'alert': case 'log':
          if (args.length) { fail(`\`${verb}\` takes no arguments`); break; }
          entry.actions.push({ verb }); if (verb === 'alert') entry.decision = Math.max(entry.decision, Decision.ALERT); break;
        case 'mark': {
          if (args.length !== 1 || args[0].type !== 'number') { fail('`mark` takes a number: `mark 42`'); break; }
          const v = parseNumberTok(args[0]);
          if (v > 0xffffffff) { fail('mark must fit in 32 bits'); break; }
          entry.actions.push({ verb, value: v }); entry.mark = v; break;
        }
        case 'block': {
          if (args.length !== 3 || (args[0].text !== 'src' && args[0].text !== 'dst') || args[1].text !== 'for' || args[2].type !== 'duration') {
            fail('expected `block src for DURATION` or `block dst for DURATION`', 'for example `block src for 10m`'); break;
          }
          entry.actions.push({ verb, target: args[0].text, value: durationMs(args[2]) / 1000 }); break;
        }
        case 'replace': {
          if (args.length !== 3 || args[0].type !== 'strid' || args[1].text !== 'with' || args[2].type !== 'string') {
            fail('expected `replace $name with "bytes"`'); break;
          }
          const sname = args[0].text;
          const si = ctx.strings.get(sname);
          if (si === undefined) { d.error('E014', file, args[0].offset, sname.length, `undefined string \`${sname}\``, suggest(sname, ctx.strings.keys())); break; }
          const se = this.strings[si];
          const bytes = unescapeText(args[2], file, d);
          if (se.kind !== 'text' || se.lits.length !== 1) { fail(`\`replace\` needs a plain text string; \`${sname}\` is ${se.kind === 'text' ? 'wide' : 'a ' + se.kind + ' string'}`); break; }
          if (se.field !== PAYLOAD_FIELD) { fail(`\`replace\` rewrites packet payload bytes; \`${sname}\` is bound to ${FIELDS[se.field].name}`, 'bind the string to `payload` (the default)'); break; }
          if (bytes.length !== se.lits[0].length) {
            d.error('E026', file, args[2].offset, args[2].text.length, `replacement is ${bytes.length} bytes, \`${sname}\` is ${se.lits[0].length}`, 'a packet rewrite keeps the length: pad or cut the replacement');
            break;
          }
          entry.actions.push({ verb, string: si, bytes }); break;
        }
        case 'exec': {
          if (args.length < 1 || args.some((t) => t.type !== 'string')) { fail('expected `exec "program" "arg" ...` (strings)'); break; }
          const argv = args.map((t) => LATIN1(unescapeText(t, file, d)));
          if (!path.isAbsolute(argv[0])) { fail('the program must be an absolute path', `for example "/usr/local/bin/notify"`); break; }
          entry.actions.push({ verb, argv }); break;
        }
        case 'webhook': {
          if (args.length !== 1 || args[0].type !== 'string') { fail('expected `webhook "https://..."`'); break; }
          const url = LATIN1(unescapeText(args[0], file, d));
          let ok = false;
          try { const u = new URL(url); ok = u.protocol === 'http:' || u.protocol === 'https:'; } catch { ok = false; }
          if (!ok) { d.error('E025', file, args[0].offset, args[0].text.length, `invalid webhook URL ${JSON.stringify(url)}`, 'an absolute http:// or https:// URL'); break; }
          entry.actions.push({ verb, url }); break;
        }
        default:
          d.error('E025', file, a.verb.offset, verb.length, `unknown action \`${verb}\``, suggest(verb, verbs) ?? `actions: ${verbs.join(', ')}`);
      }
    }
    const has = (v: string) => entry.actions.some((x) => x.verb === v);
    if ((has('drop') ? 1 : 0) + (has('accept') ? 1 : 0) + (has('reject') ? 1 : 0) > 1) {
      this.diags.error('E025', file, act.s, act.e - act.s, 'a rule takes at most one of `accept`, `drop`, `reject`');
    }
  }

  private readonly lookups = new Map<number, Map<string, number[]>>();

  /** an or-chain of `FIELD == "const"` and `FIELD endswith ".suffix"` over one non-keyed byte
   *  field, or null. Suffix keys are stored with a leading "\u0001" (separate key space). */
  private lookupShape(e: N): { field: number; values: string[] } | null {
    const leaves: N[] = [];
    const walk = (x: N): boolean => {
      if (x.k === 'paren') return walk(x.a);
      if (x.k === 'bin' && x.op === 'or') return walk(x.a) && walk(x.b);
      if (x.k === 'bin' && (x.op === '==' || x.op === 'endswith') && x.a.k === 'ident' && x.b.k === 'str') { leaves.push(x); return true; }
      return false;
    };
    if (!walk(e) || leaves.length === 0) return null;
    const name = leaves[0].a.name.text as string;
    const fid = FIELD_ID.get(name);
    if (fid === undefined || FIELDS[fid].keyed || (FIELDS[fid].type !== 'buffer' && FIELDS[fid].type !== 'bytes')) return null;
    if (leaves.some((l) => l.a.name.text !== name)) return null;
    const values: string[] = [];
    for (const l of leaves) {
      const v = LATIN1(unescapeText(l.b.tok, '', null));
      if (l.op === 'endswith') {
        // only label suffixes (".evil.com") can be found by the runtime's walk over the dots
        if (!v.startsWith('.') || v.length < 2) return null;
        values.push('\u0001' + v);
      } else values.push(v);
    }
    return { field: fid, values };
  }

  // ---------------------------------------------------------------- conditions
  /** conservative: can the condition be true only if some string of the rule matched? */
  private requiresString(e: N, ctx: RuleCtx): boolean {
    switch (e.k) {
      case 'paren': return this.requiresString(e.a, ctx);
      case 'found': case 'at': case 'strin': return e.sid !== undefined && (e.sid as Tok).text !== "$";
      case 'bin':
        if (e.op === 'and') return this.requiresString(e.a, ctx) || this.requiresString(e.b, ctx);
        if (e.op === 'or') return this.requiresString(e.a, ctx) && this.requiresString(e.b, ctx);
        return false;
      case 'of': {
        if (e.set.k === 'rulelist') return false;
        const q = e.q.kind;
        if (q === 'any') return true;
        if (q === 'all') return true; // sets are never empty (E037)
        if (q === 'n' && e.q.n.k === 'num') return parseNumberTok(e.q.n.tok) >= 1;
        return false;
      }
      default: return false;
    }
  }

  private str(tok: Tok, ctx: RuleCtx, prefix: string): number {
    const name = '$' + tok.text.slice(1);
    if (name === '$') {
      if (ctx.cur < 0) { this.diags.error('E034', ctx.file, tok.offset, tok.text.length, `\`${tok.text}\` without a name is only valid inside \`for .. of\``, `name the string: \`${prefix}a\``); return -1; }
      return ctx.cur;
    }
    const si = ctx.strings.get(name);
    if (si === undefined) {
      this.diags.error('E014', ctx.file, tok.offset, tok.text.length, `undefined string \`${name}\``, suggest(name, ctx.strings.keys()) ?? 'declare it in the `strings:` section');
      return -1;
    }
    ctx.used.add(name);
    return si;
  }

  private readonly usedWildcards: { prefix: string; file: string; offset: number }[] = [];

  /** rule sets in `of`: names of earlier rules, `prefix*` for every earlier rule with that prefix */
  private ruleSet(set: N, ctx: RuleCtx): number[] {
    const out: number[] = [];
    for (const it of set.items as { name: Tok; wild: boolean }[]) {
      const nm = it.name.text;
      if (it.wild) {
        const hits = [...this.ruleIdx].filter(([k]) => k.startsWith(nm)).map(([, v]) => v.idx);
        if (hits.length === 0) { this.diags.error('E037', ctx.file, it.name.offset, nm.length + 1, `\`${nm}*\` matches no earlier rule`, 'rule sets refer to rules declared before'); continue; }
        this.usedWildcards.push({ prefix: nm, file: ctx.file, offset: it.name.offset });
        for (const h of hits) if (!out.includes(h)) out.push(h);
      } else {
        const r = this.ruleIdx.get(nm);
        if (!r) { this.diags.error('E016', ctx.file, it.name.offset, nm.length, `undefined rule \`${nm}\``, suggest(nm, this.ruleIdx.keys()) ?? 'rules must be declared before they are referenced'); continue; }
        if (!out.includes(r.idx)) out.push(r.idx);
      }
    }
    return out.sort((a, b) => a - b);
  }

  private strSet(set: N, ctx: RuleCtx): number[] {
    if (set.k === 'rulelist') { this.diags.error('E035', ctx.file, set.s, set.e - set.s, '`for .. of` iterates over strings, not rules'); return []; }
    if (set.k === 'them') {
      for (const n of ctx.stringOrder) ctx.used.add(n);
      const out = ctx.stringOrder.map((n) => ctx.strings.get(n)!);
      if (out.length === 0) this.diags.error('E037', ctx.file, set.s, set.e - set.s, '`them` refers to no strings: the rule has no `strings:`');
      return out;
    }
    const out: number[] = [];
    for (const t of set.items as Tok[]) {
      if (t.text.endsWith('*')) {
        const pre = t.text.slice(0, -1);
        const hits = ctx.stringOrder.filter((n) => n.startsWith(pre) && !n.startsWith('$#anon'));
        if (hits.length === 0) { this.diags.error('E037', ctx.file, t.offset, t.text.length, `\`${t.text}\` matches no string`, suggest(pre, ctx.strings.keys())); continue; }
        for (const h of hits) { ctx.used.add(h); const si = ctx.strings.get(h)!; if (!out.includes(si)) out.push(si); }
      } else {
        const si = this.str(t, ctx, '$');
        if (si >= 0 && !out.includes(si)) out.push(si);
      }
    }
    return out;
  }

  private toBool(r: Res, node: N, ctx: RuleCtx): void {
    if (r.t === 'num' || r.t === 'bool' || r.t === 'err') return;
    if (r.t === 'field') {
      this.diags.error('E017', ctx.file, node.s, node.e - node.s, `\`${FIELDS[r.field].name}\` is bytes, not a boolean`, `test presence with \`${FIELDS[r.field].name} defined\` or compare it: \`== "..."\``);
      return;
    }
    this.diags.error('E017', ctx.file, node.s, node.e - node.s, `a ${r.t === 'str' ? 'string' : r.t} is not a boolean`);
  }

  private num(e: N, ctx: RuleCtx): void {
    const r = this.expr(e, ctx);
    if (r.t === 'num' || r.t === 'bool' || r.t === 'err') return;
    if (r.t === 'field') this.diags.error('E017', ctx.file, e.s, e.e - e.s, `\`${FIELDS[r.field].name}\` is bytes, expected an integer`, `its length is \`${FIELDS[r.field].name}.len\``);
    else this.diags.error('E017', ctx.file, e.s, e.e - e.s, `expected an integer, found a ${r.t === 'str' ? 'string' : r.t}`);
  }

  private expr(e: N, ctx: RuleCtx): Res {
    const em = this.em, d = this.diags, file = ctx.file;
    switch (e.k) {
      case 'paren': return this.expr(e.a, ctx);
      case 'num': {
        const v = parseNumberTok(e.tok);
        if (!Number.isSafeInteger(v)) { d.error('E031', file, e.s, e.e - e.s, `number ${e.tok.text} is out of range`); return { t: 'err' }; }
        em.pushNum(v); return { t: 'num' };
      }
      case 'dur': em.pushNum(durationMs(e.tok) / 1000); return { t: 'num' };
      case 'bool': em.pushNum(e.v ? 1 : 0); return { t: 'bool' };
      case 'str': return { t: 'str', bytes: unescapeText(e.tok, file, d), node: e };
      case 'regex': {
        const txt = e.tok.text as string;
        const fl = /\/([a-zA-Z]*)$/.exec(txt)![1];
        const r = P.parseRegex(txt.slice(1, txt.length - 1 - fl.length), { nocase: fl.includes('i'), dotall: fl.includes('s') });
        if ('error' in r) { d.error('E019', file, e.s + 1 + r.error.offset, Math.max(1, r.error.length), `invalid regular expression: ${r.error.message}`); return { t: 'err' }; }
        this.condPatterns.push(P.compilePattern(r.ir));
        return { t: 'regex', node: e, pat: this.condPatterns.length - 1 };
      }
      case 'ip': {
        const s = this.cidrSet([{ text: e.tok.text, node: e.tok }], file, e.tok.text);
        if (!s) return { t: 'err' };
        this.sets.push(s);
        return { t: 'set', set: this.sets.length - 1, node: e };
      }
      case 'filesize': em.emit(Op.FILESIZE); return { t: 'num' };
      case 'entrypoint':
        d.error('E021', file, e.s, e.e - e.s, '`entrypoint` is not supported (deprecated in YARA, and packets have no entry point)', 'use `pe`-free conditions such as `uint16(0) == 0x5A4D`');
        return { t: 'err' };
      case 'found': {
        const si = this.str(e.sid, ctx, '$');
        if (si < 0) return { t: 'err' };
        em.emit(Op.FOUND, si); return { t: 'bool' };
      }
      case 'count': { const si = this.str(e.sid, ctx, '#'); if (si < 0) return { t: 'err' }; em.emit(Op.COUNT, si); return { t: 'num' }; }
      case 'countin': {
        const si = this.str(e.sid, ctx, '#');
        this.num(e.lo, ctx); this.num(e.hi, ctx);
        if (si < 0) return { t: 'err' };
        em.emit(Op.COUNT_IN, si); return { t: 'num' };
      }
      case 'offset': case 'length': {
        const si = this.str(e.sid, ctx, e.k === 'offset' ? '@' : '!');
        if (e.idx) this.num(e.idx, ctx); else em.pushNum(1);
        if (si < 0) return { t: 'err' };
        em.emit(e.k === 'offset' ? Op.OFFSET : Op.LENGTH, si); return { t: 'num' };
      }
      case 'at': {
        const si = this.str(e.sid, ctx, '$');
        this.num(e.pos, ctx);
        if (si < 0) return { t: 'err' };
        em.emit(Op.AT, si); return { t: 'bool' };
      }
      case 'strin': {
        const si = this.str(e.sid, ctx, '$');
        this.num(e.lo, ctx); this.num(e.hi, ctx);
        if (si < 0) return { t: 'err' };
        em.emit(Op.IN, si); return { t: 'bool' };
      }
      case 'int': {
        this.num(e.a, ctx);
        const fn = e.fn as string;
        const m = /^(u?)int(8|16|32)(be)?$/.exec(fn)!;
        const kind = Number(m[2]) | (m[1] ? 0 : 64) | (m[3] ? 128 : 0);
        em.emit(Op.READ_INT, kind); return { t: 'num' };
      }
      case 'of': return this.compileOf(e, ctx);
      case 'forof': {
        const set = this.strSet(e.set, ctx);
        if (ctx.loopDepth >= MAX_LOOP_DEPTH) { d.error('E035', file, e.s, e.e - e.s, `loops nested deeper than ${MAX_LOOP_DEPTH}`); return { t: 'err' }; }
        const saved = ctx.cur;
        ctx.loopDepth++;
        for (const si of set) { ctx.cur = si; const r = this.expr(e.body, ctx); this.toBool(r, e.body, ctx); }
        ctx.loopDepth--;
        ctx.cur = saved;
        return this.emitQuant(e.q, set.length, ctx, e);
      }
      case 'forin': {
        if (ctx.loopDepth >= MAX_LOOP_DEPTH) { d.error('E035', file, e.s, e.e - e.s, `loops nested deeper than ${MAX_LOOP_DEPTH}`); return { t: 'err' }; }
        const vname = e.v.text as string;
        if (ctx.vars.has(vname) || ctx.strings.has(vname)) { d.error('E035', file, e.v.offset, vname.length, `loop variable \`${vname}\` shadows another name`); return { t: 'err' }; }
        const q = this.quantKind(e.q, ctx);
        let nItems = 0;
        if (e.iter.kind === 'range') { this.num(e.iter.lo, ctx); this.num(e.iter.hi, ctx); }
        else { for (const it of e.iter.items) this.num(it, ctx); nItems = e.iter.items.length; }
        const slot = this.nVars++;
        ctx.vars.set(vname, slot);
        ctx.loopDepth++;
        const at = e.iter.kind === 'range' ? em.emit(Op.FOR_RANGE, q, slot, 0) : em.emit(Op.FOR_LIST, q, slot, nItems, 0);
        const bodyStart = em.code.length;
        const r = this.expr(e.body, ctx); this.toBool(r, e.body, ctx);
        em.code[at + OP_SIZE[em.code[at]] - 1] = em.code.length - bodyStart;
        ctx.loopDepth--;
        ctx.vars.delete(vname);
        return { t: 'bool' };
      }
      case 'un': {
        if (e.op === 'not') { const r = this.expr(e.a, ctx); this.toBool(r, e.a, ctx); em.emit(Op.NOT); return { t: 'bool' }; }
        if (e.op === 'defined') return this.defined(e.a, ctx);
        this.num(e.a, ctx); em.emit(e.op === 'neg' ? Op.NEG : Op.BNOT); return { t: 'num' };
      }
      case 'defined': return this.defined(e.a, ctx);
      case 'bin': return this.binary(e, ctx);
      case 'inset': return this.inSet(e, ctx);
      case 'ident': return this.ident(e, ctx);
      case 'index': {
        const name = e.name.text as string;
        const fid = FIELD_ID.get(name);
        if (fid === undefined || !FIELDS[fid].keyed) { d.error('E023', file, e.name.offset, name.length, `\`${name}\` cannot be indexed`, fid === undefined ? suggest(name, FIELD_ID.keys()) : undefined); return { t: 'err' }; }
        if (e.key.k !== 'str') { d.error('E017', file, e.key.s, e.key.e - e.key.s, 'the header name must be a string: `http.header["Name"]`'); return { t: 'err' }; }
        const key = this.tconst(LATIN1(unescapeText(e.key.tok, file, d)).toLowerCase());
        if (e.prop) {
          if (e.prop.text !== 'len') { d.error('E023', file, e.prop.offset, e.prop.text.length, `unknown property \`${e.prop.text}\``, 'the only property is `.len`'); return { t: 'err' }; }
          em.emit(Op.BYTES_LEN, fid, key); return { t: 'num' };
        }
        return { t: 'field', field: fid, key, node: e };
      }
      case 'call': return this.call(e, ctx);
      case 'mcall': return this.methodCall(e, ctx);
    }
    d.error('E021', file, e.s, e.e - e.s, `unsupported expression`);
    return { t: 'err' };
  }

  private quantKind(q: N, ctx: RuleCtx): number {
    switch (q.kind) {
      case 'any': return Quant.ANY;
      case 'all': return Quant.ALL;
      case 'none': return Quant.NONE;
      case 'n': this.num(q.n, ctx); return Quant.N;
      default: this.num(q.n, ctx); return Quant.PCT;
    }
  }

  /** values of the n items are on the stack (bodies already emitted); N (if any) is emitted before them */
  private emitQuant(q: N, n: number, ctx: RuleCtx, e: N): Res {
    // the quantifier value must be below the items: emit items first then quant? OF pops items then quant.
    // We emit the quantifier AFTER the items and OF pops quant first.
    const kind = this.quantKind(q, ctx);
    if (kind === Quant.N && q.n.k === 'num') {
      const v = parseNumberTok(q.n.tok);
      if (v > n) this.diags.warn('W005', ctx.file, e.s, e.e - e.s, `asks for ${v} of ${n} string${n === 1 ? '' : 's'}: this is always false`, 'lower the count or add strings');
    }
    if (kind === Quant.PCT && q.n.k === 'num') {
      const v = parseNumberTok(q.n.tok);
      if (v > 100 || v < 1) this.diags.error('E017', ctx.file, q.s, q.e - q.s, 'a percentage is between 1% and 100%');
    }
    this.em.emit(Op.OF, n, kind);
    return { t: 'bool' };
  }

  private compileOf(e: N, ctx: RuleCtx): Res {
    if (e.set.k === 'rulelist') {
      if (e.lo || e.at) { this.diags.error('E017', ctx.file, e.s, e.e - e.s, '`at`/`in` apply to strings, not to rules'); return { t: 'err' }; }
      const rules = this.ruleSet(e.set, ctx);
      for (const r of rules) this.em.emit(Op.RULE, r);
      return this.emitQuant(e.q, rules.length, ctx, e);
    }
    const set = this.strSet(e.set, ctx);
    for (const si of set) {
      if (e.lo) { this.num(e.lo, ctx); this.num(e.hi, ctx); this.em.emit(Op.IN, si); }
      else if (e.at) { this.num(e.at, ctx); this.em.emit(Op.AT, si); }
      else this.em.emit(Op.FOUND, si);
    }
    return this.emitQuant(e.q, set.length, ctx, e);
  }

  private defined(a: N, ctx: RuleCtx): Res {
    const r = this.expr(a, ctx);
    if (r.t === 'field') { this.em.emit(Op.BYTES_DEFINED, r.field, r.key); return { t: 'bool' }; }
    if (r.t === 'ip') { this.em.emit(Op.BYTES_DEFINED, r.field, -1); return { t: 'bool' }; }
    if (r.t === 'str' || r.t === 'regex' || r.t === 'set') { this.diags.error('E017', ctx.file, a.s, a.e - a.s, '`defined` applies to fields and expressions'); return { t: 'err' }; }
    this.em.emit(Op.DEFINED);
    return { t: 'bool' };
  }

  private ident(e: N, ctx: RuleCtx): Res {
    const d = this.diags, em = this.em, file = ctx.file;
    let name = e.name.text as string;
    const slot = ctx.vars.get(name);
    if (slot !== undefined) { em.emit(Op.LOADVAR, slot); return { t: 'num' }; }
    if (name.startsWith('event.')) {
      const ev = name.slice(6);
      let id = (EVENT_NAMES as readonly string[]).indexOf(ev);
      // app-layer events (decoders/app/events.ts) are numbered after the decode events
      if (id <= 0) { const a = (APP_EVENT_NAMES as readonly string[]).indexOf(ev); if (a > 0) id = EVENT_NAMES.length + a; }
      if (id <= 0) { d.error('E024', file, e.s, e.e - e.s, `unknown decode event \`${ev}\``, suggest(ev, EVENT_NAMES) ?? 'event names are listed in decoders/events.ts'); return { t: 'err' }; }
      em.emit(Op.EVENT, id); return { t: 'bool' };
    }
    const opsField = OPS_FIELDS.find((f) => f.name === name);
    if (opsField) { const id = this.counterBy.length; this.counterBy.push(opsField.by); this.counterWin.push(0); em.emit(Op.RATE, id, opsField.by, 0); return { t: 'num' }; }
    const opsFunc = OPS_FUNCS.find((f) => f.name === name);
    if (opsFunc) { d.error('E017', file, e.s, e.e - e.s, `\`${name}\` is a function: it needs a window`, `for example \`${name}(window = ${opsFunc.by === BY_SYN_PENDING ? '1s' : '10s'})\``); return { t: 'err' }; }
    let len = false;
    if (name.endsWith('.len') && FIELD_ID.has(name.slice(0, -4))) { len = true; name = name.slice(0, -4); }
    const fid = FIELD_ID.get(name);
    if (fid !== undefined) {
      const f = FIELDS[fid];
      if (f.keyed) { d.error('E023', file, e.s, e.e - e.s, `\`${name}\` needs a name: \`${name}["Name"]\``); return { t: 'err' }; }
      if (len) { if (f.type !== 'buffer' && f.type !== 'bytes') { d.error('E023', file, e.s, e.e - e.s, `\`${name}\` has no \`.len\``); return { t: 'err' }; } em.emit(Op.BYTES_LEN, fid, -1); return { t: 'num' }; }
      if (ctx.protos && !f.protos.some((p) => ctx.protos!.has(p))) d.warn('W003', file, e.s, e.e - e.s, `\`${name}\` is never present in this rule's scope (proto = ${[...ctx.protos].join(' | ')})`, `\`${name}\` exists for proto ${f.protos.join(' | ')}`);
      if (f.type === 'num' || f.type === 'bool') { em.emit(Op.NUM_FIELD, fid); return { t: f.type === 'bool' ? 'bool' : 'num' }; }
      if (f.type === 'ip') return { t: 'ip', field: fid, node: e };
      return { t: 'field', field: fid, key: -1, node: e };
    }
    const rr = this.ruleIdx.get(name);
    if (rr) { em.emit(Op.RULE, rr.idx); return { t: 'bool' }; }
    const c = this.consts.get(name);
    if (c) {
      if (c.set >= 0) return { t: 'set', set: c.set, node: e };
      if (c.kind === 'num') { em.pushNum(c.value as number); return { t: 'num' }; }
      return { t: 'str', bytes: Buffer.from(String(c.value ?? ''), 'latin1'), node: e };
    }
    const cands = [...FIELD_ID.keys(), ...this.ruleIdx.keys(), ...this.consts.keys(), ...ctx.vars.keys()];
    d.error('E016', file, e.s, e.e - e.s, `undefined identifier \`${name}\``, suggest(name, cands) ?? (name === name.toLowerCase() ? undefined : 'rules must be declared before they are referenced'));
    return { t: 'err' };
  }

  private call(e: N, ctx: RuleCtx): Res {
    const d = this.diags, em = this.em, file = ctx.file;
    const name = e.name.text as string;
    const args = e.args as { name: Tok | null; value: N }[];
    if (name === 'flow.tag' || name === 'flow.has') {
      if (args.length !== 1 || args[0].name || args[0].value.k !== 'str') { d.error('E017', file, e.s, e.e - e.s, `\`${name}\` takes one string: \`${name}("x")\``); return { t: 'err' }; }
      const t = this.tconst(LATIN1(unescapeText(args[0].value.tok, file, d)));
      em.emit(name === 'flow.tag' ? Op.FLOW_TAG : Op.FLOW_HAS, t); return { t: 'bool' };
    }
    if (name === 'count') {
      let by = -1, win = -1;
      for (const a of args) {
        const k = a.name?.text;
        if (k === 'by' && a.value.k === 'ident' && ['src', 'dst', 'flow'].includes(a.value.name.text)) by = ['src', 'dst', 'flow'].indexOf(a.value.name.text);
        else if (k === 'window' && a.value.k === 'dur') win = durationMs(a.value.tok);
        else { d.error('E017', file, a.value.s, a.value.e - a.value.s, 'expected `by = src|dst|flow` or `window = DURATION`'); return { t: 'err' }; }
      }
      if (by < 0 || win <= 0) { d.error('E017', file, e.s, e.e - e.s, '`count` needs `by = src|dst|flow` and `window = DURATION`', 'for example `count(by = src, window = 60s) > 20`'); return { t: 'err' }; }
      const id = this.counterBy.length;
      this.counterBy.push(by); this.counterWin.push(win);
      em.emit(Op.RATE, id, by, win); return { t: 'num' };
    }
    const opsFunc = OPS_FUNCS.find((f) => f.name === name);
    if (opsFunc) return this.opsCall(e, opsFunc, file);
    if (name === 'host') { d.error('E017', file, e.s, e.e - e.s, '`host(...)` is not a value', 'call a method on it: `host(src).has("x")` or `host(src).tag("x", expire = 10m)`'); return { t: 'err' }; }
    if (OPS_FIELDS.some((f) => f.name === name)) { d.error('E017', file, e.s, e.e - e.s, `\`${name}\` is a value, not a function`, `write \`${name}\` without parentheses`); return { t: 'err' }; }
    const known = ['flow.tag', 'flow.has', 'count', 'host', ...OPS_FUNCS.map((f) => f.name), 'uint8', 'uint16', 'uint32', 'int8', 'int16', 'int32'];
    d.error('E023', file, e.name.offset, name.length, `unknown function \`${name}\``, suggest(name, known) ?? 'functions: flow.tag, flow.has, count, uint8..uint32be, int8..int32be');
    return { t: 'err' };
  }

  /**
   * `host(src|dst).tag("x", expire = DURATION)` (always true) and `host(src|dst).has("x")`
   * (signatures/keywords/host.ts): Op.HOST_TAG tconst side expireMs / Op.HOST_HAS tconst side.
   */
  private methodCall(e: N, ctx: RuleCtx): Res {
    const d = this.diags, file = ctx.file;
    const obj = e.name.text as string, method = e.method.text as string;
    const args = e.args as { name: Tok | null; value: N }[];
    const margs = e.margs as { name: Tok | null; value: N }[];
    if (obj !== 'host') { d.error('E023', file, e.name.offset, obj.length, `unknown object \`${obj}(...)\``, 'the only object with methods is `host(src)` / `host(dst)`: `host(src).has("x")`'); return { t: 'err' }; }
    const a0 = args[0];
    const side = args.length === 1 && !a0.name && a0.value.k === 'ident' ? HOST_SIDES.indexOf(a0.value.name.text) : -1;
    if (side < 0) {
      const sp = args.length ? { s: args[0].name ? args[0].name.offset : args[0].value.s, e: args[args.length - 1].value.e } : { s: e.s, e: e.e };
      d.error('E017', file, sp.s, sp.e - sp.s, '`host(...)` takes `src` or `dst`', 'for example `host(src).has("scanner")`'); return { t: 'err' };
    }
    if (method !== 'tag' && method !== 'has') { d.error('E023', file, e.method.offset, method.length, `unknown method \`${method}\` of \`host(...)\``, suggest(method, ['tag', 'has']) ?? 'methods: `tag("x", expire = 10m)`, `has("x")`'); return { t: 'err' }; }
    const example = method === 'tag' ? `host(${HOST_SIDES[side]}).tag("scanner", expire = 10m)` : `host(${HOST_SIDES[side]}).has("scanner")`;
    const first = margs[0];
    if (!first || first.name || first.value.k !== 'str') {
      const sp = first ? first.value : e;
      d.error('E017', file, sp.s, sp.e - sp.s, `\`${method}\` takes the tag name as a string first`, `for example \`${example}\``); return { t: 'err' };
    }
    const tag = this.tconst(LATIN1(unescapeText(first.value.tok, file, d)));
    if (method === 'has') {
      if (margs.length !== 1) {
        const x = margs[1], s0 = x.name ? x.name.offset : x.value.s;
        d.error('E017', file, s0, margs[margs.length - 1].value.e - s0, '`has` takes only the tag name (the expiry is set by `tag`)', `for example \`${example}\``); return { t: 'err' };
      }
      this.em.emit(Op.HOST_HAS, tag, side); return { t: 'bool' };
    }
    let expire = -1;
    for (let i = 1; i < margs.length; i++) {
      const a = margs[i];
      const k = a.name?.text;
      if (k === 'expire' && a.value.k === 'dur' && expire < 0) { expire = durationMs(a.value.tok); continue; }
      const what = k === 'expire' ? (expire >= 0 ? '`expire` given twice' : '`expire` takes a duration (30s, 10m, 1h)') : k ? `unknown argument \`${k}\`` : 'the expiry is named: `expire = DURATION`';
      const s0 = a.name ? a.name.offset : a.value.s;
      d.error('E017', file, s0, a.value.e - s0, `\`tag\`: ${what}`, `for example \`${example}\``); return { t: 'err' };
    }
    if (expire < 0) { d.error('E017', file, e.s, e.e - e.s, '`tag` needs `expire = DURATION`', `for example \`${example}\``); return { t: 'err' }; }
    if (!(expire >= 1 && expire <= HOST_TAG_MAX_EXPIRE_MS)) { d.error('E017', file, e.s, e.e - e.s, `\`tag\`: expire must be between 1ms and ${HOST_TAG_MAX_EXPIRE_MS / 86_400_000}d`, `for example \`${example}\``); return { t: 'err' }; }
    this.em.emit(Op.HOST_TAG, tag, side, expire); return { t: 'bool' };
  }

  /** `scan.ports(window = 10s)`, `synflood.pending(window = 1s)` (signatures/keywords/ops.ts): one counter per call site. */
  private opsCall(e: N, f: (typeof OPS_FUNCS)[number], file: string): Res {
    const d = this.diags;
    const args = e.args as { name: Tok | null; value: N }[];
    const example = `${f.name}(window = ${f.by === BY_SYN_PENDING ? '1s' : '10s'})`;
    let win = -1;
    for (const a of args) {
      const k = a.name?.text;
      if (k === 'window' && a.value.k === 'dur' && win < 0) { win = durationMs(a.value.tok); continue; }
      const what = k === 'window' ? (win >= 0 ? '`window` given twice' : '`window` takes a duration (10s, 500ms, 2m)') : k ? `unknown argument \`${k}\`` : 'arguments are named';
      d.error('E017', file, a.value.s, a.value.e - a.value.s, `\`${f.name}\`: ${what}`, `the only argument is \`window = DURATION\`, for example \`${example}\``);
      return { t: 'err' };
    }
    if (win < 0) { d.error('E017', file, e.s, e.e - e.s, `\`${f.name}\` needs \`window = DURATION\``, `for example \`${example} > 50\``); return { t: 'err' }; }
    if (!(win >= 1 && win <= f.maxWindowMs)) { d.error('E017', file, e.s, e.e - e.s, `\`${f.name}\`: window must be between 1ms and ${f.maxWindowMs / 60000}m`, `for example \`${example}\``); return { t: 'err' }; }
    const id = this.counterBy.length;
    this.counterBy.push(f.by); this.counterWin.push(win);
    this.em.emit(Op.RATE, id, f.by, win); return { t: 'num' };
  }

  private inSet(e: N, ctx: RuleCtx): Res {
    const d = this.diags, em = this.em, file = ctx.file;
    const lhs = this.expr(e.a, ctx);
    let set = -1;
    if (e.set.k === 'list') {
      const s = this.listToSet(e.set.items, file, '(inline)');
      if (!s) return { t: 'err' };
      this.sets.push(s); set = this.sets.length - 1;
    } else {
      const nm = e.set.name.text as string;
      const c = this.consts.get(nm);
      if (!c || c.set < 0) { d.error('E016', file, e.set.s, e.set.e - e.set.s, `undefined set \`${nm}\``, suggest(nm, this.consts.keys()) ?? 'define it with `set NAME = ...` or `const NAME = [...]`'); return { t: 'err' }; }
      set = c.set;
    }
    const sk = this.sets[set].kind;
    if (lhs.t === 'err') return lhs;
    if (lhs.t === 'ip') { if (sk !== 'cidr') { d.error('E017', file, e.s, e.e - e.s, `an address is tested against a network list, not a ${sk} list`); return { t: 'err' }; } em.emit(Op.IP_INSET, lhs.field, set); return { t: 'bool' }; }
    if (lhs.t === 'field') { if (sk !== 'str' && sk !== 'domain') { d.error('E017', file, e.s, e.e - e.s, `bytes are tested against a string or domain list, not a ${sk} list`); return { t: 'err' }; } em.emit(Op.BYTES_INSET, lhs.field, lhs.key, set); return { t: 'bool' }; }
    if (lhs.t === 'num') {
      if (sk !== 'port') { d.error('E017', file, e.s, e.e - e.s, `an integer is tested against a port/number list, not a ${sk} list`); return { t: 'err' }; }
      em.emit(Op.NUM_INSET, -1, set); return { t: 'bool' };
    }
    d.error('E017', file, e.a.s, e.a.e - e.a.s, '`in` needs a field on the left'); return { t: 'err' };
  }

  private binary(e: N, ctx: RuleCtx): Res {
    const d = this.diags, em = this.em, file = ctx.file;
    const op = e.op as string;
    if (op === 'and' || op === 'or') {
      const a = this.expr(e.a, ctx); this.toBool(a, e.a, ctx);
      const j = em.emit(op === 'and' ? Op.JF_OR_POP : Op.JT_OR_POP, 0);
      const b = this.expr(e.b, ctx); this.toBool(b, e.b, ctx);
      em.emit(Op.TOBOOL);
      em.code[j + 1] = em.code.length;
      return { t: 'bool' };
    }
    const arith: Record<string, Op> = { '+': Op.ADD, '-': Op.SUB, '*': Op.MUL, '\\': Op.DIV, '%': Op.MOD, '&': Op.BAND, '|': Op.BOR, '^': Op.BXOR, '<<': Op.SHL, '>>': Op.SHR };
    if (arith[op] !== undefined) { this.num(e.a, ctx); this.num(e.b, ctx); em.emit(arith[op]); return { t: 'num' }; }
    const rel: Record<string, Op> = { '<': Op.LT, '<=': Op.LE, '>': Op.GT, '>=': Op.GE };
    const mark = em.code.length;
    const a = this.expr(e.a, ctx);
    if (a.t === 'err') { this.expr(e.b, ctx); return a; } // already reported: no follow-on type error
    if (a.t === 'field' || a.t === 'ip') {
      const b = this.expr(e.b, ctx);
      if (b.t === 'err') return b;
      if (a.t === 'ip') {
        if ((op === '==' || op === '!=') && b.t === 'set') {
          em.emit(Op.IP_INSET, a.field, b.set); if (op === '!=') em.emit(Op.NOT); return { t: 'bool' };
        }
        d.error('E017', file, e.s, e.e - e.s, 'an address compares with `==`/`!=` to an address, or `in` a network list'); return { t: 'err' };
      }
      if (op === 'matches') {
        if (b.t !== 'regex') { d.error('E017', file, e.b.s, e.b.e - e.b.s, '`matches` needs a regular expression `/.../`'); return { t: 'err' }; }
        em.emit(Op.BYTES_MATCH, a.field, a.key, b.pat); return { t: 'bool' };
      }
      if (FIELDS[a.field].numText && (b.t === 'num' || b.t === 'bool') && (rel[op] !== undefined || op === '==' || op === '!=')) {
        // numeric text field against a number (`http.status >= 500`): b is already on the stack,
        // so push the field's number after it and compare mirrored (b OP' field == field OP b)
        em.emit(Op.BYTES_NUM, a.field, a.key);
        em.emit(MIRROR_OP[op]); return { t: 'bool' };
      }
      let bytes: Uint8Array | null = null;
      if (b.t === 'str') bytes = b.bytes;
      else if (b.t === 'num' && e.b.k === 'num') { em.code.length = em.code.length - 2; bytes = Buffer.from(String(parseNumberTok(e.b.tok)), 'latin1'); }
      if (!bytes) { d.error('E017', file, e.b.s, e.b.e - e.b.s, `\`${FIELDS[a.field].name}\` compares with a string`, 'write the value in quotes'); return { t: 'err' }; }
      const ci = CMP_OPS.indexOf(op);
      if (ci < 0) { d.error('E017', file, e.opTok.offset, e.opTok.text.length, `\`${op}\` does not apply to bytes`, `use ==, !=, contains, startswith, endswith, iequals, matches, or \`${FIELDS[a.field].name}.len\``); return { t: 'err' }; }
      this.bconsts.push(bytes);
      em.emit(Op.BYTES_CMP, a.field, a.key, ci, this.bconsts.length - 1);
      return { t: 'bool' };
    }
    if (a.t === 'str' || a.t === 'regex' || a.t === 'set') {
      d.error('E017', file, e.a.s, e.a.e - e.a.s, 'put the field on the left: `http.uri contains "x"`'); em.code.length = mark; return { t: 'err' };
    }
    const b = this.expr(e.b, ctx);
    if (b.t === 'err') return b;
    if (b.t === 'field' && FIELDS[b.field].numText && (a.t === 'num' || a.t === 'bool') && (rel[op] !== undefined || op === '==' || op === '!=')) {
      em.emit(Op.BYTES_NUM, b.field, b.key); em.emit(rel[op] ?? (op === '==' ? Op.EQ : Op.NE)); return { t: 'bool' }; // `500 <= http.status`
    }
    if (b.t === 'field' || b.t === 'str' || b.t === 'regex' || b.t === 'set' || b.t === 'ip') {
      d.error('E017', file, e.b.s, e.b.e - e.b.s, `cannot compare an integer with a ${b.t === 'field' ? 'byte field' : b.t === 'str' ? 'string' : b.t}`); return { t: 'err' };
    }
    if (rel[op] !== undefined) { em.emit(rel[op]); return { t: 'bool' }; }
    if (op === '==') { em.emit(Op.EQ); return { t: 'bool' }; }
    if (op === '!=') { em.emit(Op.NE); return { t: 'bool' }; }
    d.error('E017', file, e.opTok.offset, e.opTok.text.length, `\`${op}\` applies to byte fields, not integers`);
    return { t: 'err' };
  }

  // ---------------------------------------------------------------- prefilter + emit
  private finish(): CompileResult {
    if (this.diags.errorCount > 0) return { ruleset: null, diags: this.diags };
    const byField = new Map<number, number[]>();
    const late: number[] = [];
    this.strings.forEach((s, i) => {
      if (s.key !== null) { late.push(i); return; }
      let l = byField.get(s.field);
      if (!l) byField.set(s.field, (l = []));
      l.push(i);
    });
    const prefilters: PrefilterEntry[] = [];
    let atomsTotal = 0, states = 0;
    for (const [field, list] of byField) {
      const atoms: AcAtom[] = [];
      const aS: number[] = [], aV: number[] = [], aB: number[] = [], aL: number[] = [];
      const flags: number[] = [], litOff: number[] = [], litLen: number[] = [], pool: number[] = [];
      const full: number[] = [];
      for (const si of list) {
        const s = this.strings[si];
        if (s.kind === 'text') {
          s.lits.forEach((lit, v) => {
            const st = bestAtomStart(lit, LIT_ATOM);
            atoms.push({ bytes: lit.subarray(st, st + Math.min(LIT_ATOM, lit.length)), id: aS.length });
            aS.push(si); aV.push(v); aB.push(st); aL.push(Math.min(LIT_ATOM, lit.length));
            flags.push((s.nocase ? 1 : 0) | (s.fullword ? 2 : 0) | (s.litWide[v] ? 4 : 0));
            litOff.push(pool.length); litLen.push(lit.length);
            for (const b of lit) pool.push(s.nocase && b >= 0x41 && b <= 0x5a ? b | 0x20 : b);
          });
        } else {
          const info = this.patAtoms.get(si)!;
          if (s.fullScan) { full.push(si); continue; }
          info.forEach((x, v) => {
            for (const a of x.atoms!) {
              atoms.push({ bytes: a.bytes, id: aS.length }); aS.push(si); aV.push(v); aB.push(a.backtrack); aL.push(a.bytes.length);
              flags.push(8); litOff.push(0); litLen.push(0);
            }
          });
        }
      }
      let ac: ReturnType<typeof buildAc>;
      try {
        ac = buildAc(atoms, this.acMaxTableEntries !== undefined ? { maxTableEntries: this.acMaxTableEntries } : {});
      } catch (e) {
        if (!(e instanceof AcLimitError)) throw e;
        // too many / too long atoms for one buffer's automaton: a clear error on the ruleset, not
        // an internal error (the limit, AC_MAX_STATES, keeps one prefilter's tables bounded)
        const first = this.rules[this.strings[list[0]].rule];
        this.diags.error('E038', first.file, 0, 0,
          `the strings bound to ${FIELDS[field]?.name ?? `field ${field}`} need a prefilter larger than the limit (${list.length} strings, ${atoms.length} atoms): ${e.message}`,
          'split the ruleset, or use fewer or shorter nocase strings on this buffer');
        continue;
      }
      atomsTotal += atoms.length; states += ac.trans.length / ac.nClasses;
      prefilters.push({ field, ac, atomString: Int32Array.from(aS), atomVariant: Int32Array.from(aV), atomBack: Int32Array.from(aB), atomLen: Int32Array.from(aL),
        atomFlags: Int32Array.from(flags), atomLitOff: Int32Array.from(litOff), atomLitLen: Int32Array.from(litLen), litPool: Uint8Array.from(pool), fullScan: Int32Array.from(full) });
    }
    if (this.diags.errorCount > 0) return { ruleset: null, diags: this.diags };
    const lookups = [...this.lookups].map(([field, map]) => {
      const keys = [...map.keys()];
      const start: number[] = [], rules: number[] = [];
      for (const k of keys) { start.push(rules.length); rules.push(...map.get(k)!); }
      start.push(rules.length);
      return { field, keys, start: Int32Array.from(start), rules: Int32Array.from(rules) };
    });
    const rs: CompiledRuleset = {
      lookups,
      format: RULESET_FORMAT,
      rules: this.rules, strings: this.strings,
      code: Int32Array.from(this.em.code), consts: Float64Array.from(this.em.consts),
      bconsts: this.bconsts, tconsts: this.tconsts, condPatterns: this.condPatterns, sets: this.sets,
      prefilters, lateStrings: Int32Array.from(late), nVars: this.nVars, nCounters: this.counterBy.length,
      counterBy: Int32Array.from(this.counterBy), counterWindowMs: Float64Array.from(this.counterWin),
      stats: { rules: this.rules.length, strings: this.strings.length, atoms: atomsTotal, acStates: states, compileMs: Date.now() - this.t0 },
    };
    return { ruleset: rs, diags: this.diags };
  }
}

export function compileFiles(files: string[], opts?: CompileOptions): CompileResult {
  return new Compiler(opts).compileFiles(files);
}
export function compileSource(src: string, name?: string, opts?: CompileOptions): CompileResult {
  return new Compiler(opts).compileSource(src, name);
}
