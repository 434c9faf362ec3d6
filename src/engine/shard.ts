/**
 * Cheap symmetric shard hash for offline workers: decodes only as far as the addresses (and TCP
 * ports) so the reader thread can spread packets without running the full decoder.
 *
 * Key: both IP addresses, plus both ports for unfragmented TCP. Every other packet (UDP, ICMP,
 * fragments, unknown) is sharded by the address pair only, so all fragments of a datagram meet
 * the same worker as their flow's other packets (DNS over fragmented UDP keeps working). TCP
 * fragments are the exception (a fragmented TCP segment may land on another worker than its
 * flow): rare, documented in docs/engine.md. Symmetric: A->B and B->A give the same hash (XOR of
 * per-endpoint hashes). Non-IP packets go to shard 0.
 */
const ETH = 1, RAW = 101, RAW12 = 12, RAW14 = 14, IPV4 = 228, IPV6 = 229, NULL = 0, LOOP = 108, SLL = 113, SLL2 = 276;

function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16; return h >>> 0;
}
function rd32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) | 0; }

/** Shard (0..n-1) of the packet buf[off, off+caplen) with link type `link`. */
export function shardOf(buf: Uint8Array, off: number, caplen: number, link: number, n: number): number {
  if (n <= 1) return 0;
  const end = off + caplen;
  let p = off, et = -1;
  switch (link) {
    case ETH: {
      if (caplen < 14) return 0;
      et = (buf[p + 12] << 8) | buf[p + 13]; p += 14;
      for (let k = 0; k < 4 && (et === 0x8100 || et === 0x88a8 || et === 0x9100) && p + 4 <= end; k++) {
        et = (buf[p + 2] << 8) | buf[p + 3]; p += 4;
      }
      break;
    }
    case RAW: case RAW12: case RAW14: case IPV4: case IPV6: et = 0; break;
    case NULL: case LOOP: p += 4; et = 0; break;
    case SLL: if (caplen < 16) return 0; et = (buf[p + 14] << 8) | buf[p + 15]; p += 16; break;
    case SLL2: if (caplen < 20) return 0; et = (buf[p] << 8) | buf[p + 1]; p += 20; break;
    default: return 0;
  }
  if (p >= end) return 0;
  const ver = buf[p] >> 4;
  if (et === 0) et = ver === 4 ? 0x0800 : ver === 6 ? 0x86dd : -1;
  let h: number;
  if (et === 0x0800 && ver === 4 && p + 20 <= end) {
    const ihl = (buf[p] & 15) * 4;
    const frag = ((buf[p + 6] & 0x3f) << 8 | buf[p + 7]) !== 0; // MF or offset
    h = fmix(rd32(buf, p + 12)) ^ fmix(rd32(buf, p + 16));
    if (buf[p + 9] === 6 && !frag && p + ihl + 4 <= end) {
      h ^= fmix(((buf[p + ihl] << 8) | buf[p + ihl + 1]) + 0x10000) ^ fmix(((buf[p + ihl + 2] << 8) | buf[p + ihl + 3]) + 0x10000);
    }
  } else if (et === 0x86dd && ver === 6 && p + 40 <= end) {
    let a = 0, b = 0;
    for (let w = 0; w < 4; w++) { a = fmix(a ^ rd32(buf, p + 8 + 4 * w)); b = fmix(b ^ rd32(buf, p + 24 + 4 * w)); }
    h = a ^ b;
    if (buf[p + 6] === 6 && p + 44 <= end) {
      h ^= fmix(((buf[p + 40] << 8) | buf[p + 41]) + 0x10000) ^ fmix(((buf[p + 42] << 8) | buf[p + 43]) + 0x10000);
    }
  } else return 0;
  return fmix(h) % n;
}
