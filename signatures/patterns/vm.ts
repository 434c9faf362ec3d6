/**
 * Compilation of the pattern IR into a flat program, and a Pike VM (Thompson NFA simulation with
 * thread priority) that gives leftmost-first (Perl/backtracking) match lengths in time
 * O(window * program size) per start offset, never exponential.
 *
 * Buffers: matchAt/findAll read `buf` only during the call and keep no reference to it.
 * The VM's scratch arrays are module-level and reused (one worker = one thread), so matching
 * allocates nothing per call except when a bigger program than any before is run.
 */
import { Node, PatternIR, ByteSet, setHas, setSize, setAll, setUnion, setEmpty, nullable } from './ir';

/** YARA's YR_RE_SCAN_LIMIT (4.2): a regex match never extends more than 4096 bytes past its start. */
export const RE_SCAN_LIMIT = 4096;
/** Default fixed part of the work budget per findAll()/matchAt() call, in VM thread steps (docs/patterns.md). */
export const DEFAULT_WORK_BUDGET = 2_000_000;
/** Default per-byte part of the work budget: a call over n bytes may use BUDGET + n * PER_BYTE steps. */
export const DEFAULT_WORK_BUDGET_PER_BYTE = 64;

// Opcodes (3 int32 per instruction: op, a, b).
const OP_BYTE = 0, OP_CLASS = 1, OP_ANY = 2, OP_SPLIT = 3, OP_JMP = 4, OP_BOL = 5, OP_EOL = 6,
  OP_WORDB = 7, OP_NWORDB = 8, OP_MATCH = 9, OP_LOOP = 10;
// OP_LOOP a b: a SPLIT (a preferred) at the head of a `*`/`+`/`{n,}` loop; code[o+2]... see addThread:
// the exit edge is stored in the 'b' slot for greedy loops and in the 'a' slot for lazy ones, so the
// exit is the operand that is not pc+1.

// header slots
const H_KIND = 0, H_NOCASE = 1, H_MAXLEN = 2, H_NINSTR = 3, H_NULLABLE = 4, H_LITLEN = 5, H_ASSERTS = 6;
const KIND_LITERAL = 0, KIND_PROGRAM = 1;

/**
 * A compiled pattern: typed arrays only (structured-clone / transfer friendly). Immutable after
 * compilePattern(); safe to share between calls. Layout is private to this module.
 */
export interface CompiledPattern {
  /** [kind, nocase, maxLen (-1 none), nInstr, nullable, litLen, hasAssertions] */
  header: Int32Array;
  /** program: 3 x int32 per instruction */
  code: Int32Array;
  /** 256-byte membership tables for CLASS instructions, concatenated */
  tables: Uint8Array;
  /** literal bytes (literal kind), lowercased when nocase */
  lit: Uint8Array;
  /** 256 entries: 1 if a match can start with that byte */
  first: Uint8Array;
}

/** Counters (cumulative per process/worker) and the per-call work budget. */
export const patternStats = {
  /** VM steps (thread visits) in all calls so far. */
  steps: 0,
  /** VM steps used by the most recent findAll()/matchAt() call. */
  lastSteps: 0,
  /** Number of calls that hit the work budget (their remaining matches are reported as not found). */
  budgetExceeded: 0,
  /** Fixed part of the work budget per call (VM thread steps). */
  budget: DEFAULT_WORK_BUDGET,
  /** Per-byte part of the work budget (steps per byte of the scanned range). */
  budgetPerByte: DEFAULT_WORK_BUDGET_PER_BYTE,
  /** Budget of the most recent call (steps). */
  lastBudget: 0,
};

/** Sets the fixed part of the per-call work budget (steps), and optionally the per-byte part. Returns the previous fixed part. */
export function setWorkBudget(steps: number, perByte?: number): number {
  const old = patternStats.budget;
  patternStats.budget = Math.max(1, Math.floor(steps));
  if (perByte !== undefined) patternStats.budgetPerByte = Math.max(0, Math.floor(perByte));
  return old;
}

const LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) LOWER[i] = i >= 0x41 && i <= 0x5a ? i + 32 : i;
const WORDCH = new Uint8Array(256);
for (let i = 0; i < 256; i++) WORDCH[i] = (i >= 0x30 && i <= 0x39) || (i >= 0x41 && i <= 0x5a) || (i >= 0x61 && i <= 0x7a) || i === 0x5f ? 1 : 0;

/** First-byte set of a node (bytes that can be consumed first), and whether it can match empty. */
function firstSet(n: Node): { set: ByteSet; nullable: boolean } {
  switch (n.t) {
    case 'cls': return { set: n.m, nullable: false };
    case 'assert': case 'empty': return { set: setEmpty(), nullable: true };
    case 'cat': {
      let s = setEmpty();
      for (const it of n.items) { const f = firstSet(it); s = setUnion(s, f.set); if (!f.nullable) return { set: s, nullable: false }; }
      return { set: s, nullable: true };
    }
    case 'alt': {
      let s = setEmpty(); let nl = false;
      for (const a of n.alts) { const f = firstSet(a); s = setUnion(s, f.set); nl = nl || f.nullable; }
      return { set: s, nullable: nl };
    }
    case 'rep': { const f = firstSet(n.body); return { set: f.set, nullable: n.min === 0 || f.nullable }; }
  }
}

export function compilePattern(ir: PatternIR): CompiledPattern {
  if (ir.kind === 'literal' && ir.lit) {
    const nocase = !!ir.nocase;
    const lit = Uint8Array.from(ir.lit.map((b) => (nocase ? LOWER[b] : b)));
    const first = new Uint8Array(256);
    if (lit.length > 0) { first[lit[0]] = 1; if (nocase) for (let c = 0; c < 256; c++) if (LOWER[c] === lit[0]) first[c] = 1; }
    return {
      header: Int32Array.from([KIND_LITERAL, nocase ? 1 : 0, lit.length, 0, lit.length === 0 ? 1 : 0, lit.length, 0]),
      code: new Int32Array(0), tables: new Uint8Array(0), lit, first,
    };
  }
  const code: number[] = [];
  const tables: number[][] = [];
  const tableKey = new Map<string, number>();
  const emit = (op: number, a = 0, b = 0): number => { code.push(op, a, b); return code.length / 3 - 1; };
  const patch = (pc: number, slot: 1 | 2, v: number) => { code[pc * 3 + slot] = v; };
  const pcNow = () => code.length / 3;

  function gen(n: Node): void {
    switch (n.t) {
      case 'empty': return;
      case 'cls': {
        const sz = setSize(n.m);
        if (sz === 256) { emit(OP_ANY); return; }
        if (sz === 1) { for (let b = 0; b < 256; b++) if (setHas(n.m, b)) { emit(OP_BYTE, b); return; } }
        const key = n.m.join(',');
        let idx = tableKey.get(key);
        if (idx === undefined) {
          idx = tables.length;
          const t: number[] = new Array(256);
          for (let b = 0; b < 256; b++) t[b] = setHas(n.m, b) ? 1 : 0;
          tables.push(t); tableKey.set(key, idx);
        }
        emit(OP_CLASS, idx * 256);
        return;
      }
      case 'assert': {
        emit(n.kind === 'bol' ? OP_BOL : n.kind === 'eol' ? OP_EOL : n.kind === 'wordb' ? OP_WORDB : OP_NWORDB, n.wide ? 1 : 0);
        return;
      }
      case 'cat': for (const it of n.items) gen(it); return;
      case 'alt': {
        // SPLIT L1, next ; L1: alt0 ; JMP end ; next: SPLIT L2, next2 ... last alt without split
        const jmps: number[] = [];
        for (let i = 0; i < n.alts.length; i++) {
          if (i < n.alts.length - 1) {
            const sp = emit(OP_SPLIT, 0, 0);
            patch(sp, 1, pcNow());
            gen(n.alts[i]);
            jmps.push(emit(OP_JMP, 0));
            patch(sp, 2, pcNow());
          } else gen(n.alts[i]);
        }
        for (const j of jmps) patch(j, 1, pcNow());
        return;
      }
      case 'rep': {
        for (let i = 0; i < n.min; i++) gen(n.body);
        if (n.max < 0) {
          // L: SPLIT body, out (greedy) | SPLIT out, body (lazy); body; JMP L
          const sp = emit(OP_LOOP, 0, 0);
          const bodyPc = pcNow();
          gen(n.body);
          emit(OP_JMP, sp);
          const out = pcNow();
          if (n.greedy) { patch(sp, 1, bodyPc); patch(sp, 2, out); } else { patch(sp, 1, out); patch(sp, 2, bodyPc); }
          return;
        }
        // (max-min) nested optionals: SPLIT body, end ; body ; SPLIT body, end ; body ...
        const splits: number[] = [];
        for (let i = n.min; i < n.max; i++) {
          const sp = emit(OP_SPLIT, 0, 0);
          splits.push(sp);
          const bodyPc = pcNow();
          gen(n.body);
          // the "skip" target is the end of all optionals, patched below
          if (n.greedy) patch(sp, 1, bodyPc); else patch(sp, 2, bodyPc);
        }
        const end = pcNow();
        for (const sp of splits) { if (n.greedy) patch(sp, 2, end); else patch(sp, 1, end); }
        return;
      }
    }
  }
  gen(ir.root);
  emit(OP_MATCH);
  const tab = new Uint8Array(tables.length * 256);
  tables.forEach((t, i) => tab.set(t, i * 256));
  const f = firstSet(ir.root);
  const first = new Uint8Array(256);
  const fs = f.nullable ? setAll() : f.set;
  for (let b = 0; b < 256; b++) first[b] = setHas(fs, b) ? 1 : 0;
  const maxLen = ir.kind === 'regex' ? RE_SCAN_LIMIT : -1;
  return {
    header: Int32Array.from([KIND_PROGRAM, ir.nocase ? 1 : 0, maxLen, code.length / 3, nullable(ir.root) ? 1 : 0, 0,
      code.some((v, i) => i % 3 === 0 && v >= OP_BOL && v <= OP_NWORDB) ? 1 : 0]),
    code: Int32Array.from(code), tables: tab, lit: new Uint8Array(0), first,
  };
}

// ---- Pike VM scratch (module level, grown on demand) ----
let cap = 0;
let clist = new Int32Array(0);
let nlist = new Int32Array(0);
let stack = new Int32Array(0);
let mark = new Int32Array(0);
let genId = 1;
let budgetLeft = 0;
let callSteps = 0;
let aborted = false;

function ensure(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, cap * 2, 64);
  clist = new Int32Array(cap); nlist = new Int32Array(cap);
  // pushes per addThread <= 2 per instruction + 1 per LOOP in-edge: 4x is a safe bound
  stack = new Int32Array(cap * 4 + 8); mark = new Int32Array(cap); genId = 1;
}

function nextGen(): void {
  genId++;
  if (genId > 0x3fffffff) { mark.fill(0); genId = 1; }
}

/** Adds the thread pc (following epsilon edges in priority order) to `list` at input position pos. */
function addThread(code: Int32Array, list: Int32Array, n: number, pc0: number, buf: Uint8Array, pos: number, dataStart: number, dataEnd: number): number {
  let sp = 0;
  stack[sp++] = pc0;
  const g = genId;
  while (sp > 0) {
    const pc = stack[--sp];
    if (mark[pc] === g) {
      // Perl/YARA rule for empty iterations: coming back to a loop head at the same position means
      // the iteration matched nothing; the loop then exits (instead of the thread dying).
      const o = pc * 3;
      if (code[o] === OP_LOOP) stack[sp++] = code[o + 1] === pc + 1 ? code[o + 2] : code[o + 1];
      continue;
    }
    mark[pc] = g;
    callSteps++;
    const o = pc * 3;
    switch (code[o]) {
      case OP_JMP: stack[sp++] = code[o + 1]; break;
      case OP_SPLIT: case OP_LOOP: stack[sp++] = code[o + 2]; stack[sp++] = code[o + 1]; break;
      case OP_BOL: if (pos === dataStart) stack[sp++] = pc + 1; break;
      case OP_EOL: if (pos === dataEnd) stack[sp++] = pc + 1; break;
      case OP_WORDB: case OP_NWORDB: {
        // yara 4.2: at either edge of the data \b always holds and \B never does (measured:
        // /\b / and / \b/ both match " "); inside, word chars are [A-Za-z0-9_]; in wide strings a
        // character is 2 bytes and is a word char only if its second byte is 00.
        let boundary: boolean;
        if (code[o + 1] === 0) boundary = pos === dataStart || pos === dataEnd || WORDCH[buf[pos - 1]] !== WORDCH[buf[pos]];
        else boundary = pos - 2 < dataStart || pos + 2 > dataEnd
          || (WORDCH[buf[pos - 2]] === 1 && buf[pos - 1] === 0) !== (WORDCH[buf[pos]] === 1 && buf[pos + 1] === 0);
        if (boundary === (code[o] === OP_WORDB)) stack[sp++] = pc + 1;
        break;
      }
      default: list[n++] = pc;
    }
  }
  return n;
}

/** Runs the program anchored at `start`; returns the leftmost-first match length or -1. */
function runProgram(p: CompiledPattern, buf: Uint8Array, start: number, dataStart: number, dataEnd: number): number {
  const code = p.code; const tables = p.tables;
  const maxLen = p.header[H_MAXLEN];
  const limit = maxLen >= 0 && start + maxLen < dataEnd ? start + maxLen : dataEnd;
  ensure(p.header[H_NINSTR]);
  let cl = clist, nl = nlist;
  nextGen();
  let cn = addThread(code, cl, 0, 0, buf, start, dataStart, dataEnd);
  let matched = -1;
  for (let pos = start; cn > 0; pos++) {
    if (callSteps > budgetLeft) { aborted = true; return -1; }
    nextGen();
    let nn = 0;
    const c = pos < limit ? buf[pos] : -1;
    callSteps += cn;
    for (let i = 0; i < cn; i++) {
      const pc = cl[i];
      const o = pc * 3;
      const op = code[o];
      if (op === OP_MATCH) { matched = pos - start; break; } // cut lower-priority threads
      if (c < 0) continue;
      let ok = false;
      if (op === OP_BYTE) ok = code[o + 1] === c;
      else if (op === OP_CLASS) ok = tables[code[o + 1] + c] === 1;
      else if (op === OP_ANY) ok = true;
      if (ok) nn = addThread(code, nl, nn, pc + 1, buf, pos + 1, dataStart, dataEnd);
    }
    if (c < 0) break;
    const t = cl; cl = nl; nl = t; cn = nn;
  }
  return matched;
}

// ---- Lazy DFA (per worker, per compiled pattern) ----
// For programs without assertions the Pike VM's thread lists depend only on the bytes read, so
// each distinct priority-ordered list (cut after MATCH) becomes a DFA state, built on first use.
// A step is then one table load instead of one visit per thread; results are identical (a
// test runs both engines on generated cases). Cost it avoids: O(threads) work per byte.

/** Max DFA states per pattern; beyond it the pattern falls back to the Pike VM (memory <= 1 MB). */
export const DFA_MAX_STATES = 1024;
let dfaMaxStates = DFA_MAX_STATES;
/** Overrides the DFA state limit (tests). Returns the previous value. */
export function setDfaMaxStates(n: number): number { const o = dfaMaxStates; dfaMaxStates = Math.max(1, n); return o; }
/** Lists of the lazy DFA, for tests/benches: states built and patterns that fell back. */
export const dfaStats = { states: 0, fallbacks: 0 };
let dfaEnabled = true;
/** Turns the lazy DFA on/off (the Pike VM alone gives the same results; for tests and benches). */
export function setDfaEnabled(on: boolean): void { dfaEnabled = on; }

interface Dfa {
  lists: Int32Array[]; isMatch: Uint8Array; trans: Int32Array; keys: Map<string, number>;
  n: number; start: number; failed: boolean;
}
const dfas = new WeakMap<CompiledPattern, Dfa>();
const DFA_UNKNOWN = -2, DFA_DEAD = -1, DFA_FULL = -3;

function dfaIntern(d: Dfa, code: Int32Array, list: Int32Array, len: number): number {
  // cut after the first MATCH: lower-priority threads can never win
  for (let i = 0; i < len; i++) if (code[list[i] * 3] === OP_MATCH) { len = i + 1; break; }
  if (len === 0) return DFA_DEAD;
  let key = '';
  for (let i = 0; i < len; i++) key += list[i] + ',';
  const id = d.keys.get(key);
  if (id !== undefined) return id;
  if (d.n >= dfaMaxStates) { d.failed = true; dfaStats.fallbacks++; return DFA_FULL; }
  const n = d.n++;
  dfaStats.states++;
  if ((n + 1) * 256 > d.trans.length) {
    const t = new Int32Array(d.trans.length * 2).fill(DFA_UNKNOWN); t.set(d.trans); d.trans = t;
    const m = new Uint8Array(d.isMatch.length * 2); m.set(d.isMatch); d.isMatch = m;
  }
  d.lists.push(list.slice(0, len));
  d.isMatch[n] = code[list[len - 1] * 3] === OP_MATCH ? 1 : 0;
  d.keys.set(key, n);
  return n;
}

function dfaFor(p: CompiledPattern): Dfa | null {
  let d = dfas.get(p);
  if (d === undefined) {
    d = { lists: [], isMatch: new Uint8Array(8), trans: new Int32Array(8 * 256).fill(DFA_UNKNOWN), keys: new Map(), n: 0, start: DFA_DEAD, failed: false };
    ensure(p.header[H_NINSTR]);
    nextGen();
    const len = addThread(p.code, clist, 0, 0, EMPTY, 0, 0, 0);
    d.start = dfaIntern(d, p.code, clist, len);
    dfas.set(p, d);
  }
  return d.failed ? null : d;
}
const EMPTY = new Uint8Array(0);

function dfaStep(p: CompiledPattern, d: Dfa, st: number, c: number): number {
  const code = p.code, tables = p.tables;
  const list = d.lists[st];
  ensure(p.header[H_NINSTR]);
  nextGen();
  let nn = 0;
  for (let i = 0; i < list.length; i++) {
    const pc = list[i]; const o = pc * 3; const op = code[o];
    if (op === OP_MATCH) break;
    const ok = op === OP_ANY || (op === OP_BYTE ? code[o + 1] === c : op === OP_CLASS && tables[code[o + 1] + c] === 1);
    if (ok) nn = addThread(code, nlist, nn, pc + 1, EMPTY, 0, 0, 0);
  }
  callSteps += list.length;
  const nx = dfaIntern(d, code, nlist, nn);
  if (nx !== DFA_FULL) d.trans[st * 256 + c] = nx;
  return nx;
}

/** Same contract as runProgram; returns -3 (DFA_FULL) if the DFA overflowed (caller falls back). */
function runDfa(p: CompiledPattern, d: Dfa, buf: Uint8Array, start: number, dataEnd: number): number {
  const maxLen = p.header[H_MAXLEN];
  const limit = maxLen >= 0 && start + maxLen < dataEnd ? start + maxLen : dataEnd;
  let st = d.start;
  if (st === DFA_DEAD) return -1;
  let matched = d.isMatch[st] === 1 ? 0 : -1;
  for (let pos = start; pos < limit; pos++) {
    if (++callSteps > budgetLeft) { aborted = true; return -1; }
    const c = buf[pos];
    let nx = d.trans[st * 256 + c];
    if (nx === DFA_UNKNOWN) { nx = dfaStep(p, d, st, c); if (nx === DFA_FULL) return DFA_FULL; }
    if (nx === DFA_DEAD) break;
    st = nx;
    if (d.isMatch[st] === 1) matched = pos + 1 - start;
  }
  return matched;
}

/** Dispatch: lazy DFA when the program has no assertions, else (or on DFA overflow) the Pike VM. */
function run(p: CompiledPattern, buf: Uint8Array, start: number, dataStart: number, dataEnd: number): number {
  if (dfaEnabled && p.header[H_ASSERTS] === 0) {
    const d = dfaFor(p);
    if (d) {
      const r = runDfa(p, d, buf, start, dataEnd);
      if (r !== DFA_FULL) return r;
    }
  }
  return runProgram(p, buf, start, dataStart, dataEnd);
}

function literalAt(p: CompiledPattern, buf: Uint8Array, start: number, end: number): number {
  const lit = p.lit; const n = lit.length;
  if (start + n > end) return -1;
  if (p.header[H_NOCASE]) { for (let i = 0; i < n; i++) if (LOWER[buf[start + i]] !== lit[i]) return -1; }
  else { for (let i = 0; i < n; i++) if (buf[start + i] !== lit[i]) return -1; }
  return n;
}

function beginCall(bytes: number): void {
  callSteps = 0; aborted = false;
  budgetLeft = patternStats.budget + patternStats.budgetPerByte * Math.max(0, bytes);
  patternStats.lastBudget = budgetLeft;
}
function endCall(): void {
  patternStats.steps += callSteps; patternStats.lastSteps = callSteps;
  if (aborted) patternStats.budgetExceeded++;
}

/**
 * Length of the match YARA would report for a match starting exactly at `start`, or -1.
 * The data is buf[dataStart, end): `^` holds at dataStart, `$` at end, `\b` looks at buf[start-1]
 * only if start > dataStart. Regex matches are capped at RE_SCAN_LIMIT bytes. Time is bounded by
 * the work budget (patternStats.budget): when exceeded, returns -1 and counts patternStats.budgetExceeded.
 */
export function matchAt(p: CompiledPattern, buf: Uint8Array, start: number, end: number, dataStart = 0): number {
  if (p.header[H_KIND] === KIND_LITERAL) return literalAt(p, buf, start, end);
  const maxLen = p.header[H_MAXLEN];
  beginCall(maxLen >= 0 ? Math.min(maxLen, end - start) : end - start);
  const r = run(p, buf, start, dataStart, end);
  endCall();
  return r;
}

/**
 * All YARA-visible matches in the data buf[start, end): onMatch(offset, length) in increasing
 * offset order, one per start offset where the pattern matches (overlapping matches included),
 * zero-length matches are not reported (YARA does not report them). When the work budget is
 * exceeded, the scan stops (later matches are not reported) and patternStats.budgetExceeded counts it.
 */
export function findAll(p: CompiledPattern, buf: Uint8Array, start: number, end: number, onMatch: (off: number, len: number) => void): void {
  findAllStarts(p, buf, start, end, start, end, onMatch);
}

/**
 * Like findAll over the data buf[dataStart, dataEnd), but only for match starts in [startLo, startHi):
 * the verification step after a prefilter hit (atom end e, atom length L, backtrack B: startLo =
 * e - L - B, startHi = e - L + 1). One budgeted call (budget grows with startHi - startLo).
 */
export function findAllStarts(p: CompiledPattern, buf: Uint8Array, dataStart: number, dataEnd: number,
  startLo: number, startHi: number, onMatch: (off: number, len: number) => void): void {
  const lo = Math.max(startLo, dataStart), hi = Math.min(startHi, dataEnd);
  if (p.header[H_KIND] === KIND_LITERAL) { findLiteral(p, buf, lo, Math.min(dataEnd, hi + p.lit.length - 1), onMatch); return; }
  const first = p.first;
  beginCall(hi - lo);
  // resolve the DFA once per call (a WeakMap lookup per start offset costs more than a DFA run)
  let d = dfaEnabled && p.header[H_ASSERTS] === 0 ? dfaFor(p) : null;
  for (let s = lo; s < hi; s++) {
    if (first[buf[s]] === 0) continue; // cheap skip: no match can start with this byte
    let len = -1;
    if (d !== null) {
      len = runDfa(p, d, buf, s, dataEnd);
      if (len === DFA_FULL) { d = null; len = runProgram(p, buf, s, dataStart, dataEnd); }
    } else len = runProgram(p, buf, s, dataStart, dataEnd);
    if (aborted) break;
    if (len > 0) onMatch(s, len);
  }
  endCall();
}

function findLiteral(p: CompiledPattern, buf: Uint8Array, start: number, end: number, onMatch: (off: number, len: number) => void): void {
  const lit = p.lit; const n = lit.length;
  if (n === 0) return;
  const last = end - n;
  if (!p.header[H_NOCASE]) {
    // Buffer#indexOf is native (memchr/Boyer-Moore-Horspool); one view object per call.
    const view = Buffer.from(buf.buffer, buf.byteOffset + start, end - start);
    const needle = Buffer.from(lit.buffer, lit.byteOffset, n);
    let i = view.indexOf(needle, 0);
    while (i >= 0) { onMatch(start + i, n); i = view.indexOf(needle, i + 1); }
    return;
  }
  const f = p.first;
  for (let s = start; s <= last; s++) {
    if (f[buf[s]] === 0) continue;
    let i = 1;
    while (i < n && LOWER[buf[s + i]] === lit[i]) i++;
    if (i === n) onMatch(s, n);
  }
}

/**
 * YARA's `fullword` check for a match at buf[off, off+len) within the data [dataStart, dataEnd):
 * the byte before and after must not be alphanumeric (isalnum: [A-Za-z0-9]; `_` does not count).
 * For wide strings the neighbour is the character of a UTF-16LE pair (byte then 00).
 */
export function fullwordOk(buf: Uint8Array, dataStart: number, dataEnd: number, off: number, len: number, wide: boolean): boolean {
  const alnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  if (wide) {
    if (off - 2 >= dataStart && buf[off - 1] === 0 && alnum(buf[off - 2])) return false;
    if (off + len + 1 < dataEnd && buf[off + len + 1] === 0 && alnum(buf[off + len])) return false;
    return true;
  }
  if (off - 1 >= dataStart && alnum(buf[off - 1])) return false;
  if (off + len < dataEnd && alnum(buf[off + len])) return false;
  return true;
}

let varA = new Int32Array(64);
let varW = new Int32Array(64);

/**
 * Matches of one YARA string with its `ascii`/`wide` forms and `fullword`, merged as YARA 4.2 does:
 * at each offset the ascii form is tried first and the wide form only if the ascii form does not
 * match there at all; fullword is checked afterwards on the chosen form (so an ascii match that fails
 * fullword hides a wide match at the same offset, as in yara). Pass null for an absent form.
 * onMatch(offset, length) in increasing offset order. Optional [startLo, startHi) restricts match
 * starts (prefilter verification), the data stays buf[start, end).
 */
export function findAllString(ascii: CompiledPattern | null, wide: CompiledPattern | null, fullword: boolean,
  buf: Uint8Array, start: number, end: number, onMatch: (off: number, len: number) => void,
  startLo = start, startHi = end): void {
  let na = 0, nw = 0;
  if (ascii) findAllStarts(ascii, buf, start, end, startLo, startHi, (o, l) => {
    if (na + 2 > varA.length) { const t = new Int32Array(varA.length * 2); t.set(varA); varA = t; }
    varA[na++] = o; varA[na++] = l;
  });
  if (wide) findAllStarts(wide, buf, start, end, startLo, startHi, (o, l) => {
    if (nw + 2 > varW.length) { const t = new Int32Array(varW.length * 2); t.set(varW); varW = t; }
    varW[nw++] = o; varW[nw++] = l;
  });
  let i = 0, j = 0;
  // Text strings (literal kind): yara applies fullword to each form before falling back to the wide
  // form; regexes: the ascii form wins if it matches, fullword is checked after.
  const perForm = ascii !== null && ascii.header[H_KIND] === KIND_LITERAL;
  while (i < na || j < nw) {
    const oa = i < na ? varA[i] : 0x7fffffff, ow = j < nw ? varW[j] : 0x7fffffff;
    if (oa <= ow) {
      if (!fullword || fullwordOk(buf, start, end, oa, varA[i + 1], false)) onMatch(oa, varA[i + 1]);
      else if (perForm && ow === oa && fullwordOk(buf, start, end, ow, varW[j + 1], true)) onMatch(ow, varW[j + 1]);
      i += 2; if (ow === oa) j += 2;
    } else {
      if (!fullword || fullwordOk(buf, start, end, ow, varW[j + 1], true)) onMatch(ow, varW[j + 1]);
      j += 2;
    }
  }
}
