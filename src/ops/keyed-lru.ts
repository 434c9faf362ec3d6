/**
 * A bounded map from 5-word keys to small integer slots, with LRU eviction, in typed arrays.
 * The shared index under rate counters, the scan detector and the SYN-flood detector: each
 * keeps its per-key state in parallel typed arrays indexed by the slot this map returns.
 *
 * Hash index: open addressing with linear probing at load factor <= 0.5, deletion by backward
 * shift (no tombstones: eviction happens on every insert when full, tombstones would pile up).
 * LRU: a doubly linked list through Int32Array prev/next. `touch` costs a hash, a short probe and
 * four array writes; nothing is allocated.
 */
export class KeyedLru {
  readonly capacity: number;
  private readonly mask: number;
  private readonly index: Int32Array;      // hash slots -> entry id, -1 empty
  private readonly keys: Uint32Array;      // entry id * 5
  private readonly hashes: Uint32Array;    // entry id -> hash
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private head = -1; // most recently used
  private tail = -1; // least recently used
  private used = 0;
  /** Entries evicted to make room (the named limit was hit). */
  evictions = 0;
  /** Set by touch(): true when the returned entry is new (caller resets its state). */
  fresh = false;

  constructor(capacity: number) {
    if (!(capacity >= 1 && capacity <= 1 << 24)) throw new RangeError('KeyedLru capacity must be 1..2^24');
    this.capacity = capacity;
    let c = 2; while (c < capacity * 2) c <<= 1;
    this.mask = c - 1;
    this.index = new Int32Array(c).fill(-1);
    this.keys = new Uint32Array(capacity * 5);
    this.hashes = new Uint32Array(capacity);
    this.prev = new Int32Array(capacity).fill(-1);
    this.next = new Int32Array(capacity).fill(-1);
  }

  get size(): number { return this.used; }

  static hash(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    let h = 0x811c9dc5 ^ k4;
    h = Math.imul(h ^ k0, 0x85ebca6b); h ^= h >>> 15;
    h = Math.imul(h ^ k1, 0xc2b2ae35); h ^= h >>> 13;
    h = Math.imul(h ^ k2, 0x85ebca6b); h ^= h >>> 16;
    h = Math.imul(h ^ k3, 0xc2b2ae35); h ^= h >>> 15;
    return h >>> 0;
  }

  /** Find the entry for the key, or -1 (does not change LRU order). */
  find(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const h = KeyedLru.hash(k0, k1, k2, k3, k4);
    let i = h & this.mask;
    for (;;) {
      const e = this.index[i];
      if (e < 0) return -1;
      const o = e * 5, k = this.keys;
      if (this.hashes[e] === h && k[o] === k0 && k[o + 1] === k1 && k[o + 2] === k2 && k[o + 3] === k3 && k[o + 4] === k4) return e;
      i = (i + 1) & this.mask;
    }
  }

  /** Entry for the key, inserting (and evicting the least recently used when full). Marks it most recent. */
  touch(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const h = KeyedLru.hash(k0, k1, k2, k3, k4);
    let i = h & this.mask;
    for (;;) {
      const e = this.index[i];
      if (e < 0) break;
      const o = e * 5, k = this.keys;
      if (this.hashes[e] === h && k[o] === k0 && k[o + 1] === k1 && k[o + 2] === k2 && k[o + 3] === k3 && k[o + 4] === k4) {
        this.fresh = false;
        this.moveToHead(e);
        return e;
      }
      i = (i + 1) & this.mask;
    }
    let e: number;
    if (this.used < this.capacity) {
      e = this.used++;
    } else {
      e = this.tail;
      this.unindex(e);
      this.unlink(e);
      this.evictions++;
      // the removal may have shifted entries: find the insertion slot again
      i = h & this.mask;
      while (this.index[i] >= 0) i = (i + 1) & this.mask;
    }
    this.index[i] = e;
    this.hashes[e] = h;
    const o = e * 5;
    this.keys[o] = k0; this.keys[o + 1] = k1; this.keys[o + 2] = k2; this.keys[o + 3] = k3; this.keys[o + 4] = k4;
    this.linkHead(e);
    this.fresh = true;
    return e;
  }

  /** Key words of an entry (for listing). */
  keyOf(e: number): Uint32Array { return this.keys.subarray(e * 5, e * 5 + 5); }

  private unindex(e: number): void {
    let i = this.hashes[e] & this.mask;
    while (this.index[i] !== e) i = (i + 1) & this.mask;
    // backward-shift deletion
    let j = i;
    for (;;) {
      j = (j + 1) & this.mask;
      const f = this.index[j];
      if (f < 0) break;
      const home = this.hashes[f] & this.mask;
      // move f into the hole at i if its home is not in the cyclic range (i, j]
      const inRange = i <= j ? (home > i && home <= j) : (home > i || home <= j);
      if (!inRange) { this.index[i] = f; i = j; }
    }
    this.index[i] = -1;
  }
  private unlink(e: number): void {
    const p = this.prev[e], n = this.next[e];
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
    this.prev[e] = -1; this.next[e] = -1;
  }
  private linkHead(e: number): void {
    this.prev[e] = -1; this.next[e] = this.head;
    if (this.head >= 0) this.prev[this.head] = e;
    this.head = e;
    if (this.tail < 0) this.tail = e;
  }
  private moveToHead(e: number): void {
    if (this.head === e) return;
    this.unlink(e);
    this.linkHead(e);
  }
}
