/**
 * A rule on http.response_body sees the decoded body whatever the Content-Encoding (gzip, br,
 * zstd, and layers of them), end to end: crafted capture -> replay -> alerts (docs/app.md
 * "Content coding"). The same marker sent without a matching coding name is not decoded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'zlib';
import { Trace, TcpSession } from '../../src/io/craft';
import { writeTrace, replayEve, alerts } from './helpers';

const T0 = 1_700_000_000;
const PAGE = Buffer.from(`<html>${'filler text '.repeat(300)}EVIL-PAYLOAD-7f3a${'more filler '.repeat(300)}</html>`, 'latin1');

test('http.response_body matches inside gzip, br, zstd and layered bodies; not in an unnamed coding', async () => {
  const cases: [string, Buffer, boolean][] = [
    ['gzip', zlib.gzipSync(PAGE), true],
    ['br', zlib.brotliCompressSync(PAGE), true],
    ['zstd', zlib.zstdCompressSync(PAGE), true],
    ['gzip, br', zlib.brotliCompressSync(zlib.gzipSync(PAGE)), true],
    ['zstd, gzip', zlib.gzipSync(zlib.zstdCompressSync(PAGE)), true],
    ['bread', zlib.brotliCompressSync(PAGE), false],     // no such coding: the brotli bytes stay as sent
  ];
  const t = new Trace({ start: T0 });
  cases.forEach(([coding, body], i) => {
    const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 41000 + i, sport: 80 });
    s.handshake();
    s.send('client', `GET /p${i} HTTP/1.1\r\nHost: a.example\r\n\r\n`);
    s.send('server', Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Encoding: ${coding}\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]));
    s.close();
  });
  const evs = await replayEve(writeTrace(t, 'body-coding'), `
rule evil { meta: sid = 77 strings: $m = "EVIL-PAYLOAD-7f3a" in http.response_body condition: $m action: alert }
`);
  const hit = alerts(evs, 77).map((e) => e.http.url as string).sort();
  assert.deepEqual(hit, cases.map((c, i) => [c, i] as const).filter(([c]) => c[2]).map(([, i]) => `/p${i}`).sort());
});
