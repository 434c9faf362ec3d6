/**
 * HttpParser + content coding (http-coding.ts): the body detection reads (tx.res.body) is the
 * decoded one, the received bytes stay in tx.res.raw; limits raise events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import { execFileSync } from 'child_process';
import {
  HttpParser, HttpTx, HTTP_RESPONSE_DONE, HTTP_REQUEST_DONE, TXF_RES_DECODED, TXF_REQ_DECODED, HTTP_MAX_RESPONSE_BODY,
} from './http';
import { AEV } from './events';

const PAGE = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}`).join('\n') + '\nMALWARE-MARKER\n', 'latin1');

interface Seen { body: string; raw: string | null; flags: number; events: number[]; total: number }
function run(req: string | Buffer, res: Buffer, pieces = 7): Seen[] {
  const p = new HttpParser();
  const out: Seen[] = [];
  const grab = (tx: HttpTx, m: HttpTx['req']) => out.push({
    body: Buffer.from(m.body.subarray(0, m.bodyLen)).toString('latin1'),
    raw: m.rawLen >= 0 ? Buffer.from(m.raw.subarray(0, m.rawLen)).toString('latin1') : null,
    flags: tx.flags, events: Array.from(tx.events.subarray(0, tx.nev)), total: m.bodyTotal,
  });
  p.onTx = (tx, w) => { if (w === HTTP_RESPONSE_DONE) grab(tx, tx.res); if (w === HTTP_REQUEST_DONE && tx.req.bodyLen > 0) grab(tx, tx.req); };
  const q = Buffer.isBuffer(req) ? req : Buffer.from(req, 'latin1');
  p.feed(0, q, 0, q.length, 0);
  // the response in `pieces` feeds (the decoder runs once the body is complete)
  const step = Math.ceil(res.length / pieces);
  for (let o = 0; o < res.length; o += step) p.feed(1, res, o, Math.min(step, res.length - o), 0);
  p.finish();
  return out;
}
const GET = 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n';
const resp = (hdrs: string, body: Buffer) => Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${hdrs}Content-Length: ${body.length}\r\n\r\n`, 'latin1'), body]);

test('gzip response (gzip tool) across feeds: body decoded, raw kept, flag set', () => {
  const gz = execFileSync('gzip', ['-c'], { input: PAGE });
  const [s] = run(GET, resp('Content-Encoding: gzip\r\n', gz));
  assert.equal(s.body, PAGE.toString('latin1'));
  assert.equal(s.raw, gz.toString('latin1'));
  assert.equal(s.total, gz.length);           // wire (de-chunked) length, as EVE http.length
  assert.ok(s.flags & TXF_RES_DECODED);
});

test('deflate (zlib and raw), x-gzip, chunked, layered, NUL-split header name', () => {
  const cases: [string, Buffer][] = [
    ['Content-Encoding: deflate\r\n', zlib.deflateSync(PAGE)],
    ['Content-Encoding: deflate\r\n', zlib.deflateRawSync(PAGE)],
    ['Content-Encoding: x-gzip\r\n', zlib.gzipSync(PAGE)],
    ['Content-Encoding: gzip, deflate\r\n', zlib.deflateRawSync(zlib.gzipSync(PAGE))],
    ['Content-Encoding: gzip\r\nContent-Encoding: gzip\r\n', zlib.gzipSync(zlib.gzipSync(PAGE))],
    ['Content\0-Encoding: gzip\r\n', zlib.gzipSync(PAGE)],
    ['Content-Encoding\r\n :\r\n gzip\r\n', zlib.gzipSync(PAGE)],
  ];
  for (const [h, b] of cases) {
    const [s] = run(GET, resp(h, b));
    assert.ok(s.body.includes('MALWARE-MARKER'), JSON.stringify(h));
  }
  const gz = zlib.gzipSync(PAGE);
  const chunked = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n'),
    Buffer.from(`10\r\n`), gz.subarray(0, 16), Buffer.from(`\r\n${(gz.length - 16).toString(16)}\r\n`), gz.subarray(16), Buffer.from('\r\n0\r\n\r\n')]);
  assert.equal(run(GET, chunked)[0].body, PAGE.toString('latin1'));
});

test('no coding or identity: body untouched; bad data: error event, raw body inspected', () => {
  const plain = run(GET, resp('Content-Encoding: identity\r\n', PAGE))[0];
  assert.equal(plain.body, PAGE.toString('latin1'));
  assert.equal(plain.raw, null);
  const bad = run(GET, resp('Content-Encoding: gzip\r\n', Buffer.from('not compressed at all')))[0];
  assert.equal(bad.body, 'not compressed at all');
  assert.ok(bad.events.includes(AEV['http.body_decompress_error']));
  assert.equal(bad.flags & TXF_RES_DECODED, 0);
});

test('decompression bomb: decoded body capped at the body limit, limit event', () => {
  const bomb = zlib.gzipSync(Buffer.alloc(50 << 20, 0x41));   // 50 MB in ~50 KB
  const [s] = run(GET, resp('Content-Encoding: gzip\r\n', bomb), 20);
  assert.ok(s.events.includes(AEV['http.body_decompress_limit']));
  assert.ok(s.body.length > 0 && s.body.length <= HTTP_MAX_RESPONSE_BODY, `len ${s.body.length}`);
});

test('request body with Content-Encoding gzip is decoded too', () => {
  const gz = zlib.gzipSync(PAGE);
  const req = Buffer.concat([Buffer.from(`POST /u HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: ${gz.length}\r\n\r\n`), gz]);
  const seen = run(req, Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
  const r = seen.find((x) => x.flags & TXF_REQ_DECODED);
  assert.ok(r, 'request decoded');
  assert.equal(r!.body, PAGE.toString('latin1'));
});

test('br and zstd: decoded, alone and layered with gzip in the order Content-Encoding lists them', () => {
  const br = (b: Buffer) => zlib.brotliCompressSync(b);
  const zs = (b: Buffer) => zlib.zstdCompressSync(b);
  const cases: [string, Buffer][] = [
    ['Content-Encoding: br\r\n', br(PAGE)],
    ['Content-Encoding: BR\r\n', br(PAGE)],
    ['Content-Encoding: zstd\r\n', zs(PAGE)],
    ['Content-Encoding: gzip, br\r\n', br(zlib.gzipSync(PAGE))],          // gzip applied first: br undone first
    ['Content-Encoding: br\r\nContent-Encoding: gzip\r\n', zlib.gzipSync(br(PAGE))],
    ['Content-Encoding: zstd, br\r\n', br(zs(PAGE))],
    ['Content-Encoding: deflate,br\r\n', br(zlib.deflateRawSync(PAGE))],   // raw deflate under brotli
    ['Content-Encoding: gzip\r\n', zs(PAGE)],                              // zstd bytes are sniffed by their magic
  ];
  for (const [h, body] of cases) {
    const [s] = run(GET, resp(h, body));
    assert.equal(s.body, PAGE.toString('latin1'), h);
    assert.ok(s.flags & TXF_RES_DECODED, h);
    assert.equal(s.raw, body.toString('latin1'), h);
    assert.deepEqual(s.events.filter((e) => e === AEV['http.body_decompress_error'] || e === AEV['http.body_decompress_limit']), [], h);
  }
});

test('br only as a whole token; br and zstd bombs capped; corrupt br is an error, body kept', () => {
  // "bread" and "xbr" name no coding: the body is not touched
  for (const h of ['Content-Encoding: bread\r\n', 'Content-Encoding: xbr\r\n']) {
    const [s] = run(GET, resp(h, zlib.brotliCompressSync(PAGE)));
    assert.equal(s.flags & TXF_RES_DECODED, 0, h);
    assert.equal(s.raw, null, h);
  }
  // a page bigger than the body limit: its first part is decoded (input prefix search), flagged;
  // zstd decodes whole blocks (up to 128 KB each), so its part can be well under the limit
  const big = Buffer.concat(Array.from({ length: 8 }, (_, i) => Buffer.concat([Buffer.from(`part ${i}\n`), PAGE])));
  for (const [h, enc] of [['br', zlib.brotliCompressSync(big)], ['zstd', zlib.zstdCompressSync(big)]] as const) {
    const [s] = run(GET, resp(`Content-Encoding: ${h}\r\n`, enc), 3);
    assert.ok(s.events.includes(AEV['http.body_decompress_limit']), h);
    assert.ok(s.body.length >= 10_000 && s.body.length <= HTTP_MAX_RESPONSE_BODY, `${h}: len ${s.body.length}`);
    assert.ok(big.toString('latin1').startsWith(s.body), h);
  }
  // bombs (50 MB of one byte in a few dozen bytes): never more than the limit; either a decoded
  // prefix or, when the first input bytes already expand past it (brotli: one meta-block), the
  // received bytes, flagged
  for (const [h, bomb] of [['br', zlib.brotliCompressSync(Buffer.alloc(50 << 20, 0x41))], ['zstd', zlib.zstdCompressSync(Buffer.alloc(50 << 20, 0x41))]] as const) {
    const [s] = run(GET, resp(`Content-Encoding: ${h}\r\n`, bomb), 3);
    assert.ok(s.events.includes(AEV['http.body_decompress_limit']), h);
    assert.ok(s.body.length > 0 && s.body.length <= HTTP_MAX_RESPONSE_BODY, `${h}: len ${s.body.length}`);
    if (s.flags & TXF_RES_DECODED) assert.match(s.body, /^A+$/, h);
    else assert.equal(s.body, bomb.toString('latin1'), h);
  }
  const junk = Buffer.from('this is not brotli, not deflate either \u00ff\u00fe', 'latin1');
  const [bad] = run(GET, resp('Content-Encoding: br\r\n', junk));
  assert.ok(bad.events.includes(AEV['http.body_decompress_error']));
  assert.equal(bad.body, junk.toString('latin1'));
  // a truncated br stream gives what it holds (the page's first lines)
  const cut = zlib.brotliCompressSync(PAGE).subarray(0, 2000);
  const [part] = run(GET, resp('Content-Encoding: br\r\n', cut));
  assert.ok(part.body.length > 1000 && PAGE.toString('latin1').startsWith(part.body), `partial ${part.body.length}`);
});

test('more codings than the layer limit: the outermost ones (the last listed) are undone, flagged', () => {
  const g2 = zlib.gzipSync(zlib.gzipSync(PAGE));
  const body = zlib.brotliCompressSync(zlib.gzipSync(zlib.gzipSync(g2)));   // gzip x4, then br
  const [s] = run(GET, resp('Content-Encoding: gzip, gzip, gzip, gzip, br\r\n', body));
  assert.ok(s.events.includes(AEV['http.body_decompress_layers']));
  assert.ok(s.flags & TXF_RES_DECODED);
  assert.equal(s.body, g2.toString('latin1'));   // br, gzip, gzip undone; two gzip layers left
});
