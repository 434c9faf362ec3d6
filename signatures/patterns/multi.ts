/**
 * Multi-pattern literal matcher for the prefilter: Aho-Corasick compiled to a dense DFA over
 * byte classes, in typed arrays.
 *
 * Layout (why): the scan loop is `s = table[s + classMap[byte]]; if (s >= outBase) hit`, i.e. two
 * dependent loads per byte and no branch except on hits.
 *  - Byte classes: bytes that no atom distinguishes share a column (alphabet compression), so the
 *    table is nStates x nClasses instead of x 256 (10k English atoms: ~60-90 classes, 3-4x smaller,
 *    better cache use). nocase atoms are folded at build time: their letters' case pairs either share
 *    a class, or (if a case-sensitive atom separates them) the atom is inserted once per case combination.
 *  - Entries are premultiplied row offsets (state * nClasses): no multiply in the loop.
 *  - States with outputs are numbered last, so "has output" is one compare (s >= outBase) and
 *    costs no extra memory load.
 * Outputs (atom ids, merged along failure links, deduplicated) are in CSR form (outStart/outIds).
 */

export interface MultiAtom { bytes: Uint8Array; nocase: boolean; id: number }

/** Serialized form: typed arrays plus a header; structured-clone/transfer friendly. */
export interface SerializedMultiMatcher {
  /** [nClasses, nStates, outBase (premultiplied), firstOutState] */
  header: Int32Array;
  classMap: Uint8Array;
  table: Int32Array;
  outStart: Int32Array;
  outIds: Int32Array;
}

/** Upper bound of DFA states accepted by build() (memory guard: states * classes * 4 bytes). */
export const MULTI_MAX_TABLE_ENTRIES = 64 * 1024 * 1024;

function isLetter(b: number): boolean { return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a); }

export class MultiMatcher {
  private constructor(
    private readonly nClasses: number,
    private readonly nStates: number,
    private readonly outBase: number,
    private readonly firstOut: number,
    private readonly classMap: Uint8Array,
    private readonly table: Int32Array,
    private readonly outStart: Int32Array,
    private readonly outIds: Int32Array,
  ) {}

  /** Number of DFA states and byte classes (for stats/docs). */
  get stats(): { states: number; classes: number; tableBytes: number } {
    return { states: this.nStates, classes: this.nClasses, tableBytes: this.table.byteLength };
  }

  /** Builds the automaton. Empty atoms are ignored (they would hit at every byte). */
  static build(atoms: { bytes: Uint8Array; nocase: boolean; id: number }[]): MultiMatcher {
    // 1. byte classes: bytes with the same membership signature over all atom positions share a class.
    const setIds = new Map<number, number>(); // key = lo | hi<<8 (a position's accepted byte set, 1 or 2 bytes)
    const sig: number[][] = Array.from({ length: 256 }, () => []);
    const posKey = (b: number, nocase: boolean): number => {
      if (nocase && isLetter(b)) { const l = b | 0x20; return (l - 32) | (l << 8); }
      return b | (b << 8);
    };
    for (const a of atoms) {
      for (let i = 0; i < a.bytes.length; i++) {
        const k = posKey(a.bytes[i], a.nocase);
        if (!setIds.has(k)) {
          const id = setIds.size; setIds.set(k, id);
          const lo = k & 0xff, hi = k >> 8;
          sig[lo].push(id); if (hi !== lo) sig[hi].push(id);
        }
      }
    }
    const classMap = new Uint8Array(256);
    const sigClass = new Map<string, number>();
    sigClass.set('', 0);
    for (let b = 0; b < 256; b++) {
      const key = sig[b].join(',');
      let c = sigClass.get(key);
      if (c === undefined) { c = sigClass.size; sigClass.set(key, c); }
      classMap[b] = c;
    }
    const C = sigClass.size;

    // 2. trie over class sequences (nocase letters whose case pair is split into 2 classes expand).
    const seqs: { cls: number[]; id: number }[] = [];
    for (const a of atoms) {
      if (a.bytes.length === 0) continue;
      let combos: number[][] = [[]];
      for (let i = 0; i < a.bytes.length; i++) {
        const b = a.bytes[i];
        const opts = a.nocase && isLetter(b) ? [...new Set([classMap[b & ~0x20], classMap[b | 0x20]])] : [classMap[b]];
        if (opts.length === 1) for (const c of combos) c.push(opts[0]);
        else combos = combos.flatMap((c) => opts.map((o) => [...c, o]));
      }
      for (const c of combos) seqs.push({ cls: c, id: a.id });
    }
    let maxStates = 1;
    for (const s of seqs) maxStates += s.cls.length;
    if (maxStates * C > MULTI_MAX_TABLE_ENTRIES) throw new RangeError(`MultiMatcher: ${maxStates} states x ${C} classes exceeds MULTI_MAX_TABLE_ENTRIES`);
    const go = new Int32Array(maxStates * C).fill(-1);
    const own: (number[] | undefined)[] = [];
    let nStates = 1;
    for (const s of seqs) {
      let st = 0;
      for (const c of s.cls) {
        let nx = go[st * C + c];
        if (nx < 0) { nx = nStates++; go[st * C + c] = nx; }
        st = nx;
      }
      (own[st] ??= []).push(s.id);
    }

    // 3. BFS: failure links, complete transitions (in place), merged outputs.
    const fail = new Int32Array(nStates);
    const order = new Int32Array(nStates);
    const outs: (number[] | undefined)[] = new Array(nStates);
    let qh = 0, qt = 0;
    order[qt++] = 0;
    for (let c = 0; c < C; c++) {
      const t = go[c];
      if (t < 0) go[c] = 0; else { fail[t] = 0; order[qt++] = t; }
    }
    while (qh < qt) {
      const s = order[qh++];
      if (s !== 0) {
        const f = fail[s];
        const o = own[s]; const fo = outs[f];
        if (o && fo) {
          const merged = [...new Set(o)];
          for (const id of fo) if (!merged.includes(id)) merged.push(id);
          outs[s] = merged;
        } else if (o) outs[s] = o.length > 1 ? [...new Set(o)] : o;
        else if (fo) outs[s] = fo; // shared, read-only

        const row = s * C, frow = f * C;
        for (let c = 0; c < C; c++) {
          const t = go[row + c];
          if (t < 0) go[row + c] = go[frow + c];
          else { fail[t] = go[frow + c]; order[qt++] = t; }
        }
      }
    }

    // 4. renumber: states without outputs first (root stays 0), then states with outputs.
    const newId = new Int32Array(nStates);
    let k = 0;
    for (let i = 0; i < nStates; i++) { const s = order[i]; if (!outs[s]) newId[s] = k++; }
    const firstOut = k;
    for (let i = 0; i < nStates; i++) { const s = order[i]; if (outs[s]) newId[s] = k++; }
    const table = new Int32Array(nStates * C);
    for (let s = 0; s < nStates; s++) {
      const row = s * C, nrow = newId[s] * C;
      for (let c = 0; c < C; c++) table[nrow + c] = newId[go[row + c]] * C;
    }
    const nOut = nStates - firstOut;
    const outStart = new Int32Array(nOut + 1);
    const byNew: number[][] = new Array(nOut);
    for (let s = 0; s < nStates; s++) if (outs[s]) byNew[newId[s] - firstOut] = outs[s]!;
    let total = 0;
    for (let i = 0; i < nOut; i++) { outStart[i] = total; total += byNew[i].length; }
    outStart[nOut] = total;
    const outIds = new Int32Array(total);
    for (let i = 0; i < nOut; i++) outIds.set(byNew[i], outStart[i]);
    return new MultiMatcher(C, nStates, firstOut * C, firstOut, classMap, table, outStart, outIds);
  }

  static fromSerialized(s: SerializedMultiMatcher): MultiMatcher {
    const [C, nStates, outBase, firstOut] = s.header;
    return new MultiMatcher(C, nStates, outBase, firstOut, s.classMap, s.table, s.outStart, s.outIds);
  }

  /** The arrays are shared with this matcher (not copied): treat them as immutable. */
  serialize(): SerializedMultiMatcher {
    return {
      header: Int32Array.of(this.nClasses, this.nStates, this.outBase, this.firstOut),
      classMap: this.classMap, table: this.table, outStart: this.outStart, outIds: this.outIds,
    };
  }

  /**
   * onHit(id, endOffsetExclusive) for every atom occurrence in buf[start, end) (overlapping, in
   * increasing end order; for one end, longer atoms first). buf is read only during the call.
   */
  scan(buf: Uint8Array, start: number, end: number, onHit: (id: number, end: number) => void): void {
    const table = this.table, cm = this.classMap, outBase = this.outBase;
    let s = 0;
    for (let i = start; i < end; i++) {
      s = table[s + cm[buf[i]]];
      if (s >= outBase) this.emit(s, i + 1, onHit); // rare: kept out of the loop body
    }
  }

  /** Returns true as soon as any atom occurs in buf[start, end) (no callback). */
  any(buf: Uint8Array, start: number, end: number): boolean {
    const table = this.table, cm = this.classMap, outBase = this.outBase;
    let s = 0;
    for (let i = start; i < end; i++) {
      s = table[s + cm[buf[i]]];
      if (s >= outBase) return true;
    }
    return false;
  }

  private emit(s: number, endOff: number, onHit: (id: number, end: number) => void): void {
    const k = ((s / this.nClasses) | 0) - this.firstOut;
    const ids = this.outIds;
    for (let j = this.outStart[k], e = this.outStart[k + 1]; j < e; j++) onHit(ids[j], endOff);
  }
}
