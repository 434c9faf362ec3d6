/**
 * Host tags: `host(src|dst).tag("x", expire = 10m)` / `host(src|dst).has("x")`
 * (signatures/keywords/host.ts). One table per WorkerOps, i.e. per worker thread inline (like the
 * rate counters: a tag set by one worker is not seen by another; flows are spread over workers by
 * a symmetric flow hash, so two flows of one host can land on different workers), one table for
 * the whole replay offline.
 *
 * Layout: a KeyedLru (keyed-lru.ts) over 5-word keys (address words, tag id << 1 | family), the
 * expiry time of each entry in a parallel Float64Array. Bounded by HOST_TAGS_MAX entries (one
 * per host and tag name); when full the least recently TAGGED entry is evicted (counted in
 * `evictions`): lookups do not refresh an entry, so a flood of new tagged hosts pushes out the
 * oldest tags rather than the most queried ones. Expired entries are not swept: they fail the
 * exact `now < expiry` test at lookup and are reused by LRU eviction.
 *
 * Clock: `now` is the packet's time in ms (replay: capture time; inline: the packet's receive
 * time from the kernel, i.e. the wall clock), so expiry is exact at lookup time against the same
 * clock the tag was set with.
 *
 * Tag names are interned to small integers (a Map lookup on a constant string of the ruleset per
 * call: no allocation); at most HOST_TAG_MAX_NAMES names (more: `namesDropped`, the tag is not set
 * and `has` is false). Names stay interned across ruleset reloads, so tags survive a reload.
 */
import { KeyedLru } from './keyed-lru';
import type { PacketView } from '../../decoders/packet';

/** Default host x tag entries per table. Memory: ~44 bytes per entry (~2.9 MB at 65,536). */
export const HOST_TAGS_MAX = 65536;
/** Distinct tag names per table. */
export const HOST_TAG_MAX_NAMES = 4096;

export interface HostTagCounters {
  /** tag() calls that set or refreshed a tag */
  sets: number;
  /** has() calls, and those that were true */
  lookups: number; hits: number;
  /** has() calls that found the entry but expired */
  expiredHits: number;
  /** tag names refused past HOST_TAG_MAX_NAMES */
  namesDropped: number;
}

function rd32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }

export class HostTags {
  readonly capacity: number;
  private lru: KeyedLru | null = null;
  private expiry: Float64Array = new Float64Array(0);
  private readonly names = new Map<string, number>();
  readonly counters: HostTagCounters = { sets: 0, lookups: 0, hits: 0, expiredHits: 0, namesDropped: 0 };

  /** The table is allocated on the first tag() (a ruleset without host tags costs nothing). */
  constructor(capacity = HOST_TAGS_MAX) {
    if (!(capacity >= 1 && capacity <= 1 << 24)) throw new RangeError('host tag capacity must be 1..2^24');
    this.capacity = capacity;
  }

  get size(): number { return this.lru === null ? 0 : this.lru.size; }
  get evictions(): number { return this.lru === null ? 0 : this.lru.evictions; }

  private nameId(tag: string, create: boolean): number {
    const id = this.names.get(tag);
    if (id !== undefined) return id;
    if (!create) return -1;
    if (this.names.size >= HOST_TAG_MAX_NAMES) { this.counters.namesDropped++; return -1; }
    this.names.set(tag, this.names.size);
    return this.names.size - 1;
  }

  /** Set (or refresh) `tag` on an address: IPv4 `a` when fam 4, else 16 bytes at buf[off]. */
  set(tag: string, fam: number, a: number, buf: Uint8Array, off: number, until: number): void {
    const id = this.nameId(tag, true);
    if (id < 0) return;
    if (this.lru === null) { this.lru = new KeyedLru(this.capacity); this.expiry = new Float64Array(this.capacity); }
    const e = fam === 4 ? this.lru.touch(a >>> 0, 0, 0, 0, id << 1) : this.lru.touch(rd32(buf, off), rd32(buf, off + 4), rd32(buf, off + 8), rd32(buf, off + 12), (id << 1) | 1);
    this.expiry[e] = until;
    this.counters.sets++;
  }

  /** Is `tag` set on the address and not expired at `now`? */
  has(tag: string, fam: number, a: number, buf: Uint8Array, off: number, now: number): boolean {
    this.counters.lookups++;
    const lru = this.lru;
    if (lru === null) return false;
    const id = this.nameId(tag, false);
    if (id < 0) return false;
    const e = fam === 4 ? lru.find(a >>> 0, 0, 0, 0, id << 1) : lru.find(rd32(buf, off), rd32(buf, off + 4), rd32(buf, off + 8), rd32(buf, off + 12), (id << 1) | 1);
    if (e < 0) return false;
    if (now < this.expiry[e]) { this.counters.hits++; return true; }
    this.counters.expiredHits++;
    return false;
  }

  /** Packet helpers: side 0 source, 1 destination. False / no-op without an IP header. */
  tagPacket(tag: string, side: number, expireMs: number, pkt: PacketView, now: number): void {
    if (pkt.ipVer === 4) this.set(tag, 4, side === 1 ? pkt.dst4 : pkt.src4, pkt.buf, 0, now + expireMs);
    else if (pkt.ipVer === 6) this.set(tag, 6, 0, pkt.buf, side === 1 ? pkt.dstOff : pkt.srcOff, now + expireMs);
  }

  hasPacket(tag: string, side: number, pkt: PacketView, now: number): boolean {
    if (pkt.ipVer === 4) return this.has(tag, 4, side === 1 ? pkt.dst4 : pkt.src4, pkt.buf, 0, now);
    if (pkt.ipVer === 6) return this.has(tag, 6, 0, pkt.buf, side === 1 ? pkt.dstOff : pkt.srcOff, now);
    return false;
  }

  stats(): Record<string, number> {
    return { hostTagEntries: this.size, hostTagEvictions: this.evictions, hostTagSets: this.counters.sets, hostTagLookups: this.counters.lookups,
      hostTagHits: this.counters.hits, hostTagExpired: this.counters.expiredHits, hostTagNamesDropped: this.counters.namesDropped };
  }
}
