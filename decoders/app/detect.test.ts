import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectApp, guessAppByPort, matchMethod, matchTokenRequestLine, DETECT_HTTP_MAX_METHOD, APP_HTTP, APP_DNS, APP_NONE, APP_NEED_MORE, APP_DETECT_MAX_BYTES } from './detect';

const B = (s: string) => Buffer.from(s, 'latin1');
const tcp = (s: string | Buffer, toServer = true) => { const b = typeof s === 'string' ? B(s) : s; return detectApp(6, toServer, b, 0, b.length); };

// a real-looking DNS query for www.example.com A, with EDNS
const dnsQuery = Buffer.from('abcd0100000100000000000103777777076578616d706c6503636f6d00000100010000291000000000000000', 'hex');

test('HTTP requests by method + request line, any port; RTSP/SIP rejected', () => {
  for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH', 'PROPFIND']) {
    assert.equal(tcp(`${m} /x HTTP/1.1\r\nHost: h\r\n\r\n`), APP_HTTP, m);
  }
  assert.equal(tcp('GET /old\r\n'), APP_HTTP, 'HTTP/0.9');
  assert.equal(tcp('OPTIONS rtsp://cam/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n'), APP_NONE);
  assert.equal(tcp('OPTIONS sip:bob@example.com SIP/2.0\r\n'), APP_NONE);
  // an unknown method is legal HTTP when the whole request line says so (see the next test)
  assert.equal(tcp('GETX / HTTP/1.1\r\n'), APP_HTTP);
  assert.equal(tcp('get / HTTP/1.1\r\n'), APP_NONE, 'method tokens taken without a known method are upper-case');
  assert.equal(tcp(Buffer.from('160301020001000001fc0303' + '11'.repeat(32) + '00', 'hex')), APP_NONE, 'TLS ClientHello');
  assert.equal(tcp('SSH-2.0-OpenSSH_9.0\r\n'), APP_NONE);
});

test('HTTP requests with any upper-case method token: the whole request line is the evidence', () => {
  // Zeek's inner-transfer-encoding-ossfuzz trace: method ETA, a target with a space and a non-ASCII byte
  const eta = Buffer.concat([B('ETA unknown_HTTP_metm/suppozt/'), Buffer.from([0xd9]), B('ccIOST / HTTP/1.1\r\nConnect')]);
  assert.equal(tcp(eta), APP_HTTP);
  assert.equal(matchTokenRequestLine(eta, 0, eta.length), 3);
  assert.equal(tcp('SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1\r\nHost: h\r\n\r\n'), APP_HTTP);
  assert.equal(tcp('BITS_POST /upload/x HTTP/1.1\n'), APP_HTTP, 'LF only');
  const line = 'MKREDIRECTREF /a HTTP/1.1\r\n';
  for (let k = 1; k < line.length; k++) assert.equal(tcp(line.slice(0, k)), APP_NEED_MORE, `prefix ${k}`);
  // not HTTP/1.x, no version, or not a request line of this shape (DNS over TCP may still ask for more bytes)
  const no = (x: string, why?: string) => {
    assert.notEqual(tcp(x), APP_HTTP, why ?? x);
    assert.equal(matchTokenRequestLine(B(x), 0, x.length), 0, why ?? x);
  };
  no('ETA /x\r\n', 'HTTP/0.9 style only for GET/POST/HEAD');
  no('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'HTTP/2 preface');
  no('FOO /x ICAP/1.0\r\n');
  no('RFB 003.008\n', 'VNC');
  no('FOO  HTTP/1.1\r\n', 'empty target');
  no('FOO /x HTTP/1.1 \r\n', 'space after the version');
  no('FOO /\x00x HTTP/1.1\r\n', 'control byte in the target');
  no('FOO /a\rb HTTP/1.1\r\n', 'bare CR in the line');
  no('ABC \x01\x02\x03', 'binary after a token: decided at once');
  no('A'.repeat(DETECT_HTTP_MAX_METHOD + 1) + ' /x HTTP/1.1\r\n', 'method too long');
  assert.equal(tcp('A'.repeat(DETECT_HTTP_MAX_METHOD) + ' /x HTTP/1.1\r\n'), APP_HTTP);
  assert.equal(tcp('FOO /' + 'a'.repeat(APP_DETECT_MAX_BYTES)), APP_NONE, 'no line end within the detection window');
});

test('HTTP needs more bytes until the request line is complete; gives up at APP_DETECT_MAX_BYTES', () => {
  const line = 'GET /path HTTP/1.1\r\n';
  for (let k = 1; k < line.length; k++) assert.equal(tcp(line.slice(0, k)), APP_NEED_MORE, `prefix ${k}`);
  assert.equal(tcp(line), APP_HTTP);
  assert.equal(matchMethod(B('PO'), 0, 2), -1);
  assert.equal(matchMethod(B('POST '), 0, 5), 4);
  assert.equal(tcp('GET /' + 'a'.repeat(APP_DETECT_MAX_BYTES)), APP_HTTP, 'very long URI: method alone decides');
});

test('HTTP responses: "HTTP/1.x NNN" from the server side', () => {
  assert.equal(tcp('HTTP/1.1 200 OK\r\n', false), APP_HTTP);
  assert.equal(tcp('HTTP/1.0 404 Not Found\r\n', false), APP_HTTP);
  assert.equal(tcp('HTTP/1.', false), APP_NEED_MORE);
  assert.equal(tcp('HTTP/2 200\r\nserver: x\r\n\r\n', false), APP_NONE);
  assert.equal(tcp('RTSP/1.0 200 OK\r\n', false), APP_NONE);
});

test('DNS over UDP on any port; mDNS/LLMNR/NetBIOS ports excluded; random bytes rejected', () => {
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length, 40000, 53), APP_DNS);
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length, 40000, 9999), APP_DNS, 'any port');
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length, 5353, 5353), APP_NONE, 'mDNS');
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length, 40000, 5355), APP_NONE, 'LLMNR');
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length, 5353, 53), APP_DNS, 'client port 5353 to a resolver');
  assert.equal(detectApp(17, true, dnsQuery, 0, dnsQuery.length - 3, 40000, 53), APP_NONE, 'truncated');
  // rcode bits in a query (flags 0x0123, suricata-verify dns-rcode): resolvers ignore them, so must we
  const rc = Buffer.from(dnsQuery); rc[2] = 0x01; rc[3] = 0x23;
  assert.equal(detectApp(17, true, rc, 0, rc.length, 40000, 53), APP_DNS, 'query with rcode 3');
  assert.equal(detectApp(17, true, rc, 0, rc.length, 40000, 9999), APP_DNS, 'query with rcode 3, any port');
  const rcTrail = Buffer.concat([rc, Buffer.from([0])]);
  assert.equal(detectApp(17, true, rcTrail, 0, rcTrail.length, 40000, 53), APP_NONE, 'query with trailing bytes');
  // deterministic pseudo-random datagrams: none may look like DNS
  let x = 12345, hits = 0;
  const buf = new Uint8Array(200);
  for (let n = 0; n < 20000; n++) {
    const len = 12 + (n % 180);
    for (let i = 0; i < len; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; buf[i] = x >>> 24; }
    if (detectApp(17, true, buf, 0, len, 1000, 2000) === APP_DNS) hits++;
  }
  assert.ok(hits <= 2, `random datagrams taken for DNS: ${hits}`);
});

test('DNS over TCP with the length prefix, whole or partial', () => {
  const framed = Buffer.concat([Buffer.from([0, dnsQuery.length]), dnsQuery]);
  assert.equal(detectApp(6, true, framed, 0, framed.length), APP_DNS);
  assert.equal(detectApp(6, true, framed, 0, 1), APP_NEED_MORE);
  assert.equal(detectApp(6, true, framed, 0, 10), APP_NEED_MORE);
  assert.equal(detectApp(6, true, framed, 0, 40), APP_DNS, 'header + question are enough');
  assert.equal(detectApp(6, true, dnsQuery, 0, dnsQuery.length), APP_NONE, 'no prefix');
});

test('DNSCrypt certificate queries are not DNS (as nDPI labels them)', () => {
  const q = Buffer.from('7f470100000100000000000001320d646e7363727970742d6365727408646e7363727970740263610000100001', 'hex');
  assert.equal(detectApp(17, true, q, 0, q.length, 35228, 443), APP_NONE);
});

test('port guess only where the content could not be seen', () => {
  assert.equal(guessAppByPort(6, 51000, 80, false), APP_HTTP);
  assert.equal(guessAppByPort(6, 51000, 80, true), APP_NONE);
  assert.equal(guessAppByPort(17, 53, 40000, true), APP_DNS);
  assert.equal(guessAppByPort(17, 53, 5353, true), APP_NONE);
  assert.equal(guessAppByPort(17, 1000, 2000, false), APP_NONE);
});
