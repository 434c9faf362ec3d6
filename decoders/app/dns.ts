/**
 * DNS message parser (RFC 1035, 3596, 2782; names with compression) and the DNS-over-TCP
 * length-prefix framer.
 *
 * Ownership and lifetime:
 * - parseDns() reads `buf[off, off+len)` (one DNS message, without the TCP length prefix) and
 *   writes numbers and offsets into `out`, a DnsMessage the caller owns and reuses. It allocates
 *   nothing (decoded names go into the message's own scratch `names` buffer).
 * - Offsets named `*NameOff/*NameLen` index `out.names` (decoded dotted names, original case, no
 *   trailing dot, root = length 0). They stay valid until the next parseDns() on the same `out`.
 * - `rrDataOff/rrDataLen` index the INPUT buffer `out.buf` (= the `buf` passed in); they are valid
 *   as long as the caller keeps that buffer unchanged (for a packet: until the batch completes;
 *   for a TCP message from DnsTcpFramer: until the next framer call).
 * - Strings are produced only on demand (nameStr(), rdataStr(), dnsRecordJson()) at output time.
 *
 * Malformed input never throws: the parse stops at the first structural error, what was decoded
 * so far stays readable, the error is recorded in out.events and returned as the status
 * (an AEV id, 0 = ok).
 */
import { AEV } from './events';
import { ipv4Text, ipv6Text, ipv6FullText } from '../addr';

// Event ids as module constants for the rare-exit branches of readName and the rdata checks:
// `x = AEV_...` reads a constant binding, which needs no type feedback, whereas `AEV['...']` is a
// property load that deoptimised the optimised caller the first time a rare branch ran after
// optimisation (once per run on bench/out/big.pcap: dns.name_too_long).
const AEV_TRUNCATED = AEV['dns.truncated'];
const AEV_PTR_HOPS = AEV['dns.ptr_hops'];
const AEV_PTR_INVALID = AEV['dns.ptr_invalid'];
const AEV_LABEL_INVALID = AEV['dns.label_invalid'];
const AEV_NAME_TOO_LONG = AEV['dns.name_too_long'];
const AEV_NAMES_LIMIT = AEV['dns.names_limit'];
const AEV_RDATA_INVALID = AEV['dns.rdata_invalid'];

/** At most this many questions are decoded per message (the rest is skipped, event dns.too_many_records). */
export const DNS_MAX_QUESTIONS = 16;
/** At most this many answer+authority+additional records are decoded per message. */
export const DNS_MAX_RRS = 256;
/** Compression pointers followed within one name; more means a loop (event dns.ptr_hops). */
export const DNS_MAX_PTR_HOPS = 32;
/** Longest decoded name in presentation form (RFC 1035: 255 octets on the wire). */
export const DNS_MAX_NAME_LEN = 255;
/** Scratch bytes for all decoded names of one message (event dns.names_limit when exceeded). */
export const DNS_NAMES_BYTES = 16384;
/** Events kept per message. */
export const DNS_MAX_EVENTS = 8;
/** Largest DNS-over-TCP message (the 2-byte prefix bounds it). */
export const DNS_TCP_MAX_MSG = 65535;

export const DNS_SEC_QUESTION = 0, DNS_SEC_ANSWER = 1, DNS_SEC_AUTHORITY = 2, DNS_SEC_ADDITIONAL = 3;

export const T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_PTR = 12, T_MX = 15, T_TXT = 16, T_AAAA = 28, T_SRV = 33, T_OPT = 41;

/** Type mnemonics (IANA). Zeek and Suricata use the same mnemonics for these. */
const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS',
  12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN',
  21: 'RT', 22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC',
  30: 'NXT', 31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6',
  39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG',
  47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA',
  55: 'HIP', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS',
  99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY',
  256: 'URI', 257: 'CAA', 32768: 'TA', 32769: 'DLV',
};

/** Mnemonic, or "TYPE<n>" (RFC 3597 presentation) for unknown types. */
export function qtypeName(t: number): string { return TYPE_NAMES[t] ?? `TYPE${t}`; }
/** What Suricata's EVE writes in dns.rrtype: the mnemonic, or the decimal number for unknown types. */
export function suricataRrtype(t: number): string { return TYPE_NAMES[t] ?? String(t); }
/** What Zeek's dns.log writes in qtype_name: the mnemonic ("*" for 255), or "query-<n>". */
export function zeekQtypeName(t: number): string { return t === 255 ? '*' : (TYPE_NAMES[t] ?? `query-${t}`); }

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET',
  'NXRRSET', 'NOTAUTH', 'NOTZONE'];
/** RCODE mnemonic (RFC 6895), "RCODE<n>" beyond the table. Suricata and Zeek write these names. */
export function rcodeName(r: number): string { return RCODE_NAMES[r] ?? `RCODE${r}`; }
const CLASS_NAMES: Record<number, string> = { 1: 'IN', 3: 'CH', 4: 'HS', 254: 'NONE', 255: 'ANY' };
export function qclassName(c: number): string { return CLASS_NAMES[c] ?? `CLASS${c}`; }

/** One parsed DNS message. Reused: allocate one per parser/worker, not per packet. */
export const DNS_OPCODE_UPDATE = 5;

/**
 * For an UPDATE message (opcode 5, RFC 2136) the question section is the zone (name, SOA) and the
 * answer/authority sections are the prerequisites/updates: the distinct owner names of those
 * records in wire order (what is being changed; Zeek logs the first as the query). Additional
 * records (TSIG, OPT) are left out. Empty for other opcodes. Output time only (allocates).
 */
export function updateNames(m: DnsMessage): string[] {
  const out: string[] = [];
  if (m.opcode !== DNS_OPCODE_UPDATE) return out;
  for (let i = 0; i < m.nrr; i++) {
    if (m.rrSection[i] !== DNS_SEC_ANSWER && m.rrSection[i] !== DNS_SEC_AUTHORITY) continue;
    const n = m.nameStr(m.rrNameOff[i], m.rrNameLen[i]) || '<root>';
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

export class DnsMessage {
  /** The buffer given to the last parseDns() (not copied) and the message bounds in it. */
  buf: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  // ---- header
  id = 0;
  flags = 0;      // the 16 flag bits as on the wire
  qr = 0;         // 0 query, 1 response
  opcode = 0;
  aa = 0; tc = 0; rd = 0; ra = 0; z = 0; ad = 0; cd = 0;
  rcode = 0;
  qdcount = 0; ancount = 0; nscount = 0; arcount = 0;   // as in the header
  // ---- questions (decoded count nq <= DNS_MAX_QUESTIONS)
  nq = 0;
  readonly qNameOff = new Uint16Array(DNS_MAX_QUESTIONS);
  readonly qNameLen = new Uint16Array(DNS_MAX_QUESTIONS);
  readonly qType = new Uint16Array(DNS_MAX_QUESTIONS);
  readonly qClass = new Uint16Array(DNS_MAX_QUESTIONS);
  // ---- resource records of all three sections, in wire order (nrr <= DNS_MAX_RRS)
  nrr = 0;
  readonly rrSection = new Uint8Array(DNS_MAX_RRS);    // DNS_SEC_ANSWER / AUTHORITY / ADDITIONAL
  readonly rrNameOff = new Uint16Array(DNS_MAX_RRS);
  readonly rrNameLen = new Uint16Array(DNS_MAX_RRS);
  readonly rrType = new Uint16Array(DNS_MAX_RRS);
  readonly rrClass = new Uint16Array(DNS_MAX_RRS);
  readonly rrTtl = new Uint32Array(DNS_MAX_RRS);
  /** rdata bounds in `buf` (raw, for every type). */
  readonly rrDataOff = new Uint32Array(DNS_MAX_RRS);
  readonly rrDataLen = new Uint16Array(DNS_MAX_RRS);
  /**
   * Decoded name targets in `names`: CNAME/NS/PTR target, MX exchange, SRV target, SOA mname (t1)
   * and SOA rname (t2). Length 0xffff = no such name for this type. Numbers (MX preference, SRV
   * priority/weight/port, SOA serial...) are read from rdata on demand (fixed offsets).
   */
  readonly rrT1Off = new Uint16Array(DNS_MAX_RRS);
  readonly rrT1Len = new Uint16Array(DNS_MAX_RRS);
  readonly rrT2Off = new Uint16Array(DNS_MAX_RRS);
  readonly rrT2Len = new Uint16Array(DNS_MAX_RRS);
  /** Decoded names scratch (owned by this message). */
  readonly names = new Uint8Array(DNS_NAMES_BYTES);
  namesUsed = 0;
  // ---- events (AEV ids)
  nev = 0;
  readonly events = new Uint16Array(DNS_MAX_EVENTS);
  /** Per-event counters for this message's events beyond DNS_MAX_EVENTS are not kept; `evDropped` counts them. */
  evDropped = 0;

  reset(): void {
    this.id = this.flags = this.qr = this.opcode = this.aa = this.tc = this.rd = this.ra = this.z = this.ad = this.cd = this.rcode = 0;
    this.qdcount = this.ancount = this.nscount = this.arcount = 0;
    this.nq = this.nrr = this.namesUsed = this.nev = this.evDropped = 0;
  }

  addEvent(ev: number): void {
    for (let i = 0; i < this.nev; i++) if (this.events[i] === ev) return;
    if (this.nev < DNS_MAX_EVENTS) this.events[this.nev++] = ev; else this.evDropped++;
  }
  hasEvent(ev: number): boolean { for (let i = 0; i < this.nev; i++) if (this.events[i] === ev) return true; return false; }

  // ---- on-demand strings (allocate: output time only)
  nameStr(off: number, len: number): string { return bytesToPrintable(this.names, off, len); }
  qname(i: number): string { return this.nameStr(this.qNameOff[i], this.qNameLen[i]); }
  rrname(i: number): string { return this.nameStr(this.rrNameOff[i], this.rrNameLen[i]); }
  /** Presentation form of one record's data: address, target name, "pref exchange", TXT strings joined... */
  rdataStr(i: number): string {
    const t = this.rrType[i], o = this.rrDataOff[i], l = this.rrDataLen[i], b = this.buf;
    switch (t) {
      case T_A: return l === 4 ? ipv4Text(b, o) : '';
      case T_AAAA: return l === 16 ? ipv6Text(b, o) : '';
      case T_CNAME: case T_NS: case T_PTR:
        return this.rrT1Len[i] === 0xffff ? '' : this.nameStr(this.rrT1Off[i], this.rrT1Len[i]);
      case T_MX:
        return this.rrT1Len[i] === 0xffff ? '' : this.nameStr(this.rrT1Off[i], this.rrT1Len[i]);
      case T_SRV:
        return this.rrT1Len[i] === 0xffff ? '' : this.nameStr(this.rrT1Off[i], this.rrT1Len[i]);
      case T_SOA:
        return this.rrT1Len[i] === 0xffff ? '' : this.nameStr(this.rrT1Off[i], this.rrT1Len[i]);
      case T_TXT: return this.txtStrings(i).join(' ');
      default: {
        let s = '';
        for (let k = 0; k < l; k++) s += (b[o + k] < 16 ? '0' : '') + b[o + k].toString(16);
        return s;
      }
    }
  }
  /** The character-strings of a TXT record. */
  txtStrings(i: number): string[] {
    const out: string[] = [];
    const b = this.buf; let p = this.rrDataOff[i]; const end = p + this.rrDataLen[i];
    while (p < end) { const n = b[p++]; const e = Math.min(end, p + n); out.push(bytesToPrintable(b, p, e - p)); p = e; }
    return out;
  }
  /** MX preference / SRV priority (first u16 of rdata), -1 if not available. */
  rdU16(i: number, at: number): number {
    const o = this.rrDataOff[i] + at; if (at + 2 > this.rrDataLen[i]) return -1;
    return (this.buf[o] << 8) | this.buf[o + 1];
  }
  /** SOA numbers: 0 serial, 1 refresh, 2 retry, 3 expire, 4 minimum (last 20 bytes of rdata), -1 if missing. */
  soaNum(i: number, k: number): number {
    const l = this.rrDataLen[i]; if (l < 22) return -1;
    const o = this.rrDataOff[i] + l - 20 + 4 * k, b = this.buf;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  }
}

/** Longest all-printable string bytesToPrintable makes with one String.fromCharCode.apply. */
const DNS_PRINTABLE_APPLY_MAX = 1024;

/** Bytes to a string; printable ASCII kept, others written as \xNN (as Suricata does for names). */
export function bytesToPrintable(b: Uint8Array, off: number, len: number): string {
  // Names are nearly always printable ASCII: checked first, then made in one builtin call (names
  // are <= 255 bytes, within apply's argument limit). A string built a character at a time costs a
  // concatenation per byte, and this runs a few thousand times per capture, mostly before V8 has
  // optimised it.
  let p = 0;
  while (p < len && b[off + p] >= 0x20 && b[off + p] < 0x7f) p++;
  if (p === len && len <= DNS_PRINTABLE_APPLY_MAX) {
    return len === 0 ? '' : String.fromCharCode.apply(null, b.subarray(off, off + len) as unknown as number[]);
  }
  let s = '';
  for (let i = 0; i < len; i++) {
    const c = b[off + i];
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + (c < 16 ? '0' : '') + c.toString(16);
  }
  return s;
}

// Scratch result of readName (module-level: parse is synchronous and single-threaded per worker;
// avoids returning an object per name).
let nameEnd = 0;     // offset just after the name at its original position in the message
let nameErr = 0;     // AEV id or 0

/**
 * Decode the name at `p` into out.names. Returns the names offset, sets nameEnd/nameErr; the
 * decoded length is out.namesUsed - returned offset.
 */
function readName(b: Uint8Array, p: number, base: number, end: number, out: DnsMessage): number {
  const start = out.namesUsed;
  let w = start, hops = 0, total = 0;
  nameEnd = -1; nameErr = 0;
  const names = out.names;
  for (;;) {
    if (p >= end) { nameErr = AEV_TRUNCATED; break; }
    const c = b[p];
    if (c === 0) { if (nameEnd < 0) nameEnd = p + 1; break; }
    const kind = c & 0xc0;
    if (kind === 0xc0) {
      if (p + 1 >= end) { nameErr = AEV_TRUNCATED; break; }
      const ptr = ((c & 0x3f) << 8) | b[p + 1];
      if (nameEnd < 0) nameEnd = p + 2;
      if (++hops > DNS_MAX_PTR_HOPS) { nameErr = AEV_PTR_HOPS; break; }
      if (base + ptr >= end) { nameErr = AEV_PTR_INVALID; break; }
      p = base + ptr;
      continue;
    }
    if (kind !== 0) { nameErr = AEV_LABEL_INVALID; break; }
    if (p + 1 + c > end) { nameErr = AEV_LABEL_INVALID; break; }
    total += (total ? 1 : 0) + c;
    if (total > DNS_MAX_NAME_LEN) { nameErr = AEV_NAME_TOO_LONG; break; }
    if (w + c + 1 > DNS_NAMES_BYTES) { nameErr = AEV_NAMES_LIMIT; break; }
    if (w > start) names[w++] = 0x2e;
    // labels are short: a copy loop costs less than a subarray view object per label
    for (let k = p + 1, e = p + 1 + c; k < e; k++) names[w++] = b[k];
    p += 1 + c;
  }
  out.namesUsed = w;
  return start;
}

const OK = 0;

/**
 * Parse one DNS message in buf[off, off+len). Returns 0 when the whole message was decoded, else
 * the AEV id of the first error (also in out.events); fields decoded before the error stay valid.
 */
export function parseDns(buf: Uint8Array, off: number, len: number, out: DnsMessage): number {
  out.reset();
  out.buf = buf; out.off = off; out.len = len;
  if (off < 0 || len < 0 || off + len > buf.length) { len = Math.max(0, Math.min(len, buf.length - off)); out.len = len; }
  const end = off + len;
  if (len < 12) { out.addEvent(AEV['dns.truncated']); return AEV['dns.truncated']; }
  const b = buf;
  out.id = (b[off] << 8) | b[off + 1];
  const f = (b[off + 2] << 8) | b[off + 3];
  out.flags = f;
  out.qr = f >>> 15; out.opcode = (f >>> 11) & 15; out.aa = (f >>> 10) & 1; out.tc = (f >>> 9) & 1;
  out.rd = (f >>> 8) & 1; out.ra = (f >>> 7) & 1; out.z = (f >>> 6) & 1; out.ad = (f >>> 5) & 1; out.cd = (f >>> 4) & 1;
  out.rcode = f & 15;
  if (out.z) out.addEvent(AEV['dns.z_flag_set']);
  out.qdcount = (b[off + 4] << 8) | b[off + 5];
  out.ancount = (b[off + 6] << 8) | b[off + 7];
  out.nscount = (b[off + 8] << 8) | b[off + 9];
  out.arcount = (b[off + 10] << 8) | b[off + 11];
  let p = off + 12;
  // questions
  for (let i = 0; i < out.qdcount; i++) {
    const no = readName(b, p, off, end, out);
    if (nameErr) { out.addEvent(nameErr); return nameErr; }
    p = nameEnd;
    if (p + 4 > end) { out.addEvent(AEV['dns.truncated']); return AEV['dns.truncated']; }
    if (out.nq < DNS_MAX_QUESTIONS) {
      const k = out.nq++;
      out.qNameOff[k] = no; out.qNameLen[k] = out.namesUsed - no;
      out.qType[k] = (b[p] << 8) | b[p + 1];
      out.qClass[k] = (b[p + 2] << 8) | b[p + 3];
    } else {
      out.namesUsed = no; // not kept: give the scratch back
      out.addEvent(AEV['dns.too_many_records']);
    }
    p += 4;
  }
  // answer, authority, additional
  for (let s = 0; s < 3; s++) {
    const n = s === 0 ? out.ancount : s === 1 ? out.nscount : out.arcount;   // no array per message
    for (let i = 0; i < n; i++) {
      const no = readName(b, p, off, end, out);
      if (nameErr) { out.addEvent(nameErr); return nameErr; }
      p = nameEnd;
      if (p + 10 > end) { out.addEvent(AEV['dns.truncated']); return AEV['dns.truncated']; }
      const type = (b[p] << 8) | b[p + 1];
      const cls = (b[p + 2] << 8) | b[p + 3];
      const ttl = ((b[p + 4] << 24) | (b[p + 5] << 16) | (b[p + 6] << 8) | b[p + 7]) >>> 0;
      const rdlen = (b[p + 8] << 8) | b[p + 9];
      p += 10;
      if (p + rdlen > end) { out.addEvent(AEV['dns.truncated']); return AEV['dns.truncated']; }
      if (out.nrr >= DNS_MAX_RRS) {
        out.namesUsed = no;
        out.addEvent(AEV['dns.too_many_records']);
        p += rdlen;
        continue;
      }
      const k = out.nrr++;
      out.rrSection[k] = s + 1;
      out.rrNameOff[k] = no; out.rrNameLen[k] = out.namesUsed - no;
      out.rrType[k] = type; out.rrClass[k] = cls; out.rrTtl[k] = ttl;
      out.rrDataOff[k] = p; out.rrDataLen[k] = rdlen;
      out.rrT1Len[k] = 0xffff; out.rrT2Len[k] = 0xffff;
      const rend = p + rdlen;
      let err = OK;
      switch (type) {
        case T_A: if (rdlen !== 4) err = AEV_RDATA_INVALID; break;
        case T_AAAA: if (rdlen !== 16) err = AEV_RDATA_INVALID; break;
        case T_CNAME: case T_NS: case T_PTR: case T_MX: case T_SRV: {
          const skip = type === T_MX ? 2 : type === T_SRV ? 6 : 0;
          if (rdlen < skip + 1) { err = AEV_RDATA_INVALID; break; }
          // names inside rdata may point anywhere earlier in the message, but must end inside rdata
          const t = readName(b, p + skip, off, rend, out);
          if (nameErr) { err = nameErr; out.namesUsed = t; break; }
          out.rrT1Off[k] = t; out.rrT1Len[k] = out.namesUsed - t;
          if (nameEnd !== rend) err = AEV_RDATA_INVALID;
          break;
        }
        case T_SOA: {
          const t1 = readName(b, p, off, rend, out);
          if (nameErr) { err = nameErr; out.namesUsed = t1; break; }
          out.rrT1Off[k] = t1; out.rrT1Len[k] = out.namesUsed - t1;
          const t2 = readName(b, nameEnd, off, rend, out);
          if (nameErr) { err = nameErr; out.namesUsed = t2; break; }
          out.rrT2Off[k] = t2; out.rrT2Len[k] = out.namesUsed - t2;
          if (nameEnd + 20 !== rend) err = AEV_RDATA_INVALID;
          break;
        }
        case T_TXT: {
          let q = p;
          while (q < rend) q += 1 + b[q];
          if (q !== rend) err = AEV_RDATA_INVALID;
          break;
        }
        default: break;
      }
      // A bad rdata is an event on the record, not the end of the message: rdlen delimits it.
      if (err) out.addEvent(err);
      p = rend;
    }
  }
  if (p < end) out.addEvent(AEV['dns.trailing_bytes']);
  return OK;
}

/**
 * DNS over TCP: splits one direction's in-order stream into messages using the 2-byte length
 * prefix (RFC 1035 4.2.2). One framer per flow direction, allocated when the flow is classified.
 *
 * Usage, once per chunk of stream data:
 *   framer.push(buf, off, len);
 *   while (framer.next()) parseDns(framer.msgBuf, framer.msgOff, framer.msgLen, msg);
 * push() only records the view; next() must be called until it returns false BEFORE the caller's
 * buffer goes away (the final next() copies an incomplete tail into the framer's own buffer).
 * A message that lies whole inside the pushed data is returned as a view into it (no copy); one
 * split across pushes is assembled in the framer's buffer (grown up to DNS_TCP_MAX_MSG + 2) and
 * that view stays valid until the next push()/next()/gap().
 */
export class DnsTcpFramer {
  private pend = new Uint8Array(0);    // partial message (prefix included) carried across pushes
  private pendLen = 0;
  private in: Uint8Array = new Uint8Array(0);
  private inOff = 0;
  private inEnd = 0;
  /** Set when the stream lost framing (gap or bad length): everything after is ignored. */
  lost = false;
  msgBuf: Uint8Array = new Uint8Array(0);
  msgOff = 0;
  msgLen = 0;
  /** Messages returned, and length prefixes rejected (< 12). */
  messages = 0;
  badLengths = 0;

  push(buf: Uint8Array, off: number, len: number): void {
    this.in = buf; this.inOff = off; this.inEnd = off + len;
  }

  next(): boolean {
    if (this.lost) { this.inOff = this.inEnd; return false; }
    // 1) finish a partial message first
    if (this.pendLen > 0) {
      if (this.pendLen < 2) this.take(2 - this.pendLen);
      if (this.pendLen < 2) return false;
      const need = ((this.pend[0] << 8) | this.pend[1]) + 2;
      if (need - 2 < 12) return this.bad();
      this.take(need - this.pendLen);
      if (this.pendLen < need) return false;
      this.msgBuf = this.pend; this.msgOff = 2; this.msgLen = need - 2;
      this.pendLen = 0;
      this.messages++;
      return true;
    }
    const avail = this.inEnd - this.inOff;
    if (avail <= 0) return false;
    if (avail >= 2) {
      const mlen = (this.in[this.inOff] << 8) | this.in[this.inOff + 1];
      if (mlen < 12) return this.bad();
      if (avail >= mlen + 2) {
        // whole message inside the caller's buffer: hand out a view, no copy
        this.msgBuf = this.in; this.msgOff = this.inOff + 2; this.msgLen = mlen;
        this.inOff += mlen + 2;
        this.messages++;
        return true;
      }
    }
    // incomplete tail: keep it
    this.take(avail);
    return false;
  }

  /** A hole in the stream: framing cannot be recovered (no sync marker in DNS/TCP). */
  gap(): void { this.lost = true; this.pendLen = 0; }

  /** Bytes held waiting for the rest of a message (0 at a message boundary). */
  get pending(): number { return this.pendLen; }

  private bad(): boolean { this.badLengths++; this.lost = true; this.pendLen = 0; this.inOff = this.inEnd; return false; }

  private take(n: number): void {
    const k = Math.min(n, this.inEnd - this.inOff);
    if (k <= 0) return;
    if (this.pendLen + k > this.pend.length) {
      const nb = new Uint8Array(Math.min(DNS_TCP_MAX_MSG + 2, Math.max(512, (this.pendLen + k) * 2)));
      nb.set(this.pend.subarray(0, this.pendLen));
      this.pend = nb;
    }
    this.pend.set(this.in.subarray(this.inOff, this.inOff + k), this.pendLen);
    this.pendLen += k;
    this.inOff += k;
  }
}

export interface DnsEveRR {
  rrname: string; rrtype: string; ttl: number;
  /** A/AAAA address (AAAA in Suricata's uncompressed form), CNAME/NS/PTR/MX name, one TXT string, SOA mname, SRV target, else hex. */
  rdata: string;
  soa?: { mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };
  srv?: { priority: number; weight: number; port: number; name: string };
}

/** A compact record for `quell flows` / EVE (allocates: output time only). */
export interface DnsRecordJson {
  id: number; qr: boolean; opcode: number; rcode: string; flags: string; tc: boolean;
  query: string; qtype: string; qtype_num: number; qclass: string;
  /** Answer section in presentation form (IPv6 per RFC 5952), for `quell flows`. */
  answers: string[];
  /** Answer section as Suricata's EVE writes it (one entry per TXT string, AAAA uncompressed). */
  answer_rrs: DnsEveRR[];
  /** Authority section, same form (Suricata's `dns.authorities`). */
  authority_rrs: DnsEveRR[];
}

function eveRRs(m: DnsMessage, i: number, out: DnsEveRR[]): void {
  const base = { rrname: m.rrname(i) || '<root>', rrtype: suricataRrtype(m.rrType[i]), ttl: m.rrTtl[i] };
  const t = m.rrType[i];
  if (t === T_TXT) { for (const x of m.txtStrings(i)) out.push({ ...base, rdata: x }); return; }
  if (t === T_AAAA && m.rrDataLen[i] === 16) { out.push({ ...base, rdata: ipv6FullText(m.buf, m.rrDataOff[i]) /* Suricata: uncompressed AAAA */ }); return; }
  const r: DnsEveRR = { ...base, rdata: m.rdataStr(i) };
  if (t === T_SOA && m.rrT2Len[i] !== 0xffff) {
    r.soa = { mname: r.rdata, rname: m.nameStr(m.rrT2Off[i], m.rrT2Len[i]), serial: m.soaNum(i, 0), refresh: m.soaNum(i, 1),
      retry: m.soaNum(i, 2), expire: m.soaNum(i, 3), minimum: m.soaNum(i, 4) };
  } else if (t === T_SRV && m.rrT1Len[i] !== 0xffff) {
    r.srv = { priority: m.rdU16(i, 0), weight: m.rdU16(i, 2), port: m.rdU16(i, 4), name: r.rdata };
  }
  out.push(r);
}

export function dnsRecordJson(m: DnsMessage): DnsRecordJson {
  const answers: string[] = [];
  const rrs: DnsEveRR[] = [];
  const auth: DnsEveRR[] = [];
  for (let i = 0; i < m.nrr; i++) {
    if (m.rrSection[i] === DNS_SEC_AUTHORITY) { eveRRs(m, i, auth); continue; }
    if (m.rrSection[i] !== DNS_SEC_ANSWER) continue;
    answers.push(m.rdataStr(i));
    eveRRs(m, i, rrs);
  }
  return {
    id: m.id, qr: m.qr === 1, opcode: m.opcode, rcode: rcodeName(m.rcode), flags: m.flags.toString(16), tc: m.tc === 1,
    query: m.nq ? (m.qname(0) || '<root>') : '', qtype: m.nq ? suricataRrtype(m.qType[0]) : '', qtype_num: m.nq ? m.qType[0] : 0,
    qclass: m.nq ? qclassName(m.qClass[0]) : '',
    answers, answer_rrs: rrs, authority_rrs: auth,
  };
}
