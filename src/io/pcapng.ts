/**
 * pcapng reader: sections in either byte order (a new SHB resets the interface table), IDBs with
 * if_tsresol (power of 10 or of 2) and if_tsoffset, per-interface link type and snaplen, packet
 * blocks EPB, SPB and the obsolete OPB. Every other block (NRB, ISB, DSB, custom, journal,
 * unknown) is skipped after its length is checked, and counted per type.
 *
 * Parsed in place in the chunk; see chunked.ts for batching, lifetime and the error contract.
 *
 * Block policy (docs/capture.md):
 *  - block length < 12, not a multiple of 4, > MAX_BLOCK_LEN, or trailer length != header
 *    length: E_CAPTURE_BAD_BLOCK at the block start.
 *  - packet block naming an interface the section has not defined, or caplen beyond the block
 *    body, or caplen > MAX_CAPLEN: E_CAPTURE_BAD_BLOCK.
 *  - SPB: caplen = min(original length, IDB 0 snaplen when non-zero, bytes in the block);
 *    timestamp 0 (SPBs have none); interface 0 (an SPB before any IDB is E_CAPTURE_BAD_BLOCK).
 *  - caplen > interface snaplen (non-zero): delivered, counted in overSnaplen.
 */
import { CaptureError } from '../errors';
import {
  D_CAPLEN, D_ID, D_IFINDEX, D_LINK, D_OFF, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_STRIDE,
} from './batch';
import { E_CAPTURE_BAD_BLOCK, MAX_BLOCK_LEN, MAX_CAPLEN } from './capture-codes';
import { ChunkedReader } from './chunked';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_SJE = 0x00000009;   // systemd journal export
export const BT_DSB = 0x0000000a;   // decryption secrets
export const BT_CB = 0x00000bad;    // custom block, may be copied
export const BT_DCB = 0x40000bad;   // custom block, do not copy
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

/** Known block names, for blockCounts(). */
const BLOCK_NAMES: ReadonlyMap<number, string> = new Map([
  [BT_SHB, 'SHB'], [BT_IDB, 'IDB'], [BT_OPB, 'OPB'], [BT_SPB, 'SPB'], [BT_NRB, 'NRB'],
  [BT_ISB, 'ISB'], [BT_EPB, 'EPB'], [BT_SJE, 'SJE'], [BT_DSB, 'DSB'], [BT_CB, 'CB'], [BT_DCB, 'DCB'],
]);

/** Limb division divisor bound: remainder * 65536 + limb must stay below 2^53. */
const LIMB_DIV_MAX = 2 ** 37;

/** One interface of the current section (struct of arrays would not pay: a handful per file). */
interface Iface {
  linktype: number;
  snaplen: number;
  /** Timestamp units per second (10^k or 2^k). */
  unitsPerSec: number;
  /** k when the resolution is 2^-k, else -1. */
  shift: number;
  /** Multiply the sub-second remainder by this to get ns (decimal resolutions <= ns), else 0. */
  remToNs: number;
  /** Divide the remainder by this to get ns (decimal resolutions finer than ns), else 0. */
  remDivNs: number;
  /** if_tsoffset, seconds. */
  offset: number;
}

export class PcapngReader extends ChunkedReader {
  readonly format = 'pcapng' as const;
  /** Byte order of the current section. */
  private le = true;
  private ifaces: Iface[] = [];
  private sections = 0;
  private nEPB = 0; private nSPB = 0; private nOPB = 0;
  private counts = new Map<number, number>();
  /** Scratch outputs of tsSplit (module-free, no tuple allocation per packet). */
  private tsSec = 0;
  private tsNsec = 0;

  get sectionCount(): number { return this.sections; }
  /** Interfaces of the current section: link type, snaplen, timestamp units per second. */
  get interfaces(): ReadonlyArray<Readonly<Iface>> { return this.ifaces; }

  blockCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    const add = (name: string, n: number) => { if (n > 0) out[name] = (out[name] ?? 0) + n; };
    for (const [type, n] of this.counts) add(BLOCK_NAMES.get(type) ?? `0x${type.toString(16).padStart(8, '0')}`, n);
    add('EPB', this.nEPB); add('SPB', this.nSPB); add('OPB', this.nOPB);
    return out;
  }

  protected truncatedWhat(): string { return 'pcapng block'; }

  private bad(pos: number, problem: string): void {
    this.failure = new CaptureError(E_CAPTURE_BAD_BLOCK, this.file, this.base + pos, problem);
  }

  protected parse(count: number, max: number): number {
    const dv = this.dv;
    const desc = this.desc;
    const end = this.end;
    let pos = this.pos;
    let le = this.le;
    let ordinal = this.packets + count;
    // a block split by the chunk end sets a local, stored once after the loop (a store first
    // reached after optimisation would deoptimise the loop; see pcap.ts). The caller set need = 0.
    let need = 0;
    while (count < max) {
      if (end - pos < 12) { need = 12; break; }
      const type = dv.getUint32(pos, le);
      if (type === BT_SHB) {
        // The byte-order magic decides how to read this block's own length.
        const bom = dv.getUint32(pos + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else { this.bad(pos, `section header block with bad byte-order magic 0x${bom.toString(16)}`); break; }
        this.le = le;
      }
      const len = dv.getUint32(pos + 4, le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_BLOCK_LEN) {
        this.bad(pos, `block type 0x${type.toString(16)} has invalid length ${len}`);
        break;
      }
      if (end - pos < len) { need = len; break; }
      if (dv.getUint32(pos + len - 4, le) !== len) {
        this.bad(pos, `block type 0x${type.toString(16)}: trailing length ${dv.getUint32(pos + len - 4, le)} != ${len}`);
        break;
      }
      if (type === BT_EPB || type === BT_OPB) {
        const opb = type === BT_OPB;
        if (len < 32) { this.bad(pos, `${opb ? 'OPB' : 'EPB'} length ${len} is below 32`); break; }
        const ifid = opb ? dv.getUint16(pos + 8, le) : dv.getUint32(pos + 8, le);
        const ifc = this.ifaces[ifid];
        if (ifc === undefined) { this.bad(pos, `packet block for interface ${ifid}, but the section defines ${this.ifaces.length}`); break; }
        const caplen = dv.getUint32(pos + 20, le);
        if (caplen > len - 32 || caplen > MAX_CAPLEN) {
          this.bad(pos, `packet block caplen ${caplen} does not fit (block length ${len}, limit ${MAX_CAPLEN})`);
          break;
        }
        const wirelen = dv.getUint32(pos + 24, le);
        this.tsSplit(ifc, dv.getUint32(pos + 12, le), dv.getUint32(pos + 16, le));
        if (caplen > ifc.snaplen && ifc.snaplen !== 0) this.overSnaplen++;
        if (caplen > wirelen) this.capOverWire++;
        const d = count * DESC_STRIDE;
        desc[d + D_OFF] = pos + 28;
        desc[d + D_CAPLEN] = caplen;
        desc[d + D_WIRELEN] = wirelen;
        desc[d + D_TS_SEC] = this.tsSec;
        desc[d + D_TS_NSEC] = this.tsNsec;
        desc[d + D_LINK] = ifc.linktype;
        desc[d + D_ID] = ++ordinal;
        desc[d + D_IFINDEX] = ifid;
        if (opb) this.nOPB++; else this.nEPB++;
        count++;
      } else if (type === BT_SPB) {
        if (len < 16) { this.bad(pos, `SPB length ${len} is below 16`); break; }
        const ifc = this.ifaces[0];
        if (ifc === undefined) { this.bad(pos, 'simple packet block before any interface description block'); break; }
        const wirelen = dv.getUint32(pos + 8, le);
        let caplen = len - 16;
        if (wirelen < caplen) caplen = wirelen;
        if (ifc.snaplen !== 0 && ifc.snaplen < caplen) caplen = ifc.snaplen;
        const d = count * DESC_STRIDE;
        desc[d + D_OFF] = pos + 12;
        desc[d + D_CAPLEN] = caplen;
        desc[d + D_WIRELEN] = wirelen;
        desc[d + D_TS_SEC] = 0;
        desc[d + D_TS_NSEC] = 0;
        desc[d + D_LINK] = ifc.linktype;
        desc[d + D_ID] = ++ordinal;
        desc[d + D_IFINDEX] = 0;
        this.nSPB++;
        count++;
      } else {
        if (type === BT_SHB) {
          if (len < 28) { this.bad(pos, `SHB length ${len} is below 28`); break; }
          const major = dv.getUint16(pos + 12, le);
          if (major !== 1) { this.bad(pos, `unsupported pcapng major version ${major}`); break; }
          this.ifaces = [];
          this.sections++;
        } else if (type === BT_IDB) {
          if (len < 20) { this.bad(pos, `IDB length ${len} is below 20`); break; }
          if (!this.addInterface(pos, len, le)) break;
        }
        this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
      }
      pos += len;
    }
    this.pos = pos;
    this.need = need;
    return count;
  }

  /** Parse an IDB at `pos` (length already checked); false (failure set) when corrupt. */
  private addInterface(pos: number, len: number, le: boolean): boolean {
    const dv = this.dv;
    const linktype = dv.getUint16(pos + 8, le);
    const snaplen = dv.getUint32(pos + 12, le);
    let tsresol = 6;
    let offset = 0;
    let o = pos + 16;
    const optEnd = pos + len - 4;
    while (o + 4 <= optEnd) {
      const code = dv.getUint16(o, le);
      const olen = dv.getUint16(o + 2, le);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + olen > optEnd) { this.bad(pos, `IDB option ${code} of length ${olen} runs past the block`); return false; }
      if (code === IF_TSRESOL && olen >= 1) tsresol = this.buf[o + 4];
      else if (code === IF_TSOFFSET && olen >= 8) {
        // i64 seconds; high word signed.
        const lo = dv.getUint32(o + 4 + (le ? 0 : 4), le);
        const hi = dv.getInt32(o + 4 + (le ? 4 : 0), le);
        offset = hi * 4294967296 + lo;
      }
      o += 4 + ((olen + 3) & ~3);
    }
    const binary = (tsresol & 0x80) !== 0;
    const k = tsresol & 0x7f;
    if ((binary && k > 63) || (!binary && k > 19)) {
      this.bad(pos, `IDB if_tsresol 0x${tsresol.toString(16)} is out of range`);
      return false;
    }
    const ifc: Iface = {
      linktype, snaplen, offset,
      unitsPerSec: binary ? 2 ** k : 10 ** k,
      shift: binary ? k : -1,
      remToNs: !binary && k <= 9 ? 10 ** (9 - k) : 0,
      remDivNs: !binary && k > 9 ? 10 ** (k - 9) : 0,
    };
    this.ifaces.push(ifc);
    this.noteLink(linktype);
    return true;
  }

  /**
   * Split a 64-bit timestamp (hi, lo) in interface units into tsSec/tsNsec, exactly for decimal
   * resolutions up to 10^-11 and binary ones up to 2^-23 (finer binary ones round down to ns).
   * No BigInt on the common paths: a BigInt per packet would allocate.
   */
  private tsSplit(ifc: Iface, hi: number, lo: number): void {
    let sec: number;
    let rem: number;
    const shift = ifc.shift;
    if (shift >= 0) {
      let frac: number;
      if (shift === 0) { sec = hi * 4294967296 + lo; frac = 0; }
      else if (shift < 32) {
        sec = hi * 2 ** (32 - shift) + (lo >>> shift);
        frac = (lo & (2 ** shift - 1)) >>> 0;
      } else {
        const hs = shift - 32;
        sec = Math.floor(hi / 2 ** hs);
        frac = (hi % 2 ** hs) * 4294967296 + lo;
      }
      this.tsSec = sec + ifc.offset;
      this.tsNsec = Math.floor(frac * 1e9 / ifc.unitsPerSec);
      return;
    }
    const d = ifc.unitsPerSec;
    if (hi < 0x200000) {
      // Below 2^53: exact in a double (the usual microsecond case).
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / d);
      rem = t - sec * d;
      if (rem < 0) { sec--; rem += d; } else if (rem >= d) { sec++; rem -= d; }
    } else if (d <= LIMB_DIV_MAX) {
      // Long division in 16-bit limbs: every intermediate stays below 2^53 (nanosecond files).
      let r = 0;
      let n = r * 65536 + (hi >>> 16); const q3 = Math.floor(n / d); r = n - q3 * d;
      n = r * 65536 + (hi & 0xffff); const q2 = Math.floor(n / d); r = n - q2 * d;
      n = r * 65536 + (lo >>> 16); const q1 = Math.floor(n / d); r = n - q1 * d;
      n = r * 65536 + (lo & 0xffff); const q0 = Math.floor(n / d); r = n - q0 * d;
      sec = ((q3 * 65536 + q2) * 65536 + q1) * 65536 + q0;
      rem = r;
    } else {
      // Resolutions finer than 10^-11 with large values: rare, BigInt is acceptable here.
      const t = (BigInt(hi) << 32n) | BigInt(lo);
      const bd = BigInt(d);
      sec = Number(t / bd);
      rem = Number(t % bd);
    }
    this.tsSec = sec + ifc.offset;
    this.tsNsec = ifc.remToNs !== 0 ? rem * ifc.remToNs : Math.floor(rem / ifc.remDivNs);
  }
}
