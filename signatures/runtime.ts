/**
 * Runtime: the Matcher runs a CompiledRuleset over one packet (or one file) at a time.
 *
 * Engine API (docs/language.md "Engine API"):
 *   const m = new Matcher(ruleset);
 *   m.begin();                                   // per packet: clears matches (no allocation)
 *   m.scanBuffer(fieldId, buf, off, len);        // per buffer present (payload, http.uri, ...)
 *   const r = m.evaluate(fields);                // r is reused: read it before the next begin()
 *
 * Buffers passed to scanBuffer are read during the call, and the payload buffer is read again
 * during evaluate() (filesize, uintN): the caller keeps it unchanged until evaluate() returns.
 * Nothing is allocated per packet once a string has been seen matching (match arrays grow
 * by doubling and are kept).
 */
import type { CompiledRuleset, StringEntry } from './ruleset';
import { Op, Quant, L4_DPORT, L4_SPORT, Decision } from './bytecode';
import { FIELD_ID, PAYLOAD_FIELD } from './keywords/registry';
// straight from the module that defines them: names re-exported through patterns/index.ts compile
// (tsc, CommonJS) to getter properties, i.e. a getter call per use on the hot path
import { matchAt, findAll, fullwordOk } from './patterns/vm';
import { conditionFor, CompiledCondition, JitMatcherView } from './jit';

/** Default cap of recorded matches per string per packet (counter: stats.matchesCapped). */
export const MAX_MATCHES_PER_STRING = 10_000;
/** Cap of iterations of one `for .. in` loop (counter: stats.loopsCapped). */
export const MAX_LOOP_ITERATIONS = 1_000_000;
/** Candidate start positions of one hex/regex string in one buffer above which the string is
 *  verified by a single bounded findAll pass instead (counter: stats.fullScans). */
export const CANDIDATES_FULLSCAN = 4096;
/** Evaluation stack depth. */
export const STACK_SIZE = 1024;

/** A view the FieldSource fills in; valid until the next call on the same FieldSource. */
export interface ByteSlice { buf: Uint8Array; off: number; len: number }

/**
 * What the engine provides per packet. Numbers: NaN means "absent" (YARA undefined).
 * protoMask bits: 1 ip, 2 tcp, 4 udp, 8 icmp, 16 http, 32 dns (bit i = index in
 * ['ip','tcp','udp','icmp','http','dns']).
 */
export interface FieldSource {
  protoMask(): number;
  num(field: number): number;
  /** fills `out` and returns true when the field (ip fields: 4 or 16 address bytes) is present */
  bytes(field: number, key: string | null, out: ByteSlice): boolean;
  event(id: number): boolean;
  flowHas(tag: string): boolean;
  flowTag(tag: string): void;
  /** counts one hit for (counter, key chosen by `by`: 0 src, 1 dst, 2 flow) and returns the hits within the window */
  rate(counter: number, by: number, windowMs: number): number;
  /** `host(src|dst).has(tag)`: side 0 src, 1 dst (keywords/host.ts); the tag is set and not
   *  expired at this packet's time. Optional: a source without it has no host tags (false). */
  hostHas?(tag: string, side: number): boolean;
  /** `host(src|dst).tag(tag, expire = expireMs)`: set or refresh the tag until packet time + expireMs. Optional. */
  hostTag?(tag: string, side: number, expireMs: number): void;
}

/** A FieldSource with nothing but the payload: what `quell scan` uses for files. */
export const EMPTY_FIELDS: FieldSource = {
  protoMask: () => 0, num: () => NaN, bytes: () => false, event: () => false,
  flowHas: () => false, flowTag: () => undefined, rate: () => NaN,
};

export interface EvalResult {
  /** indexes of matching non-private rules, in declaration order: matchedRules[0..count) */
  matchedRules: Int32Array;
  count: number;
  /** Decision (bytecode.ts): 0 none, 1 alert, 2 accept, 3 reject, 4 drop; highest wins */
  decision: number;
  /** rule that set the decision, -1 none */
  decidingRule: number;
  /** packet mark from the matching rule with the highest decision that has one, -1 none */
  mark: number;
}

export interface MatcherStats { rulesEvaluated: number; fullScans: number; scans: number; bytes: number; verifications: number; matchesCapped: number; loopsCapped: number; evaluations: number }

const IP_FIELD_SRC = FIELD_ID.get('ip.src')!;
const TCP_SPORT = FIELD_ID.get('tcp.sport')!, TCP_DPORT = FIELD_ID.get('tcp.dport')!;
const UDP_SPORT = FIELD_ID.get('udp.sport')!, UDP_DPORT = FIELD_ID.get('udp.dport')!;
void IP_FIELD_SRC;

/** compares the address (w0..w3) with the 4 words at r[i..i+4): -1, 0, 1 */
function cmp4(w0: number, w1: number, w2: number, w3: number, r: Uint32Array, i: number): number {
  if (w0 !== r[i]) return w0 < r[i] ? -1 : 1;
  if (w1 !== r[i + 1]) return w1 < r[i + 1] ? -1 : 1;
  if (w2 !== r[i + 2]) return w2 < r[i + 2] ? -1 : 1;
  if (w3 !== r[i + 3]) return w3 < r[i + 3] ? -1 : 1;
  return 0;
}

const FOLD = new Uint8Array(256).map((_, b) => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b));
function lowerByte(b: number): number { return b >= 0x41 && b <= 0x5a ? b | 0x20 : b; }

/** needle equals hay[p, p + needle.length), ASCII case folded when `ci`. */
function bytesAt(hay: Uint8Array, p: number, needle: Uint8Array, ci: boolean): boolean {
  const n = needle.length;
  if (ci) { for (let j = 0; j < n; j++) if (lowerByte(hay[p + j]) !== lowerByte(needle[j])) return false; }
  else { for (let j = 0; j < n; j++) if (hay[p + j] !== needle[j]) return false; }
  return true;
}

function alnum(b: number): boolean { return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a); }

/** 64-bit-ish integer helpers: exact for |x| < 2^53; bitwise ops go through BigInt only when
 *  an operand leaves the int32 range (rare; costs an allocation then). */
function toI64(x: number): bigint { return BigInt.asIntN(64, BigInt(Math.trunc(x))); }
function fromI64(b: bigint): number { return Number(BigInt.asIntN(64, b)); }
function isI32(x: number): boolean { return x === (x | 0); }

/** Longest decimal text read as a number by Op.BYTES_NUM (keeps the value an exact integer). */
export const MAX_DECIMAL_DIGITS = 15;

/** buf[off..off+len) as an unsigned decimal integer; NaN when empty, too long or not all digits. */
function decimalOf(buf: Uint8Array, off: number, len: number): number {
  if (len <= 0 || len > MAX_DECIMAL_DIGITS) return NaN;
  let v = 0;
  for (let i = off; i < off + len; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

export class Matcher {
  readonly rs: CompiledRuleset;
  readonly stats: MatcherStats = { rulesEvaluated: 0, fullScans: 0, scans: 0, bytes: 0, verifications: 0, matchesCapped: 0, loopsCapped: 0, evaluations: 0 };
  private readonly maxMatches: number;
  private readonly nStrings: number;
  private readonly mCnt: Int32Array;
  private readonly mOff: (Int32Array | null)[];
  private readonly mLen: (Int32Array | null)[];
  private readonly mWide: (Uint8Array | null)[];
  private readonly touched: Int32Array;
  private nTouched = 0;
  private readonly ruleHit: Uint8Array;
  /** rules whose strings matched in this packet (unsorted), and rules evaluated every packet */
  private readonly hitList: Int32Array;
  private nHit = 0;
  private readonly always: Int32Array;
  /** passes defined by definePass(): per pass, its rules (1 = member) and its always-lists by
   *  L4 class (0 any/unknown, 1 TCP, 2 UDP, 3 other; evaluate() picks one by its `l4` argument) */
  private readonly passSel: Uint8Array[] = [];
  private readonly passAlways: Int32Array[][] = [];
  /** rules evaluated in the current packet, in declaration order */
  private readonly evalList: Int32Array;
  private nEval = 0;
  private readonly ruleStringStart: Int32Array;
  private readonly lookupMaps: Map<string, Int32Array>[];
  private readonly lookupHasSuffix: boolean[];
  private readonly v6Ranges: (Uint32Array | null)[];
  private readonly results: Float64Array;
  private readonly stack = new Float64Array(STACK_SIZE);
  private sp = 0;
  private readonly vars: Float64Array;
  private readonly prefilterOf: Int32Array;
  private payload: Uint8Array | null = null;
  private payloadOff = 0;
  private payloadLen = NaN;
  /** see scanBuffer(minEnd); 0 outside a scanBuffer call */
  private minEnd = 0;
  private fields: FieldSource = EMPTY_FIELDS;
  private readonly slice: ByteSlice = { buf: new Uint8Array(0), off: 0, len: 0 };
  private readonly strSets: (Set<string> | null)[];
  private readonly cand: number[][];
  readonly result: EvalResult;

  /** per rule: its condition compiled to JS (signatures/jit.ts), for the always-evaluated rules
   *  whose operations it covers; null: the bytecode interpreter runs it */
  private readonly ruleFns: (CompiledCondition | null)[];

  constructor(rs: CompiledRuleset, opts: { maxMatchesPerString?: number; jit?: boolean } = {}) {
    this.rs = rs;
    this.maxMatches = opts.maxMatchesPerString ?? MAX_MATCHES_PER_STRING;
    this.nStrings = rs.strings.length;
    this.mCnt = new Int32Array(this.nStrings);
    this.mOff = new Array(this.nStrings).fill(null);
    this.mLen = new Array(this.nStrings).fill(null);
    this.mWide = new Array(this.nStrings).fill(null);
    this.touched = new Int32Array(this.nStrings);
    this.ruleHit = new Uint8Array(rs.rules.length);
    this.hitList = new Int32Array(rs.rules.length);
    this.evalList = new Int32Array(rs.rules.length);
    // Only rules that can match without a string match (or global rules) run on every packet;
    // the others run when the prefilter found one of their strings. With 10,000 string rules a
    // packet that hits none costs no rule evaluation at all.
    this.always = Int32Array.from(rs.rules.map((r, i) => ((!r.needsString && r.lookupField < 0) || r.global ? i : -1)).filter((i) => i >= 0));
    // the rules run on every packet get compiled conditions (the others run on prefilter hits
    // only, where the interpreter's dispatch is not what costs)
    this.ruleFns = new Array<CompiledCondition | null>(rs.rules.length).fill(null);
    if (opts.jit !== false) for (const r of this.always) this.ruleFns[r] = conditionFor(rs, r);
    this.v6Ranges = rs.sets.map((st) => {
      if (st.kind !== 'cidr' || !st.v6) return null;
      const out = new Uint32Array(st.v6.length * 4);
      st.v6.forEach((hex, k) => { for (let w = 0; w < 4; w++) out[k * 4 + w] = parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0; });
      return out;
    });
    this.lookupHasSuffix = rs.lookups.map((l) => l.keys.some((k) => k.startsWith('\u0001')));
    this.lookupMaps = rs.lookups.map((l) => {
      const m = new Map<string, Int32Array>();
      l.keys.forEach((k, i) => m.set(k, l.rules.subarray(l.start[i], l.start[i + 1])));
      return m;
    });
    this.ruleStringStart = Int32Array.from(rs.rules.map((r) => r.firstString));
    this.results = new Float64Array(rs.rules.length);
    this.vars = new Float64Array(Math.max(1, rs.nVars));
    let maxField = 0;
    for (const p of rs.prefilters) maxField = Math.max(maxField, p.field);
    this.prefilterOf = new Int32Array(maxField + 1).fill(-1);
    rs.prefilters.forEach((p, i) => { this.prefilterOf[p.field] = i; });
    this.strSets = rs.sets.map((s) => (s.kind === 'str' || s.kind === 'domain' ? new Set(s.kind === 'domain' ? s.strs!.map((x) => x.toLowerCase()) : s.strs!) : null));
    this.cand = rs.strings.map(() => []);
    this.result = { matchedRules: new Int32Array(rs.rules.length), count: 0, decision: 0, decidingRule: -1, mark: -1 };
  }

  /** Start a new packet/file: forget the previous one's matches. */
  begin(): void {
    for (let i = 0; i < this.nTouched; i++) this.mCnt[this.touched[i]] = 0;
    this.nTouched = 0;
    for (let i = 0; i < this.nHit; i++) this.ruleHit[this.hitList[i]] = 0;
    this.nHit = 0;
    for (let i = 0; i < this.nEval; i++) this.results[this.evalList[i]] = 0;
    this.nEval = 0;
    this.payload = null;
    this.payloadLen = NaN;
  }

  /** Number of recorded matches of string `si`; offsets/lengths via matchOffset/matchLength. */
  matchCount(si: number): number { return this.mCnt[si]; }
  matchOffset(si: number, i: number): number { return this.mOff[si]![i]; }
  matchLength(si: number, i: number): number { return this.mLen[si]![i]; }

  /** `wide`: the match came from the wide form. At one offset YARA keeps the ascii form's match
   *  (it tries ascii first and wide only when ascii failed), so a wide match never replaces it. */
  private addMatch(si: number, off: number, len: number, wide = 0): void {
    // scanBuffer(.., minEnd): a match that ends within the first minEnd bytes was reported before
    if (off + len <= this.minEnd) return;
    let c = this.mCnt[si];
    if (c === 0) {
      this.touched[this.nTouched++] = si;
      const rule = this.rs.strings[si].rule;
      if (this.ruleHit[rule] === 0) { this.ruleHit[rule] = 1; this.hitList[this.nHit++] = rule; }
    }
    let offs = this.mOff[si], lens = this.mLen[si];
    // keep sorted by offset; one match per offset: ascii form first, as YARA does
    let pos = c;
    while (pos > 0 && offs![pos - 1] > off) pos--;
    if (pos > 0 && offs![pos - 1] === off) {
      const w = this.mWide[si]!;
      if (w[pos - 1] > wide) { lens![pos - 1] = len; w[pos - 1] = wide; }
      return;
    }
    if (c >= this.maxMatches) { this.stats.matchesCapped++; return; }
    if (!offs || c === offs.length) {
      const n = Math.min(this.maxMatches, Math.max(8, c * 2));
      const no = new Int32Array(n), nl = new Int32Array(n), nw = new Uint8Array(n);
      if (offs) { no.set(offs); nl.set(lens!); nw.set(this.mWide[si]!); }
      this.mOff[si] = offs = no; this.mLen[si] = lens = nl; this.mWide[si] = nw;
    }
    const wd = this.mWide[si]!;
    if (pos < c) { offs.copyWithin(pos + 1, pos, c); lens!.copyWithin(pos + 1, pos, c); wd.copyWithin(pos + 1, pos, c); }
    offs[pos] = off; lens![pos] = len; wd[pos] = wide;
    this.mCnt[si] = c + 1;
  }

  /**
   * Scan one buffer. `field` is the buffer's field id (keywords/registry.ts FIELD_ID, e.g.
   * PAYLOAD_FIELD). Match offsets are relative to `off`. For the payload buffer, the view is
   * kept until evaluate() (filesize, uintN read it).
   * `minEnd` (default 0): matches that end at or before off + minEnd are not recorded (a sliding
   * window whose first minEnd bytes were scanned before: src/engine/detect.ts `stream`). Strings
   * are still matched against those bytes, so a match that starts there and ends after counts.
   */
  scanBuffer(field: number, buf: Uint8Array, off: number, len: number, minEnd = 0): void {
    this.stats.scans++; this.stats.bytes += len;
    this.minEnd = minEnd;
    try { this.scanBufferAt(field, buf, off, len); } finally { this.minEnd = 0; }
  }

  private scanBufferAt(field: number, buf: Uint8Array, off: number, len: number): void {
    if (field === PAYLOAD_FIELD) { this.payload = buf; this.payloadOff = off; this.payloadLen = len; }
    const pi = field < this.prefilterOf.length ? this.prefilterOf[field] : -1;
    if (pi < 0) return;
    const pf = this.rs.prefilters[pi];
    const ac = pf.ac;
    const trans = ac.trans, cls = ac.classOf, acc = ac.acceptFrom, nC = ac.nClasses;
    const end = off + len;
    const strings = this.rs.strings;
    let s = 0;
    let anyPat = false;
    const aFlags = pf.atomFlags, aLitOff = pf.atomLitOff, aLitLen = pf.atomLitLen, pool = pf.litPool;
    const aLen = pf.atomLen, aBack = pf.atomBack, aStr = pf.atomString;
    const outStart = ac.outStart, outIds = ac.outIds, firstAccept = ac.firstAccept;
    const fold = FOLD;
    // Hot loop: one class lookup, one transition load and one compare per byte; text atoms are
    // verified against the flat literal pool (typed arrays only, no object loads).
    for (let i = off; i < end; i++) {
      s = trans[s + cls[buf[i]]];
      if (s >= acc) {
        const st = (s / nC) - firstAccept;
        for (let k = outStart[st], ke = outStart[st + 1]; k < ke; k++) {
          const atom = outIds[k];
          const fl = aFlags[atom];
          if ((fl & 8) === 0) {
            const n = aLitLen[atom];
            const start = i + 1 - aLen[atom] - aBack[atom];
            if (start < off || start + n > end) continue;
            this.stats.verifications++;
            const lo = aLitOff[atom];
            let j = 0;
            if (fl & 1) { while (j < n && fold[buf[start + j]] === pool[lo + j]) j++; }
            else { while (j < n && buf[start + j] === pool[lo + j]) j++; }
            if (j === n && ((fl & 2) === 0 || fullwordOk(buf, off, end, start, n, (fl & 4) !== 0))) this.addMatch(aStr[atom], start - off, n, (fl >> 2) & 1);
          } else {
            // hex/regex: remember the candidate window; verified after the pass (sorted, deduplicated)
            const si = aStr[atom];
            const aStart = i + 1 - aLen[atom];
            this.cand[si].push(pf.atomVariant[atom], Math.max(off, aStart - aBack[atom]), aStart);
            anyPat = true;
          }
        }
      }
    }
    if (anyPat) this.verifyCandidates(buf, off, end);
    for (let k = 0; k < pf.fullScan.length; k++) this.scanFull(pf.fullScan[k], buf, off, end);
  }


  private verifyLit(lit: Uint8Array, nocase: boolean, buf: Uint8Array, start: number): boolean {
    const n = lit.length;
    if (nocase) {
      for (let j = 0; j < n; j++) if (lowerByte(buf[start + j]) !== lowerByte(lit[j])) return false;
    } else {
      for (let j = 0; j < n; j++) if (buf[start + j] !== lit[j]) return false;
    }
    return true;
  }

  private verifyCandidates(buf: Uint8Array, off: number, end: number): void {
    const strings = this.rs.strings;
    for (let si = 0; si < this.cand.length; si++) {
      const c = this.cand[si];
      if (c.length === 0) continue;
      const se = strings[si];
      // Many candidate windows (a weak atom on hostile data): one findAll pass over the buffer
      // instead, whose work budget is bounded per call (pattern engine: budget + n * per-byte),
      // rather than one budget per candidate position (quadratic on /(a+)+b/ over "aaaa...").
      let total = 0;
      for (let k = 0; k < c.length; k += 3) total += c[k + 2] - c[k + 1] + 1;
      if (total > CANDIDATES_FULLSCAN && total > (end - off) >> 4) { c.length = 0; this.stats.fullScans++; this.scanFull(si, buf, off, end); continue; }
      // positions to try per variant: union of [lo, hi] windows
      for (let v = 0; v < se.pats.length; v++) {
        const wins: [number, number][] = [];
        for (let k = 0; k < c.length; k += 3) if (c[k] === v) wins.push([c[k + 1], c[k + 2]]);
        wins.sort((a, b) => a[0] - b[0]);
        let next = off;
        for (const [lo, hi] of wins) {
          for (let p = Math.max(lo, next); p <= hi && p < end; p++) {
            this.stats.verifications++;
            const len = matchAt(se.pats[v], buf, p, end, off);
            if (len > 0 && (!se.fullword || fullwordOk(buf, off, end, p, len, se.patWide[v]))) this.addMatch(si, p - off, len, se.patWide[v] ? 1 : 0);
          }
          next = Math.max(next, hi + 1);
        }
      }
      c.length = 0;
    }
  }

  private scanFull(si: number, buf: Uint8Array, off: number, end: number): void {
    const se = this.rs.strings[si];
    for (let v = 0; v < se.pats.length; v++) {
      findAll(se.pats[v], buf, off, end, (mOff, len) => {
        if (len > 0 && (!se.fullword || fullwordOk(buf, off, end, mOff, len, se.patWide[v]))) this.addMatch(si, mOff - off, len, se.patWide[v] ? 1 : 0);
      });
    }
  }

  /**
   * A subset of the rules that evaluate(fields, pass) restricts itself to (the engine's packet
   * pass and app passes: a packet pass has no use for the HTTP/DNS rules, whose bytecode would
   * otherwise run on every packet). `sel[r] === 1` selects rule r; the caller must select every
   * rule a selected rule references (Op.RULE) and the global rules, or those read as false.
   * Returns the pass number. Called when a ruleset is loaded, not per packet.
   */
  definePass(sel: Uint8Array, l4Req?: Uint8Array): number {
    if (sel.length !== this.rs.rules.length || (l4Req && l4Req.length !== sel.length)) throw new RangeError('definePass: one entry per rule');
    this.passSel.push(sel);
    // `l4Req[r]` (6 TCP, 17 UDP, else 0): the caller proved rule r false, without side effects
    // skipped, on any other L4 protocol; evaluate(.., l4) then leaves it out of the always-list
    const req = (r: number) => (l4Req ? l4Req[r] : 0);
    const base = this.always.filter((r) => sel[r] === 1);
    this.passAlways.push([
      base,
      base.filter((r) => req(r) === 0 || req(r) === 6),
      base.filter((r) => req(r) === 0 || req(r) === 17),
      base.filter((r) => req(r) === 0),
    ]);
    return this.passSel.length - 1;
  }

  /** Evaluate the rules for the current packet: all of them, or those of `pass` (definePass),
   *  for a packet of IP protocol `l4` (-1: unknown). The returned object is reused. */
  evaluate(fields: FieldSource = EMPTY_FIELDS, pass = -1, l4 = -1): EvalResult {
    this.stats.evaluations++;
    this.fields = fields;
    const rs = this.rs;
    // strings bound to keyed buffers (http.header["X"]) are matched now, on demand
    for (let k = 0; k < rs.lateStrings.length; k++) {
      const si = rs.lateStrings[k];
      const se = rs.strings[si];
      if (!fields.bytes(se.field, se.key, this.slice)) continue;
      const { buf, off, len } = this.slice;
      this.scanString(si, buf, off, off + len);
    }
    // constant-lookup rules: one hash lookup per indexed field (a latin1 key string per lookup)
    for (let li = 0; li < rs.lookups.length; li++) {
      if (!fields.bytes(rs.lookups[li].field, null, this.slice)) continue;
      const { buf, off, len } = this.slice;
      let key = '';
      for (let i = off; i < off + len; i++) key += String.fromCharCode(buf[i]);
      const map = this.lookupMaps[li];
      this.markRules(map.get(key));
      // label suffixes (`FIELD endswith ".evil.com"`): one lookup per dot of the value
      if (this.lookupHasSuffix[li]) for (let p = key.indexOf('.'); p >= 0; p = key.indexOf('.', p + 1)) this.markRules(map.get('\u0001' + key.slice(p)));
    }
    const rules = rs.rules;
    const res = this.results;
    // candidate rules in declaration order: merge the always-list with the (sorted) hit list
    const hits = this.hitList;
    let always = this.always;
    if (pass >= 0) {
      always = this.passAlways[pass][l4 < 0 ? 0 : l4 === 6 ? 1 : l4 === 17 ? 2 : 3];
      if (this.nHit > 0) {
        // drop the hits of rules outside the pass (compacted in place, their ruleHit cleared)
        const sel = this.passSel[pass];
        let w = 0;
        for (let i = 0; i < this.nHit; i++) { const r = hits[i]; if (sel[r] === 1) hits[w++] = r; else this.ruleHit[r] = 0; }
        this.nHit = w;
      }
    }
    const nHit = this.nHit;
    // (subarray allocates a view: only when there is something to sort)
    if (nHit > 1) hits.subarray(0, nHit).sort();
    const ev = this.evalList;
    let n = 0, ai = 0, hi = 0;
    while (ai < always.length || hi < nHit) {
      let r: number;
      if (hi >= nHit || (ai < always.length && always[ai] <= hits[hi])) {
        r = always[ai++];
        if (hi < nHit && hits[hi] === r) hi++;
      } else r = hits[hi++];
      ev[n++] = r;
    }
    this.nEval = n;
    this.stats.rulesEvaluated += n;
    let globalFailed = false;
    for (let k = 0; k < n; k++) {
      const r = ev[k];
      const rule = rules[r];
      const fn = this.ruleFns[r];
      let v: number;
      if (fn !== null) v = fn(this as unknown as JitMatcherView, this.fields);
      else {
        this.sp = 0;
        this.exec(rule.codeStart, rule.codeEnd);
        v = this.stack[0];
      }
      res[r] = v === v && v !== 0 ? 1 : 0;
      if (rule.global && res[r] === 0) globalFailed = true;
    }
    const out = this.result;
    out.count = 0; out.decision = Decision.NONE; out.decidingRule = -1; out.mark = -1;
    let markDecision = -1;
    for (let k = 0; k < n; k++) {
      const r = ev[k];
      if (res[r] === 0) continue;
      const rule = rules[r];
      if (globalFailed && !rule.global) continue;
      if (rule.private) continue;
      out.matchedRules[out.count++] = r;
      if (rule.decision > out.decision) { out.decision = rule.decision; out.decidingRule = r; }
      if (rule.mark >= 0 && rule.decision > markDecision) { out.mark = rule.mark; markDecision = rule.decision; }
    }
    return out;
  }

  private scanString(si: number, buf: Uint8Array, off: number, end: number): void {
    const se = this.rs.strings[si];
    if (se.kind === 'text') {
      for (let v = 0; v < se.lits.length; v++) {
        const lit = se.lits[v];
        for (let p = off; p + lit.length <= end; p++) {
          if (this.verifyLit(lit, se.nocase, buf, p) && (!se.fullword || fullwordOk(buf, off, end, p, lit.length, se.litWide[v]))) this.addMatch(si, p - off, lit.length, se.litWide[v] ? 1 : 0);
        }
      }
    } else this.scanFull(si, buf, off, end);
  }

  private markRules(rl: Int32Array | undefined): void {
    if (rl) for (let i = 0; i < rl.length; i++) { const r = rl[i]; if (this.ruleHit[r] === 0) { this.ruleHit[r] = 1; this.hitList[this.nHit++] = r; } }
  }

  private condHit = false;
  private readonly onCondMatch = (_off: number, _len: number): void => { this.condHit = true; };

  private truthy(v: number): boolean { return v === v && v !== 0; }

  private countIn(si: number, lo: number, hi: number): number {
    const c = this.mCnt[si];
    let n = 0;
    const offs = this.mOff[si];
    for (let i = 0; i < c; i++) { const o = offs![i]; if (o >= lo && o <= hi) n++; }
    return n;
  }

  private readInt(kind: number, at: number): number {
    const p = this.payload;
    const size = (kind & 63) >> 3;
    if (!p || at !== at || at < 0 || at + size > this.payloadLen) return NaN;
    const o = this.payloadOff + at;
    const be = (kind & 128) !== 0, signed = (kind & 64) !== 0;
    let v: number;
    if (size === 1) v = p[o];
    else if (size === 2) v = be ? (p[o] << 8) | p[o + 1] : p[o] | (p[o + 1] << 8);
    else v = be ? ((p[o] << 24) >>> 0) + ((p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3]) : ((p[o + 3] << 24) >>> 0) + ((p[o + 2] << 16) | (p[o + 1] << 8) | p[o]);
    if (signed) { const bits = size * 8; if (v >= 2 ** (bits - 1)) v -= 2 ** bits; }
    return v;
  }

  /** Byte-field comparison (==, !=, contains, startswith, endswith and their case-insensitive
   *  forms). Runs per evaluated comparison: written without closures so it allocates nothing. */
  private bytesCmp(op: number, hay: Uint8Array, hOff: number, hLen: number, needle: Uint8Array): boolean {
    const n = needle.length;
    const ci = op === 3 || op === 5 || op === 7 || op === 8;
    switch (op) {
      case 0: case 8: return hLen === n && bytesAt(hay, hOff, needle, ci);
      case 1: return !(hLen === n && bytesAt(hay, hOff, needle, ci));
      case 2: case 3: for (let p = hOff; p + n <= hOff + hLen; p++) if (bytesAt(hay, p, needle, ci)) return true; return false;
      case 4: case 5: return hLen >= n && bytesAt(hay, hOff, needle, ci);
      case 6: case 7: return hLen >= n && bytesAt(hay, hOff + hLen - n, needle, ci);
    }
    return false;
  }

  private inRanges(r: Float64Array | Int32Array, v: number): boolean {
    let lo = 0, hi = (r.length >> 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (v < r[mid * 2]) hi = mid - 1; else if (v > r[mid * 2 + 1]) lo = mid + 1; else return true;
    }
    return false;
  }

  private ipInSet(setIdx: number, b: ByteSlice): boolean {
    const set = this.rs.sets[setIdx];
    if (b.len === 4) {
      const v = ((b.buf[b.off] << 24) >>> 0) + ((b.buf[b.off + 1] << 16) | (b.buf[b.off + 2] << 8) | b.buf[b.off + 3]);
      return this.inRanges(set.v4!, v);
    }
    if (b.len === 16) {
      // IPv6: ranges as 8 u32 words each (lo[4], hi[4]), compared word by word (no allocation)
      const r = this.v6Ranges[setIdx];
      if (r === null || r.length === 0) return false;
      const bb = b.buf, o = b.off;
      const w0 = ((bb[o] << 24) | (bb[o + 1] << 16) | (bb[o + 2] << 8) | bb[o + 3]) >>> 0;
      const w1 = ((bb[o + 4] << 24) | (bb[o + 5] << 16) | (bb[o + 6] << 8) | bb[o + 7]) >>> 0;
      const w2 = ((bb[o + 8] << 24) | (bb[o + 9] << 16) | (bb[o + 10] << 8) | bb[o + 11]) >>> 0;
      const w3 = ((bb[o + 12] << 24) | (bb[o + 13] << 16) | (bb[o + 14] << 8) | bb[o + 15]) >>> 0;
      for (let i = 0; i < r.length; i += 8) {
        if (cmp4(w0, w1, w2, w3, r, i) >= 0 && cmp4(w0, w1, w2, w3, r, i + 4) <= 0) return true;
      }
    }
    return false;
  }

  private strInSet(setIdx: number, b: ByteSlice): boolean {
    const set = this.rs.sets[setIdx];
    const ss = this.strSets[setIdx]!;
    // latin1 key for the hash set: one short string per lookup
    let s = '';
    for (let i = 0; i < b.len; i++) s += String.fromCharCode(b.buf[b.off + i]);
    if (set.kind === 'str') return ss.has(s);
    s = s.toLowerCase();
    if (s.endsWith('.')) s = s.slice(0, -1);
    // domain: the name or any parent domain is in the set (reversed-label walk)
    for (let p = 0; ;) {
      if (ss.has(p === 0 ? s : s.slice(p))) return true;
      const dot = s.indexOf('.', p);
      if (dot < 0) return false;
      p = dot + 1;
    }
  }

  /** Run bytecode [pc, end); leaves its value on the stack. */
  private exec(pc: number, end: number): void {
    const code = this.rs.code;
    const st = this.stack;
    const f = this.fields;
    let sp = this.sp;
    while (pc < end) {
      const op = code[pc];
      switch (op) {
        case Op.CONST: st[sp++] = this.rs.consts[code[pc + 1]]; pc += 2; break;
        case Op.ADD: sp--; st[sp - 1] = st[sp - 1] + st[sp]; pc++; break;
        case Op.SUB: sp--; st[sp - 1] = st[sp - 1] - st[sp]; pc++; break;
        case Op.MUL: sp--; st[sp - 1] = st[sp - 1] * st[sp]; pc++; break;
        case Op.DIV: { sp--; const b = st[sp], a = st[sp - 1]; st[sp - 1] = b === 0 || b !== b || a !== a ? NaN : Math.trunc(a / b); pc++; break; }
        case Op.MOD: { sp--; const b = st[sp], a = st[sp - 1]; st[sp - 1] = b === 0 || b !== b || a !== a ? NaN : a % b; pc++; break; }
        case Op.NEG: st[sp - 1] = -st[sp - 1]; pc++; break;
        case Op.BNOT: { const a = st[sp - 1]; st[sp - 1] = a !== a ? NaN : isI32(a) ? ~a : fromI64(~toI64(a)); pc++; break; }
        case Op.BAND: case Op.BOR: case Op.BXOR: case Op.SHL: case Op.SHR: {
          sp--; const b = st[sp], a = st[sp - 1];
          if (a !== a || b !== b) { st[sp - 1] = NaN; pc++; break; }
          let r: number;
          if (op === Op.SHL) r = b >= 64 || b < 0 ? 0 : fromI64(toI64(a) << BigInt(b));
          else if (op === Op.SHR) r = b >= 64 || b < 0 ? (a < 0 ? -1 : 0) : isI32(a) && b < 32 ? a >> b : fromI64(toI64(a) >> BigInt(b));
          else if (isI32(a) && isI32(b)) r = op === Op.BAND ? a & b : op === Op.BOR ? a | b : a ^ b;
          else { const x = toI64(a), y = toI64(b); r = fromI64(op === Op.BAND ? x & y : op === Op.BOR ? x | y : x ^ y); }
          st[sp - 1] = r; pc++; break;
        }
        case Op.EQ: case Op.NE: case Op.LT: case Op.LE: case Op.GT: case Op.GE: {
          sp--; const b = st[sp], a = st[sp - 1];
          if (a !== a || b !== b) st[sp - 1] = NaN;
          else st[sp - 1] = (op === Op.EQ ? a === b : op === Op.NE ? a !== b : op === Op.LT ? a < b : op === Op.LE ? a <= b : op === Op.GT ? a > b : a >= b) ? 1 : 0;
          pc++; break;
        }
        case Op.NOT: { const a = st[sp - 1]; st[sp - 1] = a !== a ? NaN : a === 0 ? 1 : 0; pc++; break; }
        case Op.TOBOOL: { const a = st[sp - 1]; st[sp - 1] = a === a && a !== 0 ? 1 : 0; pc++; break; }
        case Op.DEFINED: { const a = st[sp - 1]; st[sp - 1] = a === a ? 1 : 0; pc++; break; }
        case Op.JF_OR_POP: { const a = st[sp - 1]; if (!(a === a && a !== 0)) { st[sp - 1] = 0; pc = code[pc + 1]; } else { sp--; pc += 2; } break; }
        case Op.JT_OR_POP: { const a = st[sp - 1]; if (a === a && a !== 0) { st[sp - 1] = 1; pc = code[pc + 1]; } else { sp--; pc += 2; } break; }
        case Op.POP: sp--; pc++; break;
        case Op.FOUND: st[sp++] = this.mCnt[code[pc + 1]] > 0 ? 1 : 0; pc += 2; break;
        case Op.COUNT: st[sp++] = this.mCnt[code[pc + 1]]; pc += 2; break;
        case Op.COUNT_IN: { sp--; const hi = st[sp], lo = st[sp - 1]; st[sp - 1] = lo !== lo || hi !== hi ? NaN : this.countIn(code[pc + 1], lo, hi); pc += 2; break; }
        case Op.OFFSET: case Op.LENGTH: {
          const si = code[pc + 1], i = st[sp - 1];
          st[sp - 1] = i !== i || i < 1 || i > this.mCnt[si] ? NaN : (op === Op.OFFSET ? this.mOff[si]! : this.mLen[si]!)[i - 1];
          pc += 2; break;
        }
        case Op.AT: {
          const si = code[pc + 1], p = st[sp - 1];
          let r = 0;
          if (p === p) { const c = this.mCnt[si], offs = this.mOff[si]; for (let i = 0; i < c; i++) if (offs![i] === p) { r = 1; break; } }
          st[sp - 1] = r; pc += 2; break;
        }
        case Op.IN: { sp--; const hi = st[sp], lo = st[sp - 1]; st[sp - 1] = lo !== lo || hi !== hi ? NaN : this.countIn(code[pc + 1], lo, hi) > 0 ? 1 : 0; pc += 2; break; }
        case Op.FILESIZE: st[sp++] = this.payloadLen; pc++; break;
        case Op.READ_INT: st[sp - 1] = this.readInt(code[pc + 1], st[sp - 1]); pc += 2; break;
        case Op.OF: {
          const n = code[pc + 1], kind = code[pc + 2];
          let q = 0;
          if (kind === Quant.N || kind === Quant.PCT) q = st[--sp];
          let c = 0;
          for (let i = sp - n; i < sp; i++) { const v = st[i]; if (v === v && v !== 0) c++; }
          sp -= n;
          st[sp++] = this.quant(kind, q, c, n);
          pc += 3; break;
        }
        case Op.LOADVAR: st[sp++] = this.vars[code[pc + 1]]; pc += 2; break;
        case Op.FOR_RANGE: case Op.FOR_LIST: {
          const kind = code[pc + 1], slot = code[pc + 2];
          const isList = op === Op.FOR_LIST;
          const nItems = isList ? code[pc + 3] : 0;
          const bodyLen = code[pc + (isList ? 4 : 3)];
          const bodyStart = pc + (isList ? 5 : 4);
          let total: number, itemsAt = 0, lo = 0, hi = -1;
          if (isList) { sp -= nItems; itemsAt = sp; total = nItems; }
          else { sp -= 2; lo = st[sp]; hi = st[sp + 1]; total = lo === lo && hi === hi && hi >= lo ? hi - lo + 1 : 0; }
          let q = 0;
          if (kind === Quant.N || kind === Quant.PCT) q = st[--sp];
          let bad = !isList && (lo !== lo || hi !== hi || hi < lo);
          let c = 0;
          if (!bad) {
            if (total > MAX_LOOP_ITERATIONS) { this.stats.loopsCapped++; total = MAX_LOOP_ITERATIONS; }
            const savedSp = sp;
            // list items live below the body's stack area
            if (isList) sp = itemsAt + nItems;
            for (let i = 0; i < total; i++) {
              this.vars[slot] = isList ? st[itemsAt + i] : lo + i;
              const base = sp;
              this.sp = sp;
              this.exec(bodyStart, bodyStart + bodyLen);
              const v = st[base];
              if (v === v && v !== 0) c++;
              if (kind === Quant.ANY && c > 0) break;
              if (kind === Quant.NONE && c > 0) break;
              if (kind === Quant.ALL && c !== i + 1) break;
            }
            sp = savedSp;
          }
          st[sp++] = bad ? 0 : this.quant(kind, q, c, total);
          pc = bodyStart + bodyLen; break;
        }
        case Op.RULE: st[sp++] = this.results[code[pc + 1]]; pc += 2; break;
        case Op.NUM_FIELD: st[sp++] = f.num(code[pc + 1]); pc += 2; break;
        case Op.BYTES_CMP: {
          const key = code[pc + 2];
          const ok = f.bytes(code[pc + 1], key < 0 ? null : this.rs.tconsts[key], this.slice);
          st[sp++] = ok ? (this.bytesCmp(code[pc + 3], this.slice.buf, this.slice.off, this.slice.len, this.rs.bconsts[code[pc + 4]]) ? 1 : 0) : NaN;
          pc += 5; break;
        }
        case Op.BYTES_MATCH: {
          const key = code[pc + 2];
          const ok = f.bytes(code[pc + 1], key < 0 ? null : this.rs.tconsts[key], this.slice);
          let r = NaN;
          if (ok) {
            r = 0;
            const { buf, off, len } = this.slice;
            const pat = this.rs.condPatterns[code[pc + 3]];
            // one findAll call: its work budget is bounded per call (a matchAt per start position
            // would be quadratic on long bodies); the callback only records that a match exists
            this.condHit = false;
            findAll(pat, buf, off, off + len, this.onCondMatch);
            r = this.condHit ? 1 : 0;
          }
          st[sp++] = r; pc += 4; break;
        }
        case Op.BYTES_LEN: {
          const key = code[pc + 2];
          st[sp++] = f.bytes(code[pc + 1], key < 0 ? null : this.rs.tconsts[key], this.slice) ? this.slice.len : NaN;
          pc += 3; break;
        }
        case Op.BYTES_DEFINED: {
          const key = code[pc + 2];
          st[sp++] = f.bytes(code[pc + 1], key < 0 ? null : this.rs.tconsts[key], this.slice) ? 1 : 0;
          pc += 3; break;
        }
        case Op.BYTES_INSET: {
          const key = code[pc + 2];
          st[sp++] = f.bytes(code[pc + 1], key < 0 ? null : this.rs.tconsts[key], this.slice) ? (this.strInSet(code[pc + 3], this.slice) ? 1 : 0) : NaN;
          pc += 4; break;
        }
        case Op.IP_INSET: st[sp++] = f.bytes(code[pc + 1], null, this.slice) ? (this.ipInSet(code[pc + 2], this.slice) ? 1 : 0) : NaN; pc += 3; break;
        case Op.NUM_INSET: {
          const which = code[pc + 1];
          let v: number;
          if (which === -1) v = st[--sp];
          else if (which === L4_SPORT) { v = f.num(TCP_SPORT); if (v !== v) v = f.num(UDP_SPORT); }
          else if (which === L4_DPORT) { v = f.num(TCP_DPORT); if (v !== v) v = f.num(UDP_DPORT); }
          else v = f.num(which);
          st[sp++] = v !== v ? NaN : this.inRanges(this.rs.sets[code[pc + 2]].ports!, v) ? 1 : 0;
          pc += 3; break;
        }
        case Op.EVENT: st[sp++] = f.event(code[pc + 1]) ? 1 : 0; pc += 2; break;
        case Op.FLOW_HAS: st[sp++] = f.flowHas(this.rs.tconsts[code[pc + 1]]) ? 1 : 0; pc += 2; break;
        case Op.FLOW_TAG: f.flowTag(this.rs.tconsts[code[pc + 1]]); st[sp++] = 1; pc += 2; break;
        case Op.RATE: st[sp++] = f.rate(code[pc + 1], code[pc + 2], code[pc + 3]); pc += 4; break;
        case Op.PROTO: st[sp++] = (f.protoMask() & code[pc + 1]) !== 0 ? 1 : 0; pc += 2; break;
        case Op.HOST_HAS: st[sp++] = f.hostHas !== undefined && f.hostHas(this.rs.tconsts[code[pc + 1]], code[pc + 2]) ? 1 : 0; pc += 3; break;
        case Op.HOST_TAG: if (f.hostTag !== undefined) f.hostTag(this.rs.tconsts[code[pc + 1]], code[pc + 2], code[pc + 3]); st[sp++] = 1; pc += 4; break;
        case Op.BYTES_NUM: {
          // the engine's parsed value first (http.status: parsed once per transaction by the
          // HTTP parser); else the field's text as a decimal number (sources that only give bytes)
          const fid = code[pc + 1], key = code[pc + 2];
          let v = key < 0 ? f.num(fid) : NaN;
          if (v !== v && f.bytes(fid, key < 0 ? null : this.rs.tconsts[key], this.slice)) v = decimalOf(this.slice.buf, this.slice.off, this.slice.len);
          st[sp++] = v; pc += 3; break;
        }
        default: throw new Error(`bad opcode ${op} at ${pc}`);
      }
    }
    this.sp = sp;
  }

  private quant(kind: number, q: number, c: number, n: number): number {
    switch (kind) {
      case Quant.ANY: return c > 0 ? 1 : 0;
      case Quant.ALL: return c === n ? 1 : 0;
      case Quant.NONE: return c === 0 ? 1 : 0;
      case Quant.N: return q !== q ? NaN : q === 0 ? (c === 0 ? 1 : 0) : c >= q ? 1 : 0;
      default: return q !== q ? NaN : c * 100 >= q * n ? 1 : 0;
    }
  }
}

export { alnum };
