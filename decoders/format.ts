/**
 * Text formatting of decoded fields, for `quell decode`, alerts and logs (never the hot decode path).
 * Addresses are read from the packet bytes at the view's offsets.
 */

import { ipv4Text, ipv6Text } from './addr';

/** Dotted quad of the 4 bytes at buf[o] (decoders/addr.ts ipv4Text). */
export function ipv4String(buf: Uint8Array, o: number): string {
  return ipv4Text(buf, o);
}

/**
 * RFC 5952 text form of the 16 bytes at buf[o]: lower-case hex, leading zeros dropped, the longest
 * run (first if tied) of two or more zero groups as "::". IPv4-mapped addresses (::ffff:a.b.c.d)
 * use the dotted form for the last 32 bits, as RFC 5952 section 5 recommends (and tshark prints).
 * (decoders/addr.ts ipv6Text with `dotted`.)
 */
export function ipv6String(buf: Uint8Array, o: number): string {
  return ipv6Text(buf, o, true);
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
