/**
 * Chunked zero-copy capture reading, shared by the classic pcap and pcapng readers.
 *
 * The reader owns one chunk buffer (default 8 MiB). It reads the file into it with large reads,
 * and the format parser walks records in place, writing one descriptor per packet whose D_OFF
 * points into the chunk: packets are never copied and nothing is allocated per packet.
 *
 * Lifetime: a batch returned by next() (its `data`, `desc`, `verdict` and every packet view) is
 * valid until the next call to next() or close(). complete() is accepted for the PacketSource
 * contract but holds nothing. next() may move the unread tail of the chunk to the front (a packet
 * that straddled the chunk end is carried over that way) or refill the chunk, which is why an
 * earlier batch must not be used after it: copy what you keep.
 *
 * Refill policy: when the parser needs more bytes and they fit behind the bytes already in the
 * chunk, they are read into the free tail (earlier packets of the batch stay valid). When they
 * do not fit and the batch already holds packets, the batch is returned first; the next call
 * compacts. A record larger than the chunk grows it (bounded by MAX_CAPLEN / MAX_BLOCK_LEN).
 *
 * Errors: a parser that finds a corrupt record sets `failure` and stops *before* it. next()
 * returns the good packets parsed so far; the following next() rejects with the CaptureError
 * (and keeps rejecting with it). Hitting the end of input inside a record is the same with
 * E_CAPTURE_TRUNCATED at the record's start offset.
 */
import { CaptureError } from '../errors';
import { DESC_STRIDE, PacketBatch } from './batch';
import type { ByteSource } from './bytesource';
import { E_CAPTURE_READ, E_CAPTURE_TRUNCATED } from './capture-codes';

/** Default chunk size: large reads amortise the syscall and promise per chunk. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
/** Largest batch next() returns, whatever `max` asks for (descriptor table = 3 MiB at this size). */
export const MAX_BATCH = 65536;
/** Smallest chunk accepted (tests use tiny chunks to force straddling packets). */
export const MIN_CHUNK_SIZE = 64;

export type CaptureFormat = 'pcap' | 'pcapng';

/** What a capture reader exposes besides the PacketSource methods. */
export interface CaptureReaderInfo {
  /** The file name given to openCapture ('<stdin>' for '-'), used in error messages. */
  readonly file: string;
  /** Detected from the magic number: 'pcap' (classic, any byte order/resolution) or 'pcapng'. */
  readonly format: CaptureFormat;
  /** Packets delivered so far (JS number: does not wrap like desc[D_ID]). */
  readonly packetsRead: number;
  /** File offset just after the last record parsed. */
  readonly bytesConsumed: number;
  /** Blocks seen per type name (pcapng: SHB, IDB, EPB, SPB, OPB, NRB, ISB, DSB, CB, DCB, SJE,
   * others as 0xXXXXXXXX). Classic pcap: { header: 1, record: N }. */
  blockCounts(): Record<string, number>;
  /** Distinct link types declared by the file (classic header or every IDB), in order seen. */
  readonly linkTypes: readonly number[];
  /** Records whose caplen is above the declared snaplen (delivered unchanged; see docs). */
  readonly overSnaplen: number;
  /** Records whose caplen is above their original (wire) length (delivered unchanged). */
  readonly capOverWire: number;
}

export interface CaptureReader extends CaptureReaderInfo {
  next(max: number): Promise<PacketBatch | null>;
  complete(batch: PacketBatch): void;
  close(): Promise<void>;
}

export abstract class ChunkedReader implements CaptureReader {
  abstract readonly format: CaptureFormat;
  /** Chunk buffer and a DataView over it (replaced when the chunk grows). */
  protected buf: Uint8Array;
  protected dv: DataView;
  /** Parse position and end of valid bytes inside buf. */
  protected pos = 0;
  protected end = 0;
  /** File offset of buf[0]. */
  protected base = 0;
  protected eof = false;
  /** Bytes needed from `pos` for the parser to make progress (set when it stops short). */
  protected need = 0;
  protected failure: CaptureError | null = null;
  protected finished = false;
  /** Descriptor table (grown to the largest `max` asked for, reused). */
  protected desc: Uint32Array = new Uint32Array(0);
  private verdict: Uint32Array = new Uint32Array(0);
  private batch: PacketBatch;
  protected packets = 0;
  protected linkSeen: number[] = [];
  overSnaplen = 0;
  capOverWire = 0;

  constructor(readonly file: string, protected src: ByteSource, chunk: Uint8Array, filled: number, eof: boolean) {
    this.buf = chunk;
    this.dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.end = filled;
    this.eof = eof;
    this.batch = { data: this.buf, desc: this.desc, verdict: this.verdict, count: 0 };
  }

  get packetsRead(): number { return this.packets; }
  get bytesConsumed(): number { return this.base + this.pos; }
  get linkTypes(): readonly number[] { return this.linkSeen; }
  abstract blockCounts(): Record<string, number>;

  protected noteLink(linktype: number): void {
    if (!this.linkSeen.includes(linktype)) this.linkSeen.push(linktype);
  }

  /**
   * Parse records from this.pos, filling descriptors from index `count` while count < max.
   * Returns the new count. Stops with `need` set when the next record is not fully in the
   * chunk, or with `failure` set (pos left at the bad record) when it is corrupt.
   */
  protected abstract parse(count: number, max: number): number;

  /** Name of the record the parser stopped in, for truncation messages ('record', 'block'). */
  protected abstract truncatedWhat(): string;

  async next(max: number): Promise<PacketBatch | null> {
    if (this.failure !== null) throw this.failure;
    if (this.finished) return null;
    // Clamp: a fractional max would under-size the table, a huge one would allocate for nothing.
    max = max >= 1 ? Math.min(MAX_BATCH, Math.floor(max)) : 1;
    if (this.desc.length < max * DESC_STRIDE) {
      this.desc = new Uint32Array(max * DESC_STRIDE);
      this.verdict = new Uint32Array(max * 2);
    }
    let count = 0;
    for (;;) {
      this.need = 0;
      count = this.parse(count, max);
      if (this.failure !== null) {
        if (count > 0) return this.emit(count);
        throw this.failure;
      }
      if (count >= max) return this.emit(count);
      // The parser needs `need` bytes from pos.
      if (this.need <= this.end - this.pos) throw new Error(`capture parser stalled at ${this.base + this.pos} (bug)`);
      if (this.eof) {
        if (this.pos >= this.end) {
          this.finished = true;
          return count > 0 ? this.emit(count) : null;
        }
        this.failure = new CaptureError(E_CAPTURE_TRUNCATED, this.file, this.base + this.pos,
          `truncated ${this.truncatedWhat()}: needs ${this.need} bytes, the file ends after ${this.end - this.pos}`);
        if (count > 0) return this.emit(count);
        throw this.failure;
      }
      if (this.pos + this.need <= this.buf.length && this.end < this.buf.length) {
        // Fits behind what we have: append (views of this batch stay valid).
        if (!(await this.fill(this.buf.length - this.end))) {
          if (count > 0) return this.emit(count);
          throw this.failure;
        }
        continue;
      }
      if (count > 0) return this.emit(count);
      this.compact(this.need);
      if (!(await this.fill(this.buf.length - this.end))) throw this.failure;
    }
  }

  private emit(count: number): PacketBatch {
    const b = this.batch;
    b.data = this.buf;
    b.desc = this.desc;
    b.verdict = this.verdict;
    b.count = count;
    this.packets += count;
    return b;
  }

  /** Move [pos, end) to the front, growing the chunk if `need` bytes would not fit. */
  private compact(need: number): void {
    const keep = this.end - this.pos;
    if (need > this.buf.length) {
      let size = this.buf.length;
      while (size < need) size *= 2;
      const nb = new Uint8Array(size);
      nb.set(this.buf.subarray(this.pos, this.end), 0);
      this.buf = nb;
      this.dv = new DataView(nb.buffer, nb.byteOffset, nb.byteLength);
    } else if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
    }
    this.base += this.pos;
    this.pos = 0;
    this.end = keep;
  }

  /**
   * One read of up to `room` bytes into the tail; sets eof when the source is exhausted.
   * False (and `failure` set) when the read failed: the caller still delivers parsed packets.
   */
  private async fill(room: number): Promise<boolean> {
    if (room <= 0) return true;
    let n: number;
    try {
      n = await this.src.read(this.buf, this.end, room);
    } catch (e) {
      this.failure = new CaptureError(E_CAPTURE_READ, this.file, this.base + this.end, `read failed: ${(e as Error).message}`);
      return false;
    }
    if (n === 0) this.eof = true;
    this.end += n;
    return true;
  }

  complete(_batch: PacketBatch): void { /* nothing held: see the lifetime contract above */ }

  async close(): Promise<void> {
    this.finished = true;
    await this.src.close();
  }
}
