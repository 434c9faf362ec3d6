/**
 * CIDR sets: IPv4 and IPv6 networks with O(prefix length) membership tests.
 *
 * Structure (IPv4): single addresses (/32) in an open-addressing hash set, networks in a multibit
 * trie whose root is a direct table over the first 16 bits, then 4-bit strides (controlled
 * prefix expansion): a lookup is one hash probe + at most 5 slot reads. (IPv6): a 4-bit-stride
 * trie, at most 32 slot reads (IPv6 lists are short). A slot is
 *   0        empty (no network covers this nibble path),
 *   -1       covered (a network ends here: every address below matches),
 *   n > 0    the child node (IPv4: its offset in the table; IPv6: its index).
 * Lookups stop at the first covered slot and allocate nothing. Why not a 1-bit trie: 4x the
 * reads and a pointer per bit. Why not 8-bit strides everywhere: a sparse list of /25s costs
 * 256 slots (1 KiB) per node where 16 slots (64 B) suffice. Why hosts apart: half of a typical
 * drop list is /32s, each of which would cost 4 trie nodes. Figures: bench/sets, docs/performance.md.
 *
 * `contains` answers "is this address inside any network of the set". Which network matched is
 * not kept (no longest-prefix result is needed for block/allow decisions); a wider network
 * simply overwrites the narrower ones below it.
 *
 * The list of networks itself is kept compactly in typed arrays (for listing, removal and
 * persistence); removal rebuilds the trie from that list (O(n), documented in docs/operations.md:
 * removals are rare, lookups are not).
 *
 * Ownership: the set owns its arrays. `contains6(buf, off)` reads 16 bytes at buf[off..off+16)
 * and keeps no reference to buf.
 */
import * as fs from 'fs';
import { Prefix, parsePrefix, formatPrefix, maskWords, mask4 } from './addr';
import { SetFileError } from './errors';
import { FileError } from '../errors';

/** Largest set file line we accept (longer lines are an error: a set file is not free text). */
export const MAX_SET_LINE = 256;
/** Upper bound on networks per set (memory bound: ~1M networks cost tens of MiB of trie). */
export const MAX_SET_ENTRIES = 4_000_000;

const SLOT_COVERED = -1;

/** A 4-bit-stride trie for one address family. */
class StrideTrie {
  table: Int32Array<ArrayBufferLike>;
  nodes = 1; // node 0 is the root
  all = false; // a /0 is present
  constructor(initialNodes = 64) { this.table = new Int32Array(initialNodes * 16); }

  private alloc(): number {
    if ((this.nodes + 1) * 16 > this.table.length) {
      const t = new Int32Array(this.table.length * 2);
      t.set(this.table);
      this.table = t;
    }
    return this.nodes++;
  }

  /** Insert a prefix given as words (big-endian bit order) and length. */
  insert(words: ArrayLike<number>, len: number): void {
    if (len === 0) { this.all = true; return; }
    const last = ((len + 3) >> 2) - 1;
    let node = 0;
    for (let level = 0; level < last; level++) {
      const nib = (words[level >> 3] >>> (28 - 4 * (level & 7))) & 15;
      const idx = node * 16 + nib;
      const v = this.table[idx];
      if (v === SLOT_COVERED) return; // a wider network already covers this one
      if (v === 0) {
        const child = this.alloc();
        this.table[node * 16 + nib] = child; // re-index: alloc may have replaced the table
        node = child;
      } else node = v;
    }
    const r = len - 4 * last; // 1..4 fixed bits in the last nibble
    const nib = (words[last >> 3] >>> (28 - 4 * (last & 7))) & 15;
    const span = 1 << (4 - r);
    const base = nib & ~(span - 1) & 15;
    const t = this.table;
    for (let i = 0; i < span; i++) t[node * 16 + base + i] = SLOT_COVERED;
  }

  /** IPv4 lookup: at most 8 slot reads. */
  has4(a: number): boolean {
    if (this.all) return true;
    const t = this.table;
    let node = 0;
    for (let shift = 28; shift >= 0; shift -= 4) {
      const v = t[node * 16 + ((a >>> shift) & 15)];
      if (v < 0) return true;
      if (v === 0) return false;
      node = v;
    }
    return false;
  }

  /** IPv6 lookup over 16 bytes at buf[off]: at most 32 slot reads. */
  has6(buf: Uint8Array, off: number): boolean {
    if (this.all) return true;
    const t = this.table;
    let node = 0;
    for (let i = 0; i < 16; i++) {
      const b = buf[off + i];
      let v = t[node * 16 + (b >>> 4)];
      if (v < 0) return true;
      if (v === 0) return false;
      v = t[v * 16 + (b & 15)];
      if (v < 0) return true;
      if (v === 0) return false;
      node = v;
    }
    return false;
  }

  /** IPv6 lookup from 4 words. */
  has6w(w: ArrayLike<number>): boolean {
    if (this.all) return true;
    const t = this.table;
    let node = 0;
    for (let level = 0; level < 32; level++) {
      const v = t[node * 16 + ((w[level >> 3] >>> (28 - 4 * (level & 7))) & 15)];
      if (v < 0) return true;
      if (v === 0) return false;
      node = v;
    }
    return false;
  }

  bytes(): number { return this.nodes * 16 * 4; }

  /** A trie over an existing table (read-only use: snapshots in workers). */
  static over(table: Int32Array, all: boolean): StrideTrie {
    const t = new StrideTrie(1);
    t.table = table;
    t.nodes = table.length / 16;
    t.all = all;
    return t;
  }
}


/** Bits resolved by the IPv4 root table (65536 slots, 256 KiB). */
export const V4_ROOT_BITS = 16;
const V4_ROOT = 1 << V4_ROOT_BITS;

/**
 * IPv4 index: single addresses (/32, half of a typical drop list) in an open-addressing hash set
 * (one probe, usually one cache line), networks in a trie whose root resolves the first 16 bits
 * in one read (direct table) and 4 bits per level below: a lookup is one hash probe plus at
 * most 5 slot reads (was 8 with a 4-bit root). Slots hold the *offset* of the child node in the
 * table (root at 0, 16-slot nodes after it), -1 covered, 0 empty.
 */
class V4Index {
  table: Int32Array<ArrayBufferLike>;
  used: number; // slots in use in `table`
  all = false;
  hostKeys: Uint32Array<ArrayBufferLike>;
  hostUsed: Uint8Array<ArrayBufferLike>;
  hostCount = 0;
  constructor(initialNodes = 64, hostCap = 64) {
    this.table = new Int32Array(V4_ROOT + initialNodes * 16);
    this.used = V4_ROOT;
    let c = 16; while (c < hostCap) c <<= 1;
    this.hostKeys = new Uint32Array(c);
    this.hostUsed = new Uint8Array(c);
  }
  get nodes(): number { return (this.used - V4_ROOT) / 16; }

  private alloc(): number {
    if (this.used + 16 > this.table.length) {
      const t = new Int32Array(this.table.length * 2);
      t.set(this.table);
      this.table = t;
    }
    const b = this.used; this.used += 16;
    return b;
  }

  private hostAdd(a: number): void {
    if ((this.hostCount + 1) * 2 > this.hostKeys.length) {
      const ok = this.hostKeys, ou = this.hostUsed;
      this.hostKeys = new Uint32Array(ok.length * 2); this.hostUsed = new Uint8Array(ok.length * 2); this.hostCount = 0;
      for (let i = 0; i < ok.length; i++) if (ou[i]) this.hostAdd(ok[i]);
    }
    const mask = this.hostKeys.length - 1;
    let i = Math.imul(a, 0x9e3779b1) >>> 0 & mask;
    while (this.hostUsed[i]) { if (this.hostKeys[i] === a) return; i = (i + 1) & mask; }
    this.hostUsed[i] = 1; this.hostKeys[i] = a; this.hostCount++;
  }

  insert(words: ArrayLike<number>, len: number): void {
    const a = words[0] >>> 0;
    if (len === 0) { this.all = true; return; }
    if (len === 32) { this.hostAdd(a); return; }
    const t0 = this.table;
    if (len <= V4_ROOT_BITS) {
      const span = 1 << (V4_ROOT_BITS - len);
      const base = (a >>> V4_ROOT_BITS) & ~(span - 1);
      for (let i = 0; i < span; i++) t0[base + i] = SLOT_COVERED;
      return;
    }
    let idx = a >>> V4_ROOT_BITS;
    let v = this.table[idx];
    if (v === SLOT_COVERED) return;
    if (v === 0) { v = this.alloc(); this.table[idx] = v; }
    let node = v;
    // remaining bits [16, len) in 4-bit levels
    const last = V4_ROOT_BITS + (((len - V4_ROOT_BITS + 3) >> 2) - 1) * 4; // bit position of the last nibble
    for (let p = V4_ROOT_BITS; p < last; p += 4) {
      idx = node + ((a >>> (28 - p)) & 15);
      v = this.table[idx];
      if (v === SLOT_COVERED) return;
      if (v === 0) { v = this.alloc(); this.table[idx] = v; }
      node = v;
    }
    const r = len - last; // 1..4
    const nib = (a >>> (28 - last)) & 15;
    const span = 1 << (4 - r);
    const base = nib & ~(span - 1) & 15;
    for (let i = 0; i < span; i++) this.table[node + base + i] = SLOT_COVERED;
  }

  has4(a: number): boolean {
    if (this.all) return true;
    if (this.hostCount > 0) {
      const hk = this.hostKeys, hu = this.hostUsed, mask = hk.length - 1;
      let i = Math.imul(a, 0x9e3779b1) >>> 0 & mask;
      while (hu[i]) { if (hk[i] === a) return true; i = (i + 1) & mask; }
    }
    const t = this.table;
    let v = t[a >>> V4_ROOT_BITS];
    if (v < 0) return true;
    if (v === 0) return false;
    for (let shift = 12; shift >= 0; shift -= 4) {
      v = t[v + ((a >>> shift) & 15)];
      if (v < 0) return true;
      if (v === 0) return false;
    }
    return false;
  }

  bytes(): number { return this.used * 4 + this.hostKeys.length * 5; }

  snapshot(): V4Snapshot {
    const tab = new Int32Array(new SharedArrayBuffer(this.used * 4)); tab.set(this.table.subarray(0, this.used));
    const hk = new Uint32Array(new SharedArrayBuffer(this.hostKeys.length * 4)); hk.set(this.hostKeys);
    const hu = new Uint8Array(new SharedArrayBuffer(this.hostUsed.length)); hu.set(this.hostUsed);
    return { table: tab, all: this.all, hostKeys: hk, hostUsed: hu, hostCount: this.hostCount };
  }
  static over(s: V4Snapshot): V4Index {
    const x = new V4Index(0, 16);
    x.table = s.table; x.used = s.table.length; x.all = s.all; x.hostKeys = s.hostKeys; x.hostUsed = s.hostUsed; x.hostCount = s.hostCount;
    return x;
  }
}

export interface V4Snapshot { table: Int32Array; all: boolean; hostKeys: Uint32Array; hostUsed: Uint8Array; hostCount: number }

/** Structured-cloneable, shared, read-only tries of a CidrSet (see CidrSet.snapshot()). */
export interface CidrSnapshot { v4: V4Snapshot; t6: Int32Array; all6: boolean; size: number }

/** Read-only lookups over a CidrSnapshot, in any thread. Same cost and contract as CidrSet.contains. */
export class CidrReader {
  private readonly t4: V4Index;
  private readonly t6: StrideTrie;
  readonly size: number;
  constructor(s: CidrSnapshot) {
    this.t4 = V4Index.over(s.v4);
    this.t6 = StrideTrie.over(s.t6, s.all6);
    this.size = s.size;
  }
  contains(a: number): boolean { return this.t4.has4(a); }
  contains6(buf: Uint8Array, off: number): boolean { return this.t6.has6(buf, off); }
  containsWords(family: 4 | 6, w: ArrayLike<number>): boolean { return family === 4 ? this.t4.has4(w[0] >>> 0) : this.t6.has6w(w); }
}

export interface CidrSetOptions {
  /** Aggregate IPv4 networks longer than this to this length (e.g. 24: one bad host implies its /24). */
  aggregate4?: number;
  /** Same for IPv6 (e.g. 64). */
  aggregate6?: number;
}

/**
 * A set of IPv4 and IPv6 networks. Build with `CidrSet.fromFile`/`fromText`/`add`; query with
 * `contains`, `contains6`, `containsWords`.
 */
export class CidrSet {
  private t4 = new V4Index();
  private t6 = new StrideTrie();
  /** Entries: IPv4 as (addr, len) pairs; IPv6 as (w0, w1, w2, w3, len) quintuples. */
  private e4 = new Uint32Array(256);
  private n4 = 0;
  private e6 = new Uint32Array(320);
  private n6 = 0;
  readonly aggregate4: number;
  readonly aggregate6: number;
  /** Where the set came from (file path), for reload and diagnostics. */
  source: string | null = null;

  constructor(opts: CidrSetOptions = {}) {
    this.aggregate4 = opts.aggregate4 ?? 32;
    this.aggregate6 = opts.aggregate6 ?? 128;
    if (!(this.aggregate4 >= 0 && this.aggregate4 <= 32)) throw new RangeError('aggregate4 must be 0..32');
    if (!(this.aggregate6 >= 0 && this.aggregate6 <= 128)) throw new RangeError('aggregate6 must be 0..128');
  }

  /** Number of networks stored (after aggregation; duplicates are stored once per add). */
  get size(): number { return this.n4 + this.n6; }
  /** Trie memory in bytes (both families). */
  get trieBytes(): number { return this.t4.bytes() + this.t6.bytes(); }

  /** Is the IPv4 address (u32, host order: PacketView.src4) inside a network of the set? No allocation. */
  contains(a: number): boolean { return this.t4.has4(a); }
  /** Is the IPv6 address at buf[off..off+16) inside a network of the set? No allocation. */
  contains6(buf: Uint8Array, off: number): boolean { return this.t6.has6(buf, off); }
  /** Lookup by family and words (API paths). */
  containsWords(family: 4 | 6, w: ArrayLike<number>): boolean {
    return family === 4 ? this.t4.has4(w[0] >>> 0) : this.t6.has6w(w);
  }

  /**
   * Copy the tries into SharedArrayBuffers for worker threads (`new CidrReader(snapshot)` there).
   * The snapshot is immutable: a reload builds a new set and posts a new snapshot.
   */
  snapshot(): CidrSnapshot {
    const copy = (t: StrideTrie): Int32Array => {
      const sab = new SharedArrayBuffer(t.nodes * 16 * 4);
      const a = new Int32Array(sab);
      a.set(t.table.subarray(0, t.nodes * 16));
      return a;
    };
    return { v4: this.t4.snapshot(), t6: copy(this.t6), all6: this.t6.all, size: this.size };
  }

  /** Add a prefix (aggregated per options). Returns the prefix as stored. */
  addPrefix(p: Prefix): Prefix {
    if (this.size >= MAX_SET_ENTRIES) throw new RangeError(`set is full (MAX_SET_ENTRIES = ${MAX_SET_ENTRIES})`);
    if (p.family === 4) {
      let len = p.len;
      let a = p.words[0];
      if (len > this.aggregate4) { len = this.aggregate4; a = mask4(a, len); }
      this.push4(a, len);
      this.t4.insert([a], len);
      const w = new Uint32Array(4); w[0] = a;
      return { family: 4, words: w, len };
    }
    let len = p.len;
    const w = Uint32Array.from(p.words);
    if (len > this.aggregate6) { len = this.aggregate6; maskWords(w, len, 6); }
    this.push6(w, len);
    this.t6.insert(w, len);
    return { family: 6, words: w, len };
  }

  /** Add from text ("10.0.0.0/8", "2001:db8::1"); throws RangeError on bad text. */
  add(text: string): Prefix {
    const p = parsePrefix(text);
    if (!p) throw new RangeError(`not an address or network: ${JSON.stringify(text)}`);
    return this.addPrefix(p);
  }

  /**
   * Remove every stored network equal to `p` (after aggregation). Rebuilds the tries: O(n).
   * Returns the number of entries removed (0: not present as such; a network that is only
   * covered by a wider one is not removed).
   */
  remove(p: Prefix): number {
    let removed = 0;
    if (p.family === 4) {
      let len = p.len, a = p.words[0];
      if (len > this.aggregate4) { len = this.aggregate4; a = mask4(a, len); }
      let j = 0;
      for (let i = 0; i < this.n4; i++) {
        if (this.e4[2 * i] === a && this.e4[2 * i + 1] === len) { removed++; continue; }
        this.e4[2 * j] = this.e4[2 * i]; this.e4[2 * j + 1] = this.e4[2 * i + 1]; j++;
      }
      this.n4 = j;
      if (removed) this.rebuild4();
    } else {
      const w = Uint32Array.from(p.words);
      let len = p.len;
      if (len > this.aggregate6) { len = this.aggregate6; maskWords(w, len, 6); }
      let j = 0;
      for (let i = 0; i < this.n6; i++) {
        const o = 5 * i;
        const e = this.e6;
        if (e[o] === w[0] && e[o + 1] === w[1] && e[o + 2] === w[2] && e[o + 3] === w[3] && e[o + 4] === len) { removed++; continue; }
        e.copyWithin(5 * j, o, o + 5); j++;
      }
      this.n6 = j;
      if (removed) this.rebuild6();
    }
    return removed;
  }

  /** All networks as text, in insertion order (bounded by `limit`). */
  list(limit = Infinity): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.n4 && out.length < limit; i++) {
      const w = new Uint32Array(4); w[0] = this.e4[2 * i];
      out.push(formatPrefix({ family: 4, words: w, len: this.e4[2 * i + 1] }));
    }
    for (let i = 0; i < this.n6 && out.length < limit; i++) {
      const o = 5 * i;
      out.push(formatPrefix({ family: 6, words: this.e6.subarray(o, o + 4), len: this.e6[o + 4] }));
    }
    return out;
  }

  private push4(a: number, len: number): void {
    if (2 * this.n4 + 2 > this.e4.length) { const e = new Uint32Array(this.e4.length * 2); e.set(this.e4); this.e4 = e; }
    this.e4[2 * this.n4] = a; this.e4[2 * this.n4 + 1] = len; this.n4++;
  }
  private push6(w: Uint32Array, len: number): void {
    if (5 * this.n6 + 5 > this.e6.length) { const e = new Uint32Array(this.e6.length * 2); e.set(this.e6); this.e6 = e; }
    const o = 5 * this.n6;
    this.e6[o] = w[0]; this.e6[o + 1] = w[1]; this.e6[o + 2] = w[2]; this.e6[o + 3] = w[3]; this.e6[o + 4] = len; this.n6++;
  }
  private rebuild4(): void {
    // Build aside, then swap: a lookup between batches never sees a half-built trie.
    const t = new V4Index(Math.max(64, this.t4.nodes), this.t4.hostCount);
    const w = [0];
    for (let i = 0; i < this.n4; i++) { w[0] = this.e4[2 * i]; t.insert(w, this.e4[2 * i + 1]); }
    this.t4 = t;
  }
  private rebuild6(): void {
    const t = new StrideTrie(Math.max(64, this.t6.nodes));
    for (let i = 0; i < this.n6; i++) { const o = 5 * i; t.insert(this.e6.subarray(o, o + 4), this.e6[o + 4]); }
    this.t6 = t;
  }

  /**
   * Parse set text: one network or address per line, `#` starts a comment (whole line or
   * trailing), blank lines ignored. Errors name `name:line`.
   */
  static fromText(text: string, name: string, opts: CidrSetOptions = {}): CidrSet {
    const set = new CidrSet(opts);
    set.source = name;
    const w = [0];
    let lineNo = 0;
    let pos = 0;
    const n = text.length;
    while (pos < n) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      lineNo++;
      const lineStart = pos;
      pos = end + 1;
      if (end - lineStart > MAX_SET_LINE) throw new SetFileError(name, lineNo, `line longer than MAX_SET_LINE (${MAX_SET_LINE})`);
      // Fast path for the common "a.b.c.d[/len]" line: char codes, no substring/regex
      // (the generic parser costs ~5x more per line; 1M lines is the bench case).
      let i = lineStart;
      while (i < end && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
      // comment start within this line only (indexOf('#') would scan the rest of the file:
      // quadratic on a list without comments)
      let stop = i;
      while (stop < end && text.charCodeAt(stop) !== 35 /* # */) stop++;
      while (stop > i && (text.charCodeAt(stop - 1) <= 32)) stop--;
      if (stop <= i) continue;
      let a = 0, part = 0, parts = 0, digits = 0, ok = true, j = i, len = 32;
      for (; j < stop; j++) {
        const c = text.charCodeAt(j);
        if (c >= 48 && c <= 57) {
          if (digits > 0 && part === 0) { ok = false; break; } // leading zero
          part = part * 10 + (c - 48); digits++;
          if (part > 255) { ok = false; break; }
        } else if (c === 46) {
          if (digits === 0 || parts === 3) { ok = false; break; }
          a = a * 256 + part; parts++; part = 0; digits = 0;
        } else break;
      }
      if (ok && parts === 3 && digits > 0) {
        a = (a * 256 + part) >>> 0;
        if (j < stop) {
          if (text.charCodeAt(j) !== 47 /* / */) ok = false;
          else {
            len = 0; let d = 0;
            for (j++; j < stop; j++) {
              const c = text.charCodeAt(j);
              if (c < 48 || c > 57 || d > 2) { ok = false; break; }
              len = len * 10 + (c - 48); d++;
            }
            if (d === 0 || len > 32) ok = false;
          }
        }
        if (ok) {
          if (len > set.aggregate4) len = set.aggregate4;
          a = mask4(a, len);
          if (set.size >= MAX_SET_ENTRIES) throw new SetFileError(name, lineNo, `more than MAX_SET_ENTRIES (${MAX_SET_ENTRIES}) networks`);
          set.push4(a, len);
          w[0] = a;
          set.t4.insert(w, len);
          continue;
        }
      }
      const s = text.slice(i, stop);
      const p = parsePrefix(s);
      if (!p) throw new SetFileError(name, lineNo, `not an address or network: ${JSON.stringify(s.length > 60 ? s.slice(0, 60) + '...' : s)}`);
      if (set.size >= MAX_SET_ENTRIES) throw new SetFileError(name, lineNo, `more than MAX_SET_ENTRIES (${MAX_SET_ENTRIES}) networks`);
      set.addPrefix(p);
    }
    return set;
  }

  /** Load a set file (see fromText). Throws FileError / SetFileError. */
  static fromFile(file: string, opts: CidrSetOptions = {}): CidrSet {
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new FileError(file, (e as NodeJS.ErrnoException).code ?? String(e)); }
    return CidrSet.fromText(text, file, opts);
  }
}
