import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocksParser, matchSocksClient, SOCKS_TUNNEL, SOCKS_FAILED, SOCKS_HANDSHAKE, SOCKS_MAX_MSG } from './socks';
import { detectApp, APP_SOCKS, APP_NEED_MORE } from './detect';

const B = (...parts: (number[] | string | Buffer)[]) => Buffer.concat(parts.map((p) => typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.isBuffer(p) ? p : Buffer.from(p)));
const HTTP = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

/** Feed `msg` to the parser in pieces of `step` bytes; returns the tunnel bytes collected. */
function feedSplit(p: SocksParser, dir: number, msg: Buffer, step: number): string {
  let out = '';
  for (let i = 0; i < msg.length; i += step) {
    const n = Math.min(step, msg.length - i);
    const at = p.feed(dir, msg, i, n);
    if (at >= 0) out += msg.subarray(at, i + n).toString('latin1');
  }
  return out;
}

test('SOCKS5 with user/password: handshake fields, tunnel starts after the reply, at every split', () => {
  const cli = B([5, 2, 0, 2], [1, 3], 'bob', [2], 'pw', [5, 1, 0, 3, 14], 'www.google.com', [0, 80], HTTP);
  const srv = B([5, 2], [1, 0], [5, 0, 0, 1, 10, 0, 0, 2, 0x1f, 0x90], 'HTTP/1.1 200 OK\r\n');
  for (const step of [1, 2, 3, 7, cli.length]) {
    const p = new SocksParser();
    assert.equal(feedSplit(p, 0, cli, step), HTTP, `client split ${step}`);
    assert.equal(feedSplit(p, 1, srv, step), 'HTTP/1.1 200 OK\r\n', `server split ${step}`);
    assert.deepEqual([p.version, p.cmd, p.host, p.port, p.user, p.method, p.reply], [5, 1, 'www.google.com', 80, 'bob', 2, 0]);
    assert.deepEqual(p.state, [SOCKS_TUNNEL, SOCKS_TUNNEL]);
  }
});

test('SOCKS4 and 4a requests; refused replies and bad bytes fail the direction', () => {
  const p4 = new SocksParser();
  assert.equal(p4.feed(0, B([4, 1, 1, 187, 10, 0, 0, 9], 'uid', [0]), 0, 12), -1);
  assert.deepEqual([p4.version, p4.host, p4.port, p4.user], [4, '10.0.0.9', 443, 'uid']);
  const rep = B([0, 0x5a, 0, 0, 0, 0, 0, 0], 'X');
  assert.equal(p4.feed(1, rep, 0, rep.length), 8);
  const p4a = new SocksParser();
  p4a.feed(0, B([4, 1, 0, 80, 0, 0, 0, 1], [0], 'example.org', [0]), 0, 21);
  assert.equal(p4a.host, 'example.org');
  assert.equal(p4a.feed(1, B([0, 0x5b, 0, 0, 0, 0, 0, 0]), 0, 8), -1);
  assert.equal(p4a.state[1], SOCKS_FAILED, 'rejected request: no tunnel');
  const bad = new SocksParser();
  bad.feed(0, B([5, 1, 0], [9, 9, 9]), 0, 6);
  assert.equal(bad.state[0], SOCKS_FAILED);
  const v5no = new SocksParser();
  v5no.feed(0, B([5, 1, 0]), 0, 3);
  assert.equal(v5no.feed(1, B([5, 0xff]), 0, 2), -1);
  assert.equal(v5no.state[1], SOCKS_FAILED, 'no acceptable method');
  // an unterminated user id longer than the bound fails (counted) instead of buffering forever
  const long = new SocksParser();
  const junk = B([4, 1, 0, 80, 0, 0, 0, 1], 'a'.repeat(SOCKS_MAX_MSG));
  for (let i = 0; i < junk.length; i += 100) long.feed(0, junk, i, Math.min(100, junk.length - i));
  assert.equal(long.state[0], SOCKS_FAILED);
  assert.equal(new SocksParser().state[0], SOCKS_HANDSHAKE);
});

test('detection: SOCKS clients by content; other bytes starting with 04/05 are not SOCKS', () => {
  const tcp = (b: Buffer) => detectApp(6, true, b, 0, b.length);
  assert.equal(tcp(B([5, 1, 0])), APP_SOCKS);
  assert.equal(tcp(B([5, 2, 0, 2], [1, 1], 'a', [1], 'b')), APP_SOCKS, 'greeting + auth in one segment');
  assert.equal(tcp(B([4, 1, 0, 80, 1, 2, 3, 4], 'u', [0])), APP_SOCKS);
  assert.equal(tcp(B([4, 1, 0, 80, 1, 2, 3])), APP_NEED_MORE);
  assert.equal(tcp(B([5])), APP_NEED_MORE);
  // (detectApp may still wait here: the bytes could be the start of a 1281-byte DNS/TCP message)
  assert.equal(matchSocksClient(B([5, 1, 0, 0x17, 3, 1]), 0, 6), 0, 'greeting followed by something else');
  assert.equal(matchSocksClient(B([5, 0]), 0, 2), 0, 'no methods');
  assert.equal(matchSocksClient(B([4, 9, 0, 80, 1, 2, 3, 4, 0]), 0, 9), 0, 'unknown v4 command');
  assert.equal(matchSocksClient(B([4, 1, 0, 80, 1, 2, 3, 4], 'u\x01', [0]), 0, 11), 0, 'unprintable user id');
});

test('random bytes never throw; valid handshakes split at random points give exactly the tunnel bytes (bounded loops)', () => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let it = 0; it < 20000; it++) {
    const p = new SocksParser();
    for (let m = 0; m < 6; m++) {
      const dir = rnd(2), len = 1 + rnd(40);
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = rnd(4) === 0 ? rnd(256) : [0, 1, 2, 3, 4, 5, 0x5a, 0x61][rnd(8)];
      const off = rnd(len), n = len - off;
      const at = p.feed(dir, b, off, n);
      assert.ok(at === -1 || (at >= off && at < off + n), `feed returned ${at} for [${off}, ${off + n})`);
      assert.ok(p.state[dir] >= SOCKS_HANDSHAKE && p.state[dir] <= SOCKS_FAILED);
    }
  }
  for (let it = 0; it < 2000; it++) {
    const tail = Buffer.from(Array.from({ length: 1 + rnd(30) }, () => rnd(256)));
    const host = 'h'.repeat(1 + rnd(60));
    const v4 = rnd(2) === 0;
    const cli = v4 ? B([4, 1, 0, 80, 0, 0, 0, 7], 'u'.repeat(rnd(10)), [0], host, [0], tail)
      : B([5, 1, 0], [5, 1, 0, 3, host.length], host, [1, 187], tail);
    const srv = v4 ? B([0, 0x5a, 0, 0, 0, 0, 0, 0], tail) : B([5, 0], [5, 0, 0, 1, 1, 2, 3, 4, 0, 80], tail);
    const p = new SocksParser();
    assert.equal(feedSplit(p, 0, cli, 1 + rnd(12)), tail.toString('latin1'));
    assert.equal(feedSplit(p, 1, srv, 1 + rnd(12)), tail.toString('latin1'));
    assert.equal(p.host, host);
  }
});
