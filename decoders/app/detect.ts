/**
 * Protocol detection by content, not port.
 *
 * detectApp() is called by the pipeline on the first bytes of a flow direction: TCP in-order
 * stream data from the start of that direction (reassembled, so several segments may be passed
 * as one view), or one UDP datagram payload. It reads `buf[off, off+len)` only during the call.
 *
 * Heuristics (measured precision against nDPI's labels is in docs/app.md):
 * - HTTP (TCP only): to-server data starts with a known request method followed by one space,
 *   then a request line that ends in "HTTP/1.0" / "HTTP/1.1" (or "HTTP/0.9" style "GET /x" with
 *   no version: GET, POST and HEAD). Lines ending in RTSP/x or SIP/x are rejected (OPTIONS is shared).
 *   Any other method is legal HTTP (RFC 9110 9.1: a method is a token; libhtp and Zeek parse
 *   unknown ones): a request line of an upper-case method token (A-Z 0-9 - _, at most
 *   DETECT_HTTP_MAX_METHOD bytes), one space, a target without control bytes and " HTTP/1." digit
 *   at the end of the line (matchTokenRequestLine) is HTTP too.
 *   To-client data starts with "HTTP/1." followed by a digit, a space and 3 digits.
 * - DNS over UDP: the datagram parses as one complete DNS message: 1..DETECT_DNS_MAX_QD
 *   questions, valid labels, qclass IN/CH/HS/NONE/ANY, opcode QUERY/IQUERY/STATUS/NOTIFY/UPDATE,
 *   no trailing bytes in a query, record counts within DETECT_DNS_MAX_RR; a response also parses
 *   every record. The rcode of a query is not checked: resolvers ignore it, so a rule on DNS
 *   queries must see a query with rcode bits set (suricata-verify dns-rcode); measured against
 *   nDPI and on 2 M header-shaped random datagrams it added no false positive. mDNS (port 5353), LLMNR (5355) and NetBIOS name service (137) use the same
 *   format but are separate protocols (nDPI labels them MDNS/LLMNR/NetBIOS), so datagrams with
 *   either port equal to one of those (and neither port 53) are not DNS: the only use of ports
 *   here, and only to say no.
 * - SOCKS (TCP to-server only): a complete SOCKS4/4a request (04, CONNECT/BIND, port, address,
 *   printable user id ending in 00, and for 4a a host name) or a SOCKS5 greeting (05, 1..16
 *   methods, each assigned or private) that is the whole view or is followed by the client's next
 *   message (01 auth or 05 request). nDPI labels these flows SOCKS; the engine parses the
 *   handshake and probes the tunnelled bytes (src/engine/app.ts).
 * - DNS over TCP: a 2-byte length >= 12 followed by such a message (the first message, whole
 *   or its header + complete question section when it spans more bytes than given).
 */
import { DnsMessage, parseDns, DNS_MAX_QUESTIONS } from './dns';
import { AEV } from './events';
import { indexOfByte } from './bytes';
import { matchSocksClient } from './socks';

export const APP_NONE = 0, APP_HTTP = 1, APP_DNS = 2, APP_SOCKS = 3;
/** Returned when more bytes of this TCP direction are needed to decide. */
export const APP_NEED_MORE = -1;
/** Names for flow records: index = APP_* id. */
export const APP_NAMES = [null, 'http', 'dns', 'socks'] as const;

/** Give up (APP_NONE) when a TCP direction is still undecided after this many bytes. */
export const APP_DETECT_MAX_BYTES = 4096;
/** Longest request line examined for the " HTTP/1.x" suffix before deciding on the method alone. */
export const DETECT_HTTP_MAX_LINE = 4096;
/** Plausible DNS messages carry few questions (almost always 1). */
export const DETECT_DNS_MAX_QD = 4;
/** And a bounded number of records. */
export const DETECT_DNS_MAX_RR = 200;

const PORT_NETBIOS_NS = 137, PORT_MDNS = 5353, PORT_LLMNR = 5355;
const PROTO_TCP = 6, PROTO_UDP = 17;

/** Request methods recognised (RFC 9110, WebDAV RFC 4918/3253, PATCH RFC 5789). */
export const HTTP_METHODS = [
  'GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'MKACTIVITY', 'CHECKOUT', 'MERGE', 'MKCALENDAR', 'ACL', 'BIND', 'UNBIND', 'REBIND',
];
const METHOD_BYTES = HTTP_METHODS.map((m) => Uint8Array.from(m, (c) => c.charCodeAt(0)));
const MAX_METHOD = Math.max(...HTTP_METHODS.map((m) => m.length));

/** Is buf[off, off+len) exactly one of HTTP_METHODS (case-sensitive)? */
export function isKnownMethod(buf: Uint8Array, off: number, len: number): boolean {
  if (len > MAX_METHOD) return false;
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const mb = METHOD_BYTES[m];
    if (mb.length !== len) continue;
    let k = 0;
    while (k < len && buf[off + k] === mb[k]) k++;
    if (k === len) return true;
  }
  return false;
}

/**
 * Does buf[off..] start with a known method followed by a space? Returns the method length (> 0),
 * 0 when certainly not, -1 when the bytes are a proper prefix of "METHOD ".
 */
export function matchMethod(buf: Uint8Array, off: number, len: number): number {
  let need = false;
  for (let m = 0; m < METHOD_BYTES.length; m++) {
    const mb = METHOD_BYTES[m];
    const n = mb.length;
    let k = 0;
    while (k < n && k < len && buf[off + k] === mb[k]) k++;
    if (k < n) { if (k === len) need = true; continue; }
    if (len === n) { need = true; continue; }
    if (buf[off + n] === 0x20) return n;
  }
  return need ? -1 : 0;
}

/** Longest method token taken as HTTP without being a known method (SSTP_DUPLEX_POST is 16). */
export const DETECT_HTTP_MAX_METHOD = 20;

/**
 * A complete request line with any method at buf[off..]: an upper-case method token (A-Z, 0-9,
 * '-', '_'; 1..DETECT_HTTP_MAX_METHOD bytes), one space, a non-empty request-target without
 * control bytes (spaces and non-ASCII bytes inside it are tolerated, as libhtp and Zeek read
 * them), then " HTTP/1." digit and CRLF or LF. Returns the method length (> 0), 0 when certainly
 * not, -1 when more bytes could still make it one (no line end yet within
 * DETECT_HTTP_MAX_LINE bytes). The evidence is the whole line, not the method.
 */
export function matchTokenRequestLine(buf: Uint8Array, off: number, len: number): number {
  let m = 0;
  while (m < len && m <= DETECT_HTTP_MAX_METHOD) {
    const c = buf[off + m];
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f)) break;
    m++;
  }
  if (m === len) return m <= DETECT_HTTP_MAX_METHOD ? -1 : 0;
  if (m === 0 || m > DETECT_HTTP_MAX_METHOD || buf[off + m] !== 0x20) return 0;
  const end = off + Math.min(len, DETECT_HTTP_MAX_LINE);
  let p = off + m + 1;
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 0x0a) break;
    // control bytes end it (CR only right before the LF): binary data is rejected early
    if ((c < 0x20 && !(c === 0x0d && p + 1 < end && buf[p + 1] === 0x0a) && !(c === 0x0d && p + 1 === end)) || c === 0x7f) return 0;
  }
  if (p === end) return len >= DETECT_HTTP_MAX_LINE ? 0 : -1;
  let e = p;
  if (buf[e - 1] === 0x0d) e--;
  const ts = off + m + 1;
  // target (>= 1 byte, not starting with a space) + " HTTP/1.d"
  if (e - ts < 10 || buf[ts] === 0x20) return 0;
  const v = e - 9;
  if (buf[v] !== 0x20 || buf[v + 1] !== 0x48 || buf[v + 2] !== 0x54 || buf[v + 3] !== 0x54 || buf[v + 4] !== 0x50 ||
      buf[v + 5] !== 0x2f || buf[v + 6] !== 0x31 || buf[v + 7] !== 0x2e || buf[v + 8] < 0x30 || buf[v + 8] > 0x39) return 0;
  return m;
}

/** "HTTP/1.x NNN" at buf[off..]: 1 yes, 0 no, -1 need more. */
export function matchResponseStart(buf: Uint8Array, off: number, len: number): number {
  const pat = 'HTTP/1.';
  const L = Math.min(len, 13);
  for (let i = 0; i < L; i++) {
    const c = buf[off + i];
    if (i < 7) { if (c !== pat.charCodeAt(i)) return 0; continue; }
    if (i === 7) { if (c < 0x30 || c > 0x39) return 0; continue; }
    if (i === 8) { if (c !== 0x20) return 0; continue; }
    if (i >= 9 && i <= 11) { if (c < 0x30 || c > 0x39) return 0; continue; }
    if (i === 12) { if (c !== 0x20 && c !== 0x0d && c !== 0x0a) return 0; }
  }
  return len >= 12 ? 1 : -1;
}

function httpRequest(buf: Uint8Array, off: number, len: number): number {
  const m = matchMethod(buf, off, len);
  if (m === 0) {
    const t = matchTokenRequestLine(buf, off, len);
    return t > 0 ? APP_HTTP : t < 0 ? APP_NEED_MORE : APP_NONE;
  }
  if (m < 0) return APP_NEED_MORE;
  const end = off + Math.min(len, DETECT_HTTP_MAX_LINE);
  const lf = indexOfByte(buf, 0x0a, off + m, end);
  if (lf < 0) {
    // no end of line yet: wait, unless the line is already very long
    return len >= DETECT_HTTP_MAX_LINE ? APP_HTTP : APP_NEED_MORE;
  }
  let e = lf;
  if (e > off && buf[e - 1] === 0x0d) e--;
  // last token of the line
  let s = e;
  while (s > off + m && buf[s - 1] !== 0x20) s--;
  const tl = e - s;
  if (tl >= 6 && buf[s] === 0x48 && buf[s + 1] === 0x54 && buf[s + 2] === 0x54 && buf[s + 3] === 0x50 && buf[s + 4] === 0x2f) return APP_HTTP;
  if (tl >= 5 && ((buf[s] === 0x52 && buf[s + 1] === 0x54 && buf[s + 2] === 0x53 && buf[s + 3] === 0x50) ||
      (buf[s] === 0x53 && buf[s + 1] === 0x49 && buf[s + 2] === 0x50 && buf[s + 3] === 0x2f))) return APP_NONE;
  // HTTP/0.9 style: "GET /path" (or POST/HEAD: not HTTP/0.9 but sent that way and logged by Zeek,
  // which flags invalid_http_09_request_method) and nothing else on the line
  if (s === off + m + 1 && buf[s] === 0x2f && ((m === 3 && buf[off] === 0x47) ||
      (m === 4 && ((buf[off] === 0x50 && buf[off + 1] === 0x4f) || (buf[off] === 0x48 && buf[off + 1] === 0x45))))) return APP_HTTP;
  return APP_NONE;
}

const DNSCRYPT_CERT = Uint8Array.from('2.dnscrypt-cert', (c) => c.charCodeAt(0));
function startsWithBytes(b: Uint8Array, off: number, pat: Uint8Array): boolean {
  for (let i = 0; i < pat.length; i++) if ((b[off + i] | 0x20) !== pat[i] && b[off + i] !== pat[i]) return false;
  return true;
}

// One scratch message for detection (module-level: synchronous use only, one per worker thread).
const scratch = new DnsMessage();

function plausibleDns(buf: Uint8Array, off: number, len: number, partial: boolean): number {
  const m = scratch;
  if (len < 12) return partial ? APP_NEED_MORE : APP_NONE;
  const qd = (buf[off + 4] << 8) | buf[off + 5];
  if (qd < 1 || qd > DETECT_DNS_MAX_QD || qd > DNS_MAX_QUESTIONS) return APP_NONE;
  const an = (buf[off + 6] << 8) | buf[off + 7], ns = (buf[off + 8] << 8) | buf[off + 9], ar = (buf[off + 10] << 8) | buf[off + 11];
  if (an + ns + ar > DETECT_DNS_MAX_RR) return APP_NONE;
  const op = (buf[off + 2] >>> 3) & 15;
  if (op !== 0 && op !== 1 && op !== 2 && op !== 4 && op !== 5) return APP_NONE;
  const qr = buf[off + 2] >>> 7;
  if (len < 17) return partial ? APP_NEED_MORE : APP_NONE;
  const st = parseDns(buf, off, len, m);
  if (m.nq !== qd) {
    // the question section must be complete and valid; a TCP message cut short may still become so
    return partial && st === AEV['dns.truncated'] ? APP_NEED_MORE : APP_NONE;
  }
  for (let i = 0; i < m.nq; i++) {
    const c = m.qClass[i];
    if (c !== 1 && c !== 3 && c !== 4 && c !== 254 && c !== 255) return APP_NONE;
    const t = m.qType[i];
    if (t === 0) return APP_NONE;
    if (m.qNameLen[i] === 0 && t !== 2 && t !== 6 && t !== 41 && t !== 48 && t !== 255 && t !== 252 && t !== 251) return APP_NONE;
  }
  // DNSCrypt certificate discovery ("2.dnscrypt-cert.<provider>" TXT) is DNS on the wire but the
  // start of a DNSCrypt session; nDPI labels it DNScrypt, and so do we (not DNS).
  if (m.qNameLen[0] >= 15 && startsWithBytes(m.names, m.qNameOff[0], DNSCRYPT_CERT)) return APP_NONE;
  if (partial) return APP_DNS;
  if (st !== 0) return APP_NONE;
  if (qr === 0) {
    if (m.hasEvent(AEV['dns.trailing_bytes'])) return APP_NONE;
  }
  return APP_DNS;
}

/**
 * Classify the first bytes of one flow direction.
 * @param ipProto 6 (TCP) or 17 (UDP); others give APP_NONE.
 * @param toServer true for the client->server direction.
 * @param sport,dport the packet's ports (optional; used only to exclude mDNS/LLMNR/NetBIOS-NS).
 * @returns APP_HTTP / APP_DNS / APP_SOCKS when recognised, APP_NONE when certainly not, APP_NEED_MORE (-1)
 *   when more bytes are needed (TCP only; after APP_DETECT_MAX_BYTES the answer is APP_NONE).
 */
export function detectApp(ipProto: number, toServer: boolean, buf: Uint8Array, off: number, len: number, sport = 0, dport = 0): number {
  if (len <= 0) return ipProto === PROTO_TCP ? APP_NEED_MORE : APP_NONE;
  if (ipProto === PROTO_UDP) {
    // mDNS/LLMNR/NetBIOS-NS share DNS's format; a datagram to or from port 53 is DNS whatever
    // the other port (a resolver client may well use source port 5353)
    if (sport !== 53 && dport !== 53 && (sport === PORT_MDNS || dport === PORT_MDNS || sport === PORT_LLMNR ||
        dport === PORT_LLMNR || sport === PORT_NETBIOS_NS || dport === PORT_NETBIOS_NS)) return APP_NONE;
    return plausibleDns(buf, off, len, false);
  }
  if (ipProto !== PROTO_TCP) return APP_NONE;
  let r: number;
  if (toServer) {
    r = httpRequest(buf, off, len);
    if (r === APP_NONE) r = dnsTcp(buf, off, len);
    // SOCKS4/4a/5 client (decoders/app/socks.ts); a SOCKS4 request can also look like the start
    // of a DNS/TCP message still "needing more": the complete SOCKS message decides
    if (r !== APP_HTTP && r !== APP_DNS && (buf[off] === 4 || buf[off] === 5)) {
      const k = matchSocksClient(buf, off, len);
      if (k === 1) r = APP_SOCKS;
      else if (k < 0) r = APP_NEED_MORE;
    }
  } else {
    const h = matchResponseStart(buf, off, len);
    r = h === 1 ? APP_HTTP : h < 0 ? APP_NEED_MORE : APP_NONE;
    if (r === APP_NONE) r = dnsTcp(buf, off, len);
  }
  if (r === APP_NEED_MORE && len >= APP_DETECT_MAX_BYTES) r = APP_NONE;
  return r;
}

/**
 * Fallback for flows that content detection did not classify, as nDPI does with its "Match by
 * port" confidence. Callers must report the result as a guess (e.g. app_confidence "port"),
 * never as content detection, and parse nothing on its strength alone beyond what the parsers
 * tolerate (they never throw).
 * - TCP: only when the content could not be judged (`contentSeen` false: no payload at all, or
 *   the flow was picked up midstream so its first bytes were never seen): port 80 -> HTTP,
 *   53 -> DNS. A TCP flow whose first bytes were seen and matched nothing stays APP_NONE (TLS on
 *   port 80 is not HTTP).
 * - UDP: port 53 -> DNS even when the datagrams did not parse (malformed DNS is still DNS
 *   traffic; nDPI labels it so), unless the other port is mDNS/LLMNR/NetBIOS-NS.
 */
export function guessAppByPort(ipProto: number, sport: number, dport: number, contentSeen: boolean): number {
  if (ipProto === PROTO_TCP) {
    if (contentSeen) return APP_NONE;
    if (sport === 80 || dport === 80) return APP_HTTP;
    if (sport === 53 || dport === 53) return APP_DNS;
    return APP_NONE;
  }
  if (ipProto === PROTO_UDP && (sport === 53 || dport === 53)) {
    const o = sport === 53 ? dport : sport;
    if (o === PORT_MDNS || o === PORT_LLMNR || o === PORT_NETBIOS_NS) return APP_NONE;
    return APP_DNS;
  }
  return APP_NONE;
}

function dnsTcp(buf: Uint8Array, off: number, len: number): number {
  if (len < 2) return APP_NEED_MORE;
  const mlen = (buf[off] << 8) | buf[off + 1];
  if (mlen < 17) return APP_NONE;
  if (len - 2 >= mlen) return plausibleDns(buf, off + 2, mlen, false);
  const r = plausibleDns(buf, off + 2, len - 2, true);
  // APP_NEED_MORE: header plausible, question section not complete yet
  return r;
}
