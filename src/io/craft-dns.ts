/**
 * DNS message crafting for tests and capture generators (RFC 1035 wire format): queries and
 * responses with A, AAAA, CNAME, NS, PTR, MX, TXT and raw records. Answer owner names equal to
 * the question name are compressed to a pointer to offset 12 (as real servers do); other names
 * are written in full. `tcpFramed()` adds the 2-byte length prefix of DNS over TCP.
 * Not for the hot path; results are fresh Uint8Arrays owned by the caller.
 */
import { concat, parseIPv4, parseIPv6 } from './craft';

export const DNS_TYPE = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, OPT: 41, ANY: 255 } as const;
export type DnsTypeName = keyof typeof DNS_TYPE;

export type DnsRecord =
  | { name: string; type: 'A'; ttl?: number; addr: string }
  | { name: string; type: 'AAAA'; ttl?: number; addr: string }
  | { name: string; type: 'CNAME' | 'NS' | 'PTR'; ttl?: number; target: string }
  | { name: string; type: 'MX'; ttl?: number; preference: number; exchange: string }
  | { name: string; type: 'TXT'; ttl?: number; texts: string[] }
  | { name: string; type: number; ttl?: number; rdata: Uint8Array };

export interface DnsMessageOptions {
  id: number;
  response?: boolean;
  opcode?: number;
  aa?: boolean;
  tc?: boolean;
  rd?: boolean;              // default true
  ra?: boolean;              // default true for responses
  rcode?: number;
  question: { name: string; type: DnsTypeName | number; class?: number };
  answers?: DnsRecord[];
  authority?: DnsRecord[];
  additional?: DnsRecord[];
}

/** Encode a domain name as labels (no compression). Labels longer than 63 bytes throw. */
export function encodeName(name: string): Uint8Array {
  const parts: number[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    if (label === '') continue;
    const b = Buffer.from(label, 'latin1');
    if (b.length > 63) throw new Error(`DNS label longer than 63 bytes: ${label}`);
    parts.push(b.length, ...b);
  }
  parts.push(0);
  return Uint8Array.from(parts);
}

function u16(v: number): Uint8Array { return Uint8Array.from([(v >> 8) & 0xff, v & 0xff]); }
function u32(v: number): Uint8Array { return Uint8Array.from([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]); }

function typeNum(t: DnsTypeName | number): number { return typeof t === 'number' ? t : DNS_TYPE[t]; }

function rdata(r: DnsRecord): Uint8Array {
  switch (r.type) {
    case 'A': return parseIPv4(r.addr);
    case 'AAAA': return parseIPv6(r.addr);
    case 'CNAME': case 'NS': case 'PTR': return encodeName(r.target);
    case 'MX': return concat(u16(r.preference), encodeName(r.exchange));
    case 'TXT': return concat(...r.texts.map((t) => { const b = Buffer.from(t, 'latin1'); return concat(Uint8Array.of(b.length), b); }));
    default: return (r as { rdata: Uint8Array }).rdata;
  }
}

/** A complete DNS message (UDP payload). */
export function dnsMessage(o: DnsMessageOptions): Uint8Array {
  const resp = o.response ?? false;
  const flags = (resp ? 0x8000 : 0) | ((o.opcode ?? 0) << 11) | (o.aa ? 0x400 : 0) | (o.tc ? 0x200 : 0) |
    ((o.rd ?? true) ? 0x100 : 0) | ((o.ra ?? resp) ? 0x80 : 0) | (o.rcode ?? 0);
  const an = o.answers ?? [], ns = o.authority ?? [], ar = o.additional ?? [];
  const qname = o.question.name.replace(/\.$/, '').toLowerCase();
  const rr = (r: DnsRecord) => {
    const owner = r.name.replace(/\.$/, '').toLowerCase() === qname ? u16(0xc00c) : encodeName(r.name);
    const rd = rdata(r);
    return concat(owner, u16(typeNum(r.type as DnsTypeName | number)), u16(1), u32(r.ttl ?? 300), u16(rd.length), rd);
  };
  return concat(
    u16(o.id), u16(flags), u16(1), u16(an.length), u16(ns.length), u16(ar.length),
    encodeName(o.question.name), u16(typeNum(o.question.type)), u16(o.question.class ?? 1),
    ...an.map(rr), ...ns.map(rr), ...ar.map(rr),
  );
}

/** Query shorthand. */
export function dnsQuery(id: number, name: string, type: DnsTypeName | number = 'A'): Uint8Array {
  return dnsMessage({ id, question: { name, type } });
}

/** DNS over TCP: the message preceded by its 2-byte length. */
export function tcpFramed(msg: Uint8Array): Uint8Array { return concat(u16(msg.length), msg); }
