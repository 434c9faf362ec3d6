/**
 * Lazily created transaction state (decoders/app/http.ts, docs/performance.md "Flows"): a
 * transaction's response message exists only once a response byte arrived (or someone reads
 * tx.res), message buffers start empty and grow from HTTP_MSG_BUF_MIN / HTTP_MSG_HDR_MIN, the
 * event list from nothing. What callers see must not depend on it: a response that never came
 * reads as done and never started, with the same record as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpParser, HttpTx, httpTxRecord, httpTxEve, HTTP_TX_DONE, HTTP_REQUEST_HEADERS, HTTP_MSG_BUF_MIN, HTTP_MSG_HDR_MIN,
  TXF_NO_RESPONSE, HTTP_TX_MAX_EVENTS,
} from './http';
import { APP_EVENT_NAMES } from './events';

const b = (s: string) => Buffer.from(s, 'latin1');

test('a request never answered: no response message until read; it then reads as done, never started', () => {
  const p = new HttpParser();
  let seenAtHeaders: HttpTx | null = null, resAtHeaders: unknown = 'unset', done: HttpTx | null = null;
  p.onTx = (tx, w) => {
    if (w === HTTP_REQUEST_HEADERS) { seenAtHeaders = tx; resAtHeaders = tx.resMsg; }
    if (w === HTTP_TX_DONE) {
      done = tx;
      assert.equal(tx.resMsg, null, 'finish() closes a missing response without creating it');
      assert.ok(tx.flags & TXF_NO_RESPONSE);
      assert.equal(tx.responseDone, true);
      const rec = httpTxRecord(tx, APP_EVENT_NAMES);
      assert.deepEqual(Object.keys(rec), ['request_body_len', 'response_body_len', 'method', 'uri', 'uri_normalized', 'host', 'user_agent', 'protocol']);
      assert.equal(tx.resMsg, null, 'the record reads an empty response in place');
      assert.deepEqual(httpTxEve(tx), { hostname: 'h.example', url: '/x', http_user_agent: 'ua/1', http_method: 'GET', protocol: 'HTTP/1.1', length: 0 });
      // reading tx.res creates it in the state the parser left: done, never started, empty
      const r = tx.res;
      assert.equal(tx.resMsg, r);
      assert.equal(r.done, true); assert.equal(r.started, false); assert.equal(r.headersDone, false);
      assert.equal(r.hdrCount, 0); assert.equal(r.buf.length, 0); assert.equal(r.bodyTotal, 0);
    }
  };
  p.feed(0, b('GET /x HTTP/1.1\r\nHost: H.example\r\nUser-Agent: ua/1\r\n\r\n'), 0, 55, 1000);
  assert.ok(seenAtHeaders);
  assert.equal(resAtHeaders, null, 'no response message while only the request was seen');
  p.finish();
  assert.ok(done);
});

test('the response message is created on its first byte and pairs as before (pipelining)', () => {
  const p = new HttpParser();
  const recs: unknown[] = [];
  p.onTx = (tx, w) => { if (w === HTTP_TX_DONE) recs.push({ ...httpTxRecord(tx), flags: tx.flags }); };
  const req = 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n';
  p.feed(0, b(req), 0, req.length, 1);
  assert.deepEqual(p.openTx.map((t) => t.resMsg), [null, null]);
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  p.feed(1, b(res), 0, 10, 2);
  assert.notEqual(p.openTx[0].resMsg, null);
  assert.equal(p.openTx[1].resMsg, null, 'the second request still has no response message');
  p.feed(1, b(res), 10, res.length - 10, 3);
  p.finish();
  assert.deepEqual(recs, [
    { request_body_len: 0, response_body_len: 2, method: 'GET', uri: '/1', uri_normalized: '/1', host: 'h', protocol: 'HTTP/1.1', status: 200, status_msg: 'OK', response_content_length: 2, flags: 0 },
    { request_body_len: 0, response_body_len: 0, method: 'GET', uri: '/2', uri_normalized: '/2', host: 'h', protocol: 'HTTP/1.1', flags: TXF_NO_RESPONSE },
  ]);
});

test('a response without a request protocol keeps the protocol key where the request put it', () => {
  const p = new HttpParser();
  let rec: Record<string, unknown> | null = null;
  p.onTx = (tx, w) => { if (w === HTTP_TX_DONE) rec = httpTxRecord(tx) as unknown as Record<string, unknown>; };
  // HTTP/0.9-style request line (no protocol) answered by a status line
  const q = 'GET /old\r\n';
  p.feed(0, b(q), 0, q.length, 1);
  const r = 'HTTP/1.0 200 OK\r\nServer: s\r\n\r\nbody';
  p.feed(1, b(r), 0, r.length, 2);
  p.finish();
  const got = rec as Record<string, unknown> | null;
  assert.ok(got);
  assert.deepEqual(Object.keys(got), ['request_body_len', 'response_body_len', 'method', 'uri', 'uri_normalized', 'protocol', 'status', 'status_msg', 'server']);
  assert.equal(got.protocol, 'HTTP/1.0');
});

test('message buffers start empty, grow from 64 bytes, and hold long header blocks intact', () => {
  const p = new HttpParser();
  const sizes: number[] = [];
  let used = 0;
  const vals: (string | undefined)[] = [];
  p.onTx = (tx, w) => {
    if (w !== HTTP_TX_DONE) return;
    sizes.push(tx.req.buf.length, tx.req.hdr.length, tx.res.buf.length, tx.res.hdr.length, tx.events.length);
    used = tx.req.used;
    vals.length = 0;
    for (let i = 0; i < 40; i++) vals.push(tx.req.headerStr(`x-h${i}`));
  };
  const fresh = new HttpTx();
  assert.deepEqual([fresh.req.buf.length, fresh.req.hdr.length, fresh.events.length, fresh.resMsg], [0, 0, 0, null]);
  // a tiny exchange: both messages fit the first allocation, no header array at all
  const q1 = 'GET / HTTP/1.0\r\n\r\n', r1 = 'HTTP/1.0 204 No\r\n\r\n';
  p.feed(0, b(q1), 0, q1.length, 1); p.feed(1, b(r1), 0, r1.length, 2);
  assert.deepEqual(sizes.splice(0), [HTTP_MSG_BUF_MIN, 0, HTTP_MSG_BUF_MIN, 0, 0]);
  // 41 headers, ~2 KB, fed in 100-byte pieces: grown by doubling, every value intact
  const want = Array.from({ length: 40 }, (_, i) => String(i).repeat(40));
  const q2 = `GET /long HTTP/1.1\r\nHost: h\r\n${want.map((v, i) => `X-H${i}: ${v}\r\n`).join('')}\r\n`;
  for (let o = 0; o < q2.length; o += 100) p.feed(0, b(q2), o, Math.min(100, q2.length - o), 3);
  const r2 = 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n';
  p.feed(1, b(r2), 0, r2.length, 4);
  const [qb, qh] = sizes.splice(0, 2);
  assert.ok(qb >= used && used > 1900 && (qb & (qb - 1)) === 0, `request buffer ${qb}: a power of two >= ${used} kept bytes`);
  let h = HTTP_MSG_HDR_MIN; while (h < 41 * 4) h *= 2;
  assert.equal(qh, h, '41 headers: the index doubled from HTTP_MSG_HDR_MIN entries (4 per header)');
  assert.deepEqual(vals, want);
});

test('the event list is allocated on the first event, at most HTTP_TX_MAX_EVENTS', () => {
  const p = new HttpParser();
  let evLen = -1, names: string[] = [];
  p.onTx = (tx, w) => {
    if (w === HTTP_TX_DONE) { evLen = tx.events.length; names = Array.from(tx.events.subarray(0, tx.nev), (e) => APP_EVENT_NAMES[e]); }
  };
  const q = 'GET /a%zz HTTP/1.1\r\n\r\n';   // bad %-encoding, no Host on HTTP/1.1
  p.feed(0, b(q), 0, q.length, 1);
  p.finish();
  assert.equal(evLen, HTTP_TX_MAX_EVENTS);
  assert.ok(names.includes('http.host_missing') && names.includes('http.uri_invalid_encoding'), names.join(','));
});
