/**
 * openCapture: the one entry point for offline captures. Detects classic pcap / pcapng from
 * the magic number (never the file name), streams the file through a reusable chunk buffer and
 * returns a PacketSource whose batches are zero-copy views over the file's bytes.
 *
 *   const r = await openCapture('trace.pcapng');          // or '-' for stdin
 *   try {
 *     for (let b = await r.next(256); b !== null; b = await r.next(256)) {
 *       for (let i = 0; i < b.count; i++) {
 *         const d = i * DESC_STRIDE;
 *         const off = b.desc[d + D_OFF], len = b.desc[d + D_CAPLEN];   // bytes: b.data[off, off+len)
 *       }
 *       r.complete(b);
 *     }
 *   } finally { await r.close(); }
 *
 * Buffer ownership and lifetime: the reader owns `data`, `desc` and `verdict`; a batch and every
 * view into it are valid until the next next() or close() call (complete() holds nothing).
 * Errors: see chunked.ts: good packets first, then next() rejects with a CaptureError.
 */
import { CaptureError, FileError } from '../errors';
import type { Readable } from 'stream';
import { ByteSource, FileByteSource, StreamByteSource } from './bytesource';
import { E_CAPTURE_BAD_MAGIC, E_CAPTURE_READ, E_CAPTURE_TRUNCATED } from './capture-codes';
import { CaptureReader, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE } from './chunked';
import { PCAP_FILE_HEADER_LEN, pcapMagicKind, PcapReader } from './pcap';
import { BT_SHB, PcapngReader } from './pcapng';

export type { CaptureReader, CaptureFormat, CaptureReaderInfo } from './chunked';
export { DEFAULT_CHUNK_SIZE } from './chunked';
export * from './capture-codes';

export interface OpenCaptureOptions {
  /** Chunk buffer size in bytes (default 8 MiB, minimum 64). Grows for a larger record. */
  chunkSize?: number;
  /** Stream to read when path is '-' (default process.stdin). For tests and embedding. */
  stdin?: Readable;
}

/** Display name used in errors for '-'. */
export const STDIN_NAME = '<stdin>';

/**
 * Open a capture file ('-' = stdin). Rejects with FileError (cannot open), or CaptureError
 * (QUELL_E_CAPTURE_BAD_MAGIC, _TRUNCATED for an empty/short header, _BAD_HEADER).
 */
export async function openCapture(path: string, opts: OpenCaptureOptions = {}): Promise<CaptureReader> {
  const chunkSize = Math.max(MIN_CHUNK_SIZE, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK_SIZE));
  const isStdin = path === '-';
  const file = isStdin ? STDIN_NAME : path;
  let src: ByteSource;
  if (isStdin) {
    src = new StreamByteSource(opts.stdin ?? process.stdin, false);
  } else {
    try {
      src = await FileByteSource.open(path);
    } catch (e) {
      throw new FileError(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }
  try {
    const chunk = new Uint8Array(chunkSize);
    // Fill enough for the file header: 24 bytes for classic pcap, 12 for the SHB's byte order.
    let filled = 0;
    let eof = false;
    while (filled < PCAP_FILE_HEADER_LEN && !eof) {
      let n: number;
      try {
        n = await src.read(chunk, filled, chunk.length - filled);
      } catch (e) {
        throw new CaptureError(E_CAPTURE_READ, file, filled, `read failed: ${(e as Error).message}`);
      }
      if (n === 0) eof = true;
      filled += n;
    }
    if (filled === 0) throw new CaptureError(E_CAPTURE_TRUNCATED, file, 0, 'empty file: no capture header');
    if (filled < 4) throw new CaptureError(E_CAPTURE_TRUNCATED, file, 0, `file of ${filled} bytes is too short for a magic number`);
    const head = chunk.subarray(0, filled);
    if (pcapMagicKind(head) !== null) {
      if (filled < PCAP_FILE_HEADER_LEN) {
        throw new CaptureError(E_CAPTURE_TRUNCATED, file, 0, `truncated pcap file header: ${filled} of ${PCAP_FILE_HEADER_LEN} bytes`);
      }
      const r = new PcapReader(file, src, chunk, filled, eof);
      const hf = r.headerFailure();
      if (hf !== null) throw hf;
      return r;
    }
    const m = ((chunk[0] << 24) | (chunk[1] << 16) | (chunk[2] << 8) | chunk[3]) >>> 0;
    if (m === BT_SHB) return new PcapngReader(file, src, chunk, filled, eof);
    const hex = Buffer.from(chunk.subarray(0, 4)).toString('hex');
    throw new CaptureError(E_CAPTURE_BAD_MAGIC, file, 0,
      `unknown magic number 0x${hex}: not a pcap (a1b2c3d4, a1b23c4d, either byte order) or pcapng (0a0d0d0a) file`);
  } catch (e) {
    await src.close().catch(() => undefined);
    throw e;
  }
}
