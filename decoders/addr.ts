/**
 * IP address text, in one place (used by decoders/app/dns.ts, src/engine/detect.ts,
 * src/engine/flows.ts, src/ops/addr.ts).
 *
 * - ipv4Text(buf, off) / ipv4U32Text(v): dotted quad.
 * - ipv6Text(buf, off, dotted?) / ipv6WordsText(words, k, dotted?): RFC 5952 section 4:
 *   lower-case hex without leading zeros, the longest run of two or more zero groups written `::`
 *   (the first of equal runs). `dotted` (default false) writes IPv4-mapped addresses as
 *   ::ffff:a.b.c.d (RFC 5952 section 5, what tshark prints: decoders/format.ts ipv6String). The
 *   EVE and flows src_ip/dest_ip (flow, alert, drop, http, dns records: FlowTable.addrText,
 *   src/engine/detect.ts) use dotted = true, as Suricata 9 with eve-log ipv6-compress does (its
 *   compressed addresses are Rust's Ipv6Addr Display: RFC 5952 with IPv4-mapped as
 *   ::ffff:10.0.0.1; docs/eve.md). AAAA rdata
 *   text (decoders/app/dns.ts) keeps the default.
 * - ipv6FullText(buf, off): 8 groups of 4 hex digits, no compression: Suricata's form for AAAA
 *   rdata in EVE DNS answers.
 *
 * Not hot: output time only (events, flow records). They allocate the returned string; the
 * 16-bit groups go through one module-level scratch array (synchronous, single-threaded).
 * Inputs are read during the call only.
 */

const groups = new Uint16Array(8);

/** Dotted quad of 4 bytes at buf[off]. */
export function ipv4Text(buf: Uint8Array, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

/** Dotted quad of an address held as one u32 (network order: first octet in the high byte). */
export function ipv4U32Text(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952 text of 16 bytes at buf[off]. */
export function ipv6Text(buf: Uint8Array, off: number, dotted = false): string {
  for (let i = 0; i < 8; i++) groups[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  return groupsText(dotted);
}

/** RFC 5952 text of an address held as 4 u32 words at words[k] (first group in the high half). */
export function ipv6WordsText(words: ArrayLike<number>, k: number, dotted = false): string {
  for (let w = 0; w < 4; w++) { groups[2 * w] = (words[k + w] >>> 16) & 0xffff; groups[2 * w + 1] = words[k + w] & 0xffff; }
  return groupsText(dotted);
}

/** Text of a 4-byte (IPv4) or 16-byte (IPv6, RFC 5952; `dotted` as for ipv6Text) address at buf[off]. */
export function ipText(buf: Uint8Array, off: number, len: number, dotted = false): string {
  return len === 4 ? ipv4Text(buf, off) : ipv6Text(buf, off, dotted);
}

/** 8 groups of 4 lower-case hex digits, no compression (Suricata's AAAA rdata in DNS answers). */
export function ipv6FullText(buf: Uint8Array, off: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) { s += (buf[off + i] < 16 ? '0' : '') + buf[off + i].toString(16); if (i & 1 && i < 15) s += ':'; }
  return s;
}

function groupsText(dotted: boolean): string {
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && groups[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  if (dotted && bs === 0 && bl === 5 && groups[5] === 0xffff) {
    return `::ffff:${groups[6] >>> 8}.${groups[6] & 255}.${groups[7] >>> 8}.${groups[7] & 255}`;
  }
  if (bs < 0) return hexRun(0, 8);
  return hexRun(0, bs) + '::' + hexRun(bs + bl, 8);
}

function hexRun(a: number, z: number): string {
  let s = '';
  for (let i = a; i < z; i++) s += (i > a ? ':' : '') + groups[i].toString(16);
  return s;
}
