/**
 * The project's one Aho-Corasick implementation: a multi-pattern literal matcher compiled to a
 * full DFA over byte classes, in typed arrays (serialisable, structured-clone/transfer friendly,
 * shareable with workers). Users: the per-buffer prefilter of the compiled ruleset (compiler.ts
 * builds it, runtime.ts Matcher.scanBufferAt runs its own inlined copy of the loop below), and
 * the pattern engine's tests/benches (acScan/acAny). It replaced signatures/patterns/multi.ts
 * (MultiMatcher); docs/patterns.md says why this one was kept.
 *
 * Two case modes:
 * - default (the prefilter): every atom is matched ASCII-case-insensitively: A-Z and a-z share
 *   a class, so one automaton serves case-sensitive and nocase strings; the caller verifies the
 *   exact bytes of each hit.
 * - `{ exact: true }`: an atom matches its exact bytes unless it has `nocase: true`. Classes are
 *   refined so that a case pair shares a class unless a case-sensitive atom separates the two
 *   letters; a nocase letter whose pair is split is inserted along both classes (the trie
 *   branches: at most 2^letters paths per atom, bounded by the limits below).
 *
 * Layout (why): byte classes = bytes that no atom position distinguishes share a column
 * (alphabet compression: states x classes instead of x 256, so the table fits in cache better).
 * States that emit atoms are renumbered to the top of the id range, and ids are stored
 * premultiplied by the class count, so the hot loop is one class load, one table load and ONE
 * compare per byte (`s >= acceptFrom`); this avoids a per-byte lookup in an output-flag array
 * and a multiply. Outputs (atom ids merged along failure links, each id once per state) are in
 * CSR form (outStart/outIds); for one end offset, longer atoms come first.
 *
 * Ownership: buildAc copies nothing from the atoms' bytes after it returns; the returned tables
 * are immutable and may be shared or transferred. Buffers passed to acScan/acAny are only read
 * during the call.
 */
export interface AcAtom {
  bytes: Uint8Array;
  id: number;
  /** Only read with `{ exact: true }`: match ASCII letters of this atom in either case. */
  nocase?: boolean;
}

export interface AcTables {
  classOf: Uint8Array;      // 256 entries: byte -> class
  nClasses: number;
  trans: Int32Array;        // state*nClasses + class -> next state (premultiplied)
  acceptFrom: number;       // premultiplied state id from which states have outputs
  outStart: Int32Array;     // per accepting state index (state/nClasses - firstAccept): CSR into outIds
  outIds: Int32Array;       // atom ids
  firstAccept: number;      // first accepting state number (not premultiplied)
}

export interface AcBuildOptions {
  /** Case-sensitive atoms unless `atom.nocase` (default false: every atom folded). */
  exact?: boolean;
  /** Refuse automata with more than this many table entries (states x classes); default AC_MAX_TABLE_ENTRIES. */
  maxTableEntries?: number;
}

/** Maximum DFA states; building more is refused (named limit, counted in acStats.limitRefused). */
export const AC_MAX_STATES = 2_000_000;
/**
 * Default maximum table entries (states x classes, 4 bytes each). 2^29 is above what
 * AC_MAX_STATES x 256 classes can reach, so by default only the state limit bites (the
 * prefilter's limit as it always was); callers that want a memory guard pass a lower
 * `maxTableEntries` (the old MultiMatcher refused more than 64 Mi entries).
 */
export const AC_MAX_TABLE_ENTRIES = 1 << 29;

/** Counters (process-wide): builds refused by AC_MAX_STATES / maxTableEntries. */
export const acStats = { builds: 0, limitRefused: 0 };

/** A build refused by a size limit. `code` is stable. */
export class AcLimitError extends RangeError {
  readonly code = 'QUELL_E_AC_LIMIT';
  constructor(message: string) { super(message); this.name = 'AcLimitError'; }
}

function isLetter(b: number): boolean { return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a); }

export function buildAc(atoms: AcAtom[], opts: AcBuildOptions = {}): AcTables {
  const exact = opts.exact === true;
  const maxEntries = opts.maxTableEntries ?? AC_MAX_TABLE_ENTRIES;
  acStats.builds++;

  // 1. byte classes by partition refinement, in order of first appearance: each atom position
  //    accepts a set of 1 byte (exact) or a case pair (folded); every class ends up inside or
  //    outside each such set. Folded builds number classes exactly as the former prefilter
  //    builder did (first appearance of each folded byte), so its tables are byte-identical.
  const classOf = new Uint8Array(256);
  const classSize = new Int32Array(257);
  classSize[0] = 256;
  let nClasses = 1;
  // Split class k when it has bytes outside the set. Folded builds also always leave class 0
  // (at most 1 + 230 classes, the old numbering); exact builds never empty a class, so at most
  // 256 non-empty classes and ids fit in a byte.
  const refine = (b: number, pair: number): void => {
    const k = classOf[b];
    if (pair < 0 || classOf[pair] !== k) {
      // b alone in its class (a pair split across two classes: each byte on its own)
      if (classSize[k] > 1 || (k === 0 && !exact)) { classOf[b] = nClasses; classSize[k]--; classSize[nClasses++] = 1; }
      if (pair >= 0) refine(pair, -1);
    } else if (classSize[k] > 2 || (k === 0 && !exact)) {
      classOf[b] = classOf[pair] = nClasses; classSize[k] -= 2; classSize[nClasses++] = 2;
    }
  };
  // Shared ids need deduplicated outputs. The compiler numbers atoms 0..n-1 in order: checking
  // that ids increase avoids building a Set per build (the common case costs one compare per atom).
  const hasIdDup = ((): boolean => {
    let prev = -Infinity, increasing = true;
    for (const a of atoms) { if (a.id <= prev) { increasing = false; break; } prev = a.id; }
    if (increasing) return false;
    const seen = new Set<number>();
    for (const a of atoms) { if (seen.has(a.id)) return true; seen.add(a.id); }
    return false;
  })();
  for (const a of atoms) {
    const bytes = a.bytes, fold = !exact || a.nocase === true;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (fold && isLetter(b)) {
        const lo = b | 0x20;
        // fast path: a pair already in its own class (the common case when folding everything)
        if (classOf[lo] === 0 || classOf[lo] !== classOf[lo & ~0x20] || classSize[classOf[lo]] !== 2) refine(lo, lo & ~0x20);
      } else if (classOf[b] === 0 || classSize[classOf[b]] !== 1) refine(b, -1);
    }
  }
  if (nClasses > 256) throw new Error('unreachable: more than 256 byte classes');

  // 2. trie over class sequences. An atom position's classes: 1, or 2 for a nocase letter
  //    whose case pair a case-sensitive atom split (exact mode only).
  const maxStates = Math.min(AC_MAX_STATES, Math.floor(maxEntries / nClasses));
  const refuse = (): never => {
    acStats.limitRefused++;
    throw new AcLimitError(`Aho-Corasick automaton exceeds ${maxStates} states x ${nClasses} classes (AC_MAX_STATES ${AC_MAX_STATES}, max table entries ${maxEntries})`);
  };
  let cap = Math.min(1024, Math.max(1, maxStates));
  let goto = new Int32Array(cap * nClasses).fill(-1);
  let nStates = 1;
  const outs: (number[] | null)[] = [null];
  // returns the state reached from s on class c, creating it if needed
  const step = (s: number, c: number): number => {
    let nx = goto[s * nClasses + c];
    if (nx < 0) {
      if (nStates >= cap) {
        if (nStates >= maxStates) refuse();
        cap = Math.min(cap * 2, maxStates);
        const g = new Int32Array(cap * nClasses).fill(-1);
        g.set(goto);
        goto = g;
      }
      nx = nStates++;
      outs.push(null);
      goto[s * nClasses + c] = nx;
    }
    return nx;
  };
  let front: number[] = [], next: number[] = [];
  for (const a of atoms) {
    const bytes = a.bytes;
    if (bytes.length === 0) continue; // it would hit at every offset
    const fold = exact && a.nocase === true;
    let s = 0;
    let i = 0;
    // linear path while each position has one class (always, unless exact mode split a pair);
    // step() inlined here: this loop runs once per atom byte of every build
    for (; i < bytes.length; i++) {
      const b = bytes[i];
      if (fold && isLetter(b) && classOf[b | 0x20] !== classOf[b & ~0x20]) break;
      const at = s * nClasses + classOf[b];
      const nx = goto[at];
      s = nx >= 0 ? nx : step(s, classOf[b]);
    }
    if (i === bytes.length) {
      const o = outs[s];
      if (!o) outs[s] = [a.id]; else if (!hasIdDup || !o.includes(a.id)) o.push(a.id);
      continue;
    }
    front.length = 0; front.push(s);
    for (; i < bytes.length; i++) {
      const b = bytes[i];
      const c1 = classOf[b], c2 = fold && isLetter(b) ? classOf[b ^ 0x20] : c1;
      next.length = 0;
      for (const st of front) { next.push(step(st, c1)); if (c2 !== c1) next.push(step(st, c2)); }
      const t = front; front = next; next = t;
    }
    for (const st of front) {
      const o = outs[st];
      if (!o) outs[st] = [a.id]; else if (!o.includes(a.id)) o.push(a.id);
    }
  }

  // The builder's closures capture goto/nStates/nClasses (context slots, slower to read than
  // locals): the loops below read them through plain locals.
  const go = goto, N = nStates, C = nClasses;
  // 3. BFS: failure links folded into a full DFA; outputs merged along failure links
  const fail = new Int32Array(N);
  const order: number[] = [0];
  for (let c = 0; c < C; c++) {
    const nx = go[c];
    if (nx < 0) go[c] = 0; else { fail[nx] = 0; order.push(nx); }
  }
  for (let qi = 1; qi < order.length; qi++) {
    const s = order[qi];
    const f = fail[s];
    const of = outs[f];
    if (of) {
      const o = outs[s];
      if (!o) outs[s] = of; // shared, read-only from here on
      else if (!hasIdDup) outs[s] = o.concat(of);
      else { const m = o.slice(); for (const id of of) if (!m.includes(id)) m.push(id); outs[s] = m; }
    }
    for (let c = 0; c < C; c++) {
      const nx = go[s * C + c];
      if (nx < 0) go[s * C + c] = go[f * C + c];
      else { fail[nx] = go[f * C + c]; order.push(nx); }
    }
  }
  // 4. renumber: non-accepting first, accepting last
  const newId = new Int32Array(N);
  let k = 0;
  for (let s = 0; s < N; s++) if (!outs[s]) newId[s] = k++;
  const firstAccept = k;
  for (let s = 0; s < N; s++) if (outs[s]) newId[s] = k++;
  const trans = new Int32Array(N * C);
  for (let s = 0; s < N; s++) {
    const base = newId[s] * C;
    for (let c = 0; c < C; c++) trans[base + c] = newId[go[s * C + c]] * C;
  }
  const nAcc = N - firstAccept;
  const outStart = new Int32Array(nAcc + 1);
  const byNew: number[][] = new Array(nAcc);
  for (let s = 0; s < N; s++) if (outs[s]) byNew[newId[s] - firstAccept] = outs[s]!;
  let total = 0;
  for (let i = 0; i < nAcc; i++) { outStart[i] = total; total += byNew[i].length; }
  outStart[nAcc] = total;
  const outIds = new Int32Array(total);
  for (let i = 0, p = 0; i < nAcc; i++) for (const id of byNew[i]) outIds[p++] = id;
  // the start state must stay 0 (it is non-accepting: empty atoms are skipped)
  if (newId[0] !== 0) throw new Error('start state renumbered');
  return { classOf, nClasses: C, trans, acceptFrom: firstAccept * C, outStart, outIds, firstAccept };
}

/** Size figures for stats/docs. */
export function acSize(t: AcTables): { states: number; classes: number; tableBytes: number } {
  return { states: t.trans.length / t.nClasses, classes: t.nClasses, tableBytes: t.trans.byteLength };
}

/**
 * onHit(id, endOffsetExclusive) for every atom occurrence in buf[start, end) (overlapping, in
 * increasing end order; for one end, longer atoms first). The Matcher's prefilter does not call
 * this: it inlines the same loop with its verification (a callback per hit costs a call).
 */
export function acScan(t: AcTables, buf: Uint8Array, start: number, end: number, onHit: (id: number, end: number) => void): void {
  const trans = t.trans, cls = t.classOf, acc = t.acceptFrom;
  let s = 0;
  for (let i = start; i < end; i++) {
    s = trans[s + cls[buf[i]]];
    if (s >= acc) emit(t, s, i + 1, onHit); // rare: kept out of the loop body
  }
}

function emit(t: AcTables, s: number, endOff: number, onHit: (id: number, end: number) => void): void {
  const k = (s / t.nClasses) - t.firstAccept;
  const ids = t.outIds, os = t.outStart;
  for (let j = os[k], e = os[k + 1]; j < e; j++) onHit(ids[j], endOff);
}

/** True as soon as any atom occurs in buf[start, end). */
export function acAny(t: AcTables, buf: Uint8Array, start: number, end: number): boolean {
  const trans = t.trans, cls = t.classOf, acc = t.acceptFrom;
  let s = 0;
  for (let i = start; i < end; i++) {
    s = trans[s + cls[buf[i]]];
    if (s >= acc) return true;
  }
  return false;
}
