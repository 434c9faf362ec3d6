/**
 * Where a capture reader's bytes come from: a file descriptor (pread-style fs reads at a tracked
 * position) or a Node stream (stdin). `read()` copies into the caller's chunk buffer; it is
 * called once per chunk (megabytes), never per packet.
 */
import * as fs from 'fs';
import type { Readable } from 'stream';

export interface ByteSource {
  /** Copy up to `len` bytes into dst[off..]; resolves to the count, 0 at end of input. */
  read(dst: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

export class FileByteSource implements ByteSource {
  private pos = 0;
  private constructor(private handle: fs.promises.FileHandle | null) {}

  static async open(path: string): Promise<FileByteSource> {
    return new FileByteSource(await fs.promises.open(path, 'r'));
  }

  async read(dst: Uint8Array, off: number, len: number): Promise<number> {
    if (this.handle === null || len <= 0) return 0;
    const { bytesRead } = await this.handle.read(dst, off, len, this.pos);
    this.pos += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h !== null) await h.close();
  }
}

/**
 * Stream source (stdin, or any Readable for tests). Keeps the stream's current Buffer and copies
 * from it on demand, so backpressure works: the stream is only pulled when we need bytes.
 */
export class StreamByteSource implements ByteSource {
  private iter: AsyncIterator<Buffer | string> | null;
  private cur: Uint8Array | null = null;
  private curOff = 0;
  constructor(private stream: Readable, private destroyOnClose: boolean) {
    this.iter = stream[Symbol.asyncIterator]();
  }

  async read(dst: Uint8Array, off: number, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      if (this.cur === null || this.curOff >= this.cur.length) {
        if (n > 0) break;               // return what we have rather than wait for more
        if (this.iter === null) return 0;
        const r = await this.iter.next();
        if (r.done) { this.iter = null; return 0; }
        const v = r.value;
        this.cur = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
        this.curOff = 0;
        continue;
      }
      const take = Math.min(len - n, this.cur.length - this.curOff);
      dst.set(this.cur.subarray(this.curOff, this.curOff + take), off + n);
      this.curOff += take;
      n += take;
    }
    return n;
  }

  /**
   * Stop reading. An iterator left open would keep stdin referenced (the process would wait for
   * its end), so an unfinished iterator is returned, which destroys the stream: nothing else can
   * read the rest of a stream we consumed part of anyway.
   */
  async close(): Promise<void> {
    const it = this.iter;
    this.iter = null;
    this.cur = null;
    if (it !== null && typeof it.return === 'function') await it.return();
    if (this.destroyOnClose) this.stream.destroy();
  }
}
