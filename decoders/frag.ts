/**
 * IPv4 and IPv6 fragment reassembly, bounded in memory and time.
 *
 * Limits (named, each with a counter and a decode event on the packet that hit it):
 * - MAX_FRAG_DATAGRAMS datagrams in progress, MAX_FRAG_BYTES fragment bytes held in total
 *   (`ipv4.frag_memcap` / `ipv6.frag_memcap`: the new fragment is not stored, like Linux above
 *   ipfrag_high_thresh);
 * - MAX_FRAGS_PER_DATAGRAM fragments per datagram (`*.frag_too_many`: the datagram is dropped);
 * - FRAG_TIMEOUT_SEC of *packet time* since a datagram's first fragment (`*.frag_timeout`; expired
 *   datagrams are swept whenever a fragment arrives, and counted);
 * - a datagram larger than 65535 bytes (`*.frag_too_large`: dropped).
 *
 * Overlap policy (mirrors Linux since 4.19 / CVE-2018-5391 "FragmentSmack", and RFC 5722 for IPv6):
 * a fragment that is an exact duplicate of one already held (same offset and length) is ignored
 * (`*.frag_dup`); any other overlap discards the whole datagram (`*.frag_overlap`), and later
 * fragments with the same key start a new one. Quell inline sits in front of Linux hosts, so
 * reassembling exactly what Linux would deliver (nothing, for overlapping data) closes the classic
 * overlap evasion in both directions: no bytes are ever chosen by "first" or "last" wins.
 * A non-last fragment whose length is not a multiple of 8 is `*.frag_bad_len` and not stored.
 *
 * Keys: IPv4 (src, dst, id, protocol); IPv6 (src, dst, identification).
 *
 * Ownership: fragments are copied into the reassembler (the one place decoding allocates, and only
 * for fragments). A completed datagram is written into `scratch`, and the completing packet's
 * PacketView is re-decoded from it (view.buf = scratch, l3Off = 0, reassembled = true): valid until
 * the next decode call with the same reassembler.
 */
import type { PacketView } from './packet';
import { EV } from './events';
import { DecodeContext, ETHERTYPE_TABLE } from './dispatch';
import { sum16, checksumOf } from './checksum';

export const MAX_FRAG_DATAGRAMS = 1024;
export const MAX_FRAG_BYTES = 4 * 1024 * 1024;
export const MAX_FRAGS_PER_DATAGRAM = 64;
export const FRAG_TIMEOUT_SEC = 30;
const MAX_IP_DATAGRAM = 65535;

class Frag {
  constructor(readonly off: number, readonly end: number, readonly data: Uint8Array) {}
}

class Datagram {
  frags: Frag[] = [];
  bytes = 0;
  /** payload length, known once the last fragment (MF clear) arrived; -1 before */
  totalLen = -1;
  /** IPv4 header / IPv6 unfragmentable part, from the offset-0 fragment */
  hdr: Uint8Array | null = null;
  /** IPv6: offset in hdr of the next-header byte that pointed at the fragment header */
  nhPatch = 0;
  /** IPv6: next header after the fragment header in the offset-0 fragment */
  nextProto = 0;
  constructor(readonly key: string, readonly v6: boolean, readonly firstSeen: number) {}
}

export class ReassemblyStats {
  started = 0;
  reassembled = 0;
  timeouts = 0;
  memcap = 0;
  tooMany = 0;
  tooLarge = 0;
  overlaps = 0;
  dups = 0;
  badLen = 0;
}

export class Reassembler {
  /** The last completed datagram; valid until the next decode call. */
  readonly scratch = new Uint8Array(MAX_IP_DATAGRAM + 2048);
  readonly stats = new ReassemblyStats();
  private readonly table = new Map<string, Datagram>();
  private bytes = 0;

  get inProgress(): number { return this.table.size; }
  get bytesHeld(): number { return this.bytes; }

  addIpv4(v: PacketView, buf: Uint8Array, off: number, hlen: number, dataEnd: number, wireEnd: number, ctx: DecodeContext): void {
    if (dataEnd < wireEnd) return;        // snapped fragment: its bytes are not all here
    const p = off + hlen;
    if (!this.acceptable(v, false, dataEnd - p, hlen)) return;
    // key as UTF-16 code units: one string allocation, no number-to-text conversions
    const key = String.fromCharCode(4, v.src4 >>> 16, v.src4 & 0xffff, v.dst4 >>> 16, v.dst4 & 0xffff, v.ipId, v.ipProto);
    this.add(v, false, key, buf, p, dataEnd, v.fragOff, v.ipMF, hlen, ctx, off, hlen, 0, 0);
  }

  addIpv6(v: PacketView, buf: Uint8Array, off: number, fragHdr: number, nhOff: number, dataEnd: number, wireEnd: number, ctx: DecodeContext): void {
    if (dataEnd < wireEnd) return;
    if (!this.acceptable(v, true, dataEnd - fragHdr - 8, 0)) return;
    const a = off + 8;
    const w = (i: number): number => (buf[a + i] << 8) | buf[a + i + 1];
    const key = String.fromCharCode(6, v.ipId >>> 16, v.ipId & 0xffff, w(0), w(2), w(4), w(6), w(8), w(10), w(12), w(14),
      w(16), w(18), w(20), w(22), w(24), w(26), w(28), w(30));
    this.add(v, true, key, buf, fragHdr + 8, dataEnd, v.fragOff, v.ipMF, fragHdr - off, ctx, off, fragHdr - off, nhOff - off, buf[fragHdr]);
  }

  /** Checks that need no table lookup (done before the key is built): length rules and size. */
  private acceptable(v: PacketView, v6: boolean, len: number, hdrLen: number): boolean {
    const mf = v.ipMF;
    if (mf && ((len & 7) !== 0 || len === 0)) {
      this.stats.badLen++;
      this.ev(v, v6, EV['ipv4.frag_bad_len'], EV['ipv6.frag_bad_len']);
      return false;
    }
    if (v.fragOff + len + hdrLen > MAX_IP_DATAGRAM) {
      // the datagram it belongs to, if any, can never complete: it times out
      this.stats.tooLarge++;
      this.ev(v, v6, EV['ipv4.frag_too_large'], EV['ipv6.frag_too_large']);
      return false;
    }
    return true;
  }

  private ev(v: PacketView, v6: boolean, e4: number, e6: number): void { v.addEvent(v6 ? e6 : e4); }

  private drop(d: Datagram): void {
    this.table.delete(d.key);
    this.bytes -= d.bytes;
  }

  /** Expire datagrams older than FRAG_TIMEOUT_SEC (insertion order ~ first-seen order). */
  private sweep(now: number): void {
    for (const d of this.table.values()) {
      if (now - d.firstSeen <= FRAG_TIMEOUT_SEC) break;
      this.drop(d);
      this.stats.timeouts++;
    }
  }

  private add(v: PacketView, v6: boolean, key: string, buf: Uint8Array, p: number, end: number, fo: number, mf: boolean,
              hdrLen: number, ctx: DecodeContext, hdrOff: number, hdrCopyLen: number, nhPatch: number, nextProto: number): void {
    // packet time (the view's timestamp, as ctx.nowSec)
    const now = v.tsSec + v.tsNsec / 1e9;
    const len = end - p;
    let d = this.table.get(key);
    if (d !== undefined && now - d.firstSeen > FRAG_TIMEOUT_SEC) {
      this.drop(d); this.stats.timeouts++; d = undefined;
      this.ev(v, v6, EV['ipv4.frag_timeout'], EV['ipv6.frag_timeout']);
    }
    this.sweep(now);
    if (this.bytes + len > MAX_FRAG_BYTES || (d === undefined && this.table.size >= MAX_FRAG_DATAGRAMS)) {
      this.stats.memcap++;
      this.ev(v, v6, EV['ipv4.frag_memcap'], EV['ipv6.frag_memcap']);
      return;
    }
    if (d === undefined) {
      d = new Datagram(key, v6, now);
      this.table.set(key, d);
      this.stats.started++;
    } else if (d.frags.length >= MAX_FRAGS_PER_DATAGRAM) {
      this.stats.tooMany++;
      this.ev(v, v6, EV['ipv4.frag_too_many'], EV['ipv6.frag_too_many']);
      this.drop(d);
      return;
    }
    const fend = fo + len;
    // overlap policy: exact duplicates ignored, any other overlap discards the datagram (Linux)
    for (let i = 0; i < d.frags.length; i++) {
      const f = d.frags[i];
      if (fo < f.end && fend > f.off) {
        if (fo === f.off && fend === f.end) {
          this.stats.dups++;
          this.ev(v, v6, EV['ipv4.frag_dup'], EV['ipv6.frag_dup']);
          return;
        }
        this.overlap(v, d);
        return;
      }
    }
    if (!mf) {
      if ((d.totalLen >= 0 && d.totalLen !== fend) || d.frags.some((f) => f.end > fend)) { this.overlap(v, d); return; }
      d.totalLen = fend;
    } else if (d.totalLen >= 0 && fend > d.totalLen) { this.overlap(v, d); return; }

    d.frags.push(new Frag(fo, fend, buf.slice(p, end)));
    d.bytes += len;
    this.bytes += len;
    if (fo === 0) {
      d.hdr = buf.slice(hdrOff, hdrOff + hdrCopyLen);
      d.nhPatch = nhPatch;
      d.nextProto = nextProto;
    }
    if (d.totalLen < 0 || d.hdr === null) return;
    let have = 0;
    for (let i = 0; i < d.frags.length; i++) have += d.frags[i].end - d.frags[i].off;
    if (have !== d.totalLen) return;
    this.complete(v, d, ctx);
  }

  private overlap(v: PacketView, d: Datagram): void {
    this.stats.overlaps++;
    this.ev(v, d.v6, EV['ipv4.frag_overlap'], EV['ipv6.frag_overlap']);
    this.drop(d);
  }

  private complete(v: PacketView, d: Datagram, ctx: DecodeContext): void {
    this.drop(d);
    this.stats.reassembled++;
    const s = this.scratch;
    const hdr = d.hdr as Uint8Array;
    const h = hdr.length;
    s.set(hdr, 0);
    for (let i = 0; i < d.frags.length; i++) s.set(d.frags[i].data, h + d.frags[i].off);
    const n = h + d.totalLen;
    if (!d.v6) {
      s[2] = n >> 8; s[3] = n & 0xff;
      s[6] &= 0x40; s[7] = 0;               // keep DF, clear MF and the offset
      s[10] = 0; s[11] = 0;
      const c = checksumOf(sum16(s, 0, h));
      s[10] = c >> 8; s[11] = c & 0xff;
    } else {
      const pl = n - 40;
      s[4] = pl >> 8; s[5] = pl & 0xff;
      s[d.nhPatch] = d.nextProto;
    }
    v.reassembled = true;
    v.isFragment = false;
    v.buf = s;
    v.payloadOff = 0; v.payloadLen = 0;
    v.addEvent(d.v6 ? EV['ipv6.reassembled'] : EV['ipv4.reassembled']);
    ETHERTYPE_TABLE[d.v6 ? 0x86dd : 0x0800](v, s, 0, n, ctx);
  }
}
