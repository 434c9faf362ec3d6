/**
 * Address parsing and formatting for the operations layer (sets, bans, control API).
 *
 * An address is four big-endian u32 words. IPv4 uses only word 0 (host order, the same number
 * as PacketView.src4) and family 4; IPv6 uses all four words, family 6. Parsing allocates and is
 * for configuration and API input only; the packet path reads PacketView fields directly.
 */
import { ipv4U32Text, ipv6WordsText } from '../../decoders/addr';

export interface Prefix {
  family: 4 | 6;
  /** Network words (bits beyond `len` cleared). IPv4: words[0] only. */
  words: Uint32Array;
  /** Prefix length, 0..32 (IPv4) or 0..128 (IPv6). */
  len: number;
}

/** Parse dotted IPv4 "a.b.c.d" to a u32, or -1. Strict: four decimal parts 0..255, no leading zeros beyond "0". */
export function parseIPv4(s: string): number {
  const parts = s.split('.');
  if (parts.length !== 4) return -1;
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return -1;
    const n = Number(p);
    if (n > 255) return -1;
    v = (v * 256) + n;
  }
  return v >>> 0;
}

/** Parse an IPv6 address (with "::" and an optional embedded dotted IPv4 tail) into 4 words, or null. */
export function parseIPv6(s: string): Uint32Array | null {
  if (s.length === 0 || s.length > 45) return null;
  const pct = s.indexOf('%');
  if (pct >= 0) return null; // zone ids are not addresses of a set
  let groups: number[] = [];
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return null;
  const parseSide = (side: string, allowV4Tail: boolean): number[] | null => {
    if (side === '') return [];
    const out: number[] = [];
    const items = side.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (allowV4Tail && i === items.length - 1 && it.includes('.')) {
        const v4 = parseIPv4(it);
        if (v4 < 0) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return null;
      out.push(parseInt(it, 16));
    }
    return out;
  };
  if (dbl >= 0) {
    const left = parseSide(s.slice(0, dbl), false);
    const right = parseSide(s.slice(dbl + 2), true);
    if (!left || !right) return null;
    const missing = 8 - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    const all = parseSide(s, true);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0;
  return w;
}

/** Clear the bits of `words` beyond `len` (in place). */
export function maskWords(words: Uint32Array, len: number, family: 4 | 6): void {
  const n = family === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) {
    const keep = Math.max(0, Math.min(32, len - 32 * i));
    words[i] = keep === 0 ? 0 : keep === 32 ? words[i] : (words[i] & ~(0xffffffff >>> keep)) >>> 0;
  }
  for (let i = n; i < 4; i++) words[i] = 0;
}

/**
 * Parse "addr" or "addr/len". A single address is a full-length prefix. Host bits beyond the
 * prefix length are cleared (10.1.2.3/8 means 10.0.0.0/8), as ipset does. Returns null when invalid.
 */
export function parsePrefix(s: string): Prefix | null {
  const t = s.trim();
  const slash = t.indexOf('/');
  const a = slash >= 0 ? t.slice(0, slash) : t;
  const l = slash >= 0 ? t.slice(slash + 1) : '';
  if (slash >= 0 && !/^[0-9]{1,3}$/.test(l)) return null;
  if (a.includes(':')) {
    const w = parseIPv6(a);
    if (!w) return null;
    const len = slash >= 0 ? Number(l) : 128;
    if (len > 128) return null;
    maskWords(w, len, 6);
    return { family: 6, words: w, len };
  }
  const v = parseIPv4(a);
  if (v < 0) return null;
  const len = slash >= 0 ? Number(l) : 32;
  if (len > 32) return null;
  const w = new Uint32Array(4);
  w[0] = v;
  maskWords(w, len, 4);
  return { family: 4, words: w, len };
}

export function formatIPv4(v: number): string {
  return ipv4U32Text(v);
}

/** RFC 5952 text (lower case, longest zero run compressed; decoders/addr.ts). */
export function formatIPv6(w: ArrayLike<number>): string {
  return ipv6WordsText(w, 0);
}

export function formatPrefix(p: Prefix): string {
  const full = p.family === 4 ? 32 : 128;
  const a = p.family === 4 ? formatIPv4(p.words[0]) : formatIPv6(p.words);
  return p.len === full ? a : `${a}/${p.len}`;
}

/** A canonical text key for a prefix (used to deduplicate and to remove). */
export function prefixKey(p: Prefix): string {
  return p.family === 4 ? `4:${p.words[0]}/${p.len}` : `6:${p.words[0]}:${p.words[1]}:${p.words[2]}:${p.words[3]}/${p.len}`;
}

/** Keep the top `len` bits of IPv4 address `a` (0..32). Note `x >>> 32` is `x` in JS, hence the cases. */
export function mask4(a: number, len: number): number {
  return len >= 32 ? a >>> 0 : len <= 0 ? 0 : (a & ~(0xffffffff >>> len)) >>> 0;
}
