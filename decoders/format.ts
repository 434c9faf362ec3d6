/**
 * Text formatting of decoded fields, for `quell decode`, alerts and logs (never the hot decode path).
 * Addresses are read from the packet bytes at the view's offsets.
 */

const HEX = '0123456789abcdef';

/** Dotted quad of the 4 bytes at buf[o]. */
export function ipv4String(buf: Uint8Array, o: number): string {
  return buf[o] + '.' + buf[o + 1] + '.' + buf[o + 2] + '.' + buf[o + 3];
}

function hex16(x: number): string {
  if (x < 0x10) return HEX[x];
  if (x < 0x100) return HEX[x >> 4] + HEX[x & 15];
  if (x < 0x1000) return HEX[x >> 8] + HEX[(x >> 4) & 15] + HEX[x & 15];
  return HEX[x >> 12] + HEX[(x >> 8) & 15] + HEX[(x >> 4) & 15] + HEX[x & 15];
}

/**
 * RFC 5952 text form of the 16 bytes at buf[o]: lower-case hex, leading zeros dropped, the longest
 * run (first if tied) of two or more zero groups as "::". IPv4-mapped addresses (::ffff:a.b.c.d)
 * use the dotted form for the last 32 bits, as RFC 5952 section 5 recommends (and tshark prints).
 */
export function ipv6String(buf: Uint8Array, o: number): string {
  let bestStart = -1, bestLen = 0, curStart = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (buf[o + 2 * i] === 0 && buf[o + 2 * i + 1] === 0) {
      if (curStart < 0) { curStart = i; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestLen = curLen; bestStart = curStart; }
    } else curStart = -1;
  }
  if (bestLen < 2) bestStart = -1;
  if (bestStart === 0 && bestLen === 5 && buf[o + 10] === 0xff && buf[o + 11] === 0xff) {
    return '::ffff:' + ipv4String(buf, o + 12);
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) { s += '::'; i += bestLen - 1; continue; }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += hex16((buf[o + 2 * i] << 8) | buf[o + 2 * i + 1]);
  }
  return s;
}

/** tcpdump's flag letters in order F S R P A U E C (empty string for no flags). */
export const TCP_FLAG_STRINGS: readonly string[] = (() => {
  const letters = 'FSRPAUEC';
  const t: string[] = [];
  for (let f = 0; f < 256; f++) {
    let s = '';
    for (let b = 0; b < 8; b++) if (f & (1 << b)) s += letters[b];
    t.push(s);
  }
  return t;
})();
