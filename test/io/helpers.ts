/**
 * Helpers for the capture reader tests: list shared captures by magic number, read a whole
 * capture into copied packets (copying is fine in tests; the reader itself never copies).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import type { Readable } from 'stream';
import { openCapture } from '../../src/io/capture';
import type { CaptureFormat } from '../../src/io/chunked';
import {
  D_CAPLEN, D_ID, D_IFINDEX, D_LINK, D_OFF, D_TS_NSEC, D_TS_SEC, D_WIRELEN, DESC_STRIDE,
} from '../../src/io/batch';
import { CaptureError } from '../../src/errors';
import { SHARED_PCAPS } from '../helpers/paths';

export interface Pkt {
  sec: number; nsec: number; caplen: number; wirelen: number; link: number; id: number; ifindex: number;
  /** Offset of the packet inside the batch data (== file offset when the chunk holds the file). */
  off: number;
  bytes: Buffer;
}

export interface ReadResult {
  format: CaptureFormat | null;
  packets: Pkt[];
  error: CaptureError | null;
  /** Packets delivered before the error (== packets.length). */
  blockCounts: Record<string, number>;
  linkTypes: number[];
  /** Number of next() calls that returned a batch. */
  batches: number;
}

export interface ReadOpts { chunkSize?: number; max?: number; stdin?: Readable }

/** Read a whole capture; a CaptureError (from open or from next) is returned, others thrown. */
export async function readAll(file: string, opts: ReadOpts = {}): Promise<ReadResult> {
  const res: ReadResult = { format: null, packets: [], error: null, blockCounts: {}, linkTypes: [], batches: 0 };
  let r;
  try {
    r = await openCapture(file, { chunkSize: opts.chunkSize, stdin: opts.stdin });
  } catch (e) {
    if (e instanceof CaptureError) { res.error = e; return res; }
    throw e;
  }
  res.format = r.format;
  const max = opts.max ?? 500;
  try {
    for (let guard = 0; guard < 10_000_000; guard++) {
      const b = await r.next(max);
      if (b === null) break;
      res.batches++;
      if (b.count < 1 || b.count > max) throw new Error(`batch count ${b.count} outside 1..${max}`);
      for (let i = 0; i < b.count; i++) {
        const d = i * DESC_STRIDE, desc = b.desc;
        const off = desc[d + D_OFF], cap = desc[d + D_CAPLEN];
        if (off + cap > b.data.length) throw new Error(`packet ${desc[d + D_ID]} outside the batch data`);
        res.packets.push({
          sec: desc[d + D_TS_SEC], nsec: desc[d + D_TS_NSEC], caplen: cap, wirelen: desc[d + D_WIRELEN],
          link: desc[d + D_LINK], id: desc[d + D_ID], ifindex: desc[d + D_IFINDEX], off,
          bytes: Buffer.from(b.data.subarray(off, off + cap)),
        });
      }
      r.complete(b);
    }
  } catch (e) {
    if (e instanceof CaptureError) res.error = e;
    else throw e;
  } finally {
    res.blockCounts = r.blockCounts();
    res.linkTypes = [...r.linkTypes];
    await r.close();
  }
  return res;
}

/** A digest of everything the reader reports per packet (to compare two reads cheaply). */
export function digest(res: ReadResult): string {
  const h = createHash('sha256');
  for (const p of res.packets) {
    h.update(`${p.id} ${p.sec}.${p.nsec} ${p.caplen}/${p.wirelen} ${p.link} ${p.ifindex}\n`);
    h.update(p.bytes);
  }
  h.update(`err=${res.error ? `${res.error.code}@${res.error.offset}` : 'none'} n=${res.packets.length}`);
  return h.digest('hex');
}

function walk(dir: string, out: string[]): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

export type MagicKind = 'pcap-usec' | 'pcap-nsec' | 'pcapng';

/** Every shared capture (recognised by its first 4 bytes, not its name), sorted. */
export function sharedCaptures(): { file: string; kind: MagicKind }[] {
  const files: string[] = [];
  walk(SHARED_PCAPS, files);
  files.sort();
  const out: { file: string; kind: MagicKind }[] = [];
  const head = Buffer.alloc(4);
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    let n = 0;
    try { n = fs.readSync(fd, head, 0, 4, 0); } finally { fs.closeSync(fd); }
    if (n < 4) continue;
    const be = head.readUInt32BE(0), le = head.readUInt32LE(0);
    if (be === 0xa1b2c3d4 || le === 0xa1b2c3d4) out.push({ file: f, kind: 'pcap-usec' });
    else if (be === 0xa1b23c4d || le === 0xa1b23c4d) out.push({ file: f, kind: 'pcap-nsec' });
    else if (be === 0x0a0d0d0a) out.push({ file: f, kind: 'pcapng' });
  }
  return out;
}

/** Packet counts per capture from SOURCES.md (capinfos), keyed by path relative to SHARED_PCAPS. */
export function capinfosCounts(): Map<string, number> {
  const m = new Map<string, number>();
  const text = fs.readFileSync(path.join(SHARED_PCAPS, 'SOURCES.md'), 'utf8');
  for (const line of text.split('\n')) {
    const c = line.split('|').map((s) => s.trim());
    if (c.length > 10 && c[2] === 'capture' && /^\d+$/.test(c[9])) m.set(c[1].replace(/`/g, ''), Number(c[9]));
  }
  return m;
}

/**
 * Independent record/block walker used as the oracle for truncation tests: the file offsets
 * where records (pcap) or blocks (pcapng) start, plus the file length, and for each boundary the
 * number of packets completed before it.
 */
export function recordBoundaries(buf: Buffer): { starts: number[]; packetsBefore: number[] } {
  const starts: number[] = [];
  const packetsBefore: number[] = [];
  let packets = 0;
  const be = buf.readUInt32BE(0);
  if (be === 0x0a0d0d0a) {
    let p = 0;
    let le = true;
    while (p + 12 <= buf.length) {
      const type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
      if (type === 0x0a0d0d0a) le = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = le ? buf.readUInt32LE(p + 4) : buf.readUInt32BE(p + 4);
      starts.push(p); packetsBefore.push(packets);
      p += len;
      if (type === 2 || type === 3 || type === 6) packets++;
    }
    starts.push(p); packetsBefore.push(packets);
  } else {
    const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
    let p = 24;
    while (p + 16 <= buf.length) {
      starts.push(p); packetsBefore.push(packets);
      p += 16 + (le ? buf.readUInt32LE(p + 8) : buf.readUInt32BE(p + 8));
      packets++;
    }
    starts.push(p); packetsBefore.push(packets);
  }
  return { starts, packetsBefore };
}
