import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DnsMessage, parseDns, DnsTcpFramer, dnsRecordJson, qtypeName, suricataRrtype, zeekQtypeName, rcodeName,
  DNS_MAX_PTR_HOPS, DNS_SEC_ANSWER, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL, T_MX, T_SRV, T_SOA,
} from './dns';
import { AEV } from './events';

// ---- a small message builder (test only)
function name(n: string): number[] {
  if (n === '' || n === '.') return [0];
  const out: number[] = [];
  for (const l of n.split('.')) { out.push(l.length, ...Buffer.from(l, 'latin1')); }
  out.push(0);
  return out;
}
const u16 = (v: number) => [(v >> 8) & 255, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
function rr(nm: number[], type: number, rdata: number[], ttl = 300): number[] {
  return [...nm, ...u16(type), ...u16(1), ...u32(ttl), ...u16(rdata.length), ...rdata];
}
function msg(id: number, flags: number, qd: number[][], an: number[][] = [], ns: number[][] = [], ar: number[][] = []): Buffer {
  return Buffer.from([...u16(id), ...u16(flags), ...u16(qd.length), ...u16(an.length), ...u16(ns.length), ...u16(ar.length),
    ...qd.flat(), ...an.flat(), ...ns.flat(), ...ar.flat()]);
}
const q = (n: string, t: number, c = 1) => [...name(n), ...u16(t), ...u16(c)];
const PTR12 = [0xc0, 12];   // pointer to the first question name

/** A response exercising every decoded type, with compression. */
function bigResponse(): Buffer {
  return msg(0x1234, 0x8180, [q('www.Example.com', 1)], [
    rr(PTR12, 5, [3, ...Buffer.from('web'), 0xc0, 16]),                 // CNAME web.example.com (pointer to "example.com")
    rr(PTR12, 1, [93, 184, 216, 34]),
    rr(PTR12, 28, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    rr(PTR12, 15, [...u16(10), 4, ...Buffer.from('mail'), 0xc0, 16]),
    rr(PTR12, 16, [5, ...Buffer.from('hello'), 3, ...Buffer.from('a b')]),
    rr(PTR12, 33, [...u16(1), ...u16(2), ...u16(5060), 3, ...Buffer.from('sip'), 0xc0, 16]),
    rr(PTR12, 12, name('ptr.target')),
    rr(PTR12, 99, [1, 2, 3]),
  ], [
    rr([0xc0, 16], 2, [2, ...Buffer.from('ns'), 0xc0, 16]),
    rr([0xc0, 16], 6, [...name('m.example.com'), ...name('r.example.com'), ...u32(2024), ...u32(1), ...u32(2), ...u32(3), ...u32(4)]),
  ], [
    rr([0], 41, []),
  ]);
}

test('header flags and every decoded record type, with compression', () => {
  const m = new DnsMessage();
  const b = bigResponse();
  assert.equal(parseDns(b, 0, b.length, m), 0);
  assert.equal(m.id, 0x1234); assert.equal(m.qr, 1); assert.equal(m.rd, 1); assert.equal(m.ra, 1); assert.equal(m.rcode, 0);
  assert.equal(m.tc, 0); assert.equal(m.opcode, 0);
  assert.equal(m.nq, 1); assert.equal(m.qname(0), 'www.Example.com'); assert.equal(m.qType[0], 1);
  assert.equal(m.nrr, 11);
  const got = Array.from({ length: m.nrr }, (_, i) => [m.rrSection[i], qtypeName(m.rrType[i]), m.rrname(i), m.rdataStr(i)]);
  assert.deepEqual(got, [
    [DNS_SEC_ANSWER, 'CNAME', 'www.Example.com', 'web.Example.com'],
    [DNS_SEC_ANSWER, 'A', 'www.Example.com', '93.184.216.34'],
    [DNS_SEC_ANSWER, 'AAAA', 'www.Example.com', '2001:db8::1'],
    [DNS_SEC_ANSWER, 'MX', 'www.Example.com', 'mail.Example.com'],
    [DNS_SEC_ANSWER, 'TXT', 'www.Example.com', 'hello a b'],
    [DNS_SEC_ANSWER, 'SRV', 'www.Example.com', 'sip.Example.com'],
    [DNS_SEC_ANSWER, 'PTR', 'www.Example.com', 'ptr.target'],
    [DNS_SEC_ANSWER, 'SPF', 'www.Example.com', '010203'],
    [DNS_SEC_AUTHORITY, 'NS', 'Example.com', 'ns.Example.com'],
    [DNS_SEC_AUTHORITY, 'SOA', 'Example.com', 'm.example.com'],
    [DNS_SEC_ADDITIONAL, 'OPT', '', ''],
  ]);
  assert.equal(m.rdU16(3, 0), 10);                         // MX preference
  assert.equal(m.rrType[3], T_MX);
  assert.equal(m.rrType[5], T_SRV); assert.equal(m.rdU16(5, 4), 5060);
  assert.equal(m.rrType[9], T_SOA); assert.equal(m.soaNum(9, 0), 2024); assert.equal(m.soaNum(9, 4), 4);
  assert.equal(m.nameStr(m.rrT2Off[9], m.rrT2Len[9]), 'r.example.com');
  assert.deepEqual(m.txtStrings(4), ['hello', 'a b']);
  assert.equal(m.nev, 0);
  const j = dnsRecordJson(m);
  assert.equal(j.query, 'www.Example.com'); assert.equal(j.qtype, 'A'); assert.equal(j.rcode, 'NOERROR');
  assert.deepEqual(j.answers.slice(0, 3), ['web.Example.com', '93.184.216.34', '2001:db8::1']);
});

test('names: pointer loops bounded, forward pointer beyond the end, bad label types, overlong names', () => {
  const m = new DnsMessage();
  // question name is a pointer to itself
  const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(parseDns(loop, 0, loop.length, m), AEV['dns.ptr_hops']);
  assert.ok(m.hasEvent(AEV['dns.ptr_hops']));
  // a chain of exactly DNS_MAX_PTR_HOPS pointers is fine, one more is not
  const chain = (hops: number) => {
    const h = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    const qpos = h.length;
    const body: number[] = [];
    // question: pointer to p1; p_i -> p_{i+1}; last -> label "a"
    const start = qpos + 2 + 4;
    body.push(0xc0 | (start >> 8), start & 255, 0, 1, 0, 1);
    for (let i = 1; i < hops; i++) { const nx = start + 2 * i; body.push(0xc0 | (nx >> 8), nx & 255); }
    body.push(1, 0x61, 0);
    return Buffer.from([...h, ...body]);
  };
  const ok = chain(DNS_MAX_PTR_HOPS);
  assert.equal(parseDns(ok, 0, ok.length, m), 0);
  assert.equal(m.qname(0), 'a');
  const bad = chain(DNS_MAX_PTR_HOPS + 1);
  assert.equal(parseDns(bad, 0, bad.length, m), AEV['dns.ptr_hops']);
  const fwd = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 200, 0, 1, 0, 1]);
  assert.equal(parseDns(fwd, 0, fwd.length, m), AEV['dns.ptr_invalid']);
  const ext = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0, 0, 1, 0, 1]);
  assert.equal(parseDns(ext, 0, ext.length, m), AEV['dns.label_invalid']);
  const long = msg(1, 0, [q(Array.from({ length: 5 }, () => 'x'.repeat(60)).join('.'), 1)]);
  assert.equal(parseDns(long, 0, long.length, m), AEV['dns.name_too_long']);
  const maxName = Array.from({ length: 4 }, () => 'y'.repeat(63)).join('.');   // 255 bytes
  const okLong = msg(1, 0, [q(maxName, 1)]);
  assert.equal(parseDns(okLong, 0, okLong.length, m), 0);
  assert.equal(m.qNameLen[0], 255);
});

test('truncation anywhere never throws and keeps what was decoded', () => {
  const b = bigResponse();
  const m = new DnsMessage();
  for (let n = 0; n < b.length; n++) {
    const st = parseDns(b, 0, n, m);
    assert.notEqual(st, 0, `len ${n}`);
    if (n < 12) assert.equal(st, AEV['dns.truncated']);
    for (let i = 0; i < m.nrr; i++) assert.ok(m.rrDataOff[i] + m.rrDataLen[i] <= n);
  }
  // at an offset inside a larger buffer
  const big = Buffer.concat([Buffer.alloc(5, 0xff), b, Buffer.alloc(3, 0xff)]);
  assert.equal(parseDns(big, 5, b.length, m), 0);
  assert.equal(m.rdataStr(1), '93.184.216.34');
});

test('bad rdata lengths are events on the record, parsing continues', () => {
  const b = msg(7, 0x8180, [q('a.b', 1)], [rr(PTR12, 1, [1, 2, 3]), rr(PTR12, 1, [1, 2, 3, 4])]);
  const m = new DnsMessage();
  assert.equal(parseDns(b, 0, b.length, m), 0);
  assert.ok(m.hasEvent(AEV['dns.rdata_invalid']));
  assert.equal(m.nrr, 2);
  assert.equal(m.rdataStr(1), '1.2.3.4');
});

test('type and rcode names as Suricata and Zeek write them', () => {
  assert.equal(qtypeName(1), 'A'); assert.equal(qtypeName(65), 'HTTPS'); assert.equal(qtypeName(65534), 'TYPE65534');
  assert.equal(suricataRrtype(65534), '65534'); assert.equal(zeekQtypeName(65534), 'query-65534');
  assert.equal(zeekQtypeName(255), '*'); assert.equal(suricataRrtype(255), 'ANY');
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9, 15].map(rcodeName), ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'NOTAUTH', 'RCODE15']);
});

test('TCP framing: messages split across segments and several in one segment, split at every boundary', () => {
  const msgs = [bigResponse(), msg(2, 0x0100, [q('x.y', 28)]), msg(3, 0x8183, [q('nx.example', 1)])];
  const stream = Buffer.concat(msgs.map((b) => Buffer.concat([Buffer.from(u16(b.length)), b])));
  const m = new DnsMessage();
  const collect = (pieces: Buffer[]) => {
    const f = new DnsTcpFramer();
    const out: string[] = [];
    for (const p of pieces) {
      f.push(p, 0, p.length);
      while (f.next()) {
        const st = parseDns(f.msgBuf, f.msgOff, f.msgLen, m);
        out.push(`${st}:${m.id}:${m.qname(0)}:${rcodeName(m.rcode)}:${m.nrr}`);
      }
    }
    return { out, pending: f.pending };
  };
  const ref = collect([stream]);
  assert.deepEqual(ref.out, ['0:4660:www.Example.com:NOERROR:11', '0:2:x.y:NOERROR:0', '0:3:nx.example:NXDOMAIN:0']);
  assert.equal(ref.pending, 0);
  for (let k = 1; k < stream.length; k++) {
    assert.deepEqual(collect([stream.subarray(0, k), stream.subarray(k)]).out, ref.out, `cut at ${k}`);
  }
  assert.deepEqual(collect(Array.from(stream, (_, i) => stream.subarray(i, i + 1))).out, ref.out);
  // a bad length prefix loses framing for the rest of the direction
  const f = new DnsTcpFramer();
  const badp = Buffer.from([0, 3, 1, 2, 3, ...stream]);
  f.push(badp, 0, badp.length);
  assert.equal(f.next(), false);
  assert.equal(f.lost, true);
  assert.equal(f.badLengths, 1);
});

test('question and record limits are enforced with events', () => {
  const qs = Array.from({ length: 20 }, (_, i) => q(`n${i}.example`, 1));
  const b = msg(9, 0, qs);
  const m = new DnsMessage();
  assert.equal(parseDns(b, 0, b.length, m), 0);
  assert.equal(m.nq, 16);
  assert.ok(m.hasEvent(AEV['dns.too_many_records']));
});

test('EVE form of records follows Suricata: uncompressed AAAA, one entry per TXT string, soa/srv objects, authorities', () => {
  const m = new DnsMessage();
  const b = bigResponse();
  parseDns(b, 0, b.length, m);
  const j = dnsRecordJson(m);
  const byType = (t: string) => j.answer_rrs.filter((r) => r.rrtype === t);
  assert.equal(byType('AAAA')[0].rdata, '2001:0db8:0000:0000:0000:0000:0000:0001');
  assert.deepEqual(byType('TXT').map((r) => r.rdata), ['hello', 'a b']);
  assert.deepEqual(byType('SRV')[0].srv, { priority: 1, weight: 2, port: 5060, name: 'sip.Example.com' });
  assert.equal(byType('MX')[0].rdata, 'mail.Example.com');
  assert.equal(byType('SPF')[0].rdata, '010203');
  assert.deepEqual(j.authority_rrs.map((r) => [r.rrtype, r.rrname, r.rdata]), [['NS', 'Example.com', 'ns.Example.com'], ['SOA', 'Example.com', 'm.example.com']]);
  assert.deepEqual(j.authority_rrs[1].soa, { mname: 'm.example.com', rname: 'r.example.com', serial: 2024, refresh: 1, retry: 2, expire: 3, minimum: 4 });
  assert.equal(j.answers[2], '2001:db8::1', 'flows summaries keep RFC 5952');
});
