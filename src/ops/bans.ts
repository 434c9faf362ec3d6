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

/** Upper bound on live ban entries per table (memory: ~32 B per slot at load factor 0.5). */
export const MAX_BANS = 1 << 20;
/** Debounce of state file writes. */
export const STATE_WRITE_DELAY_MS = 1000;
/** Entries examined per sweep() call. */
export const SWEEP_BATCH = 4096;

const KW = 5; // key words per slot
const EMPTY = 0, USED = 1, TOMB = 2;

function hashKey(k0: number, k1: number, k2: number, k3: number, k4: number): number {
  let h = 0x9e3779b1 ^ k4;
  h = Math.imul(h ^ k0, 0x85ebca6b); h ^= h >>> 13;
  h = Math.imul(h ^ k1, 0xc2b2ae35); h ^= h >>> 16;
  h = Math.imul(h ^ k2, 0x85ebca6b); h ^= h >>> 13;
  h = Math.imul(h ^ k3, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

export interface BanEntry { addr: string; expiresAt: number /* ms since epoch, Infinity = permanent */; }

export interface BanCounters {
  added: number; renewed: number; removed: number; expired: number; full: number;
}

export class BanTable {
  private cap: number;
  private keys: Uint32Array;
  private exp: Float64Array;
  private state: Uint8Array;
  private used = 0;
  private tombs = 0;
  /** live entries per prefix length (index len, 0..128) per family */
  private lens4 = new Uint32Array(33);
  private lens6 = new Uint32Array(129);
  /** prefix lengths present, longest first (rebuilt on change; small) */
  private present4 = new Int32Array(0);
  private present6 = new Int32Array(0);
  private sweepPos = 0;
  readonly counters: BanCounters = { added: 0, renewed: 0, removed: 0, expired: 0, full: 0 };
  /** Called after every change (add/remove/expire); BanStore hooks its debounced write here. */
  onChange: (() => void) | null = null;
  private scratch = new Uint32Array(4);

  constructor(initialCap = 1024, readonly maxEntries = MAX_BANS) {
    let c = 16; while (c < initialCap) c <<= 1;
    this.cap = c;
    this.keys = new Uint32Array(c * KW);
    this.exp = new Float64Array(c);
    this.state = new Uint8Array(c);
  }

  /** Live-or-not-yet-swept entries. */
  get size(): number { return this.used; }

  /**
   * Add or renew. `expiresAt` in ms (same clock as lookups); Infinity = until removed.
   * Returns false (and counts `full`) when the table holds maxEntries.
   */
  add(p: Prefix, expiresAt: number): boolean {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = this.find(p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i >= 0) {
      if (expiresAt > this.exp[i]) this.exp[i] = expiresAt;
      this.counters.renewed++;
      this.onChange?.();
      return true;
    }
    if (this.used >= this.maxEntries) { this.counters.full++; return false; }
    if ((this.used + this.tombs + 1) * 2 > this.cap) this.resize(this.used + 1 > this.cap / 4 ? this.cap * 2 : this.cap);
    const s = this.insertSlot(p.words[0], p.words[1], p.words[2], p.words[3], k4);
    this.exp[s] = expiresAt;
    this.used++;
    this.lensFor(p.family)[p.len]++;
    if (this.lensFor(p.family)[p.len] === 1) this.rebuildPresent();
    this.counters.added++;
    this.onChange?.();
    return true;
  }

  /** Remove an entry exactly (family, network, length). Returns whether it was present. */
  remove(p: Prefix): boolean {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = this.find(p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i < 0) return false;
    this.kill(i);
    this.counters.removed++;
    this.onChange?.();
    return true;
  }

  /** Expiry of an exact entry, or -1 when absent/expired at `now`. */
  expiryOf(p: Prefix, now: number): number {
    const k4 = (p.family === 6 ? 256 : 0) | p.len;
    const i = this.find(p.words[0], p.words[1], p.words[2], p.words[3], k4);
    if (i < 0) return -1;
    if (this.exp[i] <= now) { this.expire(i); return -1; }
    return this.exp[i];
  }

  /** Is IPv4 address `a` (u32 host order) banned at `now`? No allocation. */
  has4(a: number, now: number): boolean {
    const pl = this.present4;
    for (let j = 0; j < pl.length; j++) {
      const len = pl[j];
      const m = mask4(a, len);
      const i = this.find(m, 0, 0, 0, len);
      if (i >= 0) {
        if (this.exp[i] > now) return true;
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
      for (let q = 0; q < 4; q++) {
        const o = off + 4 * q;
        const v = ((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0;
        const keep = len - 32 * q;
        w[q] = keep >= 32 ? v : keep <= 0 ? 0 : (v & ~(0xffffffff >>> keep)) >>> 0;
      }
      const i = this.find(w[0], w[1], w[2], w[3], 256 | len);
      if (i >= 0) {
        if (this.exp[i] > now) return true;
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
      if (this.state[i] === USED && this.exp[i] <= now) { this.expire(i); n++; }
    }
    return n;
  }

  /** Live entries at `now` (for listing and persistence). */
  entries(now: number, limit = Infinity): BanEntry[] {
    const out: BanEntry[] = [];
    for (let i = 0; i < this.cap && out.length < limit; i++) {
      if (this.state[i] !== USED || this.exp[i] <= now) continue;
      const o = i * KW;
      const fam = (this.keys[o + 4] & 256) ? 6 : 4;
      out.push({ addr: formatPrefix({ family: fam, words: this.keys.subarray(o, o + 4), len: this.keys[o + 4] & 255 }), expiresAt: this.exp[i] });
    }
    return out;
  }

  // ---- internals
  private lensFor(f: 4 | 6): Uint32Array { return f === 4 ? this.lens4 : this.lens6; }
  private rebuildPresent(): void {
    const p4: number[] = [], p6: number[] = [];
    for (let l = 32; l >= 0; l--) if (this.lens4[l]) p4.push(l);
    for (let l = 128; l >= 0; l--) if (this.lens6[l]) p6.push(l);
    this.present4 = Int32Array.from(p4);
    this.present6 = Int32Array.from(p6);
  }
  private expire(i: number): void { this.kill(i); this.counters.expired++; this.onChange?.(); }
  private kill(i: number): void {
    const k4 = this.keys[i * KW + 4];
    const lens = (k4 & 256) ? this.lens6 : this.lens4;
    const len = k4 & 255;
    this.state[i] = TOMB; this.used--; this.tombs++;
    lens[len]--;
    if (lens[len] === 0) this.rebuildPresent();
  }
  private find(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const mask = this.cap - 1;
    let i = hashKey(k0, k1, k2, k3, k4) & mask;
    for (let probes = 0; probes < this.cap; probes++) {
      const s = this.state[i];
      if (s === EMPTY) return -1;
      if (s === USED) {
        const o = i * KW, k = this.keys;
        if (k[o] === k0 && k[o + 1] === k1 && k[o + 2] === k2 && k[o + 3] === k3 && k[o + 4] === k4) return i;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }
  private insertSlot(k0: number, k1: number, k2: number, k3: number, k4: number): number {
    const mask = this.cap - 1;
    let i = hashKey(k0, k1, k2, k3, k4) & mask;
    while (this.state[i] === USED) i = (i + 1) & mask;
    if (this.state[i] === TOMB) this.tombs--;
    this.state[i] = USED;
    const o = i * KW;
    this.keys[o] = k0; this.keys[o + 1] = k1; this.keys[o + 2] = k2; this.keys[o + 3] = k3; this.keys[o + 4] = k4;
    return i;
  }
  private resize(newCap: number): void {
    const ok = this.keys, oe = this.exp, os = this.state, oc = this.cap;
    this.cap = newCap;
    this.keys = new Uint32Array(newCap * KW);
    this.exp = new Float64Array(newCap);
    this.state = new Uint8Array(newCap);
    this.tombs = 0;
    this.sweepPos = 0;
    for (let i = 0; i < oc; i++) {
      if (os[i] !== USED) continue;
      const o = i * KW;
      const s = this.insertSlot(ok[o], ok[o + 1], ok[o + 2], ok[o + 3], ok[o + 4]);
      this.exp[s] = oe[i];
    }
  }
}

/** Clock for bans when no packet time is at hand (API calls). */
export const wallClockMs = (): number => Date.now();

/** Parse a duration "10m", "30s", "2h", "1d", "500ms" to ms; -1 when invalid. */
export function parseDuration(s: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(s.trim());
  if (!m) return -1;
  const n = Number(m[1]);
  const mult = m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000;
  const v = n * mult;
  return Number.isSafeInteger(v) ? v : -1;
}

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

  /** Synchronous write (shutdown path). */
  flushSync(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    const tmp = `${this.file}.tmp-${process.pid}`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(tmp, 'w', 0o600);
    try { fs.writeSync(fd, this.serialize()); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    fs.renameSync(tmp, this.file);
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
