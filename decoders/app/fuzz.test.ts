/**
 * Property tests (fast-check) of the app parsers: they never throw on any input, every view they
 * expose stays inside its buffer, bounded buffers stay bounded, and streaming results do not
 * depend on how the bytes are cut. 60,000+ generated cases in total (counts in NUM_* below).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HttpParser, HttpTx, HttpMsg, httpTxRecord, HTTP_TX_DONE } from './http';
import { DnsMessage, parseDns, DnsTcpFramer, dnsRecordJson } from './dns';
import { detectApp } from './detect';

const NUM_HTTP_RANDOM = 15000;
const NUM_HTTP_MUTATED = 10000;
const NUM_HTTP_SPLIT = 8000;
const NUM_DNS_RANDOM = 12000;
const NUM_DNS_MUTATED = 12000;
const NUM_DNS_TCP = 4000;
const SEED = 20261121;

const LIMITS = { maxLineBytes: 200, maxHeaders: 6, maxHeaderBytes: 600, maxRequestBody: 300, maxResponseBody: 300, maxOpenTx: 4 };

function within(b: Uint8Array, used: number, off: number, len: number, what: string): void {
  if (len < 0) return;
  assert.ok(off >= 0 && off + len <= used && used <= b.length, `${what}: ${off}+${len} > ${used}/${b.length}`);
}
function checkMsg(m: HttpMsg, lim: number, what: string): void {
  within(m.buf, m.used, m.lineOff, m.lineLen, what + '.line');
  within(m.buf, m.used, m.f0Off, m.f0Len, what + '.f0');
  within(m.buf, m.used, m.f1Off, m.f1Len, what + '.f1');
  within(m.buf, m.used, m.f2Off, m.f2Len, what + '.f2');
  for (let i = 0; i < m.hdrCount; i++) {
    within(m.buf, m.used, m.hdr[i * 4], m.hdr[i * 4 + 1], what + '.name');
    within(m.buf, m.used, m.hdr[i * 4 + 2], m.hdr[i * 4 + 3], what + '.val');
  }
  // a decoded body (content coding undone, rawLen >= 0) may be longer than the bytes received
  assert.ok(m.bodyLen <= lim && m.bodyLen <= m.body.length && (m.rawLen >= 0 || m.bodyLen <= m.bodyTotal), what + '.body');
  if (m.rawLen >= 0) assert.ok(m.rawLen <= lim && m.rawLen <= m.raw.length && m.rawLen <= m.bodyTotal, what + '.raw');
  assert.ok(m.used <= LIMITS.maxHeaderBytes + 3 * LIMITS.maxLineBytes + 8, `${what}.used ${m.used}`);
}
function checkTx(tx: HttpTx): void {
  const q = tx.req, r = tx.res;
  for (const [o, l, n] of [[tx.methodOff, tx.methodLen, 'method'], [tx.uriOff, tx.uriLen, 'uri'], [tx.uriNormOff, tx.uriNormLen, 'uriNorm'],
    [tx.protoOff, tx.protoLen, 'proto'], [tx.hostOff, tx.hostLen, 'host'], [tx.uaOff, tx.uaLen, 'ua']] as [number, number, string][]) within(q.buf, q.used, o, l, n);
  for (const [o, l, n] of [[tx.statusOff, tx.statusLen, 'status'], [tx.serverOff, tx.serverLen, 'server'], [tx.ctypeOff, tx.ctypeLen, 'ctype']] as [number, number, string][]) within(r.buf, r.used, o, l, n);
  checkMsg(q, LIMITS.maxRequestBody, 'req');
  checkMsg(r, LIMITS.maxResponseBody, 'res');
  httpTxRecord(tx);
}

type Op = { kind: 0 | 1 | 2 | 3; dir: 0 | 1; data: Uint8Array; n: number };

function runOps(ops: Op[]): string[] {
  const p = new HttpParser(LIMITS);
  const out: string[] = [];
  p.onTx = (tx, what) => { checkTx(tx); if (what === HTTP_TX_DONE) out.push(JSON.stringify(httpTxRecord(tx))); };
  for (const o of ops) {
    if (o.kind <= 1) p.feed(o.dir, o.data, 0, o.data.length, 1);
    else if (o.kind === 2) p.gap(o.dir, o.n);
    else p.end(o.dir);
    for (const tx of p.openTx) checkTx(tx);
  }
  p.finish();
  assert.equal(p.openTx.length, 0);
  return out;
}

const HTTP_TOKENS = ['GET ', 'POST ', 'HEAD ', 'CONNECT ', 'HTTP/1.1 ', 'HTTP/1.0 ', '200 ', '100 ', '204 ', '304 ', '101 ', ' OK', '/a/../b%2f', '?x=1',
  '\r\n', '\n', '\r\n\r\n', 'Host: h', 'Content-Length: ', 'Transfer-Encoding: chunked', 'Connection: close', '0', '5', 'ff', ';ext',
  'abcde', ' ', '\t', ':', 'X-Y: z', 'Expect: 100-continue', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc',
  'GET / HTTP/1.1\r\nHost: h\r\n\r\n', 'http://User@H.example:80/p'];
const tokenStream = fc.array(fc.constantFrom(...HTTP_TOKENS), { maxLength: 40 }).map((a) => Buffer.from(a.join(''), 'latin1'));
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom(0, 0, 1, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
  dir: fc.constantFrom(0, 1) as fc.Arbitrary<0 | 1>,
  data: fc.oneof(fc.uint8Array({ maxLength: 120 }), tokenStream),
  n: fc.integer({ min: 1, max: 500 }),
});

test('HTTP: random and token-soup operation sequences never throw, views in bounds', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => { runOps(ops); }), { numRuns: NUM_HTTP_RANDOM, seed: SEED });
});

// valid conversations: requests and matching responses
const reqArb = fc.record({
  method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'),
  path: fc.stringMatching(/^\/[a-z0-9%./]{0,12}$/),
  body: fc.string({ maxLength: 40 }),
  chunked: fc.boolean(),
  extraHeaders: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,8}$/), fc.stringMatching(/^[ -~]{0,20}$/)), { maxLength: 8 }),
});
const resArb = fc.record({
  status: fc.constantFrom(200, 204, 304, 404, 500),
  interim: fc.boolean(),
  body: fc.string({ maxLength: 60 }),
  chunked: fc.boolean(),
});
function chunk(body: string): string {
  let s = '', i = 0;
  while (i < body.length) { const n = Math.min(7, body.length - i); s += n.toString(16) + (i % 2 ? ';e=1' : '') + '\r\n' + body.slice(i, i + n) + '\r\n'; i += n; }
  return s + '0\r\n\r\n';
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function conv(reqs: any[], ress: any[]): [string, string] {
  let q = '', r = '';
  reqs.forEach((x, i) => {
    const hasBody = x.method === 'POST' || x.method === 'PUT';
    q += `${x.method} ${x.path} HTTP/1.1\r\nHost: h${i}\r\n` + x.extraHeaders.map(([k, v]: [string, string]) => `X-${k}: ${v}\r\n`).join('');
    if (hasBody) q += x.chunked ? `Transfer-Encoding: chunked\r\n\r\n${chunk(x.body)}` : `Content-Length: ${Buffer.byteLength(x.body, 'latin1')}\r\n\r\n${x.body}`;
    else q += '\r\n';
    const y = ress[i % ress.length];
    if (y.interim) r += 'HTTP/1.1 100 Continue\r\n\r\n';
    const noBody = x.method === 'HEAD' || y.status === 204 || y.status === 304;
    r += `HTTP/1.1 ${y.status} X\r\n`;
    if (noBody) r += `Content-Length: ${y.body.length}\r\n\r\n`;
    else r += y.chunked ? `Transfer-Encoding: chunked\r\n\r\n${chunk(y.body)}` : `Content-Length: ${Buffer.byteLength(y.body, 'latin1')}\r\n\r\n${y.body}`;
  });
  return [q, r];
}

test('HTTP: valid pipelined conversations give the same transactions however they are cut', () => {
  fc.assert(fc.property(fc.array(reqArb, { minLength: 1, maxLength: 4 }), fc.array(resArb, { minLength: 1, maxLength: 4 }),
    fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 20 }), (reqs, ress, cuts) => {
      const [q, r] = conv(reqs, ress);
      const qb = Buffer.from(q, 'latin1'), rb = Buffer.from(r, 'latin1');
      const whole = runOps([{ kind: 0, dir: 0, data: qb, n: 0 }, { kind: 0, dir: 1, data: rb, n: 0 }]);
      assert.equal(whole.length, reqs.length);
      // cut both directions into pieces and interleave: all request bytes first keeps pairing order
      const pieces = (b: Buffer, dir: 0 | 1): Op[] => {
        const out: Op[] = []; let i = 0, k = 0;
        while (i < b.length) { const n = cuts[k++ % cuts.length]; out.push({ kind: 0, dir, data: b.subarray(i, i + n), n: 0 }); i += n; }
        return out;
      };
      assert.deepEqual(runOps([...pieces(qb, 0), ...pieces(rb, 1)]), whole);
      for (const t of whole) {
        const o = JSON.parse(t);
        assert.ok(o.method && o.status !== undefined, t);
      }
    }), { numRuns: NUM_HTTP_SPLIT, seed: SEED });
});

test('HTTP: mutated valid conversations never throw', () => {
  fc.assert(fc.property(fc.array(reqArb, { minLength: 1, maxLength: 3 }), fc.array(resArb, { minLength: 1, maxLength: 3 }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 1, 2)), { maxLength: 6 }), fc.integer({ min: 1, max: 40 }),
    (reqs, ress, muts, cut) => {
      const [q, r] = conv(reqs, ress);
      const bs = [Buffer.from(q, 'latin1'), Buffer.from(r, 'latin1')].map((b) => Array.from(b));
      for (const [pos, v, how] of muts) {
        const a = bs[pos % 2];
        if (!a.length) continue;
        const i = pos % a.length;
        if (how === 0) a[i] = v; else if (how === 1) a.splice(i, 0, v); else a.splice(i, 1);
      }
      const ops: Op[] = [];
      for (const d of [0, 1] as const) {
        const b = Uint8Array.from(bs[d]);
        for (let i = 0; i < b.length; i += cut) ops.push({ kind: 0, dir: d, data: b.subarray(i, i + cut), n: 0 });
      }
      runOps(ops);
      detectApp(6, true, Uint8Array.from(bs[0]), 0, bs[0].length);
      detectApp(6, false, Uint8Array.from(bs[1]), 0, bs[1].length);
    }), { numRuns: NUM_HTTP_MUTATED, seed: SEED });
});

// ---- DNS
function checkDns(m: DnsMessage, end: number): void {
  assert.ok(m.nq <= m.qNameOff.length && m.nrr <= m.rrType.length);
  for (let i = 0; i < m.nq; i++) assert.ok(m.qNameOff[i] + m.qNameLen[i] <= m.namesUsed && m.qNameLen[i] <= 255);
  for (let i = 0; i < m.nrr; i++) {
    assert.ok(m.rrNameOff[i] + m.rrNameLen[i] <= m.namesUsed);
    assert.ok(m.rrDataOff[i] + m.rrDataLen[i] <= end, 'rdata within the message');
    if (m.rrT1Len[i] !== 0xffff) assert.ok(m.rrT1Off[i] + m.rrT1Len[i] <= m.namesUsed);
    if (m.rrT2Len[i] !== 0xffff) assert.ok(m.rrT2Off[i] + m.rrT2Len[i] <= m.namesUsed);
    m.rdataStr(i); m.rrname(i);
  }
  assert.ok(m.namesUsed <= m.names.length);
  dnsRecordJson(m);
}

// a few valid DNS messages as mutation seeds
const SEEDS = [
  'abcd0100000100000000000103777777076578616d706c6503636f6d00000100010000291000000000000000',
  '12348180000100030001000003777777076578616d706c6503636f6d0000010001c00c000500010000012c000603776562c010c02b000100010000012c00045db8d822c00c000f00010000012c00090005046d61696cc010c010000600010000012c0032016d076578616d706c6503636f6d000172076578616d706c6503636f6d000000000100000002000000030000000400000005',
  '000781800001000200000000045f736970045f7463700178036f72670000210001c00c002100010000012c00110001000213c4037369700178036f726700c00c001000010000012c00090568656c6c6f026162',
].map((h) => Buffer.from(h, 'hex'));

test('DNS: random datagrams never throw, every offset stays in bounds', () => {
  const m = new DnsMessage();
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 8 }), (b, pre) => {
    const buf = new Uint8Array(pre + b.length + 3);
    buf.set(b, pre);
    parseDns(buf, pre, b.length, m);
    checkDns(m, pre + b.length);
    detectApp(17, true, buf, pre, b.length, 1000, 53);
  }), { numRuns: NUM_DNS_RANDOM, seed: SEED });
});

test('DNS: mutated valid messages never throw, offsets in bounds', () => {
  const m = new DnsMessage();
  for (const sd of SEEDS) assert.equal(parseDns(sd, 0, sd.length, m), 0, 'seeds are valid messages');
  fc.assert(fc.property(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    fc.integer({ min: 0, max: 200 }), (seed, muts, trunc) => {
      const b = Buffer.from(seed);
      for (const [pos, v] of muts) b[pos % b.length] = v;
      const len = Math.max(0, b.length - (trunc % 8 === 0 ? trunc % b.length : 0));
      parseDns(b, 0, len, m);
      checkDns(m, len);
    }), { numRuns: NUM_DNS_MUTATED, seed: SEED });
});

test('DNS over TCP: framing of random and valid streams under random cuts', () => {
  const m = new DnsMessage();
  fc.assert(fc.property(fc.array(fc.oneof(fc.constantFrom(...SEEDS), fc.uint8Array({ minLength: 0, maxLength: 40 }).map((u) => Buffer.from(u))), { maxLength: 6 }),
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), fc.boolean(), (msgs, cuts, prefixed) => {
      const stream = Buffer.concat(msgs.map((x) => (prefixed ? Buffer.concat([Buffer.from([x.length >> 8, x.length & 255]), x]) : x)));
      const f = new DnsTcpFramer();
      let i = 0, k = 0, n = 0;
      const got: number[] = [];
      while (i < stream.length) {
        const c = cuts[k++ % cuts.length];
        f.push(stream, i, Math.min(c, stream.length - i));
        while (f.next()) {
          assert.ok(f.msgOff + f.msgLen <= f.msgBuf.length && f.msgLen >= 12);
          parseDns(f.msgBuf, f.msgOff, f.msgLen, m);
          checkDns(m, f.msgOff + f.msgLen);
          got.push(f.msgLen);
          n++;
        }
        i += c;
      }
      if (prefixed && msgs.every((x) => x.length >= 12)) assert.deepEqual(got, msgs.map((x) => x.length));
      detectApp(6, true, stream, 0, stream.length);
      void n;
    }), { numRuns: NUM_DNS_TCP, seed: SEED });
});
