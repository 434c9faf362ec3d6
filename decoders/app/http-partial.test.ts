/**
 * HTTP_REQUEST_PARTIAL: a request whose header section has not ended at the end of a feed is
 * delivered with what is known, so detection can inspect it even if the section never ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpParser, HttpTx, httpTxRecord, HTTP_REQUEST_PARTIAL, HTTP_REQUEST_HEADERS, HTTP_TX_DONE,
  TXF_REQ_HEADERS_PARTIAL, TXF_INCOMPLETE_REQ,
} from './http';
import { APP_EVENT_NAMES, AEV } from './events';

const B = (s: string) => Buffer.from(s, 'latin1');
const str = (b: Uint8Array, o: number, l: number) => (l < 0 ? undefined : Buffer.from(b.subarray(o, o + l)).toString('latin1'));
interface Cb { what: number; method?: string; uri?: string; ua?: string; host?: string; flags: number; hdrs: number; events: string[] }

function snap(tx: HttpTx, what: number): Cb {
  const q = tx.req.buf;
  return {
    what, method: str(q, tx.methodOff, tx.methodLen), uri: str(q, tx.uriNormOff, tx.uriNormLen), ua: str(q, tx.uaOff, tx.uaLen),
    host: str(q, tx.hostOff, tx.hostLen), flags: tx.flags, hdrs: tx.req.hdrCount,
    events: Array.from(tx.events.subarray(0, tx.nev), (e) => APP_EVENT_NAMES[e]),
  };
}

test('headers that never end: partial delivery at the feed, then flagged incomplete at flow end', () => {
  const p = new HttpParser();
  const cbs: Cb[] = [];
  p.onTx = (tx, w) => { if (w === HTTP_REQUEST_PARTIAL || w === HTTP_REQUEST_HEADERS) cbs.push(snap(tx, w)); };
  const d = B('POST /normalized%20uri HTTP/1.0\r\nUser-Agent: Mozilla/1.0\r\n');
  p.feed(0, d, 0, d.length, 0);
  assert.equal(cbs.length, 1);
  assert.deepEqual({ ...cbs[0], events: undefined }, {
    what: HTTP_REQUEST_PARTIAL, method: 'POST', uri: '/normalized uri', ua: 'Mozilla/1.0', host: undefined,
    flags: TXF_REQ_HEADERS_PARTIAL, hdrs: 1, events: undefined,
  });
  // a feed that adds no header line delivers nothing new
  const part = B('X-Incomplete: ab');
  p.feed(0, part, 0, part.length, 0);
  assert.equal(cbs.length, 1);
  p.finish();
  assert.equal(cbs.length, 2);
  const last = cbs[1];
  assert.equal(last.what, HTTP_REQUEST_HEADERS);
  assert.equal(last.method, 'POST');
  assert.equal(last.uri, '/normalized uri');
  assert.ok(last.flags & TXF_REQ_HEADERS_PARTIAL);
  assert.ok(last.flags & TXF_INCOMPLETE_REQ);
  assert.ok(last.events.includes('http.request_headers_incomplete'));
});

test('headers completed by a later feed: partial first, then the same record as one whole feed', () => {
  const req = 'GET /a HTTP/1.1\r\nUser-Agent: u\r\nX-One: 1\r\nHost: Example.COM\r\n\r\n';
  const res = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const recOf = (cuts: number[]) => {
    const p = new HttpParser();
    const partial: Cb[] = [];
    let rec: unknown = null;
    p.onTx = (tx, w) => {
      if (w === HTTP_REQUEST_PARTIAL) partial.push(snap(tx, w));
      if (w === HTTP_TX_DONE) rec = { ...httpTxRecord(tx, APP_EVENT_NAMES), flags: tx.flags };
    };
    const q = B(req);
    let o = 0;
    for (const c of [...cuts, q.length]) { p.feed(0, q, o, c - o, 0); o = c; }
    const r = B(res);
    p.feed(1, r, 0, r.length, 0);
    p.finish();
    return { partial, rec };
  };
  const whole = recOf([]);
  assert.equal(whole.partial.length, 0);
  // cut inside the Host header line: the partial delivery has no host and raises no host_missing
  const cut = req.indexOf('Host: Exa');
  const split = recOf([req.indexOf('X-One'), cut + 5]);
  assert.equal(split.partial.length, 2);
  assert.deepEqual(split.partial.map((c) => c.hdrs), [1, 2]);
  assert.equal(split.partial[1].host, undefined);
  assert.ok(!split.partial[1].events.includes('http.host_missing'));
  assert.deepEqual(split.rec, whole.rec);
  assert.equal((whole.rec as { host: string }).host, 'example.com');
  assert.equal(AEV['http.host_missing'] > 0, true);
});
