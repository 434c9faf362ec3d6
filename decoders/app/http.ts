/**
 * HTTP/1.x parser: streaming, one HttpParser per flow, fed in-order stream bytes of each
 * direction (dir 0 = to_server = requests, dir 1 = to_client = responses).
 *
 * Ownership and lifetime:
 * - feed() reads `buf[off, off+len)` only during the call; whatever is kept (start lines,
 *   headers, bounded bodies, normalized uri, host) is copied into the transaction's own buffers.
 * - Transactions (HttpTx) are owned by the parser and recycled: the parser reports progress by
 *   calling `parser.onTx(tx, what)` synchronously from feed()/gap()/end(); `what` is one of
 *   HTTP_REQUEST_HEADERS, HTTP_REQUEST_DONE, HTTP_RESPONSE_HEADERS, HTTP_RESPONSE_DONE,
 *   HTTP_TX_DONE, HTTP_REQUEST_PARTIAL (request headers not finished at the end of a feed:
 *   depends on how the bytes were cut, unlike the others) and HTTP_{REQUEST,RESPONSE}_BODY_DATA
 *   (a long body grew by HTTP_BODY_INSPECT_STEP; also cut-dependent). The tx object and every view into it stay valid until the parser's next
 *   feed()/gap()/end()/finish() call after HTTP_TX_DONE was delivered for it (so a caller may
 *   collect txs during a feed and use them right after it returns); then the object is reused.
 *   Callers that keep data longer copy it (httpTxRecord() makes plain strings, for output).
 * - Views: (buffer, offset, length) triples. Request fields index `tx.req.buf`, response fields
 *   `tx.res.buf`; a length of -1 means "absent". The buffer object may be replaced when it grows,
 *   so read `tx.req.buf` after the callback, not before.
 *
 * Framing (RFC 9112): Transfer-Encoding whose last coding is chunked wins over Content-Length
 * (event http.te_and_cl when both); requests without either have no body; responses to HEAD,
 * 1xx, 204 and 304 have no body; 1xx other than 101 are interim (recorded in tx.interimStatus,
 * the request stays waiting for its final response: 100-continue); 101 and a 2xx answer to
 * CONNECT switch both directions to tunnel mode (bytes counted, not parsed); other responses
 * without length are delimited by the connection close (end()).
 *
 * Gap policy (gap(dir, n)): inside a body with a known remaining length (Content-Length or
 * chunk data) that covers the hole, the hole is accounted as body bytes (tx flag TXF_GAP) and
 * parsing continues in sync; inside a close-delimited body or tunnel likewise. Anywhere else the
 * message in progress is closed as incomplete (TXF_GAP|TXF_INCOMPLETE, the callbacks it still
 * owed are delivered) and the direction resyncs: data is skipped until a line that starts a new
 * message (a known method + space, or a whole request line "TOKEN target HTTP/1.x" with any
 * method token, for requests; "HTTP/1.x NNN" for responses) at the start of a fed chunk or just
 * after a LF. Event http.gap either way.
 */
import { AEV, APP_EVENT_COUNT } from './events';
import { matchMethod, matchResponseStart, matchTokenRequestLine, isKnownMethod } from './detect';
import { indexOfByte } from './bytes';
import { normalizeUri, normalizeHost, absoluteUriAuthorityStart, authorityEnd, uriFlags, URI_BAD_ENC, URI_DOUBLE_ENC } from './uri';
import { decodeBody, DecodeResult, DEC_OK, DEC_LIMIT, DEC_ERROR, DEC_LAYERS, CODING_GZIP, CODING_DEFLATE, CODING_BR, CODING_ZSTD, HTTP_MAX_DECODE_LAYERS } from './http-coding';

/** Limits (all per direction per transaction). Defaults follow Suricata's libhtp defaults in spirit. */
export interface HttpLimits {
  /** Longest start line or header line kept; the rest of a longer line is dropped (http.header_too_long). */
  maxLineBytes: number;
  /** Headers kept per message; later ones still drive framing (http.too_many_headers). */
  maxHeaders: number;
  /** Bytes of start line + headers kept per message (http.headers_too_big). */
  maxHeaderBytes: number;
  /** Request body bytes kept (Suricata: request-body-limit 100kb); the rest is counted (http.body_limit). */
  maxRequestBody: number;
  /** Response body bytes kept (Suricata: response-body-limit 100kb). */
  maxResponseBody: number;
  /** Requests waiting for their response (pipelining depth); beyond it requests are parsed but not reported (http.too_many_tx). */
  maxOpenTx: number;
}
export const HTTP_MAX_LINE_BYTES = 16384;
export const HTTP_MAX_HEADERS = 128;
export const HTTP_MAX_HEADER_BYTES = 65536;
export const HTTP_MAX_REQUEST_BODY = 102400;
export const HTTP_MAX_RESPONSE_BODY = 102400;
export const HTTP_MAX_OPEN_TX = 32;
/** HttpParser.reset() (parser reuse across flows) keeps at most this many tx objects... */
export const HTTP_RESET_KEEP_TX = 2;
/** ...and drops their start-line/header and body buffers larger than this (regrown on demand). */
export const HTTP_RESET_KEEP_BYTES = 8192;
/** Events kept per transaction (each distinct event once). */
export const HTTP_TX_MAX_EVENTS = 16;
/** Empty lines tolerated before one chunk-size line (browser leniency); more is chunk_invalid. */
export const HTTP_MAX_EMPTY_CHUNK_LINES = 4;
/** Lines before a response's status line that are skipped when a status line follows (browsers
 *  do); more, or a longer junk block than limits.maxLineBytes, and the response is read as a body
 *  until close (HTTP/0.9 style), the junk included. Counted by http.response_junk when skipped. */
export const HTTP_MAX_JUNK_LINES = 4;
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxLineBytes: HTTP_MAX_LINE_BYTES, maxHeaders: HTTP_MAX_HEADERS, maxHeaderBytes: HTTP_MAX_HEADER_BYTES,
  maxRequestBody: HTTP_MAX_REQUEST_BODY, maxResponseBody: HTTP_MAX_RESPONSE_BODY, maxOpenTx: HTTP_MAX_OPEN_TX,
});

// ---- progress callbacks (`what` argument of onTx)
export const HTTP_REQUEST_HEADERS = 1;   // request line + headers parsed: method, uri, host, headers readable
export const HTTP_REQUEST_DONE = 2;      // request body complete (or request closed incomplete)
export const HTTP_RESPONSE_HEADERS = 3;  // final status line + headers parsed
export const HTTP_RESPONSE_DONE = 4;     // response body complete
export const HTTP_TX_DONE = 5;           // last callback for this tx; the object is recycled afterwards
/** Request line + the headers so far, delivered at the end of a feed() that left the request's
 *  header section unfinished (tx flag TXF_REQ_HEADERS_PARTIAL; method, uri, host, headers
 *  readable as for HTTP_REQUEST_HEADERS, req.headersDone true until the next feed/gap/end of the
 *  direction). May come once per feed that added header lines; HTTP_REQUEST_HEADERS follows when
 *  the section ends (or, flagged TXF_REQ_HEADERS_PARTIAL|TXF_INCOMPLETE_REQ, when it never does).
 *  Lets detection inspect a request whose headers never end (Suricata inspects the request line
 *  as soon as it is complete). */
export const HTTP_REQUEST_PARTIAL = 6;
/** Body progress: the message's kept body (req/res.body, bodyLen) grew by at least
 *  HTTP_BODY_INSPECT_STEP bytes since the last such callback (or since the headers), and the
 *  message is not done yet. Lets a caller inspect a long body while it arrives (detection:
 *  docs/detection.md "Progressive body inspection"). Depends on how the bytes were cut (delivered
 *  from inside feed(), several per feed for big feeds); never after the body limit is reached
 *  (bodyLen stops growing there) and never for a decoded body (content coding is undone at the end). */
export const HTTP_REQUEST_BODY_DATA = 7;
export const HTTP_RESPONSE_BODY_DATA = 8;
/** Kept-body growth between two HTTP_*_BODY_DATA callbacks (bytes). */
export const HTTP_BODY_INSPECT_STEP = 32768;

// ---- tx flags
export const TXF_GAP_REQ = 1 << 0;
export const TXF_GAP_RES = 1 << 1;
export const TXF_INCOMPLETE_REQ = 1 << 2;   // request ended before its end (gap, truncation, flow end)
export const TXF_INCOMPLETE_RES = 1 << 3;
export const TXF_NO_REQUEST = 1 << 4;       // response without a request (midstream / lost request)
export const TXF_HTTP09 = 1 << 5;
export const TXF_TUNNEL = 1 << 6;           // CONNECT accepted or 101 Switching Protocols
export const TXF_REQ_BODY_TRUNC = 1 << 7;   // request body longer than the limit
export const TXF_RES_BODY_TRUNC = 1 << 8;
export const TXF_NO_RESPONSE = 1 << 9;      // flow ended before any response
export const TXF_REQ_DECODED = 1 << 10;     // request body content coding undone: req.body decoded, req.raw as received
export const TXF_RES_DECODED = 1 << 11;     // idem for the response
/** The request's header section is not complete yet (or never was): HTTP_REQUEST_HEADERS was
 *  delivered early with the request line and the headers parsed so far (see exposePartialRequest). */
export const TXF_REQ_HEADERS_PARTIAL = 1 << 12;
/** 101 Switching Protocols with "Upgrade: websocket" (RFC 6455): the tunnel that follows is WebSocket
 *  frames (parser.tunnelWebSocket is set; the caller parses them, decoders/app/websocket.ts). */
export const TXF_WEBSOCKET = 1 << 13;

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const H_CONTENT_LENGTH = enc('content-length');
const H_TRANSFER_ENCODING = enc('transfer-encoding');
const H_HOST = enc('host');
const H_USER_AGENT = enc('user-agent');
const H_SERVER = enc('server');
const H_CONTENT_TYPE = enc('content-type');
const H_CONNECTION = enc('connection');
const H_UPGRADE = enc('upgrade');
const H_CONTENT_ENCODING = enc('content-encoding');
const H_WS_EXTENSIONS = enc('sec-websocket-extensions');
const V_WEBSOCKET = enc('websocket');
const V_PERMESSAGE_DEFLATE = enc('permessage-deflate');
const V_GZIP = enc('gzip');
const V_DEFLATE = enc('deflate');
const V_BR = enc('br');
const V_ZSTD = enc('zstd');
const V_CHUNKED = enc('chunked');
const V_CLOSE = enc('close');

function isWs(c: number): boolean { return c === 0x20 || c === 0x09; }
/** isWs plus VT and FF (whitespace before a header's ':'). A module function, not a closure made
 *  per header line as before. */
function wsv(c: number): boolean { return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c; }

/** Case-insensitive compare of buf[off, off+len) with a lowercase ASCII pattern. */
export function eqLower(buf: Uint8Array, off: number, len: number, pat: Uint8Array): boolean {
  if (len !== pat.length) return false;
  for (let i = 0; i < len; i++) {
    let c = buf[off + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== pat[i]) return false;
  }
  return true;
}

/** eqLower ignoring NUL bytes in buf (header names such as "Transfer\0-Encoding"). */
function eqLowerNoNul(buf: Uint8Array, off: number, len: number, pat: Uint8Array): boolean {
  let j = 0;
  for (let i = 0; i < len; i++) {
    let c = buf[off + i];
    if (c === 0) continue;
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (j >= pat.length || c !== pat[j++]) return false;
  }
  return j === pat.length;
}

/** Does buf[off, off+len) contain the lowercase pattern, case-insensitively, NUL bytes ignored? */
function containsLowerNoNul(buf: Uint8Array, off: number, len: number, pat: Uint8Array): boolean {
  for (let st = off; st < off + len; st++) {
    let j = 0;
    for (let i = st; i < off + len && j < pat.length; i++) {
      let c = buf[i];
      if (c === 0) continue;
      if (c >= 0x41 && c <= 0x5a) c |= 0x20;
      if (c !== pat[j]) break;
      j++;
    }
    if (j === pat.length) return true;
  }
  return false;
}

/** End (exclusive) of `pat` matched at buf[st] (ASCII case-insensitive, NUL bytes inside skipped,
 *  not at st), -1 when it does not match before `end`. */
function matchLowerNoNul(buf: Uint8Array, st: number, end: number, pat: Uint8Array): number {
  let j = 0, i = st;
  for (; i < end && j < pat.length; i++) {
    let c = buf[i];
    if (c === 0) { if (i === st) return -1; continue; }
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== pat[j]) return -1;
    j++;
  }
  return j === pat.length ? i : -1;
}

/** A coding-list delimiter (or a NUL, which evasions put anywhere). */
function isCodingDelim(c: number): boolean { return c === 0x2c || c === 0x20 || c === 0x09 || c === 0x3b || c === 0 || c === 0x0d || c === 0x0a; }

/**
 * Appends the content codings named in buf[off, off+len) (one Content-Encoding value), in order of
 * appearance, the n-th at kinds[n % kinds.length] (a ring: the last ones, which are the outermost
 * layers, are always kept); returns the new count n.
 * gzip, deflate and zstd are found anywhere in the value, as browsers are lenient with gzip/deflate
 * (`x-gzip`, `gzip;q`, `\0gzip`); br only as a whole token (two letters occur inside other words).
 */
function codingsIn(buf: Uint8Array, off: number, len: number, kinds: Uint8Array, n: number): number {
  const end = off + len;
  for (let st = off; st < end; st++) {
    let k = 0;
    if (matchLowerNoNul(buf, st, end, V_GZIP) >= 0) k = CODING_GZIP;
    else if (matchLowerNoNul(buf, st, end, V_DEFLATE) >= 0) k = CODING_DEFLATE;
    else if (matchLowerNoNul(buf, st, end, V_ZSTD) >= 0) k = CODING_ZSTD;
    else if (st === off || isCodingDelim(buf[st - 1])) {
      const e = matchLowerNoNul(buf, st, end, V_BR);
      if (e >= 0 && (e === end || isCodingDelim(buf[e]))) k = CODING_BR;
    }
    if (k !== 0) { kinds[n % kinds.length] = k; n++; }
  }
  return n;
}

/** "token: ..." at b[s, e)? (a name of token characters followed by ':') */
function looksLikeHeader(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const c = b[i];
    if (c === 0x3a) return i > s;
    if (c <= 0x20 || c >= 0x7f || c === 0x28 || c === 0x29 || c === 0x2c || c === 0x2f || c === 0x3b || c === 0x3d ||
        c === 0x3c || c === 0x3e || c === 0x40 || c === 0x5b || c === 0x5d || c === 0x5c || c === 0x22 || c === 0x3f ||
        c === 0x7b || c === 0x7d) return false;
    i++;
  }
  return false;
}

/** One message (request or response) of a transaction: start line, headers, bounded body. */
export class HttpMsg {
  /** Start line + header lines (terminators removed, folded lines joined) + derived fields.
   *  Starts as the shared empty array and is grown by ensure() from HTTP_MSG_BUF_MIN bytes,
   *  doubling: a message that never starts costs no buffer, and a short one stays in V8's
   *  on-heap typed-array representation (<= 64 bytes: no ArrayBuffer/backing store/extension
   *  objects that every scavenge has to copy or sweep while the flow lives). */
  buf: Uint8Array = EMPTY;
  used = 0;
  lineOff = 0; lineLen = -1;            // start line, raw
  /** request: method, uri (raw), protocol; response: protocol, status code text, reason phrase */
  f0Off = 0; f0Len = -1;
  f1Off = 0; f1Len = -1;
  f2Off = 0; f2Len = -1;
  hdrCount = 0;
  /** Header i: name at buf[hdr[4i], +hdr[4i+1]), value at buf[hdr[4i+2], +hdr[4i+3]). One array
   *  instead of four (nameOff/nameLen/valOff/valLen until 2026-11-21): every typed array is two
   *  heap objects (view + ArrayBuffer) that live as long as the flow and that each scavenge copies;
   *  `quell flows` on big.pcap: scavenges 20 -> 15, CPU -2..3% (docs/performance.md "Flows").
   *  Starts as the shared empty array; the first header allocates HTTP_MSG_HDR_MIN entries
   *  (64 bytes, on-heap), doubled when full. */
  hdr: Uint32Array = EMPTY_U32;
  /** Content-Length as declared (-1 none or invalid). */
  contentLength = -1;
  chunked = false;
  connClose = false;
  /** Body bytes kept (up to the limit) and body bytes seen in total (chunked: decoded sizes).
   *  When the message's content coding was undone (tx flag TXF_{REQ,RES}_DECODED, at the end of
   *  the message), body/bodyLen hold the decoded bytes (capped at the same limit) and
   *  raw/rawLen the bytes as received; otherwise rawLen is -1 and body is the received bytes. */
  body: Uint8Array = EMPTY;
  bodyLen = 0;
  /** bodyLen at the last HTTP_*_BODY_DATA callback (0 before the first; -1: content-coded, none). */
  bodyMark = 0;
  bodyTotal = 0;
  raw: Uint8Array = EMPTY;
  rawLen = -1;
  /** Timestamp (ns) of the first byte of this message, -1 if none yet. */
  tsNs = -1;
  started = false;   // first byte of the start line seen
  headersDone = false;
  done = false;
  // framing scratch
  clSeen = false; clBad = false; teSeen = false; teLastChunked = false;
  hostIdx = -1;

  reset(): void {
    this.used = 0; this.lineOff = 0; this.lineLen = -1;
    this.f0Len = this.f1Len = this.f2Len = -1;
    this.hdrCount = 0; this.contentLength = -1; this.chunked = false; this.connClose = false;
    this.bodyLen = 0; this.bodyMark = 0; this.bodyTotal = 0; this.tsNs = -1;
    // a decoded body is a fresh buffer: keep the received-bytes buffer for reuse instead
    if (this.rawLen >= 0) { this.body = this.raw; this.raw = EMPTY; this.rawLen = -1; }
    this.started = this.headersDone = this.done = false;
    this.clSeen = this.clBad = this.teSeen = this.teLastChunked = false;
    this.hostIdx = -1;
  }

  ensure(n: number): void {
    if (n <= this.buf.length) return;
    let c = this.buf.length * 2;
    if (c < HTTP_MSG_BUF_MIN) c = HTTP_MSG_BUF_MIN;
    while (c < n) c *= 2;
    const nb = new Uint8Array(c);
    nb.set(this.buf.subarray(0, this.used));
    this.buf = nb;
  }

  addHeader(no: number, nl: number, vo: number, vl: number): void {
    const k = this.hdrCount;
    let h = this.hdr;
    if (k * 4 === h.length) { const g = new Uint32Array(k === 0 ? HTTP_MSG_HDR_MIN : h.length * 2); g.set(h); this.hdr = h = g; }
    h[k * 4] = no; h[k * 4 + 1] = nl; h[k * 4 + 2] = vo; h[k * 4 + 3] = vl;
    this.hdrCount = k + 1;
  }

  /** Index of the first header with this name (case-insensitive; string converted per call: not for hot paths), -1 if none. */
  find(name: string | Uint8Array): number {
    const pat = typeof name === 'string' ? enc(name.toLowerCase()) : name;
    for (let i = 0; i < this.hdrCount; i++) if (eqLower(this.buf, this.hdr[i * 4], this.hdr[i * 4 + 1], pat)) return i;
    return -1;
  }
  /** Header value as a string (output time). */
  headerStr(name: string): string | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : latin1(this.buf, this.hdr[i * 4 + 2], this.hdr[i * 4 + 3]);
  }

  appendBody(b: Uint8Array, off: number, n: number, limit: number): boolean {
    this.bodyTotal += n;
    const room = limit - this.bodyLen;
    const k = n < room ? n : room;
    if (k > 0) {
      if (this.bodyLen + k > this.body.length) {
        let c = Math.max(1024, this.body.length * 2);
        while (c < this.bodyLen + k) c *= 2;
        if (c > limit) c = limit;
        const nb = new Uint8Array(c);
        nb.set(this.body.subarray(0, this.bodyLen));
        this.body = nb;
      }
      this.body.set(b.subarray(off, off + k), this.bodyLen);
      this.bodyLen += k;
    }
    return k < n;   // truncated
  }
}
// Shared zero-length arrays: the initial buffers of a message/transaction (never written: a
// write to index >= length of a typed array is a no-op, and every writer calls ensure() first).
const EMPTY = new Uint8Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U16 = new Uint16Array(0);
/** A message that never started, read in place of a transaction's missing response (output
 *  functions); never written. */
const NO_MSG = new HttpMsg();
/** First allocation of HttpMsg.buf (bytes) and of HttpMsg.hdr (entries, 4 per header): both 64
 *  bytes, the largest typed array V8 keeps on its heap (no separate ArrayBuffer backing store). */
export const HTTP_MSG_BUF_MIN = 64;
export const HTTP_MSG_HDR_MIN = 16;

export function latin1(b: Uint8Array, off: number, len: number): string {
  if (len <= 0) return '';
  return Buffer.from(b.buffer, b.byteOffset + off, len).toString('latin1');
}

/** One request/response pair. Owned and recycled by its HttpParser (see the file comment). */
export class HttpTx {
  /** Sequence number within the flow, from 0. */
  index = 0;
  flags = 0;
  readonly req = new HttpMsg();
  /** The response message, or null until something needs it (see `res`). Read by the parser
   *  (same file) to test "no response yet" without creating one; others use `res`. */
  resMsg: HttpMsg | null = null;
  /** The response message. Created on first use (the parser creates it on the first response
   *  byte): about half of the transactions of a capture never see a response before the flow
   *  ends, and an HttpMsg is ~40 fields that would otherwise live as long as the flow (every
   *  scavenge copies it). A response created later reads as a fresh message (nothing started). */
  get res(): HttpMsg { return this.resMsg ?? this.newRes(); }
  private newRes(): HttpMsg {
    const m = new HttpMsg();
    // the parser closes a response that never started by this flag alone (flushAll)
    if (this.flags & TXF_NO_RESPONSE) m.done = true;
    return (this.resMsg = m);
  }
  /** Views into req.buf (length -1 = absent). */
  methodOff = 0; methodLen = -1;
  uriOff = 0; uriLen = -1;            // raw request-target
  uriNormOff = 0; uriNormLen = -1;    // normalized (see uri.ts)
  protoOff = 0; protoLen = -1;        // "HTTP/1.1"
  hostOff = 0; hostLen = -1;          // lowercased, port stripped; absolute-URI authority wins over Host
  uaOff = 0; uaLen = -1;              // User-Agent value
  /** Views into res.buf. */
  statusOff = 0; statusLen = -1;      // 3 digits as text
  serverOff = 0; serverLen = -1;
  ctypeOff = 0; ctypeLen = -1;        // response Content-Type value
  /** Final status code (-1 none yet), last interim (1xx) status (-1 none). */
  status = -1;
  interimStatus = -1;
  isHead = false;
  isConnect = false;
  nev = 0;
  /** Event ids [0, nev). The shared empty array until the first event (most transactions have
   *  none), then HTTP_TX_MAX_EVENTS entries (32 bytes, on-heap). */
  events: Uint16Array = EMPTY_U16;

  reset(): void {
    this.flags = 0; this.req.reset();
    if (this.resMsg !== null) this.resMsg.reset();
    this.methodLen = this.uriLen = this.uriNormLen = this.protoLen = this.hostLen = this.uaLen = -1;
    this.statusLen = this.serverLen = this.ctypeLen = -1;
    this.status = -1; this.interimStatus = -1; this.isHead = this.isConnect = false; this.nev = 0;
  }
  addEvent(ev: number): void {
    for (let i = 0; i < this.nev; i++) if (this.events[i] === ev) return;
    if (this.nev < HTTP_TX_MAX_EVENTS) {
      if (this.nev === this.events.length) this.events = new Uint16Array(HTTP_TX_MAX_EVENTS);
      this.events[this.nev++] = ev;
    }
  }
  hasEvent(ev: number): boolean { for (let i = 0; i < this.nev; i++) if (this.events[i] === ev) return true; return false; }
  /** Request header index by name (case-insensitive), -1 if absent; value at req.hdr[4i + 2] (offset), req.hdr[4i + 3] (length) in req.buf. */
  reqHeader(name: string | Uint8Array): number { return this.req.find(name); }
  resHeader(name: string | Uint8Array): number { return this.res.find(name); }
  get requestDone(): boolean { return this.req.done; }
  /** res.done without creating the response message (see newRes: TXF_NO_RESPONSE = done). */
  get responseDone(): boolean { return this.resMsg !== null ? this.resMsg.done : (this.flags & TXF_NO_RESPONSE) !== 0; }
}

// direction states
const S_IDLE = 0;        // before a start line (leading CR/LF skipped)
const S_LINE = 1;        // in the start line
const S_HDR = 2;         // in a header line
const S_BODY_CL = 3;
const S_CHUNK_SIZE = 4;  // in a chunk-size line (incl. extensions)
const S_CHUNK_DATA = 5;
const S_CHUNK_END = 6;   // CRLF after chunk data
const S_TRAILER = 7;     // header lines after the last chunk
const S_BODY_CLOSE = 8;  // until end()
const S_TUNNEL = 9;      // CONNECT/101: not parsed
const S_RESYNC = 10;     // after a gap: look for a new message start
const S_WAIT_CONNECT = 11; // request side after CONNECT until the response decides
const S_DISCARD = 12;    // request side after an invalid start: wait for resync
const S_JUNK = 13;       // response side: lines before a status line (raw bytes kept in msg.buf)

class DirState {
  st = S_IDLE;
  tx: HttpTx | null = null;
  lineStart = 0;         // offset in msg.buf of the current line
  lineOver = false;      // current line exceeded maxLineBytes: skipping to LF
  lastHdr = -1;          // header index for obs-fold continuation, -1 none
  hdrsOver = false;      // maxHeaderBytes exceeded: header lines no longer kept
  tooMany = false;       // maxHeaders reached (event raised once per message)
  remain = 0;            // body bytes remaining (CL or current chunk)
  // chunk-size line scanner
  chDigits = 0; chSize = 0; chExt = false; chBad = false; chSawCR = false; chLen = 0;
  chEndState = 0;        // S_CHUNK_END: 0 expect CR or LF, 1 saw CR expect LF
  chEmpty = 0;           // empty lines skipped before the current chunk size
  ended = false;
  /** request side: msg.used before the derived fields of a partial exposure (-1 none pending) and
   *  the header count at the last partial exposure (-1 none for this request) */
  partUsed = -1;
  partHdrs = -1;
  /** response side: offset in msg.buf of a header line without ':' that a folded continuation
   *  may still complete ("Transfer-Encoding\r\n :chunked"), -1 none */
  pendName = -1;
  junkLines = 0;         // S_JUNK: lines seen before the status line
  sawNul = false;        // response S_IDLE skipped a NUL byte (may span feeds)
  lfOnly = false;        // the last line taken ended with a bare LF (no CR before it)
  prevLfOnly = false;    // idem for the line before it (LF CR line ends, see headerLine)
  reset(): void {
    this.partUsed = -1; this.partHdrs = -1; this.pendName = -1; this.junkLines = 0; this.sawNul = false;
    this.st = S_IDLE; this.tx = null; this.lineStart = 0; this.lineOver = false; this.lastHdr = -1; this.hdrsOver = false; this.tooMany = false;
    this.remain = 0; this.chDigits = this.chSize = this.chLen = 0; this.chExt = this.chBad = this.chSawCR = false;
    this.chEndState = 0; this.ended = false;
  }
}

export type HttpTxCallback = (tx: HttpTx, what: number, parser: HttpParser) => void;

const scratchUri = { buf: new Uint8Array(1024) };
const decodeRes = new DecodeResult();
/** Codings named by the message being decoded, in header order, as a ring (codingsIn). */
const codingKinds = new Uint8Array(HTTP_MAX_DECODE_LAYERS);
/** The layers to undo, outermost (the last coding applied) first (decodeCoding). */
const layerKinds = new Uint8Array(HTTP_MAX_DECODE_LAYERS);

/**
 * One parser per flow. Not thread-safe (one worker owns a flow). Allocation happens when the
 * parser is created, when a tx object is first needed (then recycled), and when a tx buffer grows
 * (bounded by the limits): never per packet in the steady state.
 */
export class HttpParser {
  readonly limits: HttpLimits;
  /** Progress callback (see the file comment). Set once; receives (tx, what, parser). */
  onTx: HttpTxCallback | null = null;
  /** Free for the caller (e.g. the flow index), never read by the parser. */
  userData = 0;
  /** Events counted over the life of this parser, by AEV id (includes those beyond a tx's event list). */
  readonly eventCounts = new Uint32Array(APP_EVENT_COUNT);
  /** Transactions started / reported done. */
  txStarted = 0;
  txDone = 0;
  /** Bytes seen in tunnel mode per direction. */
  readonly tunnelBytes = [0, 0];
  /** The tunnel is a WebSocket connection (101 with "Upgrade: websocket"; tx flag TXF_WEBSOCKET),
   *  and whether the server accepted permessage-deflate (RFC 7692: compressed messages). */
  tunnelWebSocket = false;
  tunnelWsDeflate = false;

  private readonly d = [new DirState(), new DirState()];
  /** Open transactions in request order (responses pair with the oldest without a response). */
  private readonly open: HttpTx[] = [];
  private readonly pool: HttpTx[] = [];
  private readonly retired: HttpTx[] = [];
  /** Parses requests beyond maxOpenTx (never reported). Created when first needed: most flows
   *  never reach the limit, and an HttpTx with its request message is the largest per-flow allocation. */
  private discard: HttpTx | null = null;
  private txSeq = 0;
  private curTs = 0;

  constructor(limits?: Partial<HttpLimits>) {
    this.limits = { ...DEFAULT_HTTP_LIMITS, ...(limits ?? {}) };
  }

  /**
   * Make this parser as new for another flow (same limits and onTx), keeping its transaction
   * objects and their buffers for reuse: a caller that pools parsers across flows allocates
   * nothing per flow in the steady state. Call it only after the previous flow's last callback
   * (finish()) and once nothing holds that flow's tx views any more; userData is left to the caller.
   */
  reset(): void {
    this.recycle();
    for (let k = 0; k < this.open.length; k++) this.pool.push(this.open[k]);
    this.open.length = 0;
    // bounded: what a pooled parser keeps (HTTP_RESET_KEEP_TX objects, buffers up to
    // HTTP_RESET_KEEP_BYTES; larger ones are dropped and regrown when needed)
    if (this.pool.length > HTTP_RESET_KEEP_TX) this.pool.length = HTTP_RESET_KEEP_TX;
    for (let k = 0; k < this.pool.length; k++) {
      const t = this.pool[k];
      for (let j = 0; j < 2; j++) {
        const m = j === 0 ? t.req : t.resMsg;
        if (m === null) continue;
        if (m.buf.length > HTTP_RESET_KEEP_BYTES) { m.buf = EMPTY; m.used = 0; }
        if (m.body.length > HTTP_RESET_KEEP_BYTES) { m.body = EMPTY; m.bodyLen = 0; }
        if (m.rawLen >= 0) { m.raw = EMPTY; m.rawLen = -1; }
      }
    }
    this.d[0].reset(); this.d[1].reset();
    this.d[0].chEmpty = 0; this.d[1].chEmpty = 0;
    this.eventCounts.fill(0);
    this.txStarted = 0; this.txDone = 0;
    this.tunnelBytes[0] = 0; this.tunnelBytes[1] = 0;
    this.tunnelWebSocket = false; this.tunnelWsDeflate = false;
    this.txSeq = 0; this.curTs = 0; this.lineComplete = false;
    this.discard = null;   // its buffers may have grown to the header/body limits: not kept
  }

  /** Open (not yet TX_DONE) transactions, oldest first. Read-only view for inspection/tests. */
  get openTx(): readonly HttpTx[] { return this.open; }

  // ------------------------------------------------------------------ public entry points
  feed(dir: 0 | 1, buf: Uint8Array, off: number, len: number, tsNs: number): void {
    this.recycle();
    this.curTs = tsNs;
    if (off < 0) { len += off; off = 0; }
    if (off + len > buf.length) len = buf.length - off;
    if (len <= 0) return;
    const d = this.d[dir];
    if (d.ended) return;
    if (d.partUsed >= 0) this.undoPartialRequest(d);
    let i = off;
    const end = off + len;
    // Bounded: every state transition consumes at least one byte or changes state in a way that
    // consumes on the next turn; the guard catches a bug instead of spinning.
    let guard = 4 * len + 64;
    while (i < end && guard-- > 0) {
      i = dir === 0 ? this.stepReq(d, buf, i, end) : this.stepRes(d, buf, i, end);
    }
    if (dir === 0 && d.st === S_HDR && d.tx !== null && d.tx !== this.discard && d.tx.req.hdrCount !== d.partHdrs) {
      this.exposePartialRequest(d, d.tx);
    }
  }

  /**
   * The request line is parsed but the header section has not ended with this feed: deliver
   * HTTP_REQUEST_HEADERS now with what is known (request line, headers so far, derived uri/host/
   * user-agent), tx flag TXF_REQ_HEADERS_PARTIAL, so that detection inspects the request during
   * this packet even if the header section never ends (flow end, timeout, header limit). Undone
   * at the start of the next feed()/gap()/end() of the direction (derived fields removed, parsing
   * goes on); when the headers do end, HTTP_REQUEST_HEADERS is delivered again, complete. At most
   * once per feed, and only when the header count changed since the last exposure.
   */
  private exposePartialRequest(d: DirState, tx: HttpTx): void {
    const m = tx.req;
    d.partHdrs = m.hdrCount;
    d.partUsed = m.used;
    const ll = m.lineLen;
    tx.flags |= TXF_REQ_HEADERS_PARTIAL;
    this.reqHeadersDone(tx, true);
    m.lineLen = ll;
  }

  private undoPartialRequest(d: DirState): void {
    const tx = d.tx;
    if (tx !== null && (tx.flags & TXF_REQ_HEADERS_PARTIAL) !== 0) {
      const m = tx.req;
      m.used = d.partUsed; m.headersDone = false;
      tx.uriNormLen = -1; tx.hostLen = -1; tx.uaLen = -1;
      tx.flags &= ~TXF_REQ_HEADERS_PARTIAL;
    }
    d.partUsed = -1;
  }

  gap(dir: 0 | 1, lost: number): void {
    this.recycle();
    const d = this.d[dir];
    if (d.ended || lost <= 0) return;
    if (d.partUsed >= 0) this.undoPartialRequest(d);
    const tx = d.tx;
    const gapFlag = dir === 0 ? TXF_GAP_REQ : TXF_GAP_RES;
    this.count(tx, AEV['http.gap']);
    if (d.st === S_JUNK && tx) this.junkAsBody(d, tx, tx.res, 0);
    switch (d.st) {
      case S_TUNNEL: this.tunnelBytes[dir] += lost; return;
      case S_BODY_CLOSE:
        if (tx) { tx.flags |= gapFlag; (dir === 0 ? tx.req : tx.res).bodyTotal += lost; }
        return;
      case S_BODY_CL: case S_CHUNK_DATA:
        if (tx && lost <= d.remain) {
          tx.flags |= gapFlag;
          const m = dir === 0 ? tx.req : tx.res;
          m.bodyTotal += lost;
          d.remain -= lost;
          if (d.remain === 0) {
            if (d.st === S_BODY_CL) this.msgDone(dir, d);
            else { d.st = S_CHUNK_END; d.chEndState = 0; }
          }
          return;
        }
        break;
      case S_IDLE: case S_RESYNC: case S_DISCARD: case S_WAIT_CONNECT:
        if (d.st === S_IDLE) d.st = S_RESYNC;
        return;
      default: break;
    }
    if (tx) {
      tx.flags |= gapFlag | (dir === 0 ? TXF_INCOMPLETE_REQ : TXF_INCOMPLETE_RES);
      this.closeIncomplete(dir, d);
    }
    d.st = S_RESYNC;
  }

  /** The direction ended (FIN/RST/flow end). Closes a close-delimited body; when both directions ended, every open tx is reported done. */
  end(dir: 0 | 1): void {
    this.recycle();
    const d = this.d[dir];
    if (d.ended) return;
    if (d.partUsed >= 0) this.undoPartialRequest(d);
    if (d.st === S_JUNK && d.tx) this.junkAsBody(d, d.tx, d.tx.res, 0);
    if (d.st === S_BODY_CLOSE && d.tx) this.msgDone(dir, d);
    else if (d.tx && d.st !== S_TUNNEL && d.st !== S_IDLE && d.st !== S_RESYNC && d.st !== S_WAIT_CONNECT) {
      this.count(d.tx, AEV['http.truncated']);
      d.tx.flags |= dir === 0 ? TXF_INCOMPLETE_REQ : TXF_INCOMPLETE_RES;
      this.closeIncomplete(dir, d);
    }
    d.ended = true;
    d.st = S_IDLE; d.tx = null;
    if (this.d[0].ended && this.d[1].ended) this.flushAll();
  }

  /** Flow end or eviction: end both directions and report every open tx. */
  finish(): void { this.end(0); this.end(1); this.recycle(); }

  // ------------------------------------------------------------------ internals
  private count(tx: HttpTx | null, ev: number): void {
    this.eventCounts[ev]++;
    if (tx) tx.addEvent(ev);
  }

  private emit(tx: HttpTx, what: number): void {
    if (tx === this.discard) return;
    const cb = this.onTx;
    if (cb) cb(tx, what, this);
  }

  private recycle(): void {
    while (this.retired.length) this.pool.push(this.retired.pop()!);
  }

  private newTx(): HttpTx {
    const tx = this.pool.pop() ?? new HttpTx();
    tx.reset();
    tx.index = this.txSeq++;
    this.txStarted++;
    return tx;
  }

  private complete(tx: HttpTx): void {
    if (tx === this.discard) return;
    const open = this.open;
    const k = open.indexOf(tx);
    if (k < 0) return;
    // shift down by hand: splice() would allocate the array of removed elements per transaction
    for (let j = k + 1; j < open.length; j++) open[j - 1] = open[j];
    open.length--;
    this.txDone++;
    this.emit(tx, HTTP_TX_DONE);
    this.retired.push(tx);
  }

  private flushAll(): void {
    while (this.open.length) {
      const tx = this.open[0];
      if (!tx.req.done) {
        tx.flags |= TXF_INCOMPLETE_REQ;
        if (tx.req.started && !tx.req.headersDone) {
          tx.flags |= TXF_REQ_HEADERS_PARTIAL;
          this.count(tx, AEV['http.request_headers_incomplete']);
          this.reqHeadersDone(tx);
        }
        tx.req.done = true; this.decodeCoding(tx, 0); this.emit(tx, HTTP_REQUEST_DONE);
      }
      const r = tx.resMsg;
      if (r === null) {
        // no response message was ever needed: TXF_NO_RESPONSE stands for "done, never started"
        // (HttpTx.res creates it in that state if someone reads it): no allocation at flow end
        tx.flags |= TXF_NO_RESPONSE;
      } else if (!r.done) {
        if (!r.started) tx.flags |= TXF_NO_RESPONSE; else tx.flags |= TXF_INCOMPLETE_RES;
        r.done = true;
        this.decodeCoding(tx, 1);
        if (r.started) this.emit(tx, HTTP_RESPONSE_DONE);
      }
      this.complete(tx);
    }
  }

  /** Close the message in progress in direction dir as incomplete, delivering owed callbacks. */
  private closeIncomplete(dir: number, d: DirState): void {
    const tx = d.tx!;
    const m = dir === 0 ? tx.req : tx.res;
    if (!m.headersDone && m.started) {
      if (dir === 0) {
        // the header section never ended: inspected as far as parsed (flagged, event)
        tx.flags |= TXF_REQ_HEADERS_PARTIAL;
        this.count(tx, AEV['http.request_headers_incomplete']);
        this.reqHeadersDone(tx);
      }
      else { m.headersDone = true; this.parseStatusLine(tx); if (tx.status >= 0) this.emit(tx, HTTP_RESPONSE_HEADERS); }
    }
    this.msgDone(dir, d);
  }

  private msgDone(dir: number, d: DirState): void {
    const tx = d.tx;
    d.tx = null;
    d.st = S_IDLE;
    if (!tx) return;
    const m = dir === 0 ? tx.req : tx.res;
    if (m.done) return;
    m.done = true;
    this.decodeCoding(tx, dir);
    if (dir === 0) {
      this.emit(tx, HTTP_REQUEST_DONE);
      // resMsg, not res: a request usually ends before its response starts (no message yet)
      const resDone = tx.responseDone;
      if (tx.isConnect && !resDone) d.st = S_WAIT_CONNECT;
      else if (tx.flags & TXF_TUNNEL) d.st = S_TUNNEL;
      if (resDone) this.complete(tx);
    } else {
      this.emit(tx, HTTP_RESPONSE_DONE);
      if (tx.flags & TXF_TUNNEL) {
        d.st = S_TUNNEL;
        const q = this.d[0];
        if (q.st === S_WAIT_CONNECT || q.st === S_IDLE) q.st = S_TUNNEL;
      } else if (tx.isConnect) {
        const q = this.d[0];
        if (q.st === S_WAIT_CONNECT) q.st = S_IDLE;
      }
      if (tx.req.done) this.complete(tx);
    }
  }

  /**
   * The body of tx's message in direction dir is complete: undo its content coding (gzip/deflate,
   * see http-coding.ts) into m.body, keeping the received bytes in m.raw. Codings come from the
   * Content-Encoding headers (name compared with NUL bytes ignored; each "gzip"/"deflate" token is
   * one layer); when none parses but the header block still mentions content-encoding on an odd
   * line (folded, invalid or CR-hidden header lines that browsers honour), one layer is tried. Cost: one header scan and,
   * for coded bodies only, one capped inflate per layer (allocates the decoded buffer).
   */
  private decodeCoding(tx: HttpTx, dir: number): void {
    const m = dir === 0 ? tx.req : tx.res;
    if (m.bodyLen === 0 || m.rawLen >= 0 || tx === this.discard) return;
    const layers = this.codingLayers(tx, m);
    if (layers === 0) return;
    const lim = dir === 0 ? this.limits.maxRequestBody : this.limits.maxResponseBody;
    const r = decodeRes;
    // codings are listed in the order they were applied: undo the last one first
    const kn = layers < layerKinds.length ? layers : layerKinds.length;
    for (let l = 0; l < kn; l++) layerKinds[l] = codingKinds[(layers - 1 - l) % codingKinds.length];
    decodeBody(m.body, m.bodyLen, layers, lim, r, layerKinds);
    if (r.flags & DEC_LAYERS) this.count(tx, AEV['http.body_decompress_layers']);
    if (r.flags & DEC_LIMIT) this.count(tx, AEV['http.body_decompress_limit']);
    if (r.flags & DEC_ERROR) this.count(tx, AEV['http.body_decompress_error']);
    if (!(r.flags & DEC_OK)) return;
    m.raw = m.body; m.rawLen = m.bodyLen;
    m.body = r.buf; m.bodyLen = r.len > lim ? lim : r.len;
    r.buf = EMPTY;
    tx.flags |= dir === 0 ? TXF_REQ_DECODED : TXF_RES_DECODED;
  }

  /** Content codings (gzip/deflate/br/zstd layers) announced for message m, 0 none (see
   *  decodeCoding); their kinds, in header order, in codingKinds. */
  private codingLayers(tx: HttpTx, m: HttpMsg): number {
    const b = m.buf;
    let layers = 0, seen = false;
    for (let h = 0; h < m.hdrCount; h++) {
      // length first: most names are shorter than "content-encoding" (16; NUL bytes only add)
      if (m.hdr[h * 4 + 1] < 16 || !eqLowerNoNul(b, m.hdr[h * 4], m.hdr[h * 4 + 1], H_CONTENT_ENCODING)) continue;
      seen = true;
      layers = codingsIn(b, m.hdr[h * 4 + 2], m.hdr[h * 4 + 3], codingKinds, layers);
    }
    // the whole-block scan only when some header line was odd (invalid or folded line, or a CR
    // inside a line): a plain ~500-byte header block scanned byte by byte cost ~0.5 us per message
    if (!seen && (tx.hasEvent(AEV['http.header_invalid']) || tx.hasEvent(AEV['http.folded_header']) ||
        indexOfByte(b, 0x0d, 0, m.used) >= 0) && containsLowerNoNul(b, 0, m.used, H_CONTENT_ENCODING)) { layers = 1; codingKinds[0] = CODING_GZIP; }
    return layers;
  }

  // ---- line accumulation into msg.buf; returns index after LF, or end when the line is incomplete
  /** Sets lineComplete when a LF was consumed. */
  private lineComplete = false;
  private takeLine(d: DirState, m: HttpMsg, buf: Uint8Array, i: number, end: number, tx: HttpTx): number {
    const lf = indexOfByte(buf, 0x0a, i, end);
    const found = lf >= 0;
    const stop = found ? lf : end;
    const n = stop - i;
    if (n > 0 && !d.lineOver) {
      const have = m.used - d.lineStart;
      let k = n;
      if (have + k > this.limits.maxLineBytes) {
        k = this.limits.maxLineBytes - have;
        if (k < 0) k = 0;
        d.lineOver = true;
        this.count(tx, AEV['http.header_too_long']);
      }
      if (k > 0) {
        m.ensure(m.used + k + 1);
        // short pieces: a loop (no subarray view object); long ones: native set()
        if (k < 64) { const mb = m.buf; let w = m.used; for (let j = i; j < i + k; j++) mb[w++] = buf[j]; }
        else m.buf.set(buf.subarray(i, i + k), m.used);
        m.used += k;
      }
    }
    this.lineComplete = found;
    if (found) {
      d.prevLfOnly = d.lfOnly;
      d.lfOnly = true;
      if (m.used > d.lineStart && m.buf[m.used - 1] === 0x0d) { m.used--; d.lfOnly = false; }
      return lf + 1;
    }
    return end;
  }

  // ------------------------------------------------------------------ request side
  private stepReq(d: DirState, buf: Uint8Array, i: number, end: number): number {
    switch (d.st) {
      case S_IDLE: {
        // skip leading empty lines and whitespace between messages (libhtp ignores them too)
        while (i < end && (buf[i] === 0x0d || buf[i] === 0x0a || buf[i] === 0x20 || buf[i] === 0x09)) i++;
        if (i >= end) return end;
        if (this.open.length >= this.limits.maxOpenTx) {
          const dt = this.discard ?? (this.discard = new HttpTx());
          dt.reset();
          d.tx = dt;
          this.count(null, AEV['http.too_many_tx']);
          if (this.open.length) this.open[this.open.length - 1].addEvent(AEV['http.too_many_tx']);
        } else {
          d.tx = this.newTx();
          this.open.push(d.tx);
        }
        const m = d.tx.req;
        m.started = true; m.tsNs = this.curTs;
        d.lineStart = 0; d.lineOver = false; d.lastHdr = -1; d.hdrsOver = false; d.tooMany = false;
        d.partHdrs = -1; d.pendName = -1;
        d.st = S_LINE;
        return i;
      }
      case S_LINE: {
        const tx = d.tx!, m = tx.req;
        i = this.takeLine(d, m, buf, i, end, tx);
        if (!this.lineComplete) return i;
        m.lineOff = d.lineStart; m.lineLen = m.used - d.lineStart;
        this.parseRequestLine(tx);
        d.lineOver = false;
        if (tx.flags & TXF_HTTP09) {
          this.reqHeadersDone(tx);
          this.msgDone(0, d);
          return i;
        }
        d.lineStart = m.used; d.st = S_HDR;
        return i;
      }
      case S_HDR: case S_TRAILER: {
        const tx = d.tx!, m = tx.req;
        i = this.takeLine(d, m, buf, i, end, tx);
        if (!this.lineComplete) return i;
        if (this.headerLine(d, tx, m)) {
          if (d.st === S_TRAILER) { this.msgDone(0, d); return i; }
          this.reqHeadersDone(tx);
          this.startBody(0, d, tx, m);
        }
        return i;
      }
      case S_WAIT_CONNECT: return end;   // bytes before the CONNECT answer are not parsed
      case S_DISCARD: return this.resync(0, d, buf, i, end);
      default: return this.stepBody(0, d, buf, i, end);
    }
  }

  private parseRequestLine(tx: HttpTx): void {
    const m = tx.req, b = m.buf;
    let s = m.lineOff;
    const e = m.lineOff + m.lineLen;
    while (s < e && isWs(b[s])) s++;
    let p = s;
    while (p < e && !isWs(b[p])) p++;
    tx.methodOff = s; tx.methodLen = p - s;
    m.f0Off = s; m.f0Len = p - s;
    let bad = p === s;
    for (let k = s; k < p; k++) {
      const c = b[k];
      // token characters (RFC 9110 5.6.2)
      if (c <= 0x20 || c >= 0x7f || c === 0x28 || c === 0x29 || c === 0x3c || c === 0x3e || c === 0x40 || c === 0x2c ||
          c === 0x3b || c === 0x3a || c === 0x5c || c === 0x22 || c === 0x2f || c === 0x5b || c === 0x5d || c === 0x3f ||
          c === 0x3d || c === 0x7b || c === 0x7d) { bad = true; break; }
    }
    while (p < e && isWs(b[p])) p++;
    // protocol = last token when it starts with "HTTP/"
    let ee = e;
    while (ee > p && isWs(b[ee - 1])) ee--;
    let ps = ee;
    while (ps > p && !isWs(b[ps - 1])) ps--;
    // "GET  HTTP/1.1" (empty target) still has a protocol: the target is then empty (invalid)
    const isProto = ee - ps >= 5 && b[ps] === 0x48 && b[ps + 1] === 0x54 && b[ps + 2] === 0x54 && b[ps + 3] === 0x50 && b[ps + 4] === 0x2f;
    let ue: number;
    if (isProto) {
      tx.protoOff = ps; tx.protoLen = ee - ps; m.f2Off = ps; m.f2Len = ee - ps;
      ue = ps; while (ue > p && isWs(b[ue - 1])) ue--;
      const ok = ee - ps === 8 && b[ps + 5] >= 0x30 && b[ps + 5] <= 0x39 && b[ps + 6] === 0x2e && b[ps + 7] >= 0x30 && b[ps + 7] <= 0x39;
      if (!ok || b[ps + 5] !== 0x31 && !(b[ps + 5] === 0x30 && b[ps + 7] === 0x39)) this.count(tx, AEV['http.version_invalid']);
    } else {
      ue = ee;
      if (ue > p) tx.flags |= TXF_HTTP09; else bad = true;
    }
    tx.uriOff = p; tx.uriLen = ue - p; m.f1Off = p; m.f1Len = ue - p;
    if (tx.uriLen === 0) bad = true;
    if (bad) this.count(tx, AEV['http.request_line_invalid']);
    else if (!isKnownMethod(b, s, tx.methodLen)) {
      // without a protocol an unknown token is no evidence of a request (libhtp: unknown method,
      // no protocol; Zeek: bad_HTTP_request for such lines): invalid, not just an unknown method
      this.count(tx, (tx.flags & TXF_HTTP09) !== 0 ? AEV['http.request_line_invalid'] : AEV['http.method_unknown']);
    }
    tx.isHead = tx.methodLen === 4 && b[s] === 0x48 && b[s + 1] === 0x45 && b[s + 2] === 0x41 && b[s + 3] === 0x44;
    tx.isConnect = tx.methodLen === 7 && b[s] === 0x43 && b[s + 1] === 0x4f && b[s + 2] === 0x4e && b[s + 3] === 0x4e &&
      b[s + 4] === 0x45 && b[s + 5] === 0x43 && b[s + 6] === 0x54;
  }

  /**
   * A complete header line is at msg.buf[d.lineStart, msg.used). Returns true when it was the
   * empty line ending the header section.
   */
  private headerLine(d: DirState, tx: HttpTx, m: HttpMsg, afterCr = false): boolean {
    const b = m.buf;
    let s = d.lineStart;
    let e = m.used;
    d.lineOver = false;
    if (e === s) { m.used = s; return true; }
    if (m === tx.resMsg) {
      // Response line ends as browsers read them (http-evader): a CR right after a bare LF that
      // ended the previous line belongs to that line end (LF CR; after CR LF it does not: a line
      // "\r" there is an invalid header line, as libhtp reads it), and a bare CR inside a line ends
      // it unless whitespace follows (then it is whitespace: "chunked\r \r\n", "Name\r :value").
      if (!afterCr && d.prevLfOnly && b[s] === 0x0d) {
        this.count(tx, AEV['http.line_end_invalid']);
        b.copyWithin(s, s + 1, e); e--; m.used = e;
        if (e === s) return true;
      }
      // a line of only CRs after CR LF ("\r\n\r\r\n"): an invalid header line, skipped (libhtp)
      let k = s; while (k < e && b[k] === 0x0d) k++;
      if (k === e) { this.count(tx, AEV['http.header_invalid']); m.used = s; return false; }
      let cr = indexOfByte(b, 0x0d, s, e);
      while (cr >= 0 && (cr + 1 === e || isWs(b[cr + 1]))) { b[cr] = 0x20; cr = indexOfByte(b, 0x0d, cr + 1, e); }
      if (cr >= 0) {
        this.count(tx, AEV['http.line_end_invalid']);
        m.used = cr;
        // CR CR: an empty piece, skipped (not the end of the header section)
        if (cr > s && this.headerLine(d, tx, m, true)) {
          // a whitespace-only piece ended the section: the rest of the line is dropped
          this.count(tx, AEV['http.header_invalid']);
          return true;
        }
        if (cr === s) d.lineStart = s;
        // the pieces before cr wrote at most up to cr: the tail is intact
        const w = m.used, t = e - cr - 1;
        b.copyWithin(w, cr + 1, e);
        m.used = w + t; d.lineStart = w;
        if (t === 0) { m.used = w; return false; }
        return this.headerLine(d, tx, m, true);
      }
    }
    // Browser leniency (evasion resistance, as libhtp): a line of only whitespace ends the
    // header section; a "folded" line that itself looks like "name: value" is a new header.
    let k0 = s; while (k0 < e && isWs(b[k0])) k0++;
    if (d.pendName >= 0 && (k0 > s || b[s] === 0)) {
      // a header name alone on its line ("Transfer-Encoding\r\n :chunked"), continued by a folded
      // line: browsers join them into one header line. Whitespace-only lines in between are skipped.
      this.count(tx, AEV['http.folded_header']);
      if (k0 === e) { m.used = s; return false; }
      const p = d.pendName;
      d.pendName = -1;
      b[s] = 0x20;
      b.copyWithin(s + 1, k0, e);
      m.used = s + 1 + (e - k0); d.lineStart = p;
      return this.headerLine(d, tx, m, true);
    }
    d.pendName = -1;
    if (k0 === e) {
      // folding onto a header still waiting for its value ("Name:\r\n \r\n value"), else the end
      if (d.lastHdr >= 0 && m.hdr[(d.lastHdr) * 4 + 3] === 0) { this.count(tx, AEV['http.folded_header']); m.used = s; return false; }
      this.count(tx, AEV['http.header_invalid']); m.used = s; return true;
    }
    if (k0 > s && d.lastHdr >= 0 && looksLikeHeader(b, k0, e)) {
      this.count(tx, AEV['http.folded_header']);
      b.copyWithin(s, k0, e); m.used = e - (k0 - s);
      return this.headerLine(d, tx, m);
    }
    // a NUL starting the line after a header without value folds too (browsers: "Name:\n\0value")
    if (d.lastHdr >= 0 && (isWs(b[s]) || (b[s] === 0 && m === tx.resMsg && m.hdr[(d.lastHdr) * 4 + 3] === 0))) {
      // obs-fold: join onto the previous header value with one space
      this.count(tx, AEV['http.folded_header']);
      const h = d.lastHdr;
      const ve = m.hdr[h * 4 + 2] + m.hdr[h * 4 + 3];
      let k = s; while (k < e && isWs(b[k])) k++;
      let w = ve;
      if (k < e) { b[w++] = 0x20; b.copyWithin(w, k, e); w += e - k; }
      while (w > m.hdr[h * 4 + 2] && isWs(b[w - 1])) w--;
      m.hdr[h * 4 + 3] = w - m.hdr[h * 4 + 2];
      m.used = w; d.lineStart = w;
      this.framingHeader(tx, m, h);
      return false;
    }
    if (k0 > s) s = k0;   // leading whitespace on the first header line
    let c = s; while (c < e && b[c] !== 0x3a) c++;
    if (c === e || c === s) {
      this.count(tx, AEV['http.header_invalid']);
      m.used = d.hdrsOver ? s : e; d.lineStart = m.used; d.lastHdr = -1;
      if (c === e && !d.hdrsOver && m === tx.resMsg) d.pendName = s;
      return false;
    }
    let ne = c;
    if (wsv(b[ne - 1])) { this.count(tx, AEV['http.header_invalid']); while (ne > s && wsv(b[ne - 1])) ne--; }
    let vs = c + 1; while (vs < e && isWs(b[vs])) vs++;
    let ve = e; while (ve > vs && isWs(b[ve - 1])) ve--;
    const lim = this.limits;
    if (m.hdrCount >= lim.maxHeaders || d.hdrsOver) {
      if (!d.hdrsOver && !d.tooMany) { d.tooMany = true; this.count(tx, AEV['http.too_many_headers']); }
      // framing still honoured for headers we do not keep
      this.framingValue(tx, m, s, ne - s, vs, ve - vs);
      m.used = s; d.lineStart = s; d.lastHdr = -1;
      return false;
    }
    m.addHeader(s, ne - s, vs, ve - vs);
    d.lastHdr = m.hdrCount - 1;
    this.framingHeader(tx, m, d.lastHdr);
    if (m.used > lim.maxHeaderBytes) {
      d.hdrsOver = true;
      this.count(tx, AEV['http.headers_too_big']);
    }
    d.lineStart = m.used;
    return false;
  }

  private framingHeader(tx: HttpTx, m: HttpMsg, h: number): void {
    this.framingValue(tx, m, m.hdr[h * 4], m.hdr[h * 4 + 1], m.hdr[h * 4 + 2], m.hdr[h * 4 + 3], h);
  }

  /** Record framing-relevant header values (Content-Length, Transfer-Encoding, Connection, Host). */
  private framingValue(tx: HttpTx, m: HttpMsg, no: number, nl: number, vo: number, vl: number, h = -1): void {
    const b = m.buf;
    if (eqLowerNoNul(b, no, nl, H_CONTENT_LENGTH)) {
      // a single value, or a list of equal values ("10, 10"); anything else is invalid
      let v = -1, cur = 0, digits = 0, ok = true;
      for (let k = vo; k <= vo + vl && ok; k++) {
        const c = k < vo + vl ? b[k] : 0x2c;
        if (c >= 0x30 && c <= 0x39) { cur = cur * 10 + (c - 0x30); digits++; if (cur > 2 ** 48) ok = false; }
        else if (c === 0x2c) {
          if (digits === 0) { ok = false; break; }
          if (v >= 0 && v !== cur) ok = false;
          v = cur; cur = 0; digits = 0;
        } else if (isWs(c)) { if (digits > 0 && k + 1 < vo + vl && b[k + 1] !== 0x2c && !isWs(b[k + 1])) ok = false; }
        else ok = false;
      }
      if (ok && m.clSeen && !m.clBad && m.contentLength !== v) ok = false;
      m.clSeen = true;
      if (ok) m.contentLength = v;
      else if (!m.clBad) { m.clBad = true; m.contentLength = -1; this.count(tx, AEV['http.content_length_invalid']); }
    } else if (eqLowerNoNul(b, no, nl, H_TRANSFER_ENCODING)) {
      m.teSeen = true;
      // libhtp (and browsers) take any value containing "chunked" as chunked ("xchunked",
      // "gzip, chunked", "chu<NUL>nked"): stricter parsing would let evasions through
      if (containsLowerNoNul(b, vo, vl, V_CHUNKED)) m.teLastChunked = true;
    } else if (eqLowerNoNul(b, no, nl, H_CONNECTION)) {
      // token list containing "close"
      let s = vo;
      const end = vo + vl;
      while (s < end) {
        while (s < end && (isWs(b[s]) || b[s] === 0x2c)) s++;
        let e = s; while (e < end && b[e] !== 0x2c && !isWs(b[e])) e++;
        if (eqLower(b, s, e - s, V_CLOSE)) m.connClose = true;
        s = e;
      }
    } else if (h >= 0 && m === tx.req && m.hostIdx < 0 && eqLower(b, no, nl, H_HOST)) {
      m.hostIdx = h;
    }
  }

  /** Request headers complete: derive uri_norm, host, user_agent; deliver HTTP_REQUEST_HEADERS.
   *  partial (exposePartialRequest): the same without counting events (they are counted when the
   *  headers end, once; a Host header may still come). */
  private reqHeadersDone(tx: HttpTx, partial = false): void {
    const m = tx.req;
    if (m.headersDone) return;
    m.headersDone = true;
    if (m.lineLen < 0) { m.lineOff = 0; m.lineLen = m.used; this.parseRequestLine(tx); }
    if (tx.uriLen > 0) {
      // normalized uri and host are appended to req.buf
      if (scratchUri.buf.length < tx.uriLen) scratchUri.buf = new Uint8Array(tx.uriLen * 2);
      m.ensure(m.used + tx.uriLen + 2);
      const n = normalizeUri(m.buf, tx.uriOff, tx.uriLen, m.buf, m.used, scratchUri.buf);
      tx.uriNormOff = m.used; tx.uriNormLen = n; m.used += n;
      if (!partial && (uriFlags & URI_BAD_ENC)) this.count(tx, AEV['http.uri_invalid_encoding']);
      if (!partial && (uriFlags & URI_DOUBLE_ENC)) this.count(tx, AEV['http.uri_double_encoding']);
    }
    let hostDone = false;
    const b0 = m.buf;
    if (tx.uriLen > 0) {
      const a = absoluteUriAuthorityStart(b0, tx.uriOff, tx.uriLen);
      if (a >= 0) {
        const ae = authorityEnd(b0, a, tx.uriOff + tx.uriLen);
        m.ensure(m.used + (ae - a) + 1);
        const n = normalizeHost(m.buf, a, ae - a, m.buf, m.used);
        tx.hostOff = m.used; tx.hostLen = n; m.used += n; hostDone = true;
      } else if (tx.isConnect) {
        m.ensure(m.used + tx.uriLen + 1);
        const n = normalizeHost(m.buf, tx.uriOff, tx.uriLen, m.buf, m.used);
        tx.hostOff = m.used; tx.hostLen = n; m.used += n; hostDone = true;
      }
    }
    const hi = m.hostIdx;
    if (hi >= 0) {
      if (hostDone) {
        // compare with the Host header (normalized into a temporary tail, not kept)
        m.ensure(m.used + m.hdr[hi * 4 + 3] + 1);
        const n = normalizeHost(m.buf, m.hdr[hi * 4 + 2], m.hdr[hi * 4 + 3], m.buf, m.used);
        let same = n === tx.hostLen;
        for (let k = 0; same && k < n; k++) if (m.buf[m.used + k] !== m.buf[tx.hostOff + k]) same = false;
        if (!same && !partial) this.count(tx, AEV['http.host_mismatch']);
      } else {
        m.ensure(m.used + m.hdr[hi * 4 + 3] + 1);
        const n = normalizeHost(m.buf, m.hdr[hi * 4 + 2], m.hdr[hi * 4 + 3], m.buf, m.used);
        tx.hostOff = m.used; tx.hostLen = n; m.used += n;
      }
    } else if (!hostDone && tx.protoLen === 8 && m.buf[tx.protoOff + 7] === 0x31 && m.buf[tx.protoOff + 5] === 0x31) {
      if (!partial) this.count(tx, AEV['http.host_missing']);
    }
    const ua = m.find(H_USER_AGENT);
    if (ua >= 0) { tx.uaOff = m.hdr[ua * 4 + 2]; tx.uaLen = m.hdr[ua * 4 + 3]; }
    this.emit(tx, partial ? HTTP_REQUEST_PARTIAL : HTTP_REQUEST_HEADERS);
  }

  /** Decide the body framing after the header section of direction dir. */
  private startBody(dir: number, d: DirState, tx: HttpTx, m: HttpMsg): void {
    if (m.teSeen) {
      if (m.clSeen) this.count(tx, AEV['http.te_and_cl']);
      if (m.teLastChunked) {
        m.chunked = true;
        d.st = S_CHUNK_SIZE; this.chunkStart(d);
        return;
      }
      this.count(tx, AEV['http.te_unknown']);
      if (dir === 0) { this.msgDone(dir, d); return; }   // request: length cannot be known; treat as no body
      d.st = S_BODY_CLOSE; return;
    }
    if (m.clSeen && !m.clBad) {
      if (m.contentLength > 0) { d.remain = m.contentLength; d.st = S_BODY_CL; return; }
      this.msgDone(dir, d);
      return;
    }
    if (dir === 0) { this.msgDone(dir, d); return; }
    d.st = S_BODY_CLOSE;
  }

  private chunkReset(d: DirState): void {
    d.chDigits = 0; d.chSize = 0; d.chExt = false; d.chBad = false; d.chSawCR = false; d.chLen = 0;
  }
  /** A new chunk-size line (not a skipped empty one). */
  private chunkStart(d: DirState): void { this.chunkReset(d); d.chEmpty = 0; }

  /** Body states shared by both directions. */
  private stepBody(dir: number, d: DirState, buf: Uint8Array, i: number, end: number): number {
    const tx = d.tx;
    switch (d.st) {
      case S_BODY_CL: case S_CHUNK_DATA: {
        const n = Math.min(d.remain, end - i);
        if (tx) this.body(dir, tx, buf, i, n);
        d.remain -= n;
        i += n;
        if (d.remain === 0) {
          if (d.st === S_BODY_CL) this.msgDone(dir, d);
          else { d.st = S_CHUNK_END; d.chEndState = 0; }
        }
        return i;
      }
      case S_CHUNK_END: {
        const c = buf[i];
        if (d.chEndState === 0 && c === 0x0d) { d.chEndState = 1; return i + 1; }
        if (c === 0x0a) { d.st = S_CHUNK_SIZE; this.chunkStart(d); return i + 1; }
        // not CRLF: tolerate (some servers miss it) and read the next size line from here
        this.count(tx, AEV['http.chunk_invalid']);
        d.st = S_CHUNK_SIZE; this.chunkStart(d);
        return i;
      }
      case S_CHUNK_SIZE: {
        while (i < end) {
          const c = buf[i++];
          d.chLen++;
          if (c === 0x0a) {
            if (d.chDigits === 0 && !d.chBad && !d.chExt) {
              // an empty (or whitespace-only) line before a chunk size: skipped, as browsers do
              this.count(tx, AEV['http.chunk_invalid']);
              this.chunkReset(d);
              if (++d.chEmpty > HTTP_MAX_EMPTY_CHUNK_LINES) { d.chBad = true; }
              else continue;
            }
            if (d.chDigits === 0 || d.chBad) {
              this.count(tx, AEV['http.chunk_invalid']);
              // cannot continue in sync: the rest is treated as the end of this message
              if (tx) tx.flags |= dir === 0 ? TXF_INCOMPLETE_REQ : TXF_INCOMPLETE_RES;
              this.msgDone(dir, d);
              d.st = dir === 0 ? S_DISCARD : S_RESYNC;
              return i;
            }
            if (d.chSize === 0) {
              d.st = S_TRAILER;
              d.lastHdr = -1;
              if (tx) d.lineStart = (dir === 0 ? tx.req : tx.res).used;
              return i;
            }
            d.remain = d.chSize; d.st = S_CHUNK_DATA;
            return i;
          }
          if (d.chExt || c === 0x0d) { if (c === 0x0d) d.chSawCR = true; }
          else if (c === 0x3b) d.chExt = true;
          else if (isWs(c) || c === 0x0b || c === 0x0c) { if (d.chDigits > 0) d.chExt = true; }    // BWS before ';', leading space
          else {
            let v = -1;
            if (c >= 0x30 && c <= 0x39) v = c - 0x30;
            else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) v = (c | 0x20) - 0x61 + 10;
            if (v < 0 && d.chDigits > 0 && !d.chSawCR) {
              // junk after the hex digits ("fx", "f,"): the digits count, the rest is ignored like
              // an extension (browsers and libhtp do the same); flagged
              d.chExt = true;
              this.count(tx, AEV['http.chunk_invalid']);
            } else if (v < 0 && d.chDigits === 0 && dir === 1 && tx && tx.res.bodyTotal === 0 && !d.chSawCR) {
              // the first chunk-size line of a response is not hex at all: the body is not
              // chunked whatever the header says; read it as is until close (libhtp does too)
              this.count(tx, AEV['http.chunk_invalid']);
              tx.res.chunked = false;
              d.st = S_BODY_CLOSE;
              return i - 1;
            } else if (v < 0 || d.chSawCR) d.chBad = true;
            else {
              d.chSize = d.chSize * 16 + v; d.chDigits++;
              if (d.chSize > 2 ** 48) { d.chBad = true; this.count(tx, AEV['http.chunk_too_big']); }
            }
          }
          if (d.chLen > this.limits.maxLineBytes) {
            this.count(tx, AEV['http.chunk_invalid']);
            if (tx) tx.flags |= dir === 0 ? TXF_INCOMPLETE_REQ : TXF_INCOMPLETE_RES;
            this.msgDone(dir, d);
            d.st = dir === 0 ? S_DISCARD : S_RESYNC;
            return i;
          }
        }
        return i;
      }
      case S_BODY_CLOSE: {
        if (tx) this.body(dir, tx, buf, i, end - i);
        return end;
      }
      case S_TUNNEL: this.tunnelBytes[dir] += end - i; return end;
      case S_RESYNC: return this.resync(dir, d, buf, i, end);
      default:
        return end;
    }
  }

  private body(dir: number, tx: HttpTx, buf: Uint8Array, off: number, n: number): void {
    if (n <= 0) return;
    const m = dir === 0 ? tx.req : tx.res;
    const lim = dir === 0 ? this.limits.maxRequestBody : this.limits.maxResponseBody;
    if (m.appendBody(buf, off, n, lim)) {
      const f = dir === 0 ? TXF_REQ_BODY_TRUNC : TXF_RES_BODY_TRUNC;
      if (!(tx.flags & f)) { tx.flags |= f; this.count(tx, AEV['http.body_limit']); }
    }
    // bodyMark -1: a coded body (decoded only when complete: no progress callbacks). The coding
    // check runs once per message, when its body first reaches the step (long bodies only).
    if (m.bodyMark >= 0 && m.bodyLen - m.bodyMark >= HTTP_BODY_INSPECT_STEP) {
      if (m.bodyMark === 0 && this.codingLayers(tx, m) > 0) { m.bodyMark = -1; return; }
      m.bodyMark = m.bodyLen;
      this.emit(tx, dir === 0 ? HTTP_REQUEST_BODY_DATA : HTTP_RESPONSE_BODY_DATA);
    }
  }

  /** Skip to a plausible message start (see the gap policy). */
  private resync(dir: number, d: DirState, buf: Uint8Array, i: number, end: number): number {
    let p = i;
    while (p < end) {
      if (p === i || buf[p - 1] === 0x0a) {
        // requests: a known method + space, or a whole request line with any method token
        const r = dir === 0 ? (matchMethod(buf, p, end - p) > 0 ? 1 : matchTokenRequestLine(buf, p, end - p))
          : matchResponseStart(buf, p, end - p);
        if (r > 0) { d.st = S_IDLE; return p; }
      }
      const lf = indexOfByte(buf, 0x0a, p, end);
      if (lf < 0) return end;
      p = lf + 1;
    }
    return end;
  }

  // ------------------------------------------------------------------ response side
  private stepRes(d: DirState, buf: Uint8Array, i: number, end: number): number {
    switch (d.st) {
      case S_IDLE: {
        // NUL bytes before the status line are skipped too (browsers do; flagged below)
        while (i < end && (buf[i] === 0x0d || buf[i] === 0x0a || buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0)) {
          if (buf[i] === 0) d.sawNul = true;
          i++;
        }
        if (i >= end) return end;
        let tx: HttpTx | null = null;
        for (let k = 0; k < this.open.length; k++) {
          const t = this.open[k];
          const r = t.resMsg;
          if (r === null || !r.started || (!r.done && !r.headersDone)) { tx = t; break; }
        }
        if (!tx) {
          tx = this.newTx();
          tx.flags |= TXF_NO_REQUEST;
          tx.req.done = true; tx.req.headersDone = true;
          this.count(tx, AEV['http.response_without_request']);
          this.open.push(tx);
        }
        d.tx = tx;
        const m = tx.res;
        if (!m.started) { m.started = true; m.tsNs = this.curTs; }
        d.lineOver = false; d.lastHdr = -1; d.hdrsOver = false; d.tooMany = false; d.pendName = -1;
        d.lfOnly = d.prevLfOnly = false;
        if (d.sawNul) { d.sawNul = false; this.count(tx, AEV['http.response_junk']); }
        if (!isPrefixOfNoCase(buf, i, end - i, 'HTTP/') && !(tx.flags & TXF_HTTP09)) {
          // junk lines before a status line ("foobar\r\nHTTP/1.1 200 ok"): kept raw until a status
          // line shows up (skipped) or HTTP_MAX_JUNK_LINES pass (then the body, junk included)
          m.used = 0; d.lineStart = 0; d.junkLines = 0;
          d.st = S_JUNK;
          return i;
        }
        // not a status line: the rest of the connection is this response's body
        if (!isPrefixOfNoCase(buf, i, end - i, 'HTTP/')) {
          m.headersDone = true;
          this.emit(tx, HTTP_RESPONSE_HEADERS);
          d.st = S_BODY_CLOSE;
          return i;
        }
        m.used = 0; d.lineStart = 0;
        d.st = S_LINE;
        return i;
      }
      case S_JUNK: {
        const tx = d.tx!, m = tx.res;
        const lf = indexOfByte(buf, 0x0a, i, end);
        const stop = lf >= 0 ? lf + 1 : end;
        m.ensure(m.used + (stop - i));
        // raw copy (terminators kept: the bytes may turn out to be the body); rare state
        m.buf.set(buf.subarray(i, stop), m.used);
        m.used += stop - i;
        i = stop;
        if (lf < 0) return m.used > this.limits.maxLineBytes ? this.junkAsBody(d, tx, m, i) : i;
        let s = d.lineStart;
        while (s < m.used && (isWs(m.buf[s]) || m.buf[s] === 0)) s++;
        if (m.used - s >= 5 && isPrefixOfNoCase(m.buf, s, 5, 'HTTP/')) {
          this.count(tx, AEV['http.response_junk']);
          let e = m.used - 1;
          d.lfOnly = true;
          if (e > s && m.buf[e - 1] === 0x0d) { e--; d.lfOnly = false; }
          m.buf.copyWithin(0, s, e);
          m.used = e - s; d.lineStart = 0;
          return this.statusLineDone(d, tx, m, i);
        }
        if (++d.junkLines > HTTP_MAX_JUNK_LINES || m.used > this.limits.maxLineBytes) return this.junkAsBody(d, tx, m, i);
        d.lineStart = m.used;
        return i;
      }
      case S_LINE: {
        const tx = d.tx!, m = tx.res;
        i = this.takeLine(d, m, buf, i, end, tx);
        if (!this.lineComplete) return i;
        return this.statusLineDone(d, tx, m, i);
      }
      case S_HDR: case S_TRAILER: {
        const tx = d.tx!, m = tx.res;
        i = this.takeLine(d, m, buf, i, end, tx);
        if (!this.lineComplete) return i;
        if (!this.headerLine(d, tx, m)) return i;
        if (d.st === S_TRAILER) { this.msgDone(1, d); return i; }
        return this.resHeadersEnd(d, tx, m, i);
      }
      default: return this.stepBody(1, d, buf, i, end);
    }
  }

  /** The status line is complete at msg.buf[d.lineStart, msg.used) (terminator removed). */
  private statusLineDone(d: DirState, tx: HttpTx, m: HttpMsg, i: number): number {
    m.lineOff = d.lineStart; m.lineLen = m.used - d.lineStart;
    d.lineOver = false;
    d.st = S_HDR;
    // a lone CR ends the status line for browsers ("HTTP/1.1 200 ok\rTransfer-Encoding: ..."):
    // what follows it on the same line is the first header line
    let cr = -1;
    for (let k = m.lineOff; k < m.used; k++) if (m.buf[k] === 0x0d) { cr = k; break; }
    if (cr >= 0) {
      this.count(tx, AEV['http.response_line_invalid']);
      m.lineLen = cr - m.lineOff;
      d.lineStart = cr + 1;
      if (this.headerLine(d, tx, m, true)) return this.resHeadersEnd(d, tx, m, i);
      return i;
    }
    d.lineStart = m.used;
    return i;
  }

  /** S_JUNK gave up (no status line): the kept bytes start the response body, read until close. */
  private junkAsBody(d: DirState, tx: HttpTx, m: HttpMsg, i: number): number {
    this.count(tx, AEV['http.response_line_invalid']);
    m.headersDone = true;
    this.emit(tx, HTTP_RESPONSE_HEADERS);
    d.st = S_BODY_CLOSE;
    const n = m.used;
    m.used = 0;
    this.body(1, tx, m.buf, 0, n);
    return i;
  }

  /** The response header section just ended (empty line seen). */
  private resHeadersEnd(d: DirState, tx: HttpTx, m: HttpMsg, i: number): number {
    this.parseStatusLine(tx);
    const st = tx.status;
    if (st >= 100 && st < 200 && st !== 101) {
      // interim: forget this header block, wait for the final response of the same request
      tx.interimStatus = st;
      if (!tx.req.started || (tx.flags & TXF_NO_REQUEST)) this.count(tx, AEV['http.unsolicited_100']);
      tx.status = -1; tx.statusLen = -1; tx.serverLen = -1; tx.ctypeLen = -1;
      m.used = 0; m.hdrCount = 0; m.lineLen = -1; m.f0Len = m.f1Len = m.f2Len = -1;
      m.clSeen = m.clBad = m.teSeen = m.teLastChunked = m.connClose = false; m.contentLength = -1;
      d.st = S_IDLE;
      d.tx = null;
      return i;
    }
    m.headersDone = true;
    this.emit(tx, HTTP_RESPONSE_HEADERS);
    // 101 without Upgrade is not a protocol switch (browsers read it as a normal response)
    const up = st === 101 ? m.find(H_UPGRADE) : -1;
    if (up >= 0 || (tx.isConnect && st >= 200 && st < 300)) {
      tx.flags |= TXF_TUNNEL;
      if (up >= 0 && containsLowerNoNul(m.buf, m.hdr[up * 4 + 2], m.hdr[up * 4 + 3], V_WEBSOCKET)) {
        tx.flags |= TXF_WEBSOCKET;
        this.tunnelWebSocket = true;
        const ex = m.find(H_WS_EXTENSIONS);
        this.tunnelWsDeflate = ex >= 0 && containsLowerNoNul(m.buf, m.hdr[ex * 4 + 2], m.hdr[ex * 4 + 3], V_PERMESSAGE_DEFLATE);
      }
      this.msgDone(1, d);
      return i;
    }
    if (tx.isHead || st === 204 || st === 304 || (st >= 100 && st < 200 && st !== 101)) { this.msgDone(1, d); return i; }
    this.startBody(1, d, tx, m);
    return i;
  }

  private parseStatusLine(tx: HttpTx): void {
    const m = tx.res, b = m.buf;
    if (m.lineLen < 0) return;
    let s = m.lineOff;
    const e = m.lineOff + m.lineLen;
    let p = s; while (p < e && !isWs(b[p])) p++;
    m.f0Off = s; m.f0Len = p - s;
    while (p < e && isWs(b[p])) p++;
    let q = p; while (q < e && !isWs(b[q])) q++;
    m.f1Off = p; m.f1Len = q - p;
    let code = -1;
    if (q - p === 3 && b[p] >= 0x30 && b[p] <= 0x39 && b[p + 1] >= 0x30 && b[p + 1] <= 0x39 && b[p + 2] >= 0x30 && b[p + 2] <= 0x39) {
      code = (b[p] - 0x30) * 100 + (b[p + 1] - 0x30) * 10 + (b[p + 2] - 0x30);
    }
    while (q < e && isWs(b[q])) q++;
    m.f2Off = q; m.f2Len = e - q;
    const protoOk = m.f0Len >= 8 && isPrefixOfNoCase(b, s, m.f0Len, 'HTTP/');
    if (code < 0 || !protoOk) this.count(tx, AEV['http.response_line_invalid']);
    tx.status = code;
    if (code >= 0) { tx.statusOff = p; tx.statusLen = 3; }
    const sv = m.find(H_SERVER);
    if (sv >= 0) { tx.serverOff = m.hdr[sv * 4 + 2]; tx.serverLen = m.hdr[sv * 4 + 3]; }
    const ct = m.find(H_CONTENT_TYPE);
    if (ct >= 0) { tx.ctypeOff = m.hdr[ct * 4 + 2]; tx.ctypeLen = m.hdr[ct * 4 + 3]; }
  }
}

function isPrefixOfNoCase(b: Uint8Array, off: number, len: number, s: string): boolean {
  const n = Math.min(len, s.length);
  for (let k = 0; k < n; k++) if ((b[off + k] | 0x20) !== (s.charCodeAt(k) | 0x20)) return false;
  return true;
}

function isPrefixOf(b: Uint8Array, off: number, len: number, s: string): boolean {
  const n = Math.min(len, s.length);
  for (let k = 0; k < n; k++) if (b[off + k] !== s.charCodeAt(k)) return false;
  return true;
}

// ------------------------------------------------------------------ output (allocates)

/** Plain-string view of a transaction for `quell flows` (keys as in issue 3) and EVE (see httpTxEve). */
export interface HttpTxRecord {
  method?: string; uri?: string; uri_normalized?: string; host?: string; user_agent?: string; protocol?: string;
  status?: number; status_msg?: string; server?: string; content_type?: string;
  request_content_length?: number; response_content_length?: number;
  request_body_len: number; response_body_len: number; interim_status?: number;
  events?: string[];
}

export function httpTxRecord(tx: HttpTx, eventNames?: readonly string[]): HttpTxRecord {
  // resMsg: a transaction without a response reads as an empty one, without creating it. Keys
  // are added only when defined, in the order of the issue-3 record (no `delete`, which turned
  // each record into a dictionary-mode object).
  const rq = tx.req, rs = tx.resMsg ?? NO_MSG;
  const q = rq.buf, r = rs.buf;
  const rec: HttpTxRecord = { request_body_len: rq.bodyTotal, response_body_len: rs.bodyTotal };
  if (!(tx.flags & TXF_NO_REQUEST)) {
    if (tx.methodLen >= 0) rec.method = latin1(q, tx.methodOff, tx.methodLen);
    if (tx.uriLen >= 0) rec.uri = latin1(q, tx.uriOff, tx.uriLen);
    if (tx.uriNormLen >= 0) rec.uri_normalized = latin1(q, tx.uriNormOff, tx.uriNormLen);
    if (tx.hostLen >= 0) rec.host = latin1(q, tx.hostOff, tx.hostLen);
    if (tx.uaLen >= 0) rec.user_agent = latin1(q, tx.uaOff, tx.uaLen);
    // without a request protocol, the response's takes this key's place
    if (tx.protoLen >= 0) rec.protocol = latin1(q, tx.protoOff, tx.protoLen);
    else if (rs.f0Len > 0) rec.protocol = latin1(r, rs.f0Off, rs.f0Len);
    if (rq.contentLength >= 0) rec.request_content_length = rq.contentLength;
  }
  if (tx.status >= 0) rec.status = tx.status;
  if (rs.f2Len >= 0 && tx.status >= 0) rec.status_msg = latin1(r, rs.f2Off, rs.f2Len);
  if (rec.protocol === undefined && rs.f0Len > 0) rec.protocol = latin1(r, rs.f0Off, rs.f0Len);
  if (tx.serverLen >= 0) rec.server = latin1(r, tx.serverOff, tx.serverLen);
  if (tx.ctypeLen >= 0) rec.content_type = latin1(r, tx.ctypeOff, tx.ctypeLen);
  if (rs.contentLength >= 0) rec.response_content_length = rs.contentLength;
  if (tx.interimStatus >= 0) rec.interim_status = tx.interimStatus;
  if (eventNames && tx.nev) rec.events = Array.from(tx.events.subarray(0, tx.nev), (e) => eventNames[e]);
  return rec;
}

/** Suricata EVE `http` object field names (hostname, url, http_user_agent, http_content_type, http_refer, http_method, protocol, status, redirect, length, server). */
export function httpTxEve(tx: HttpTx): Record<string, unknown> {
  const r = httpTxRecord(tx);
  const o: Record<string, unknown> = {};
  if (r.host !== undefined) o.hostname = r.host;
  if (r.uri !== undefined) o.url = r.uri;
  if (r.user_agent !== undefined) o.http_user_agent = r.user_agent;
  if (r.content_type !== undefined) o.http_content_type = r.content_type;
  const ref = tx.req.headerStr('referer');
  if (ref !== undefined) o.http_refer = ref;
  if (r.method !== undefined) o.http_method = r.method;
  if (r.protocol !== undefined) o.protocol = r.protocol;
  if (r.status !== undefined) o.status = r.status;
  const loc = tx.resMsg !== null ? tx.resMsg.headerStr('location') : undefined;
  if (loc !== undefined) o.redirect = loc;
  o.length = r.response_body_len;
  if (r.server !== undefined) o.server = r.server;
  return o;
}
