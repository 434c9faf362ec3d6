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
import { CidrSet, CidrSetOptions } from './cidr-set';
import { BanTable } from './bans';
import { Prefix, maskWords } from './addr';

export type SetRole = 'block' | 'allow' | 'match';

export class NamedSet {
  cidrs: CidrSet;
  readonly timed: BanTable;
  /** Packets that matched this set (incremented by the gate). */
  hits = 0;
  reloads = 0;
  constructor(readonly name: string, readonly role: SetRole, readonly file: string | null, readonly opts: CidrSetOptions = {},
              timed?: BanTable) {
    this.cidrs = file ? CidrSet.fromFile(file, opts) : new CidrSet(opts);
    this.timed = timed ?? new BanTable();
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
 * The pre-signature gate over the named sets. Sets are grouped by role once (on change), so the
 * per-packet cost is a loop over two short arrays of tries.
 */
export class SetRegistry {
  private readonly byName = new Map<string, NamedSet>();
  private allow: NamedSet[] = [];
  private block: NamedSet[] = [];
  /** Counters: packets allowed by an allowlist, blocked by sets. */
  allowed = 0;
  blocked = 0;

  add(s: NamedSet): void { this.byName.set(s.name, s); this.regroup(); }
  get(name: string): NamedSet | undefined { return this.byName.get(name); }
  all(): NamedSet[] { return [...this.byName.values()]; }
  delete(name: string): boolean { const r = this.byName.delete(name); this.regroup(); return r; }
  private regroup(): void {
    this.allow = this.all().filter((s) => s.role === 'allow');
    this.block = this.all().filter((s) => s.role === 'block');
  }

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

  /** Reload every file-backed set; returns per-set results (errors keep the old networks). */
  reloadAll(): { name: string; ok: boolean; size?: number; error?: string }[] {
    return this.all().map((s) => {
      try { return { name: s.name, ok: true, size: s.reload() }; } catch (e) { return { name: s.name, ok: false, error: (e as Error).message }; }
    });
  }
}
