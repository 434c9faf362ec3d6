/**
 * HttpParser.reset(): one parser reused for flow after flow (what src/engine/app.ts's parser pool
 * does) reports exactly what a fresh parser reports for each flow: the same transactions, field
 * values, bodies, flags, events, callback sequence and per-parser counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpParser, HttpTx, httpTxRecord, HTTP_TX_DONE, HTTP_RESET_KEEP_BYTES, HTTP_RESET_KEEP_TX, HttpLimits } from './http';
import { APP_EVENT_NAMES } from './events';

type Seg = [0 | 1, string];

/** Flows in the styles the parser distinguishes; each one leaves different state behind. */
const FLOWS: Seg[][] = [
  [[0, 'GET /a?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\nUser-Agent: curl/8.0\r\n\r\n'],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: t\r\n\r\nhello']],
  // pipelined, chunked response split mid chunk-size line, then a response to HEAD
  [[0, 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: h\r\n\r\n'],
    [1, 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n'], [1, '0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n']],
  // request body + 100-continue, then a flow cut in the middle of the headers (incomplete)
  [[0, 'POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n'],
    [1, 'HTTP/1.1 100 Continue\r\n\r\n'], [0, 'abc'], [1, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'],
    [0, 'GET /half HTTP/1.1\r\nHost: h\r\nX-Long: ']],
  // response without a request, close-delimited body
  [[1, 'HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnot here']],
  // more requests than maxOpenTx (the discard tx), never answered
  [[0, Array.from({ length: 6 }, (_, i) => `GET /p${i} HTTP/1.1\r\nHost: h\r\n\r\n`).join('')]],
  // headers and body larger than HTTP_RESET_KEEP_BYTES (buffers dropped on reset, regrown)
  [[0, `POST /big HTTP/1.1\r\nHost: h\r\nX-Pad: ${'p'.repeat(HTTP_RESET_KEEP_BYTES + 100)}\r\nContent-Length: ${HTTP_RESET_KEEP_BYTES * 2}\r\n\r\n${'b'.repeat(HTTP_RESET_KEEP_BYTES * 2)}`],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']],
  // CONNECT tunnel
  [[0, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'], [1, 'HTTP/1.1 200 Connection established\r\n\r\n'],
    [0, '\x16\x03\x01 tls bytes'], [1, '\x16\x03\x03 more']],
];

const LIMITS: Partial<HttpLimits> = { maxOpenTx: 4, maxRequestBody: 1 << 16 };

interface Out { recs: unknown[]; cbs: string[]; counts: number[]; started: number; done: number; tunnel: number[] }

function drive(p: HttpParser, segs: Seg[]): Out {
  const out: Out = { recs: [], cbs: [], counts: [], started: 0, done: 0, tunnel: [] };
  p.onTx = (tx: HttpTx, what: number) => {
    out.cbs.push(`${tx.index}:${what}`);
    if (what === HTTP_TX_DONE) {
      const r = httpTxRecord(tx, APP_EVENT_NAMES) as unknown as Record<string, unknown>;
      r.req_body = Buffer.from(tx.req.body.subarray(0, tx.req.bodyLen)).toString('latin1');
      r.res_body = Buffer.from(tx.res.body.subarray(0, tx.res.bodyLen)).toString('latin1');
      r.flags = tx.flags; r.ts = tx.req.tsNs; r.hdrs = tx.req.hdrCount + tx.res.hdrCount;
      out.recs.push(r);
    }
  };
  segs.forEach(([dir, s], i) => { const b = Buffer.from(s, 'latin1'); p.feed(dir, b, 0, b.length, 1000 + i); });
  p.finish();
  out.counts = Array.from(p.eventCounts); out.started = p.txStarted; out.done = p.txDone; out.tunnel = [...p.tunnelBytes];
  return out;
}

test('a reset parser reports every flow exactly as a fresh parser does', () => {
  const reused = new HttpParser(LIMITS);
  // every order of the flows once forwards, once backwards: each flow follows different leftovers
  for (const order of [FLOWS, [...FLOWS].reverse()]) {
    for (const segs of order) {
      const fresh = drive(new HttpParser(LIMITS), segs);
      reused.reset();
      const again = drive(reused, segs);
      assert.deepEqual(again, fresh);
      assert.ok(fresh.recs.length > 0 || fresh.counts.some((c) => c > 0), 'each flow reports something');
    }
  }
});

test('reset between flows: no new transaction objects once the parser has served each kind of flow', () => {
  const p = new HttpParser(LIMITS);
  const seen = new Set<HttpTx>();
  // every flow except the one that opens more than HTTP_RESET_KEEP_TX transactions at once
  const flows = FLOWS.filter((f) => !f.some(([, s]) => s.includes('/p5 ')));
  assert.equal(flows.length, FLOWS.length - 1);
  let afterFirst = 0;
  for (let round = 0; round < 50; round++) {
    for (const segs of flows) {
      p.reset();
      p.onTx = (tx) => { seen.add(tx); };
      for (const [dir, s] of segs) { const b = Buffer.from(s, 'latin1'); p.feed(dir, b, 0, b.length, 0); }
      p.finish();
    }
    if (round === 0) afterFirst = seen.size;
  }
  assert.ok(afterFirst >= 2, `tx objects after one round: ${afterFirst}`);
  assert.ok(afterFirst <= HTTP_RESET_KEEP_TX, `tx objects after one round: ${afterFirst}`);
  assert.equal(seen.size, afterFirst, 'no tx object allocated after the first round');
});
