/**
 * HTTP content-coding decoder (Content-Encoding gzip / x-gzip / deflate / x-deflate / br / zstd) for
 * the bodies the HTTP parser keeps, so that body rules see what a browser renders, not the
 * compressed bytes.
 *
 * When: once per message, when its body is complete (or the flow/direction ended), on the bounded
 * raw body the parser kept (limits.max{Request,Response}Body). Not per packet: node's synchronous
 * zlib API cannot resume a stream across calls (the streaming classes are asynchronous), and
 * detection reads a body only when the message is done (src/engine/detect.ts), so decoding once
 * at that point costs one inflate of at most `cap` output bytes per message.
 *
 * Evasion resistance (the noxxi.de HTTP evader captures): the format of each layer is sniffed,
 * not taken from the header token, as browsers do: leading CR/LF/whitespace is skipped; gzip
 * magic 1f 8b -> the gzip header is parsed here (any flag bits, FEXTRA/FNAME/FCOMMENT/FHCRC
 * skipped, CRC and length trailer ignored) and the payload inflated raw; a valid zlib header ->
 * skipped, payload inflated raw (Adler-32 ignored); anything else -> raw deflate. "deflate" is
 * either zlib-wrapped or raw (browsers accept both). Truncated streams yield what they have
 * (Z_SYNC_FLUSH as the finishing flush).
 *
 * Bounds (decompression bombs): output is capped at `cap` bytes per layer (zlib's
 * maxOutputLength stops the inflate early); a stream that would produce more is re-inflated from
 * a shorter input prefix (guided search, at most HTTP_DECODE_RETRIES inflates, each itself
 * capped; see inflateCapped) and the result flagged DEC_LIMIT; an output/input ratio above HTTP_DECODE_MAX_RATIO is
 * flagged DEC_LIMIT too. A corrupt stream is handled the same way (longest prefix that inflates,
 * DEC_ERROR when none does: the layer is then left as it was).
 *
 * Ownership: decodeBody() reads src[0, len) during the call only; the result buffer (res.buf) is
 * a fresh Buffer owned by the caller (allocated per decoded message: coded bodies only).
 */
import type * as Zlib from 'zlib';

// zlib is loaded on the first coded body, not with the module: requiring it costs ~9 ms of CPU at
// start-up (node compiles its zlib modules and binding), paid by every `quell flows`/`replay` run
// and by inline start-up, most of which never inflate anything (`quell flows` keeps no bodies).
let zlibMod: typeof Zlib | null = null;
// eslint-disable-next-line @typescript-eslint/no-var-requires
function zlib(): typeof Zlib { return zlibMod ??= require('zlib') as typeof Zlib; }

/** Content codings applied on top of each other that are undone (Suricata's
 *  response-body-decompress-layer-limit is 2 by default; suricata-verify's evader runs use 3). */
export const HTTP_MAX_DECODE_LAYERS = 3;
/** Decoded/encoded size ratio beyond which a layer is flagged as a bomb (libhtp's default ratio). */
export const HTTP_DECODE_MAX_RATIO = 2048;
/** Inflates tried per layer when the whole input overflows the cap or is corrupt (prefix search). */
export const HTTP_DECODE_RETRIES = 12;
/** Largest zstd block (RFC 8878 Block_Maximum_Size): the unit in which a zstd frame decodes. */
export const ZSTD_BLOCK_MAX = 128 * 1024;
/** Leading CR/LF/whitespace skipped before a layer's data (evader: "\r\n" before the gzip magic). */
export const HTTP_DECODE_MAX_LEAD = 64;

/** Content codings as named in Content-Encoding (decodeBody's `kinds`, outermost layer first). */
export const CODING_GZIP = 1;
export const CODING_DEFLATE = 2;
export const CODING_BR = 3;
export const CODING_ZSTD = 4;

/** decodeBody() result flags */
export const DEC_OK = 1;       // at least one layer decoded
export const DEC_LIMIT = 2;    // output capped or ratio exceeded (http.body_decompress_limit)
export const DEC_ERROR = 4;    // a layer did not inflate at all (http.body_decompress_error)
export const DEC_LAYERS = 8;   // more codings declared than HTTP_MAX_DECODE_LAYERS (http.body_decompress_layers)

export class DecodeResult {
  buf: Uint8Array = new Uint8Array(0);
  len = 0;
  flags = 0;
  layers = 0;
}

type Decompress = (b: Uint8Array, cap: number) => Buffer;
/** Inflate raw deflate data; throws like zlib. */
function inflateRaw(b: Uint8Array, cap: number): Buffer {
  const z = zlib();
  return z.inflateRawSync(b, { finishFlush: z.constants.Z_SYNC_FLUSH, maxOutputLength: cap });
}
/** Brotli (RFC 7932); a truncated stream gives what it holds (BROTLI_OPERATION_FLUSH). */
function unbrotli(b: Uint8Array, cap: number): Buffer {
  const z = zlib();
  return z.brotliDecompressSync(b, { finishFlush: z.constants.BROTLI_OPERATION_FLUSH, maxOutputLength: cap });
}
/** Zstandard (RFC 8878; node >= 22.15); a truncated frame gives what it holds (ZSTD_e_flush). */
function unzstd(b: Uint8Array, cap: number): Buffer {
  const z = zlib();
  return z.zstdDecompressSync(b, { finishFlush: z.constants.ZSTD_e_flush, maxOutputLength: cap });
}
function isZstd(b: Uint8Array, s: number): boolean {
  return b.length - s >= 4 && b[s] === 0x28 && b[s + 1] === 0xb5 && b[s + 2] === 0x2f && b[s + 3] === 0xfd;
}

/** Offset of the deflate payload in b (gzip/zlib header skipped), -1 if a gzip header is cut short. */
function payloadStart(b: Uint8Array, s: number): number {
  const n = b.length;
  if (n - s >= 2 && b[s] === 0x1f && b[s + 1] === 0x8b) {
    // RFC 1952: ID1 ID2 CM FLG MTIME(4) XFL OS, then optional fields per FLG
    let p = s + 10;
    if (p > n) return -1;
    const flg = b[s + 3];
    if (flg & 4) { if (p + 2 > n) return -1; p += 2 + (b[p] | (b[p + 1] << 8)); }
    if (flg & 8) { while (p < n && b[p] !== 0) p++; p++; }
    if (flg & 16) { while (p < n && b[p] !== 0) p++; p++; }
    if (flg & 2) p += 2;
    return p > n ? -1 : p;
  }
  if (n - s >= 2 && (b[s] & 0x0f) === 8 && (b[s] >> 4) <= 7 && ((b[s] << 8) | b[s + 1]) % 31 === 0 && !(b[s + 1] & 0x20)) {
    return s + 2;   // zlib header (no preset dictionary)
  }
  return s;
}

/**
 * Inflate with output capped at `cap`: the whole input first; when it overflows the cap or is
 * corrupt, an input prefix that inflates within the cap (search bounded by HTTP_DECODE_RETRIES
 * inflates, each itself capped): after an overflow the prefix shrinks 8x, after a success it grows
 * to the size the measured ratio predicts for ~90% of the cap (done once the output reaches half
 * the cap), after a corruption error it bisects. A big legitimate page (300 KB of text gzipped to
 * 90 KB, cap 100 KB) then costs 2-3 capped inflates instead of a plain binary search's 12.
 * Returns null when nothing inflates. `st.flags` receives DEC_LIMIT when capped.
 */
function inflateCapped(p: Uint8Array, cap: number, st: { flags: number }, dec: Decompress = inflateRaw): Buffer | null {
  try { return dec(p, cap); } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') st.flags |= DEC_LIMIT;
  }
  let lo = 0, hi = p.length;   // lo: longest prefix known to inflate, hi: shortest known not to
  let best: Buffer | null = null;
  let mid = (st.flags & DEC_LIMIT) !== 0 ? Math.max(1, Math.min(hi >>> 3, cap >>> 3)) : hi >>> 1;
  for (let k = 0; k < HTTP_DECODE_RETRIES && hi - lo > 1; k++) {
    if (mid <= lo || mid >= hi) mid = (lo + hi) >>> 1;
    try {
      best = dec(p.subarray(0, mid), cap); lo = mid;
      if (best.length >= cap >>> 1) break;
      mid = best.length > 0 ? Math.floor(mid * (0.9 * cap) / best.length) : (lo + hi) >>> 1;
    } catch (e) {
      const over = (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
      if (over) st.flags |= DEC_LIMIT;
      hi = mid;
      mid = over ? lo + Math.max(1, (mid - lo) >>> 3) : (lo + hi) >>> 1;
    }
  }
  return best !== null && best.length > 0 ? best : null;
}

/**
 * Undo one layer named `kind` (CODING_*); null when it does not decode. The bytes decide first:
 * zstd magic -> zstd. Then a layer named br is brotli (no magic number to sniff); if it does not
 * decode, only a gzip or zlib header makes it inflate. A layer named gzip/deflate is sniffed: gzip
 * magic or a zlib header -> inflate after it, otherwise raw deflate.
 */
function decodeLayer(b: Uint8Array, cap: number, st: { flags: number }, kind: number): Buffer | null {
  let s = 0;
  while (s < b.length && s < HTTP_DECODE_MAX_LEAD && (b[s] === 0x0d || b[s] === 0x0a || b[s] === 0x20 || b[s] === 0x09)) s++;
  let out: Buffer | null = null;
  // zstd decodes whole blocks (up to ZSTD_BLOCK_MAX): an input prefix cannot stop inside one, so
  // its cap is raised by a block (a prefix then reaches the body limit; the caller keeps `cap` bytes)
  if (isZstd(b, s)) out = inflateCapped(b.subarray(s), cap + ZSTD_BLOCK_MAX, st, unzstd);
  else if (kind === CODING_BR) out = inflateCapped(b.subarray(s), cap, st, unbrotli);
  if (out === null) {
    const ps = payloadStart(b, s);
    if (ps >= 0 && (ps !== s || kind !== CODING_BR)) out = inflateCapped(b.subarray(ps), cap, st);
    // a "zlib header" that was really raw deflate data (or junk before the stream): raw from s.
    // Never for a layer named br: raw inflate of brotli bytes can "succeed" with a few junk bytes.
    if (out === null && ps !== s && kind !== CODING_BR) out = inflateCapped(b.subarray(s), cap, st);
  }
  if (out !== null && (out.length > cap || out.length > HTTP_DECODE_MAX_RATIO * Math.max(1, b.length))) st.flags |= DEC_LIMIT;
  return out;
}

/**
 * Undo `layers` content codings (count of gzip/deflate/br/zstd tokens in Content-Encoding) of
 * src[0, len). `kinds[l]` (CODING_*) names layer l, outermost (the last coding applied) first;
 * without it every layer is of the deflate family (sniffed). res.buf/res.len: the decoded body (the
 * last layer that decoded), res.flags: DEC_* bits, res.layers: layers undone. With no layer undone
 * res.len = 0 and DEC_OK is clear.
 */
export function decodeBody(src: Uint8Array, len: number, layers: number, cap: number, res: DecodeResult, kinds?: ArrayLike<number>): void {
  res.flags = 0; res.layers = 0; res.len = 0;
  if (layers > HTTP_MAX_DECODE_LAYERS) { res.flags |= DEC_LAYERS; layers = HTTP_MAX_DECODE_LAYERS; }
  let cur: Uint8Array = src.subarray(0, len);
  const st = { flags: 0 };
  for (let l = 0; l < layers && cur.length > 0; l++) {
    const out = decodeLayer(cur, cap, st, kinds !== undefined && l < kinds.length ? kinds[l] : CODING_GZIP);
    if (out === null) { if (l === 0) st.flags |= DEC_ERROR; break; }
    cur = out; res.layers++;
  }
  res.flags |= st.flags;
  if (res.layers > 0) { res.flags |= DEC_OK; res.buf = cur; res.len = cur.length; }
}
