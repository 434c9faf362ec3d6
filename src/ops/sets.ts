/**
 * Named sets and the pre-signature gate.
 *
 * A NamedSet is what `set bad = cidrs("file")` declares and what `quell ctl set add NAME ADDR`
 * changes: the networks of its file (a CidrSet, replaced whole on reload) plus dynamic entries
 * (a BanTable: API adds, `block src for 10m`), each with an expiry (Infinity = until removed).
 * Dynamic entries survive file reloads and restarts (BanStore); file entries come from the file.
 *
 * The gate runs before any signature, per packet, direction-aware:
 *   inbound  (packet arriving from outside)  -> the SOURCE address is checked,
 *   outbound (F_OUTBOUND: OUTPUT/POSTROUTING) -> the DESTINATION address is checked.
 * The allowlist sets are checked first and always win: an allowlisted address is never dropped
 * by a block set, a ban, or (by contract with the engine) a rule's drop/block action, so an
 * operator cannot lock out their own management access.
 */
import { CidrSet, CidrSetOptions, CidrReader, CidrSnapshot } from './cidr-set';
import { BanTable, BanReader, MAX_BANS } from './bans';
import { Prefix, maskWords } from './addr';

export type SetRole = 'block' | 'allow' | 'match';

/** What the gate needs of a set: membership tests (no allocation) and a hit counter. */
export interface MemberSet {
  readonly name: string;
  readonly role: SetRole;
  hits: number;
  has4(a: number, now: number): boolean;
  has6(buf: Uint8Array, off: number, now: number): boolean;
}

/** A set as seen by a worker thread: shared tries of the file + the shared dynamic table. */
export class SetReader implements MemberSet {
  hits = 0;
  readonly cidrs: CidrReader;
  readonly timed: BanReader;
  constructor(readonly name: string, readonly role: SetRole, cidr: CidrSnapshot, timed: SharedArrayBuffer | ArrayBuffer) {
    this.cidrs = new CidrReader(cidr);
    this.timed = new BanReader(timed);
  }
  has4(a: number, now: number): boolean { return this.cidrs.contains(a) || (this.timed.size > 0 && this.timed.has4(a, now)); }
  has6(buf: Uint8Array, off: number, now: number): boolean { return this.cidrs.contains6(buf, off) || (this.timed.size > 0 && this.timed.has6(buf, off, now)); }
}

/** Structured-cloneable description of all sets for worker threads (SharedArrayBuffers inside). */
export interface SetsSnapshot { version: number; sets: { name: string; role: SetRole; cidr: CidrSnapshot; timed: SharedArrayBuffer | ArrayBuffer }[] }

export class NamedSet implements MemberSet {
  cidrs: CidrSet;
  readonly timed: BanTable;
  /** Packets that matched this set (incremented by the gate). */
  hits = 0;
  reloads = 0;
  /**
   * `shared`: dynamic entries live in a SharedArrayBuffer (fixed capacity `maxDynamic`) so inline
   * workers see an API add from their very next lookup (no message round trip).
   */
  constructor(readonly name: string, readonly role: SetRole, readonly file: string | null, readonly opts: CidrSetOptions = {},
              timed?: BanTable, shared = false, maxDynamic = MAX_BANS) {
    this.cidrs = file ? CidrSet.fromFile(file, opts) : new CidrSet(opts);
    this.timed = timed ?? new BanTable(shared ? { shared: true, maxEntries: maxDynamic } : {});
  }

  /** IPv4 membership at `now` (ms). No allocation. */
  has4(a: number, now: number): boolean { return this.cidrs.contains(a) || (this.timed.size > 0 && this.timed.has4(a, now)); }
  /** IPv6 membership for 16 bytes at buf[off]. No allocation. */
  has6(buf: Uint8Array, off: number, now: number): boolean {
    return this.cidrs.contains6(buf, off) || (this.timed.size > 0 && this.timed.has6(buf, off, now));
  }
  hasPrefix(p: Prefix, now: number): boolean {
    return this.cidrs.containsWords(p.family, p.words) || this.timed.hasPrefix(p, now);
  }

  /**
   * Reload the file: parse aside, swap on success (atomic for the packet path: one reference
   * assignment between batches). On error the old networks stay and the error is thrown.
   */
  reload(): number {
    if (!this.file) return this.cidrs.size;
    const next = CidrSet.fromFile(this.file, this.opts);
    this.cidrs = next;
    this.reloads++;
    return next.size;
  }

  /** Add a dynamic entry; ttlMs = Infinity for permanent. Aggregation of the set applies. */
  addEntry(p: Prefix, now: number, ttlMs: number): { ok: boolean; expiresAt: number; entry: Prefix } {
    const e = this.aggregate(p);
    const expiresAt = Number.isFinite(ttlMs) ? now + ttlMs : Infinity;
    const ok = this.timed.add(e, expiresAt);
    return { ok, expiresAt: ok ? this.timed.expiryOf(e, now) : -1, entry: e };
  }

  /** Remove an entry from the dynamic table and from the file networks (until the next reload). */
  removeEntry(p: Prefix): { dynamic: boolean; file: number } {
    const e = this.aggregate(p);
    const dynamic = this.timed.remove(e);
    const file = this.cidrs.remove(e);
    return { dynamic, file };
  }

  private aggregate(p: Prefix): Prefix {
    const agg = p.family === 4 ? this.cidrs.aggregate4 : this.cidrs.aggregate6;
    if (p.len <= agg) return p;
    const w = Uint32Array.from(p.words);
    maskWords(w, agg, p.family);
    return { family: p.family, words: w, len: agg };
  }
}

export const GATE_NONE = 0;   // no set decided: run signatures
export const GATE_ALLOW = 1;  // allowlisted: accept; blocks, bans and drop actions do not apply
export const GATE_BLOCK = 2;  // in a block set or banned: drop before signatures

/**
 * The pre-signature gate over sets. Sets are grouped by role once (on change), so the per-packet
 * cost is a loop over two short arrays of tries. Used directly in a worker (over SetReaders from
 * a snapshot) and as the base of SetRegistry on the main thread.
 */
export class SetGate {
  protected allow: MemberSet[] = [];
  protected block: MemberSet[] = [];
  /** Counters: packets allowed by an allowlist, blocked by sets. */
  allowed = 0;
  blocked = 0;

  protected group(all: MemberSet[]): void {
    this.allow = all.filter((s) => s.role === 'allow');
    this.block = all.filter((s) => s.role === 'block');
  }

  /** Rebuild a gate in a worker from the main thread's snapshot. */
  static fromSnapshot(snap: SetsSnapshot): SetGate {
    const g = new SetGate();
    g.group(snap.sets.map((x) => new SetReader(x.name, x.role, x.cidr, x.timed)));
    return g;
  }

  members(): MemberSet[] { return [...this.allow, ...this.block]; }

  /** Is the IPv4 address allowlisted (engine: before applying a drop/block action)? */
  isAllowed4(a: number, now: number): boolean {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has4(a, now)) return true;
    return false;
  }
  isAllowed6(buf: Uint8Array, off: number, now: number): boolean {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has6(buf, off, now)) return true;
    return false;
  }

  /**
   * Gate for an IPv4 packet: `addr` is the source when inbound, the destination when outbound
   * (caller picks: `outbound ? pkt.dst4 : pkt.src4`). Returns GATE_*. No allocation.
   */
  gate4(addr: number, now: number): number {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has4(addr, now)) { al[i].hits++; this.allowed++; return GATE_ALLOW; }
    const bl = this.block;
    for (let i = 0; i < bl.length; i++) if (bl[i].has4(addr, now)) { bl[i].hits++; this.blocked++; return GATE_BLOCK; }
    return GATE_NONE;
  }
  /** Gate for IPv6: 16 address bytes at buf[off] (pkt.srcOff inbound, pkt.dstOff outbound). */
  gate6(buf: Uint8Array, off: number, now: number): number {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has6(buf, off, now)) { al[i].hits++; this.allowed++; return GATE_ALLOW; }
    const bl = this.block;
    for (let i = 0; i < bl.length; i++) if (bl[i].has6(buf, off, now)) { bl[i].hits++; this.blocked++; return GATE_BLOCK; }
    return GATE_NONE;
  }

  /**
   * Both ends of a packet, for a queue that sees both directions without a direction flag:
   * allowed if either end is allowlisted, blocked if either end is in a block set or banned.
   */
  gatePair4(src: number, dst: number, now: number): number {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has4(src, now) || al[i].has4(dst, now)) { al[i].hits++; this.allowed++; return GATE_ALLOW; }
    const bl = this.block;
    for (let i = 0; i < bl.length; i++) if (bl[i].has4(src, now) || bl[i].has4(dst, now)) { bl[i].hits++; this.blocked++; return GATE_BLOCK; }
    return GATE_NONE;
  }
  gatePair6(buf: Uint8Array, srcOff: number, dstOff: number, now: number): number {
    const al = this.allow;
    for (let i = 0; i < al.length; i++) if (al[i].has6(buf, srcOff, now) || al[i].has6(buf, dstOff, now)) { al[i].hits++; this.allowed++; return GATE_ALLOW; }
    const bl = this.block;
    for (let i = 0; i < bl.length; i++) if (bl[i].has6(buf, srcOff, now) || bl[i].has6(buf, dstOff, now)) { bl[i].hits++; this.blocked++; return GATE_BLOCK; }
    return GATE_NONE;
  }
}

/** Named sets on the main thread: management (API, reload) + the gate. */
export class SetRegistry extends SetGate {
  private readonly byName = new Map<string, NamedSet>();
  private version = 0;
  /** Called when a set's file networks changed (reload, API removal): post a new snapshot to workers. */
  onSnapshotChange: (() => void) | null = null;

  add(s: NamedSet): void { this.byName.set(s.name, s); this.regroup(); }
  get(name: string): NamedSet | undefined { return this.byName.get(name); }
  all(): NamedSet[] { return [...this.byName.values()]; }
  delete(name: string): boolean { const r = this.byName.delete(name); this.regroup(); return r; }
  private regroup(): void { this.group(this.all()); this.version++; }

  /** For workers: shared tries + shared dynamic tables (sets must be created with shared = true). */
  snapshot(): SetsSnapshot {
    return { version: this.version, sets: this.all().map((s) => ({ name: s.name, role: s.role, cidr: s.cidrs.snapshot(), timed: s.timed.buffer })) };
  }

  /** The file networks of a set changed (reload, removal of a file entry). */
  changed(): void { this.version++; this.onSnapshotChange?.(); }

  /** Reload every file-backed set; returns per-set results (errors keep the old networks). */
  reloadAll(): { name: string; ok: boolean; size?: number; error?: string }[] {
    const r = this.all().map((s) => {
      try { return { name: s.name, ok: true, size: s.reload() }; } catch (e) { return { name: s.name, ok: false, error: (e as Error).message }; }
    });
    if (r.some((x) => x.ok)) this.changed();
    return r;
  }
}
