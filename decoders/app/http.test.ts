import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpParser, HttpTx, httpTxRecord, HTTP_TX_DONE, HTTP_REQUEST_HEADERS, HTTP_RESPONSE_HEADERS, HTTP_REQUEST_DONE,
  HTTP_RESPONSE_DONE, TXF_TUNNEL, TXF_NO_REQUEST, TXF_GAP_RES, TXF_INCOMPLETE_REQ, HttpLimits, httpTxEve,
  HTTP_REQUEST_PARTIAL, HTTP_REQUEST_BODY_DATA, HTTP_RESPONSE_BODY_DATA,
} from './http';
import { APP_EVENT_NAMES, AEV } from './events';
import { normalizeUri, normalizeHost } from './uri';

type Seg = [0 | 1, string];
const B = (s: string) => Buffer.from(s, 'latin1');

interface Run { recs: Record<string, unknown>[]; cbs: string[]; parser: HttpParser }

/** Feed segments; `split(dirIdx, data)` returns the pieces a segment is fed in. */
function run(segs: Seg[], split: (i: number, d: Buffer) => Buffer[], limits?: Partial<HttpLimits>, ends = true): Run {
  const p = new HttpParser(limits);
  const recs: Record<string, unknown>[] = [];
  const cbs: string[] = [];
  p.onTx = (tx: HttpTx, what: number) => {
    // these depend on the cut points by design
    if (what === HTTP_REQUEST_PARTIAL || what === HTTP_REQUEST_BODY_DATA || what === HTTP_RESPONSE_BODY_DATA) return;
    cbs.push(`${tx.index}:${what}`);
    if (what === HTTP_TX_DONE) {
      const r = httpTxRecord(tx, APP_EVENT_NAMES) as unknown as Record<string, unknown>;
      r.req_body = Buffer.from(tx.req.body.subarray(0, tx.req.bodyLen)).toString('latin1');
      r.res_body = Buffer.from(tx.res.body.subarray(0, tx.res.bodyLen)).toString('latin1');
      r.flags = tx.flags;
      recs.push(r);
    }
  };
  segs.forEach(([dir, s], i) => {
    for (const piece of split(i, B(s))) {
      // feed through a larger buffer at an offset, to prove offsets are honoured
      const big = Buffer.alloc(piece.length + 7, 0x41);
      piece.copy(big, 3);
      p.feed(dir, big, 3, piece.length, 1000 + i);
    }
  });
  if (ends) { p.end(0); p.end(1); }
  return { recs, cbs, parser: p };
}
const whole = (_i: number, d: Buffer) => [d];
const bytewise = (_i: number, d: Buffer) => Array.from(d, (_, k) => d.subarray(k, k + 1));

/** Results must not depend on how the bytes are cut: whole, byte by byte, and every 2-way cut of every segment. */
function assertSplitInvariant(segs: Seg[], limits?: Partial<HttpLimits>): Run {
  const ref = run(segs, whole, limits);
  assert.deepEqual(run(segs, bytewise, limits).recs, ref.recs, 'byte-by-byte');
  segs.forEach(([, s], j) => {
    for (let k = 1; k < s.length; k++) {
      const r = run(segs, (i, d) => (i === j ? [d.subarray(0, k), d.subarray(k)] : [d]), limits);
      assert.deepEqual(r.recs, ref.recs, `segment ${j} cut at ${k}`);
      assert.deepEqual(r.cbs, ref.cbs, `callbacks, segment ${j} cut at ${k}`);
    }
  });
  return ref;
}

test('pipelined keep-alive requests, Content-Length and chunked responses, paired in order, split anywhere', () => {
  const segs: Seg[] = [
    [0, 'GET /one HTTP/1.1\r\nHost: a.example\r\nUser-Agent: t/1\r\n\r\nGET /two HTTP/1.1\r\nHost: a.example\r\n\r\nPOST /three HTTP/1.1\r\nHost: A.Example:8080\r\nContent-Length: 4\r\n\r\nabcd'],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: s1\r\n\r\nxyzHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n'],
    [1, 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'],
  ];
  const r = assertSplitInvariant(segs);
  assert.equal(r.recs.length, 3);
  assert.deepEqual(r.recs.map((x) => [x.method, x.uri, x.host, x.status]),
    [['GET', '/one', 'a.example', 200], ['GET', '/two', 'a.example', 404], ['POST', '/three', 'a.example', 201]]);
  assert.equal(r.recs[0].user_agent, 't/1');
  assert.equal(r.recs[0].server, 's1');
  assert.equal(r.recs[0].res_body, 'xyz');
  assert.equal(r.recs[1].res_body, 'hello world');
  assert.equal(r.recs[1].response_body_len, 11);
  assert.equal(r.recs[1].content_type, 'text/html');
  assert.equal(r.recs[2].req_body, 'abcd');
  assert.equal(r.recs[2].request_body_len, 4);
});

test('chunk trailers are readable as headers; chunk extensions ignored', () => {
  let trailer = '';
  const p = new HttpParser();
  p.onTx = (tx, what) => { if (what === HTTP_RESPONSE_DONE) { const i = tx.res.find('x-trailer'); trailer = i >= 0 ? Buffer.from(tx.res.buf.subarray(tx.res.hdr[i * 4 + 2], tx.res.hdr[i * 4 + 2] + tx.res.hdr[i * 4 + 3])).toString() : '?'; } };
  const q = B('GET / HTTP/1.1\r\nHost: h\r\n\r\n');
  const s = B('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3 ; a=b;c\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n');
  p.feed(0, q, 0, q.length, 1); p.feed(1, s, 0, s.length, 2);
  assert.equal(trailer, 'yes');
});

test('100-continue: interim response does not consume the request; body after it', () => {
  const segs: Seg[] = [
    [0, 'PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n'],
    [1, 'HTTP/1.1 100 Continue\r\n\r\n'],
    [0, '12345'],
    [1, 'HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 204 No Content\r\nServer: x\r\n\r\n'],
    [0, 'GET /next HTTP/1.1\r\nHost: h\r\n\r\n'],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
  ];
  const r = assertSplitInvariant(segs);
  assert.deepEqual(r.recs.map((x) => [x.method, x.status, x.interim_status, x.req_body, x.res_body]),
    [['PUT', 204, 102, '12345', ''], ['GET', 200, undefined, '', 'ok']]);
});

test('HEAD and 304/204 responses have no body even with Content-Length', () => {
  const segs: Seg[] = [
    [0, 'HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\nIf-None-Match: "x"\r\n\r\nGET /z HTTP/1.1\r\nHost: h\r\n\r\nGET /last HTTP/1.1\r\nHost: h\r\n\r\n'],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast'],
  ];
  const r = assertSplitInvariant(segs);
  assert.deepEqual(r.recs.map((x) => [x.uri, x.status, x.response_body_len]),
    [['/h', 200, 0], ['/c', 304, 0], ['/z', 204, 0], ['/last', 200, 4]]);
});

test('response delimited by connection close; Connection: close honoured at end()', () => {
  const segs: Seg[] = [
    [0, 'GET /stream HTTP/1.0\r\n\r\n'],
    [1, 'HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nall of this\r\nis body HTTP/1.1 200 OK\r\n'],
  ];
  const r = assertSplitInvariant(segs);
  assert.equal(r.recs.length, 1);
  assert.equal(r.recs[0].res_body, 'all of this\r\nis body HTTP/1.1 200 OK\r\n');
  // without end() the transaction is not done yet
  const open = run(segs, whole, undefined, false);
  assert.equal(open.recs.length, 0);
  assert.equal(open.parser.openTx.length, 1);
  open.parser.end(1);
  open.parser.end(0);
  assert.equal(open.recs.length, 1);
});

test('CONNECT: 200 switches both directions to tunnel; tunnel bytes are not parsed', () => {
  const segs: Seg[] = [
    [0, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
    [1, 'HTTP/1.1 200 Connection established\r\n\r\n'],
    [0, '\x16\x03\x01\x00\x05hello GET / HTTP/1.1\r\n\r\n'],
    [1, '\x16\x03\x03 HTTP/1.1 200 OK\r\n\r\n'],
  ];
  const r = assertSplitInvariant(segs);
  assert.equal(r.recs.length, 1);
  assert.equal(r.recs[0].method, 'CONNECT');
  assert.equal(r.recs[0].host, 'example.com');
  assert.ok(((r.recs[0].flags as number) & TXF_TUNNEL) !== 0);
  assert.equal(r.parser.tunnelBytes[0], 29);
  // a refused CONNECT keeps parsing HTTP
  const r2 = run([[0, 'CONNECT x:1 HTTP/1.1\r\n\r\n'], [1, 'HTTP/1.1 407 Proxy Auth\r\nContent-Length: 0\r\n\r\n'],
    [0, 'GET /after HTTP/1.1\r\nHost: y\r\n\r\n'], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']], whole);
  assert.deepEqual(r2.recs.map((x) => [x.method, x.status]), [['CONNECT', 407], ['GET', 200]]);
});

test('101 Switching Protocols: websocket bytes after it are tunnel', () => {
  const r = assertSplitInvariant([
    [0, 'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    [1, 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello'],
    [0, '\x81\x85abcdHTTP/1.1'],
  ]);
  assert.equal(r.recs.length, 1);
  assert.equal(r.recs[0].status, 101);
  assert.equal(r.parser.tunnelBytes[1], 7);
});

test('callbacks arrive in order: request headers before request done before response', () => {
  const r = run([[0, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab'], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx']], whole);
  assert.deepEqual(r.cbs, [`0:${HTTP_REQUEST_HEADERS}`, `0:${HTTP_REQUEST_DONE}`, `0:${HTTP_RESPONSE_HEADERS}`, `0:${HTTP_RESPONSE_DONE}`, `0:${HTTP_TX_DONE}`]);
});

test('header limits: count, line length, total size; events raised and framing still honoured', () => {
  const many = Array.from({ length: 20 }, (_, i) => `X-H${i}: v${i}\r\n`).join('');
  const r = assertSplitInvariant([
    [0, `POST /m HTTP/1.1\r\nHost: h\r\n${many}Content-Length: 3\r\n\r\nabcGET /n HTTP/1.1\r\nHost: h\r\nX-Long: ${'y'.repeat(300)}\r\n\r\n`],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'],
  ], { maxHeaders: 8, maxLineBytes: 100 });
  assert.equal(r.recs.length, 2);
  assert.ok((r.recs[0].events as string[]).includes('http.too_many_headers'));
  assert.equal(r.recs[0].req_body, 'abc', 'Content-Length beyond the kept headers still frames the body');
  assert.ok((r.recs[1].events as string[]).includes('http.header_too_long'));
  assert.equal(r.recs[1].uri, '/n');
  const p = new HttpParser({ maxHeaders: 8 });
  let kept = -1;
  p.onTx = (tx, w) => { if (w === HTTP_REQUEST_HEADERS) kept = tx.req.hdrCount; };
  const q = B(`GET / HTTP/1.1\r\n${many}\r\n`); p.feed(0, q, 0, q.length, 0);
  assert.equal(kept, 8);
  assert.equal(p.eventCounts[AEV['http.too_many_headers']], 1);
});

test('body limit: bytes beyond the limit are counted, not kept', () => {
  const body = 'z'.repeat(5000);
  const r = run([[0, `POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n${body}`], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']], whole, { maxRequestBody: 1000 });
  assert.equal((r.recs[0].req_body as string).length, 1000);
  assert.equal(r.recs[0].request_body_len, 5000);
  assert.ok((r.recs[0].events as string[]).includes('http.body_limit'));
});

test('obs-fold, header name whitespace, TE+CL, invalid chunk, invalid Content-Length raise events', () => {
  const r = run([[0, 'GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\r\n  b\r\nBad : x\r\n\r\n' +
    'POST /s HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n' +
    'POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n'],
    [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']], whole);
  assert.equal(r.recs[0].user_agent, 'a b');
  assert.ok((r.recs[0].events as string[]).includes('http.folded_header'));
  assert.ok((r.recs[0].events as string[]).includes('http.header_invalid'));
  assert.ok((r.recs[1].events as string[]).includes('http.te_and_cl'));
  assert.equal(r.recs[1].req_body, 'ab');
  assert.ok((r.recs[2].events as string[]).includes('http.content_length_invalid'));
  assert.ok((r.recs[2].events as string[]).includes('http.chunk_invalid'));
});

test('gap inside a Content-Length body keeps sync; gap inside headers resyncs on the next request', () => {
  const p = new HttpParser();
  const recs: Record<string, unknown>[] = [];
  p.onTx = (tx, w) => { if (w === HTTP_TX_DONE) recs.push({ ...httpTxRecord(tx), flags: tx.flags }); };
  const f = (d: 0 | 1, s: string) => { const b = B(s); p.feed(d, b, 0, b.length, 0); };
  f(0, 'GET /a HTTP/1.1\r\nHost: h\r\n\r\n');
  f(1, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01');
  p.gap(1, 5);
  f(1, '789');
  f(0, 'GET /b HTTP/1.1\r\nHo');
  p.gap(0, 100);
  f(0, 'garbage\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n');
  f(1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 500 E\r\nContent-Length: 0\r\n\r\n');
  p.finish();
  assert.deepEqual(recs.map((x) => [x.uri, x.status, x.response_body_len]), [['/a', 200, 10], ['/b', 200, 0], ['/c', 500, 0]]);
  assert.ok(((recs[0].flags as number) & TXF_GAP_RES) !== 0);
  assert.ok(((recs[1].flags as number) & TXF_INCOMPLETE_REQ) !== 0);
  assert.equal(p.eventCounts[AEV['http.gap']], 2);
});

test('response without request (midstream pickup) and HTTP/0.9', () => {
  const r = run([[1, 'HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n']], whole);
  assert.equal(r.recs.length, 1);
  assert.equal(r.recs[0].status, 302);
  assert.ok(((r.recs[0].flags as number) & TXF_NO_REQUEST) !== 0);
  const r9 = run([[0, 'GET /old\r\n'], [1, '<html>old</html>']], whole);
  assert.equal(r9.recs[0].uri, '/old');
  assert.equal(r9.recs[0].res_body, '<html>old</html>');
  assert.equal(r9.recs[0].events, undefined);
});

test('host: absolute URI authority wins, lowercased, port and userinfo stripped; mismatch flagged', () => {
  const r = run([[0, 'GET http://User@WWW.Example.org:8080/p/../q?a=1 HTTP/1.1\r\nHost: other.example\r\n\r\n'], [1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n']], whole);
  assert.equal(r.recs[0].host, 'www.example.org');
  assert.equal(r.recs[0].uri_normalized, '/q?a=1');
  assert.ok((r.recs[0].events as string[]).includes('http.host_mismatch'));
  const h = Buffer.alloc(64);
  const n = normalizeHost(B('[2001:DB8::1]:443'), 0, 17, h, 0);
  assert.equal(h.subarray(0, n).toString(), '[2001:db8::1]');
});

test('URI normalization table (percent-decoding, dot segments RFC 3986 5.2.4, %2f, backslash, +, double encoding)', () => {
  const cases: [string, string][] = [
    ['/a/b/c/./../../g', '/a/g'],                 // RFC 3986 5.2.4 example
    ['/mid/content=5/../6', '/mid/6'],
    ['/%41%42c', '/ABc'],
    ['/a%2fb', '/a/b'],                          // encoded slash is a separator (libhtp IDS personality)
    ['/a%2e%2e/b', '/a../b'],                    // "a.." is a name, not a dot segment
    ['/a/%2e%2e/b', '/b'],                       // decoded before dot removal
    ['/a/%252e%252e/b', '/a/%2e%2e/b'],          // double encoding decoded once only
    ['/a\\..\\b', '/b'],                         // backslash is a separator
    ['//a///b', '/a/b'],                         // separators compressed
    ['/a+b?q=a+b%20c', '/a+b?q=a+b c'],          // '+' kept; query %-decoded once
    ["/p.php?id=1%27%20OR%20%271%27=%271", "/p.php?id=1' OR '1'='1"], // decoded query (libhtp default)
    ['/x?a=%252e%zz/../b', '/x?a=%2e%zz/../b'],  // once only; invalid kept; no dot removal in the query
    ['/bad%zzx%4', '/bad%zzx%4'],                // invalid escapes kept
    ['/%u0041%u2215', '/A?'],                    // %u: < 0x100 decoded, else '?'
    ['/..', '/'],
    ['/../../x', '/x'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['*', '*'],
    ['example.com:443', 'example.com:443'],
    ['http://h', '/'],
    ['/%00x', '/\x00x'],
  ];
  const dst = new Uint8Array(256), scratch = new Uint8Array(256);
  for (const [inp, want] of cases) {
    const src = B(inp);
    const n = normalizeUri(src, 0, src.length, dst, 0, scratch);
    assert.equal(Buffer.from(dst.subarray(0, n)).toString('latin1'), want, inp);
  }
});

test('too many pipelined requests: beyond maxOpenTx requests are parsed but not reported', () => {
  const reqs = Array.from({ length: 6 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: h\r\n\r\n`).join('');
  const resps = Array.from({ length: 6 }, () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').join('');
  const r = run([[0, reqs], [1, resps]], whole, { maxOpenTx: 4 });
  assert.deepEqual(r.recs.filter((x) => x.method).map((x) => x.uri), ['/0', '/1', '/2', '/3']);
  assert.equal(r.parser.eventCounts[AEV['http.too_many_tx']], 2);
});

test('tx objects are recycled, not allocated per transaction', () => {
  const p = new HttpParser();
  const seen = new Set<HttpTx>();
  p.onTx = (tx) => { seen.add(tx); };
  const q = B('GET / HTTP/1.1\r\nHost: h\r\n\r\n'), s = B('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  for (let i = 0; i < 100; i++) { p.feed(0, q, 0, q.length, i); p.feed(1, s, 0, s.length, i); }
  assert.equal(p.txDone, 100);
  assert.ok(seen.size <= 2, `distinct tx objects ${seen.size}`);
});

test('EVE http object uses Suricata field names', () => {
  const p = new HttpParser();
  let eve: Record<string, unknown> = {};
  p.onTx = (tx, w) => { if (w === HTTP_TX_DONE) eve = httpTxEve(tx); };
  const q = B('GET /x?y=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: ua\r\nReferer: http://r/\r\n\r\n');
  const s = B('HTTP/1.1 302 Found\r\nLocation: /z\r\nContent-Type: text/plain\r\nServer: srv\r\nContent-Length: 2\r\n\r\nok');
  p.feed(0, q, 0, q.length, 0); p.feed(1, s, 0, s.length, 0);
  assert.deepEqual(eve, { hostname: '[::1]', url: '/x?y=1', http_user_agent: 'ua', http_content_type: 'text/plain', http_refer: 'http://r/',
    http_method: 'GET', protocol: 'HTTP/1.1', status: 302, redirect: '/z', length: 2, server: 'srv' });
});

test('browser leniency against evasions (as libhtp): odd chunk lines, TE variants, folding, lone CR, 101 without Upgrade', () => {
  const get: Seg = [0, 'GET /e HTTP/1.1\r\nHost: h\r\n\r\n'];
  const body = (res: string) => {
    const r = assertSplitInvariant([get, [1, res]]);
    assert.equal(r.recs.length, 1, res);
    return r.recs[0].res_body as string;
  };
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\nfx\r\n0123456789abcde\r\n3,\r\nxyz\r\n0\r\n\r\n'), '0123456789abcdexyz', 'junk after hex digits');
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n\r\n\x0b3\r\nabc\r\n\r\n2\r\nde\r\n0\r\n\r\n'), 'abcde', 'empty lines and VT before sizes');
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'chunked as a substring');
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer\x00-Encoding: chu\x00nked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'NUL bytes ignored in framing headers');
  assert.equal(body('HTTP/1.0 200 ok\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nplain body, not chunked'), 'plain body, not chunked', 'non-hex first chunk line: identity until close');
  assert.equal(body('HTTP/1.1 200 ok\r\nConnection: close\r\n Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'folded line that is a header');
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer-Encoding: \r\n \r\n chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'value folded over a blank line');
  assert.equal(body('HTTP/1.1 200 ok\rTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'lone CR ends the status line');
  assert.equal(body('http/1.1 200 ok\r\nContent-Length: 3\r\n\r\nabc'), 'abc', 'lower-case protocol');
  assert.equal(body('HTTP/1.1 200 ok\r\nTransfer-Encoding\x0c: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'), 'abc', 'form feed before the colon');
  assert.equal(body('HTTP/1.1 101 ok\r\nContent-Length: 3\r\n\r\nabc'), 'abc', '101 without Upgrade is a normal response');
  assert.equal(body(' \r\nHTTP/1.1 200 ok\r\nContent-Length: 3\r\n\r\nabc'), 'abc', 'whitespace before the status line');
  assert.equal(body('HTTP/1.1 200 ok\r\nContent-Length: 3\n \nabc'), 'abc', 'whitespace-only line ends the headers');
});

test('response header line ends and junk as browsers read them (http-evader 284-488): body recovered, events raised', () => {
  const get: Seg = [0, 'GET /e HTTP/1.1\r\nHost: h\r\n\r\n'];
  const chunked = '3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
  const check = (res: string, events: string[], what: string) => {
    const r = assertSplitInvariant([get, [1, res]]);
    assert.equal(r.recs.length, 1, what);
    assert.equal(r.recs[0].res_body, 'abcde', what);
    const ev = r.recs[0].events as string[];
    for (const e of events) assert.ok(ev.includes(e), `${what}: ${e} in ${ev}`);
  };
  const C = 'Connection: close\r\n';
  check(`HTTP/1.1 200 ok\r\n${C}Transfer-Encoding\n :chunked\r\nX: y\r\n\r\n${chunked}`, ['http.folded_header', 'http.header_invalid'], 'name folded (LF)');
  check(`HTTP/1.1 200 ok\r\n${C}Transfer-Encoding\r :chunked\r\nX: y\r\n\r\n${chunked}`, ['http.header_invalid'], 'name and colon split by CR SP');
  check(`HTTP/1.1 200 ok\r\n${C}Transfer-Encoding\r\n \r\n :\r\n chunked\r\nX: y\r\n\r\n${chunked}`, ['http.folded_header'], 'name, blank fold, colon, value');
  check(`HTTP/1.1 200 ok\r\n${C}Transfer-Encoding:\n\x00chunked\r\nX: y\r\n\r\n${chunked}`, ['http.folded_header'], 'value folded by NUL');
  check(`\x00HTTP/1.1 200 ok\r\n${C}Transfer-Encoding: chunked\r\n\r\n${chunked}`, ['http.response_junk'], 'NUL before the status line');
  check(`HTTP/1.1 200 ok\r${C.replace('\r\n', '\r')}Transfer-Encoding: chunked\rX: y\r\n\r\n${chunked}`, ['http.line_end_invalid'], 'bare CR line ends');
  check(`HTTP/1.1 200 ok\n\r${C.replace('\r\n', '\n\r')}Transfer-Encoding: chunked\n\rX: y\r\n\r\n${chunked}`, ['http.line_end_invalid'], 'LF CR line ends');
  check(`foobar\r\nHTTP/1.1 200 ok\r\n${C}Transfer-Encoding: chunked\r\n\r\n${chunked}`, ['http.response_junk'], 'junk line before the status line');
  check(` SIP/2.0 200 ok\r\nHTTP/1.1 200 ok\r\n${C}Transfer-Encoding: chunked\r\n\r\n${chunked}`, ['http.response_junk'], 'other protocol line before the status line');
  check(`HTTP/1.1 200 ok\r\n${C}\r\r\nTransfer-Encoding: chunked\r\n\r\n${chunked}`, ['http.header_invalid'], 'CR-only line after CR LF is not the end');
  check(`HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r \r\n${C}\r\n${chunked}`, [], 'CR SP inside a value is whitespace');
  // LF CR ending the Content-Length line, then CR LF: the empty line ends the headers
  const r = assertSplitInvariant([get, [1, `HTTP/1.1 200 ok\r\n${C}Content-length: 5\n\r\r\nabcde`]]);
  assert.equal(r.recs[0].res_body, 'abcde');
  // correct parsing unchanged: more junk lines than HTTP_MAX_JUNK_LINES, or no status line at all,
  // is a body until close (junk included, bytes as received)
  const junk = 'a\r\nb\nc\r\nd\r\ne\r\nf\r\nHTTP/1.1 200 ok\r\n\r\n';
  const j = assertSplitInvariant([get, [1, junk]]);
  assert.equal(j.recs[0].res_body, junk);
  assert.ok((j.recs[0].events as string[]).includes('http.response_line_invalid'));
  const short = assertSplitInvariant([get, [1, 'no status\r\nline']]);
  assert.equal(short.recs[0].res_body, 'no status\r\nline');
  // request side untouched: a bare CR inside a request header value stays in the value
  const q = assertSplitInvariant([[0, 'GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n'], [1, 'HTTP/1.1 200 ok\r\nContent-Length: 0\r\n\r\n']]);
  assert.equal(q.recs.length, 1);
});

test('any method token is a request (RFC 9110 9.1); resync after a gap finds a request line with an unknown method', () => {
  // Zeek's inner-transfer-encoding-ossfuzz shape: method ETA, a target with a space, a lenient status line
  const r = assertSplitInvariant([
    [0, 'ETA unknown/x\xd9y / HTTP/1.1\r\nHost: h\r\n\r\n'],
    [1, 'HTTP/!.4 206 t\r\nContent-Length: 0\r\n\r\n'],
  ]);
  assert.deepEqual(r.recs.map((x) => [x.method, x.uri, x.status]), [['ETA', 'unknown/x\xd9y /', 206]]);
  assert.ok((r.recs[0].events as string[]).includes('http.method_unknown'), 'Zeek: unknown_HTTP_method');
  const known = run([[0, 'PROPFIND /d HTTP/1.1\r\nHost: h\r\n\r\n'], [1, 'HTTP/1.1 207 Multi\r\nContent-Length: 0\r\n\r\n']], whole);
  assert.equal(known.recs[0].events, undefined, 'a known method raises nothing');
  const p = new HttpParser();
  const recs: Record<string, unknown>[] = [];
  p.onTx = (tx, w) => { if (w === HTTP_TX_DONE) recs.push({ ...httpTxRecord(tx) }); };
  const f = (d: 0 | 1, s: string) => { const b = B(s); p.feed(d, b, 0, b.length, 0); };
  f(0, 'GET /a HTTP/1.1\r\nHo');
  p.gap(0, 50);
  f(0, 'st: h\r\n\r\nPURGE /cache/x HTTP/1.1\r\nHost: h\r\n\r\n');
  f(1, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n');
  p.finish();
  assert.deepEqual(recs.map((x) => [x.method, x.uri, x.status]), [['GET', '/a', 200], ['PURGE', '/cache/x', 204]]);
});
