/**
 * Literal prefilter: an Aho-Corasick automaton compiled to a full DFA over byte classes, in
 * typed arrays (serialisable, shareable with workers).
 *
 * - Input bytes are case-folded through the class table (A-Z and a-z share a class), so one
 *   automaton serves case-sensitive and nocase atoms; the caller verifies the exact bytes.
 * - States that emit atoms are renumbered to the top of the id range, and ids are stored
 *   premultiplied by the class count, so the hot loop is one table load plus ONE compare per
 *   byte (`s >= acceptFrom`); this avoids a per-byte lookup in an output-flag array.
 * Buffers passed to scan() are only read during the call.
 */
export interface AcAtom { bytes: Uint8Array; id: number }

export interface AcTables {
  classOf: Uint8Array;      // 256 entries: byte -> class (folded)
  nClasses: number;
  trans: Int32Array;        // state*nClasses + class -> next state (premultiplied)
  acceptFrom: number;       // premultiplied state id from which states have outputs
  outStart: Int32Array;     // per accepting state index (state/nClasses - firstAccept): CSR into outIds
  outIds: Int32Array;       // atom ids
  firstAccept: number;      // first accepting state number (not premultiplied)
}

/** Maximum DFA states; building more is refused (named limit). */
export const AC_MAX_STATES = 2_000_000;

function fold(b: number): number { return b >= 0x41 && b <= 0x5a ? b | 0x20 : b; }

export function buildAc(atoms: AcAtom[]): AcTables {
  // byte classes: every folded byte that occurs in an atom gets its own class; the rest share 0
  const classOf = new Uint8Array(256);
  let nClasses = 1;
  const seen = new Int16Array(256).fill(-1);
  for (const a of atoms) for (const b of a.bytes) {
    const f = fold(b);
    if (seen[f] < 0) { seen[f] = nClasses++; }
  }
  if (nClasses > 256) throw new Error('unreachable');
  for (let b = 0; b < 256; b++) { const f = fold(b); classOf[b] = seen[f] < 0 ? 0 : seen[f]; }
  // trie
  let cap = 1024;
  let goto = new Int32Array(cap * nClasses).fill(-1);
  let nStates = 1;
  const outs: (number[] | null)[] = [null];
  for (const a of atoms) {
    let s = 0;
    for (const b of a.bytes) {
      const c = classOf[b];
      let nx = goto[s * nClasses + c];
      if (nx < 0) {
        if (nStates >= cap) {
          cap *= 2;
          if (cap > AC_MAX_STATES * 2) throw new Error(`prefilter automaton exceeds ${AC_MAX_STATES} states`);
          const g = new Int32Array(cap * nClasses).fill(-1);
          g.set(goto);
          goto = g;
        }
        nx = nStates++;
        outs.push(null);
        goto[s * nClasses + c] = nx;
      }
      s = nx;
    }
    (outs[s] ??= []).push(a.id);
  }
  // BFS: failure links folded into a full DFA
  const fail = new Int32Array(nStates);
  const order: number[] = [0];
  for (let c = 0; c < nClasses; c++) {
    const nx = goto[c];
    if (nx < 0) goto[c] = 0; else { fail[nx] = 0; order.push(nx); }
  }
  for (let qi = 1; qi < order.length; qi++) {
    const s = order[qi];
    const f = fail[s];
    const of = outs[f];
    if (of) outs[s] = outs[s] ? outs[s]!.concat(of) : of;
    for (let c = 0; c < nClasses; c++) {
      const nx = goto[s * nClasses + c];
      if (nx < 0) goto[s * nClasses + c] = goto[f * nClasses + c];
      else { fail[nx] = goto[f * nClasses + c]; order.push(nx); }
    }
  }
  // renumber: non-accepting first, accepting last
  const newId = new Int32Array(nStates);
  let k = 0;
  for (let s = 0; s < nStates; s++) if (!outs[s]) newId[s] = k++;
  const firstAccept = k;
  for (let s = 0; s < nStates; s++) if (outs[s]) newId[s] = k++;
  const trans = new Int32Array(nStates * nClasses);
  for (let s = 0; s < nStates; s++) {
    const base = newId[s] * nClasses;
    for (let c = 0; c < nClasses; c++) trans[base + c] = newId[goto[s * nClasses + c]] * nClasses;
  }
  const nAcc = nStates - firstAccept;
  const outStart = new Int32Array(nAcc + 1);
  const byNew: number[][] = new Array(nAcc);
  for (let s = 0; s < nStates; s++) if (outs[s]) byNew[newId[s] - firstAccept] = outs[s]!;
  let total = 0;
  for (let i = 0; i < nAcc; i++) { outStart[i] = total; total += byNew[i].length; }
  outStart[nAcc] = total;
  const outIds = new Int32Array(total);
  for (let i = 0, p = 0; i < nAcc; i++) for (const id of byNew[i]) outIds[p++] = id;
  // the start state must stay 0 (it is non-accepting: atoms are never empty)
  if (newId[0] !== 0) throw new Error('start state renumbered');
  return { classOf, nClasses, trans, acceptFrom: firstAccept * nClasses, outStart, outIds, firstAccept };
}
