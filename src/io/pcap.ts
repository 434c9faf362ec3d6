/**
 * Classic pcap reader (libpcap format 2.x): both byte orders, microsecond magic 0xa1b2c3d4 and
 * nanosecond magic 0xa1b23c4d. Records are parsed in place in the chunk (see chunked.ts for
 * the batching and lifetime contract).
 *
 * Record policy (decided here, documented in docs/capture.md):
 *  - caplen > MAX_CAPLEN (256 KiB): the record header is garbage -> E_CAPTURE_BAD_RECORD.
 *  - snaplen < caplen <= MAX_CAPLEN: delivered unchanged, counted in `overSnaplen` (tools write
 *    such files, e.g. after editing the header; the bytes are there, dropping them hides data).
 *  - caplen > wirelen: delivered unchanged, counted in `capOverWire`.
 *  - sub-second field >= 1e6 (or 1e9 for nanosecond files): carried into the seconds.
 */
import { CaptureError } from '../errors';
import {
  D_CAPLEN, D_ID, D_IFINDEX, D_LINK, D_OFF, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_STRIDE,
} from './batch';
import type { ByteSource } from './bytesource';
import { E_CAPTURE_BAD_HEADER, E_CAPTURE_BAD_RECORD, MAX_CAPLEN } from './capture-codes';
import { ChunkedReader } from './chunked';
import { LINKTYPE_MASK } from './linktypes';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** Returns 'usec-le' etc. for the four classic magic byte patterns, or null. */
export function pcapMagicKind(b: Uint8Array): { le: boolean; nsec: boolean } | null {
  if (b.length < 4) return null;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const le = ((b[3] << 24) | (b[2] << 16) | (b[1] << 8) | b[0]) >>> 0;
  if (be === PCAP_MAGIC_USEC) return { le: false, nsec: false };
  if (be === PCAP_MAGIC_NSEC) return { le: false, nsec: true };
  if (le === PCAP_MAGIC_USEC) return { le: true, nsec: false };
  if (le === PCAP_MAGIC_NSEC) return { le: true, nsec: true };
  return null;
}

export class PcapReader extends ChunkedReader {
  readonly format = 'pcap' as const;
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  /** Link type from the header (FCS bits masked off). */
  readonly linktype: number;
  private fracPerSec: number;
  private fracToNs: number;

  /** `chunk[0..filled)` holds at least the 24-byte file header (checked by the caller). */
  constructor(file: string, src: ByteSource, chunk: Uint8Array, filled: number, eof: boolean) {
    super(file, src, chunk, filled, eof);
    const kind = pcapMagicKind(chunk)!;
    const le = kind.le;
    this.littleEndian = le;
    this.nanosecond = kind.nsec;
    this.fracPerSec = kind.nsec ? 1e9 : 1e6;
    this.fracToNs = kind.nsec ? 1 : 1000;
    this.versionMajor = this.dv.getUint16(4, le);
    this.versionMinor = this.dv.getUint16(6, le);
    this.snaplen = this.dv.getUint32(16, le);
    this.linktype = (this.dv.getUint32(20, le) & LINKTYPE_MASK) >>> 0;
    if (this.versionMajor !== 2) {
      this.failure = new CaptureError(E_CAPTURE_BAD_HEADER, file, 4,
        `unsupported pcap version ${this.versionMajor}.${this.versionMinor} (only 2.x)`);
    }
    this.noteLink(this.linktype);
    this.pos = PCAP_FILE_HEADER_LEN;
  }

  /** Header problems are reported by openCapture before any packet. */
  headerFailure(): CaptureError | null { return this.failure; }

  blockCounts(): Record<string, number> {
    return { header: 1, record: this.packets };
  }

  protected truncatedWhat(): string { return 'pcap record'; }

  protected parse(count: number, max: number): number {
    // Hot loop: locals instead of property reads, DataView reads instead of Buffer methods,
    // no object per packet (saves an allocation + GC pressure per packet).
    const dv = this.dv;
    const desc = this.desc;
    const le = this.littleEndian;
    const end = this.end;
    const link = this.linktype;
    const snap = this.snaplen;
    const fracPerSec = this.fracPerSec;
    const fracToNs = this.fracToNs;
    let pos = this.pos;
    let ordinal = this.packets + count;
    // Rare outcomes (a record split by the chunk end, caplen above snaplen or wirelen) only set
    // locals here, written back once after the loop: a property store first reached after V8
    // optimised this loop has no type feedback and deoptimises it (twice per run on big.pcap
    // before, each followed by a recompile). The caller has set `need` to 0.
    let need = 0, overSnap = 0, capOverWire = 0;
    while (count < max) {
      if (end - pos < PCAP_RECORD_HEADER_LEN) { need = PCAP_RECORD_HEADER_LEN; break; }
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > MAX_CAPLEN) {
        this.failure = new CaptureError(E_CAPTURE_BAD_RECORD, this.file, this.base + pos,
          `corrupt pcap record header: caplen ${caplen} is above the ${MAX_CAPLEN}-byte limit`);
        break;
      }
      const recLen = PCAP_RECORD_HEADER_LEN + caplen;
      if (end - pos < recLen) { need = recLen; break; }
      let sec = dv.getUint32(pos, le);
      let frac = dv.getUint32(pos + 4, le);
      if (frac >= fracPerSec) { sec += Math.floor(frac / fracPerSec); frac = frac % fracPerSec; }
      const wirelen = dv.getUint32(pos + 12, le);
      overSnap += caplen > snap && snap !== 0 ? 1 : 0;
      capOverWire += caplen > wirelen ? 1 : 0;
      const d = count * DESC_STRIDE;
      desc[d + D_OFF] = pos + PCAP_RECORD_HEADER_LEN;
      desc[d + D_CAPLEN] = caplen;
      desc[d + D_WIRELEN] = wirelen;
      desc[d + D_TS_SEC] = sec;
      desc[d + D_TS_NSEC] = frac * fracToNs;
      desc[d + D_LINK] = link;
      desc[d + D_ID] = ++ordinal;
      desc[d + D_IFINDEX] = 0;
      pos += recLen;
      count++;
    }
    this.pos = pos;
    this.need = need;
    this.overSnaplen += overSnap;
    this.capOverWire += capOverWire;
    return count;
  }
}
