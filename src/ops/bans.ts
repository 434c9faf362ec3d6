/**
 * Timed bans: addresses (or networks) with an expiry, for `block src for 10m` and the control API.
 *
 * Exactness: an entry is live while `now < expiresAt`, checked at lookup time against the clock
 * the caller passes (the packet timestamp inline, which is the wall clock there). There is no
 * sweeper whose period could let a ban outlive its expiry; expired entries are removed lazily
 * when a lookup meets them, and by `sweep()` (bounded work, called off the hot path) to reclaim
 * memory.
 *
 * Renewal: adding an entry that exists sets its expiry to max(old, new). A ban is never shortened
 * by a renewal (use remove() then add() to shorten). Each entry keeps its own expiry, so bans
 * renewed in the same second by different events do not expire together unless their new
 * expiries are equal.
 *
 * Storage: open addressing in typed arrays (5 u32 key words per slot: 4 address words + length
 * with the family in bit 8; a Float64Array of expiries). A lookup masks the address for each
 * prefix length present in the table (usually only /32 or /128) and probes: no allocation.
 *
 * Persistence: `BanStore` writes the live entries to a state file, atomically (write temp +
 * fsync + rename), debounced (at most one write per STATE_WRITE_DELAY_MS, off the hot path),
 * and loads it at start, discarding entries already expired.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Prefix, parsePrefix, formatPrefix, mask4 } from './addr';
import { StateFileError } from './errors';
import { KeyedLru } from './keyed-lru';

/** Upper bound on live ban entries per table (memory: ~32 B per slot at load factor 0.5). */
export const MAX_BANS = 1 << 20;
/** Debounce of state file writes. */
export const STATE_WRITE_DELAY_MS = 1000;
/** Entries examined per sweep() call. */
export const SWEEP_BATCH = 4096;

const KW = 5; // key words per slot
const EMPTY = 0, USED = 1, TOMB = 2;

/** The same 5-word key hash as the rate/scan tables (one mixer for every keyed table). */
const hashKey = KeyedLru.hash;

export interface BanEntry { addr: string; expiresAt: number /* ms since epoch, Infinity = permanent */; }

export interface BanCounters {
  added: number; renewed: number; removed: number; expired: number; full: number;
}

/** Header words (Int32Array at byte 0 of the table's buffer). */
const H_SEQ = 0, H_USED = 1, H_TOMBS = 2, H_CAP = 3, H_WORDS = 8;
const LENS_WORDS = 33 + 129; // live entries per prefix length: IPv4 0..32, then IPv6 0..128
/** Reader retries when a write overlaps a lookup (seqlock); after that the lookup says "not banned". */
export const SEQLOCK_TRIES = 8;

/** Views over one table buffer (ArrayBuffer, or SharedArrayBuffer for cross-thread readers). */
class Store {
  readonly hdr: Int32Array;
  readonly lens: Uint32Array;
  readonly keys: Uint32Array;
  readonly exp: Float64Array;
  readonly state: Uint8Array;
  constructor(readonly buf: ArrayBuffer | SharedArrayBuffer, readonly cap: number) {
    let o = 0;
    this.hdr = new Int32Array(buf, o, H_WORDS); o += H_WORDS * 4;
    this.lens = new Uint32Array(buf, o, LENS_WORDS); o += LENS_WORDS * 4;
    o = (o + 7) & ~7;
    this.exp = new Float64Array(buf, o, cap); o += cap * 8;
    this.keys = new Uint32Array(buf, o, cap * KW); o += cap * KW * 4;
    this.state = new Uint8Array(buf, o, cap);
  }
  static bytes(cap: number): number { return ((H_WORDS * 4 + LENS_WORDS * 4 + 7) & ~7) + cap * 8 + cap * KW * 4 + cap; }
  static alloc(cap: number, shared: boolean): Store {
    const n = Store.bytes(cap);
    const st = new Store(shared ? new SharedArrayBuffer(n) : new ArrayBuffer(n), cap);
    st.hdr[H_CAP] = cap;
    return st;
  }
}

function presentLists(lens: Uint32Array): [Int32Array<ArrayBuffer>, Int32Array<ArrayBuffer>] {
  const p4: number[] = [], p6: number[] = [];
  for (let l = 32; l >= 0; l--) if (lens[l]) p4.push(l);
  for (let l = 128; l >= 0; l--) if (lens[33 + l]) p6.push(l);
  return [Int32Array.from(p4), Int32Array.from(p6)];
}

function findIn(st: Store, k0: number, k1: number, k2: number, k3: number, k4: number): number {
  const cap = st.cap, mask = cap - 1, state = st.state, k = st.keys;
  let i = hashKey(k0, k1, k2, k3, k4) & mask;
  for (let probes = 0; probes < cap; probes++) {
    const sv = state[i];
    if (sv === EMPTY) return -1;
    if (sv === USED) {
      const o = i * KW;
      if (k[o] === k0 && k[o + 1] === k1 && k[o + 2] === k2 && k[o + 3] === k3 && k[o + 4] === k4) return i;
    }
    i = (i + 1) & mask;
  }
  return -1;
}

/** Mask 16 address bytes at buf[off] to `len` bits into w (4 words). */
function maskBytes6(buf: Uint8Array, off: number, len: number, w: Uint32Array): void {
  for (let q = 0; q < 4; q++) {
    const o = off + 4 * q;
    const v = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
    const keep = len - 32 * q;
    w[q] = keep >= 32 ? v : keep <= 0 ? 0 : (v & ~(0xffffffff >>> keep)) >>> 0;
  }
}

export interface BanTableOptions {
  /** Initial slots (grows unless shared). */
  initialCap?: number;
  /** Live entries bound (named limit: MAX_BANS). */
  maxEntries?: number;
  /**
   * Put the table in a SharedArrayBuffer so worker threads can read it (BanReader) while this
   * thread writes: capacity is then fixed at 2 x maxEntries slots (allocated up front).
   */
  shared?: boolean;
}

/**
 * The writer side of a ban table (one thread: the main thread inline). Also usable alone
 * (offline replay, tests). Cross-thread readers use `BanReader` over `buffer`.
 *
 * Concurrency (shared mode): a seqlock. Every change increments H_SEQ to odd, writes, then to
 * even (Atomics); a reader retries a lookup that overlapped a write (SEQLOCK_TRIES). Writes are
 * rare (API calls, ban actions), lookups are per packet: readers never write.
 */
export class BanTable {
  private st: Store;
  readonly shared: boolean;
  readonly maxEntries: number;
  private present4: Int32Array<ArrayBuffer> = new Int32Array(0);
  private present6: Int32Array<ArrayBuffer> = new Int32Array(0);
  private sweepPos = 0;
  readonly counters: BanCounters = { added: 0, renewed: 0, removed: 0, expired: 0, full: 0 };
  /** Called after every change (add/remove/expire); BanStore hooks its debounced write here. */
  onChange: (() => void) | null = null;
  private scratch = new Uint32Array(4);

  constructor(initialCapOrOpts: number | BanTableOptions = 1024, maxEntries = MAX_BANS) {
    const o: BanTableOptions = typeof initialCapOrOpts === 'number' ? { initialCap: initialCapOrOpts, maxEntries } : initialCapOrOpts;
    this.maxEntries = o.maxEntries ?? MAX_BANS;
    this.shared = o.shared === true;
    let c = 16;
    const want = this.shared ? this.maxEntries * 2 : (o.initialCap ?? 1024);
    while (c < want) c <<= 1;
    this.st = Store.alloc(c, this.shared);
  }

  /** The table's buffer: post it to worker threads and wrap it with `new BanReader(buffer)`. */
  get buffer(): ArrayBuffer | SharedArrayBuffer { return this.st.buf; }
  /** Live-or-not-yet-swept entries. */
  get size(): number { return this.st.hdr[H_USED]; }
  private get cap(): number { return this.st.cap; }

  private begin(): void { if (this.shared) Atomics.add(this.st.hdr, H_SEQ, 1); }
  private end(): void { if (this.shared) Atomics.add(this.st.hdr, H_SEQ, 1); }

  /**
   * Add or renew. `expiresAt` in ms (same clock as lookups); Infinity = until removed.
   * Returns false (and counts `full`) when the table holds maxEntries.
   */
  add(p: Prefix, expiresAt: number): boolean {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = findIn(this.st, p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i >= 0) {
      if (expiresAt > this.st.exp[i]) { this.begin(); this.st.exp[i] = expiresAt; this.end(); }
      this.counters.renewed++;
      this.onChange?.();
      return true;
    }
    if (this.size >= this.maxEntries) { this.counters.full++; return false; }
    this.begin();
    const h = this.st.hdr;
    if ((h[H_USED] + h[H_TOMBS] + 1) * 2 > this.cap) {
      if (this.shared) this.rehash(this.cap);
      else this.rehash(h[H_USED] + 1 > this.cap / 4 ? this.cap * 2 : this.cap);
    }
    const s = this.insertSlot(p.words[0], p.words[1], p.words[2], p.words[3], k4);
    this.st.exp[s] = expiresAt;
    this.st.hdr[H_USED]++;
    const li = (p.family === 6 ? 33 : 0) + p.len;
    this.st.lens[li]++;
    if (this.st.lens[li] === 1) [this.present4, this.present6] = presentLists(this.st.lens);
    this.end();
    this.counters.added++;
    this.onChange?.();
    return true;
  }

  /** Remove an entry exactly (family, network, length). Returns whether it was present. */
  remove(p: Prefix): boolean {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = findIn(this.st, p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i < 0) return false;
    this.kill(i);
    this.counters.removed++;
    this.onChange?.();
    return true;
  }

  /** Expiry of an exact entry, or -1 when absent/expired at `now`. */
  expiryOf(p: Prefix, now: number): number {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = findIn(this.st, p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i < 0) return -1;
    if (this.st.exp[i] <= now) { this.expire(i); return -1; }
    return this.st.exp[i];
  }

  /** Is IPv4 address `a` (u32 host order) banned at `now`? No allocation. */
  has4(a: number, now: number): boolean {
    const pl = this.present4;
    for (let j = 0; j < pl.length; j++) {
      const len = pl[j];
      const i = findIn(this.st, mask4(a, len), 0, 0, 0, len);
      if (i >= 0) {
        if (this.st.exp[i] > now) return true;
        this.expire(i);
      }
    }
    return false;
  }

  /** Is the IPv6 address at buf[off..off+16) banned at `now`? No allocation. */
  has6(buf: Uint8Array, off: number, now: number): boolean {
    const pl = this.present6;
    if (pl.length === 0) return false;
    const w = this.scratch;
    for (let j = 0; j < pl.length; j++) {
      const len = pl[j];
      maskBytes6(buf, off, len, w);
      const i = findIn(this.st, w[0], w[1], w[2], w[3], 256 | len);
      if (i >= 0) {
        if (this.st.exp[i] > now) return true;
        this.expire(i);
      }
    }
    return false;
  }

  /** Lookup by parsed address (API paths). */
  hasPrefix(p: Prefix, now: number): boolean {
    if (p.family === 4) return this.has4(p.words[0], now);
    const b = new Uint8Array(16);
    for (let q = 0; q < 4; q++) { b[4 * q] = p.words[q] >>> 24; b[4 * q + 1] = p.words[q] >>> 16; b[4 * q + 2] = p.words[q] >>> 8; b[4 * q + 3] = p.words[q]; }
    return this.has6(b, 0, now);
  }

  /** Reclaim up to SWEEP_BATCH slots' worth of expired entries. Off the hot path (timer). */
  sweep(now: number): number {
    let n = 0;
    for (let k = 0; k < SWEEP_BATCH && k < this.cap; k++) {
      const i = this.sweepPos;
      this.sweepPos = (this.sweepPos + 1) & (this.cap - 1);
      if (this.st.state[i] === USED && this.st.exp[i] <= now) { this.expire(i); n++; }
    }
    return n;
  }

  /** Live entries at `now` (for listing and persistence). */
  entries(now: number, limit = Infinity): BanEntry[] {
    const out: BanEntry[] = [];
    const st = this.st;
    for (let i = 0; i < this.cap && out.length < limit; i++) {
      if (st.state[i] !== USED || st.exp[i] <= now) continue;
      const o = i * KW;
      const fam = (st.keys[o + 4] & 256) ? 6 : 4;
      out.push({ addr: formatPrefix({ family: fam, words: st.keys.subarray(o, o + 4), len: st.keys[o + 4] & 255 }), expiresAt: st.exp[i] });
    }
    return out;
  }

  // ---- internals
  private expire(i: number): void { this.kill(i); this.counters.expired++; this.onChange?.(); }
  private kill(i: number): void {
    const st = this.st;
    const k4 = st.keys[i * KW + 4];
    const li = ((k4 & 256) ? 33 : 0) + (k4 & 255);
    this.begin();
    st.state[i] = TOMB; st.hdr[H_USED]--; st.hdr[H_TOMBS]++;
    st.lens[li]--;
    if (st.lens[li] === 0) [this.present4, this.present6] = presentLists(st.lens);
    this.end();
  }
  private insertSlot(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const st = this.st, mask = this.cap - 1;
    let i = hashKey(k0, k1, k2, k3, k4) & mask;
    while (st.state[i] === USED) i = (i + 1) & mask;
    if (st.state[i] === TOMB) st.hdr[H_TOMBS]--;
    const o = i * KW;
    st.keys[o] = k0; st.keys[o + 1] = k1; st.keys[o + 2] = k2; st.keys[o + 3] = k3; st.keys[o + 4] = k4;
    st.state[i] = USED;
    return i;
  }
  /** Rebuild without tombstones (in place when shared: inside the caller's seqlock write). */
  private rehash(newCap: number): void {
    const old = this.st;
    const live: number[] = [];
    for (let i = 0; i < old.cap; i++) if (old.state[i] === USED) live.push(i);
    const keys = new Uint32Array(live.length * KW), exp = new Float64Array(live.length);
    live.forEach((i, j) => { keys.set(old.keys.subarray(i * KW, i * KW + KW), j * KW); exp[j] = old.exp[i]; });
    if (this.shared) {
      old.state.fill(EMPTY);
      old.hdr[H_TOMBS] = 0;
    } else {
      const st = Store.alloc(newCap, false);
      st.lens.set(old.lens);
      st.hdr[H_USED] = old.hdr[H_USED];
      this.st = st;
    }
    this.sweepPos = 0;
    for (let j = 0; j < live.length; j++) {
      const o = j * KW;
      const s = this.insertSlot(keys[o], keys[o + 1], keys[o + 2], keys[o + 3], keys[o + 4]);
      this.st.exp[s] = exp[j];
    }
  }
}

/**
 * Read-only view of a shared BanTable in another thread (an inline worker). Lookups follow the
 * seqlock and never write (expired entries read as absent; the owner sweeps them).
 */
export class BanReader {
  private readonly st: Store;
  private seenSeq = -1;
  private present4: Int32Array<ArrayBuffer> = new Int32Array(0);
  private present6: Int32Array<ArrayBuffer> = new Int32Array(0);
  private scratch = new Uint32Array(4);
  /** Lookups that gave up after SEQLOCK_TRIES overlapping writes (answered "not banned"). */
  contended = 0;
  constructor(buffer: SharedArrayBuffer | ArrayBuffer) {
    const cap = new Int32Array(buffer, 0, H_WORDS)[H_CAP];
    this.st = new Store(buffer, cap);
  }
  get size(): number { return this.st.hdr[H_USED]; }

  has4(a: number, now: number): boolean {
    const hdr = this.st.hdr;
    for (let t = 0; t < SEQLOCK_TRIES; t++) {
      const s1 = Atomics.load(hdr, H_SEQ);
      if (s1 & 1) continue;
      if (s1 !== this.seenSeq) { [this.present4, this.present6] = presentLists(this.st.lens); this.seenSeq = s1; }
      let hit = false;
      const pl = this.present4;
      for (let j = 0; j < pl.length && !hit; j++) {
        const len = pl[j];
        const i = findIn(this.st, mask4(a, len), 0, 0, 0, len);
        if (i >= 0 && this.st.exp[i] > now) hit = true;
      }
      if (Atomics.load(hdr, H_SEQ) === s1) return hit;
    }
    this.contended++;
    return false;
  }

  has6(buf: Uint8Array, off: number, now: number): boolean {
    const hdr = this.st.hdr;
    for (let t = 0; t < SEQLOCK_TRIES; t++) {
      const s1 = Atomics.load(hdr, H_SEQ);
      if (s1 & 1) continue;
      if (s1 !== this.seenSeq) { [this.present4, this.present6] = presentLists(this.st.lens); this.seenSeq = s1; }
      let hit = false;
      const pl = this.present6, w = this.scratch;
      for (let j = 0; j < pl.length && !hit; j++) {
        const len = pl[j];
        maskBytes6(buf, off, len, w);
        const i = findIn(this.st, w[0], w[1], w[2], w[3], 256 | len);
        if (i >= 0 && this.st.exp[i] > now) hit = true;
      }
      if (Atomics.load(hdr, H_SEQ) === s1) return hit;
    }
    this.contended++;
    return false;
  }
}

/** Clock for bans when no packet time is at hand (API calls). */
export const wallClockMs = (): number => Date.now();

/** Durations ("10m", "500ms"...): the rule language's parser, one for all. */
export { parseDuration } from '../../signatures/duration';

interface StateFileV1 { version: 1; savedAt: number; tables: Record<string, [string, number | null][]> }

/**
 * Persistence for named ban tables. Writes are debounced and asynchronous (never on the verdict
 * path): `markDirty()` is what BanTable.onChange calls; the write happens at most
 * STATE_WRITE_DELAY_MS later. File format (JSON, version 1, documented in docs/operations.md):
 *   {"version":1,"savedAt":ms,"tables":{"NAME":[["10.0.0.1",expiresAtMs|null], ...]}}
 * (null = permanent).
 */
export class BanStore {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private again = false;
  /** Set by flushSync (shutdown): an async write still in flight must not rename over it. */
  private final = false;
  writes = 0;
  writeErrors = 0;
  lastError: string | null = null;

  constructor(readonly file: string, readonly tables: Map<string, BanTable>, readonly clock: () => number = wallClockMs,
              readonly delayMs = STATE_WRITE_DELAY_MS) {
    for (const t of tables.values()) t.onChange = () => this.markDirty();
  }

  /** Attach a table created later. */
  attach(name: string, t: BanTable): void { this.tables.set(name, t); t.onChange = () => this.markDirty(); }

  markDirty(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, this.delayMs);
    this.timer.unref();
  }

  private serialize(): string {
    const now = this.clock();
    const st: StateFileV1 = { version: 1, savedAt: now, tables: {} };
    for (const [name, t] of this.tables) {
      st.tables[name] = t.entries(now).map((e) => [e.addr, Number.isFinite(e.expiresAt) ? e.expiresAt : null]);
    }
    return JSON.stringify(st);
  }

  /** Write now (temp + fsync + rename). Concurrent calls coalesce. */
  async flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.writing) { this.again = true; return this.writing; }
    this.writing = (async () => {
      do {
        this.again = false;
        const data = this.serialize();
        const tmp = `${this.file}.tmp-${process.pid}`;
        try {
          await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
          const fh = await fs.promises.open(tmp, 'w', 0o600);
          try { await fh.writeFile(data); await fh.sync(); } finally { await fh.close(); }
          if (this.final) { await fs.promises.unlink(tmp).catch(() => undefined); break; }
          await fs.promises.rename(tmp, this.file);
          this.writes++;
        } catch (e) {
          this.writeErrors++;
          this.lastError = String((e as Error).message ?? e);
        }
      } while (this.again);
    })();
    try { await this.writing; } finally { this.writing = null; }
  }

  /** Synchronous final write (shutdown): afterwards, async writes still in flight or scheduled are discarded. */
  flushSync(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    // own temp name: an async write may hold the other one open right now
    const tmp = `${this.file}.tmp-${process.pid}-final`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(tmp, 'w', 0o600);
    try { fs.writeSync(fd, this.serialize()); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    fs.renameSync(tmp, this.file);
    this.final = true;
    this.writes++;
  }

  /**
   * Load the state file into the tables (creating tables for unknown names with `make`).
   * Entries expired at `clock()` are discarded. A missing file is not an error (returns 0).
   * A corrupt file throws StateFileError (the caller logs it and starts empty).
   */
  load(make: (name: string) => BanTable = () => new BanTable()): { loaded: number; discarded: number } {
    let text: string;
    try { text = fs.readFileSync(this.file, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { loaded: 0, discarded: 0 };
      throw new StateFileError(this.file, String((e as Error).message));
    }
    let st: StateFileV1;
    try { st = JSON.parse(text) as StateFileV1; } catch (e) { throw new StateFileError(this.file, `not JSON: ${(e as Error).message}`); }
    if (!st || st.version !== 1 || typeof st.tables !== 'object' || st.tables === null) throw new StateFileError(this.file, 'not a version 1 ban state file');
    const now = this.clock();
    let loaded = 0, discarded = 0;
    for (const [name, list] of Object.entries(st.tables)) {
      if (!Array.isArray(list)) throw new StateFileError(this.file, `table ${name}: not a list`);
      let t = this.tables.get(name);
      if (!t) { t = make(name); this.attach(name, t); }
      const saved = t.onChange; t.onChange = null; // loading is not a change to write back
      for (const item of list) {
        if (!Array.isArray(item) || typeof item[0] !== 'string') throw new StateFileError(this.file, `table ${name}: bad entry ${JSON.stringify(item)}`);
        const p = parsePrefix(item[0]);
        const exp = item[1] === null ? Infinity : Number(item[1]);
        if (!p || Number.isNaN(exp)) throw new StateFileError(this.file, `table ${name}: bad entry ${JSON.stringify(item)}`);
        if (exp <= now) { discarded++; continue; }
        t.add(p, exp); loaded++;
      }
      t.onChange = saved;
    }
    return { loaded, discarded };
  }

  close(): void { if (this.timer) { clearTimeout(this.timer); this.timer = null; } }
}
