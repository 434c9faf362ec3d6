/**
 * Classic pcap writer (format 2.4), for tests, generators and `--pcap-drops`.
 *
 * Records are appended into an internal growable buffer (the writer owns it; bytes passed in are
 * copied immediately, so callers may reuse or release their buffers after the call). With a
 * file sink the buffer is flushed with a synchronous write whenever it passes FLUSH_BYTES and on
 * close(); without one, toBytes() returns the whole file.
 *
 * Output is deterministic: same records in, same bytes out (thiszone 0, sigfigs 0).
 */
import * as fs from 'fs';
import { D_CAPLEN, D_OFF, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_STRIDE, PacketBatch } from './batch';
import { LINKTYPE_ETHERNET } from './linktypes';
import { PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './pcap';

export interface PcapWriterOptions {
  /** LINKTYPE_* of every record (default Ethernet). */
  linktype?: number;
  /** Header snaplen (default 262144). Records longer than this are written truncated to it. */
  snaplen?: number;
  /** Write the nanosecond magic (0xa1b23c4d) and nanosecond fractions (default microsecond). */
  nanosecond?: boolean;
  /** Byte order (default little-endian, like tcpdump on x86). */
  bigEndian?: boolean;
}

/** Flush threshold for file sinks. */
export const FLUSH_BYTES = 1 << 20;

export class PcapWriter {
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;
  private fd: number | null = null;
  private readonly le: boolean;
  private readonly nsec: boolean;
  readonly snaplen: number;
  readonly linktype: number;
  /** Records written so far. */
  records = 0;

  constructor(opts: PcapWriterOptions = {}) {
    this.le = !opts.bigEndian;
    this.nsec = opts.nanosecond === true;
    this.snaplen = opts.snaplen ?? 262144;
    this.linktype = opts.linktype ?? LINKTYPE_ETHERNET;
    this.buf = new Uint8Array(64 * 1024);
    this.dv = new DataView(this.buf.buffer);
    this.ensure(24);
    const dv = this.dv, le = this.le;
    dv.setUint32(0, this.nsec ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, le);
    dv.setUint16(4, 2, le);
    dv.setUint16(6, 4, le);
    dv.setInt32(8, 0, le);
    dv.setUint32(12, 0, le);
    dv.setUint32(16, this.snaplen, le);
    dv.setUint32(20, this.linktype, le);
    this.len = 24;
  }

  /** A writer that streams to `path` (created/truncated now). Call close() to finish it. */
  static toFile(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    const w = new PcapWriter(opts);
    w.fd = fs.openSync(path, 'w');
    return w;
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  /**
   * Append one packet: data[off, off+len) captured, `wirelen` on the wire (default len),
   * timestamp tsSec + tsNsec nanoseconds (microsecond files round down).
   */
  write(data: Uint8Array, tsSec: number, tsNsec = 0, wirelen?: number, off = 0, len = data.length - off): void {
    const cap = Math.min(len, this.snaplen);
    this.ensure(16 + cap);
    const dv = this.dv, le = this.le, p = this.len;
    dv.setUint32(p, tsSec >>> 0, le);
    dv.setUint32(p + 4, this.nsec ? tsNsec : Math.floor(tsNsec / 1000), le);
    dv.setUint32(p + 8, cap, le);
    dv.setUint32(p + 12, wirelen ?? len, le);
    this.buf.set(data.subarray(off, off + cap), p + 16);
    this.len = p + 16 + cap;
    this.records++;
    if (this.fd !== null && this.len >= FLUSH_BYTES) this.flush();
  }

  /** Append packet `i` of a batch (bytes, timestamps and wire length from its descriptor). */
  writeFromBatch(batch: PacketBatch, i: number): void {
    const d = i * DESC_STRIDE, desc = batch.desc;
    this.write(batch.data, desc[d + D_TS_SEC], desc[d + D_TS_NSEC], desc[d + D_WIRELEN], desc[d + D_OFF], desc[d + D_CAPLEN]);
  }

  /** The file so far (in-memory writers only; a view valid until the next write). */
  toBytes(): Uint8Array {
    if (this.fd !== null) throw new Error('PcapWriter.toBytes() on a file writer');
    return this.buf.subarray(0, this.len);
  }

  private flush(): void {
    if (this.fd === null) return;
    let o = 0;
    while (o < this.len) o += fs.writeSync(this.fd, this.buf, o, this.len - o);
    this.len = 0;
  }

  /** Flush and close the file sink (no-op for in-memory writers). */
  close(): void {
    if (this.fd === null) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = null;
  }
}
