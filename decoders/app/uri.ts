/**
 * HTTP request-target normalization, close to what Suricata/libhtp do with their default
 * ("IDS") personality, minus the lossy parts. Pure functions on byte ranges; no allocation
 * (the caller provides the output buffer and a scratch buffer).
 *
 * normalizeUri(src, off, len, dst, dOff, scratch) writes the normalized target and returns its
 * length:
 * - absolute-form (`scheme://authority/path?q`): scheme and authority are dropped, the path+query
 *   are normalized (the authority becomes the host, see hostFromAuthority);
 * - authority-form (CONNECT `host:port`) and `*` are copied unchanged;
 * - path: %XX decoded once (so %252e becomes "%2e", never "."; event flag URI_DOUBLE_ENC), invalid
 *   escapes kept as they are (flag URI_BAD_ENC), %uXXXX decoded to the byte when XXXX < 0x100 and
 *   to '?' otherwise (IIS style, libhtp's u-decoding with best-fit fallback), '\' -> '/',
 *   decoded %2f is a separator like '/', runs of '/' compressed to one, then dot segments removed
 *   (RFC 3986 5.2.4) on the decoded path, so "/a/%2e%2e/b" -> "/b";
 * - '+' is kept in both path and query (it means space only in form-encoded query values);
 * - query (after the first '?'): %XX decoded once, like libhtp with Suricata's default
 *   `double-decode-query: no` (so `?id=1%27%20OR%201=1` is inspected as `?id=1' OR 1=1`); no dot
 *   segment removal or slash handling there; invalid escapes kept (URI_BAD_ENC), %25XX flagged
 *   URI_DOUBLE_ENC and decoded only once. The raw form stays available as http.uri.raw;
 * - case is kept (libhtp's IDS personality lowercases the path; we do not, rules use nocase);
 * - %00 decodes to a NUL byte that is kept (it does not terminate the path).
 */

export const URI_BAD_ENC = 1;      // an invalid %-escape was kept as is
export const URI_DOUBLE_ENC = 2;   // %25 followed by two hex digits

/** Flags of the last normalizeUri call (module scratch: synchronous, one worker = one thread). */
export let uriFlags = 0;

function hexv(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Returns the index just after "scheme://" when src starts an absolute URI, else -1. */
export function absoluteUriAuthorityStart(src: Uint8Array, off: number, len: number): number {
  const end = off + len;
  let i = off;
  if (i >= end) return -1;
  const c0 = src[i] | 0x20;
  if (c0 < 0x61 || c0 > 0x7a) return -1;
  i++;
  while (i < end) {
    const c = src[i];
    const l = c | 0x20;
    if ((l >= 0x61 && l <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) { i++; continue; }
    break;
  }
  if (i + 2 < end && src[i] === 0x3a && src[i + 1] === 0x2f && src[i + 2] === 0x2f) return i + 3;
  return -1;
}

/** End (exclusive) of the authority that starts at `a`. */
export function authorityEnd(src: Uint8Array, a: number, end: number): number {
  let i = a;
  while (i < end && src[i] !== 0x2f && src[i] !== 0x3f && src[i] !== 0x23) i++;
  return i;
}

/**
 * Host from an authority or Host header value: userinfo and port stripped, lowercased, one
 * trailing dot removed, IPv6 brackets kept ("[::1]"). Writes to dst at dOff; returns the length.
 */
export function normalizeHost(src: Uint8Array, off: number, len: number, dst: Uint8Array, dOff: number): number {
  let s = off, e = off + len;
  while (s < e && (src[s] === 0x20 || src[s] === 0x09)) s++;
  while (e > s && (src[e - 1] === 0x20 || src[e - 1] === 0x09)) e--;
  for (let i = e - 1; i >= s; i--) if (src[i] === 0x40) { s = i + 1; break; }   // userinfo@
  if (s < e && src[s] === 0x5b) {            // [v6]:port
    let j = s; while (j < e && src[j] !== 0x5d) j++;
    if (j < e) e = j + 1;
  } else {
    for (let i = s; i < e; i++) if (src[i] === 0x3a) { e = i; break; }
  }
  if (e > s && src[e - 1] === 0x2e) e--;
  let w = dOff;
  for (let i = s; i < e; i++) {
    const c = src[i];
    dst[w++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  return w - dOff;
}

/**
 * Normalize the request target src[off, off+len) into dst at dOff. `scratch` must hold at least
 * `len` bytes. Returns the number of bytes written (<= len).
 */
export function normalizeUri(src: Uint8Array, off: number, len: number, dst: Uint8Array, dOff: number, scratch: Uint8Array): number {
  uriFlags = 0;
  let end = off + len;
  let p = off;
  if (len === 1 && src[off] === 0x2a) { dst[dOff] = 0x2a; return 1; }
  const a = absoluteUriAuthorityStart(src, off, len);
  if (a >= 0) {
    p = authorityEnd(src, a, end);
    if (p === end) { dst[dOff] = 0x2f; return 1; }   // "http://host" -> "/"
  } else if (src[off] !== 0x2f && src[off] !== 0x5c) {
    // authority-form or something unusual: copy unchanged
    dst.set(src.subarray(off, end), dOff);
    return len;
  }
  // split path / query
  let q = p;
  while (q < end && src[q] !== 0x3f) q++;
  // 1) decode the path into scratch, converting '\' and %2f to '/', compressing '/' runs
  let w = 0;
  for (let i = p; i < q;) {
    let c = src[i];
    if (c === 0x25) {
      if (i + 2 < q) {
        const h = hexv(src[i + 1]), l = hexv(src[i + 2]);
        if (h >= 0 && l >= 0) {
          c = (h << 4) | l;
          if (c === 0x25 && i + 4 < q && hexv(src[i + 3]) >= 0 && hexv(src[i + 4]) >= 0) uriFlags |= URI_DOUBLE_ENC;
          i += 3;
        } else if ((src[i + 1] | 0x20) === 0x75 && i + 5 < q) {
          const d1 = hexv(src[i + 2]), d2 = hexv(src[i + 3]), d3 = hexv(src[i + 4]), d4 = hexv(src[i + 5]);
          if (d1 >= 0 && d2 >= 0 && d3 >= 0 && d4 >= 0) {
            const v = (d1 << 12) | (d2 << 8) | (d3 << 4) | d4;
            c = v < 0x100 ? v : 0x3f;
            i += 6;
          } else { uriFlags |= URI_BAD_ENC; i++; }
        } else { uriFlags |= URI_BAD_ENC; i++; }
      } else { uriFlags |= URI_BAD_ENC; i++; }
    } else i++;
    if (c === 0x5c) c = 0x2f;
    if (c === 0x2f && w > 0 && scratch[w - 1] === 0x2f) continue;
    scratch[w++] = c;
  }
  // 2) remove dot segments (RFC 3986 5.2.4) from scratch[0, w) into dst
  let o = dOff;
  let i = 0;
  const n = w, s = scratch;
  while (i < n) {
    const r = n - i;
    if (r >= 3 && s[i] === 0x2e && s[i + 1] === 0x2e && s[i + 2] === 0x2f) { i += 3; continue; }      // A "../"
    if (r >= 2 && s[i] === 0x2e && s[i + 1] === 0x2f) { i += 2; continue; }                            // A "./"
    if (s[i] === 0x2f && r >= 2 && s[i + 1] === 0x2e) {
      if (r === 2) { s[i + 1] = 0x2f; i += 1; continue; }                                               // B "/." end
      if (s[i + 2] === 0x2f) { i += 2; continue; }                                                      // B "/./"
      if (s[i + 2] === 0x2e && (r === 3 || s[i + 3] === 0x2f)) {                                        // C "/.." "/../"
        if (r === 3) { s[i + 2] = 0x2f; i += 2; } else i += 3;
        while (o > dOff && dst[o - 1] !== 0x2f) o--;
        if (o > dOff) o--;
        continue;
      }
    }
    if ((r === 1 && s[i] === 0x2e) || (r === 2 && s[i] === 0x2e && s[i + 1] === 0x2e)) break;        // D
    // E: move first segment (with its leading '/') to the output
    dst[o++] = s[i++];
    while (i < n && s[i] !== 0x2f) dst[o++] = s[i++];
  }
  if (o === dOff && q > p) dst[o++] = 0x2f;
  // 3) query: percent-decoded once (see file comment)
  for (let j = q; j < end;) {
    const c = src[j];
    if (c === 0x25 && j + 2 < end) {
      const h = hexv(src[j + 1]), l = hexv(src[j + 2]);
      if (h >= 0 && l >= 0) {
        const v = (h << 4) | l;
        if (v === 0x25 && j + 4 < end && hexv(src[j + 3]) >= 0 && hexv(src[j + 4]) >= 0) uriFlags |= URI_DOUBLE_ENC;
        dst[o++] = v; j += 3; continue;
      }
      uriFlags |= URI_BAD_ENC;
    } else if (c === 0x25) uriFlags |= URI_BAD_ENC;
    dst[o++] = c; j++;
  }
  return o - dOff;
}
