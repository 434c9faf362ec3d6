/**
 * Cheap symmetric shard hash for offline workers: decodes only as far as the outermost IP header
 * so the reader thread can spread packets without running the full decoder.
 *
 * Key: the outermost IP address pair, nothing else, so that every packet of a flow gets the same
 * shard whatever it carries: fragments (no ports after the first), IPv6 extension headers, and
 * tunnels (GRE, IP-in-IP, VXLAN, Geneve: the flow is keyed on the inner tuple AND on this same hash
 * of the outer pair, `ipPairHash`, see flows.ts `lookup`). With ports in the shard key, a fragmented
 * TCP segment or a tunnel's inner flow seen through two outer address pairs landed in two workers
 * and the output depended on N (found on bench/out/big.pcap, whose copies carry the same inner
 * flows in tunnels with rewritten outer addresses). The cost: all flows between two hosts share a
 * worker. Symmetric: A->B and B->A give the same hash (XOR of per-endpoint hashes). Packets with no
 * IP header where this walk looks (non-IP, MPLS, PPPoE) go to shard 0.
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
  if (!((et === 0x0800 && ver === 4) || (et === 0x86dd && ver === 6))) return 0;
  return fmix(ipPairHash(buf, p, end)) % n;
}

/**
 * Symmetric 31-bit hash of the address pair of the IP header at buf[off] (IPv4 or IPv6, by its
 * version nibble), 0 when the header does not fit before `end` or is not IP. The shard of a
 * packet is fmix(this) % n over its outermost IP header, and a tunnelled flow's key holds this
 * value for its outermost header: the same function on both sides, so equal keys mean equal shards.
 */
export function ipPairHash(buf: Uint8Array, off: number, end: number): number {
  const ver = off >= 0 && off < end ? buf[off] >> 4 : 0;
  // 31 bits (& 0x7fffffff): always an int32, so optimised code never meets a uint32 above 2^31
  // (a "lost precision" deoptimisation of `packet`, where this is inlined), and never negative
  if (ver === 4 && off + 20 <= end) return (fmix(rd32(buf, off + 12)) ^ fmix(rd32(buf, off + 16))) & 0x7fffffff;
  if (ver === 6 && off + 40 <= end) {
    let a = 0, b = 0;
    for (let w = 0; w < 4; w++) { a = fmix(a ^ rd32(buf, off + 8 + 4 * w)); b = fmix(b ^ rd32(buf, off + 24 + 4 * w)); }
    return (a ^ b) & 0x7fffffff;
  }
  return 0;
}
