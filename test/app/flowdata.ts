/**
 * Test-only helper: read a capture with the project's reader (openCapture) and decoders
 * (decodePacket) and group packets into simple bidirectional flows, keeping for each direction
 * the UDP datagram payloads and an in-order TCP byte stream (first data wins, stops at the first
 * hole). Not the engine's flow table (src/engine, H5a): a small independent model, good enough to
 * feed the app parsers real bytes. Allocates freely (tests only).
 */
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_LINK, D_TS_SEC, D_TS_NSEC } from '../../src/io/batch';
import { decodePacket, DecodeContext } from '../../decoders/decode';
import { PacketView, PROTO_TCP, PROTO_UDP, TH_SYN, TH_ACK } from '../../decoders/packet';
import { Reassembler } from '../../decoders/frag';

export interface TestDir {
  datagrams: Buffer[];          // UDP payloads in capture order
  segs: { seq: number; data: Buffer }[];
  isn: number;                  // SYN seq, -1 unknown
  pkts: number;
}
export interface TestFlow {
  proto: number;
  a: string; ap: number; b: string; bp: number;    // a = client (SYN sender, else first sender)
  dirs: [TestDir, TestDir];     // 0 = a->b, 1 = b->a
  firstTs: number;
  /** Packet order of payload-carrying packets: [dir, index in datagrams or segs] */
  order: [number, number][];
}

function addr(b: Uint8Array, off: number, n: number): string {
  if (n === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const w: string[] = [];
  for (let i = 0; i < 8; i++) w.push(((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16));
  return w.join(':');
}

export const MAX_DIR_BYTES = 1 << 20;

export async function readFlows(file: string, maxPackets = 2_000_000): Promise<TestFlow[]> {
  const flows = new Map<string, TestFlow>();
  const list: TestFlow[] = [];
  const v = new PacketView();
  // checksums not verified: many public captures were taken with offloading
  const ctx = new DecodeContext(0, new Reassembler());
  const r = await openCapture(file);
  let n = 0;
  try {
    for (let bt = await r.next(256); bt !== null; bt = await r.next(256)) {
      for (let i = 0; i < bt.count && n < maxPackets; i++, n++) {
        const d = i * DESC_STRIDE;
        decodePacket(v, bt.data, bt.desc[d + D_OFF], bt.desc[d + D_CAPLEN], bt.desc[d + D_WIRELEN], bt.desc[d + D_LINK],
          bt.desc[d + D_TS_SEC], bt.desc[d + D_TS_NSEC], ctx);
        const isTcp = v.hasTcp, isUdp = v.hasUdp;
        if (!isTcp && !isUdp) continue;
        const b = v.buf;
        const s = addr(b, v.srcOff, v.addrLen), t = addr(b, v.dstOff, v.addrLen);
        const proto = isTcp ? PROTO_TCP : PROTO_UDP;
        const k1 = `${proto}|${s}|${v.sport}|${t}|${v.dport}`;
        const k2 = `${proto}|${t}|${v.dport}|${s}|${v.sport}`;
        let f = flows.get(k1) ?? flows.get(k2);
        const payload = Buffer.from(b.subarray(v.payloadOff, v.payloadOff + v.payloadLen));
        if (!f) {
          let client = true;
          if (isTcp && (v.tcpFlags & (TH_SYN | TH_ACK)) === (TH_SYN | TH_ACK)) client = false;
          else if (!(isTcp && (v.tcpFlags & TH_SYN)) && v.sport < 1024 && v.dport >= 1024) client = false;
          f = client
            ? { proto, a: s, ap: v.sport, b: t, bp: v.dport, dirs: [newDir(), newDir()], firstTs: bt.desc[d + D_TS_SEC], order: [] }
            : { proto, a: t, ap: v.dport, b: s, bp: v.sport, dirs: [newDir(), newDir()], firstTs: bt.desc[d + D_TS_SEC], order: [] };
          flows.set(`${proto}|${f.a}|${f.ap}|${f.b}|${f.bp}`, f);
          list.push(f);
        }
        const dir = f.a === s && f.ap === v.sport && f.b === t && f.bp === v.dport ? 0 : 1;
        const D = f.dirs[dir];
        D.pkts++;
        if (isUdp) {
          if (payload.length) { f.order.push([dir, D.datagrams.length]); D.datagrams.push(payload); }
        } else {
          if (v.tcpFlags & TH_SYN) D.isn = v.seq;
          if (payload.length) { f.order.push([dir, D.segs.length]); D.segs.push({ seq: v.seq, data: payload }); }
        }
      }
      r.complete(bt);
      if (n >= maxPackets) break;
    }
  } finally { await r.close(); }
  return list;
}

function newDir(): TestDir { return { datagrams: [], segs: [], isn: -1, pkts: 0 }; }

/**
 * Feed a TCP flow's two in-order streams to `feed(dir, bytes)` interleaved in capture order: at each
 * payload packet, the direction's stream is released up to that segment's end (retransmissions
 * release nothing; a later segment filling a hole releases everything contiguous).
 */
export function replayTcp(f: TestFlow, feed: (dir: 0 | 1, data: Buffer) => void, maxBytes = MAX_DIR_BYTES): void {
  const st = [tcpStreamWithBase(f.dirs[0], maxBytes), tcpStreamWithBase(f.dirs[1], maxBytes)];
  const released = [0, 0];
  for (const [dir, idx] of f.order) {
    const s = st[dir];
    const seg = f.dirs[dir].segs[idx];
    const end = Math.min(s.data.length, ((seg.seq - s.base) | 0) + seg.data.length);
    if (end > released[dir]) { feed(dir as 0 | 1, s.data.subarray(released[dir], end)); released[dir] = end; }
  }
  for (const dir of [0, 1] as const) if (st[dir].data.length > released[dir]) feed(dir, st[dir].data.subarray(released[dir]));
}

/** In-order stream of one TCP direction: from ISN+1 (or the lowest seq), first data wins, stops at the first hole. */
export function tcpStream(D: TestDir, maxBytes = MAX_DIR_BYTES): { data: Buffer; gapAt: number } {
  const r = tcpStreamWithBase(D, maxBytes);
  return { data: r.data, gapAt: r.gapAt };
}

export function tcpStreamWithBase(D: TestDir, maxBytes = MAX_DIR_BYTES): { data: Buffer; gapAt: number; base: number } {
  if (!D.segs.length) return { data: Buffer.alloc(0), gapAt: -1, base: 0 };
  let base = D.isn >= 0 ? (D.isn + 1) >>> 0 : D.segs[0].seq;
  if (D.isn < 0) {
    // lowest seq relative to the first segment (wrap-safe within 2^31)
    for (const s of D.segs) { const rel = (s.seq - D.segs[0].seq) | 0; if (rel < 0 && ((s.seq - base) | 0) < 0) base = s.seq; }
  }
  const segs = D.segs.map((s) => ({ rel: (s.seq - base) | 0, data: s.data })).filter((s) => s.rel + s.data.length > 0)
    .sort((x, y) => x.rel - y.rel);
  const out = Buffer.alloc(Math.min(maxBytes, segs.reduce((a, s) => Math.max(a, s.rel + s.data.length), 0)));
  let have = 0, gapAt = -1;
  for (const s of segs) {
    if (s.rel > have) { gapAt = have; break; }
    const from = have - s.rel;
    const n = Math.min(s.data.length - from, out.length - have);
    if (n > 0) { s.data.copy(out, have, from, from + n); have += n; }
    if (have >= out.length) break;
  }
  return { data: out.subarray(0, have), gapAt, base };
}
