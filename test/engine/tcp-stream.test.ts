/**
 * TCP state machine and reassembly on crafted sessions (src/io/craft.ts): handshake and FIN/RST
 * close, retransmissions, out-of-order segments, overlaps ("first data wins"), the depth bound,
 * gaps (peer ACKs missing data; close with a hole), sequence wrap-around, midstream policies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, TcpSession, tcpFrame } from '../../src/io/craft';
import { Harness } from './harness';

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5) / 1000;
const C = '192.0.2.10', S = '198.51.100.20';

/** Raw segment helper: seq given explicitly (relative to the ISNs below). */
const CISN = 1000, SISN = 5000;
function seg(t: Trace, from: 'c' | 's', rel: number, data: string, flags = 'PA', ackRel = 0): void {
  const c = from === 'c';
  t.add(tcpFrame(c ? C : S, c ? S : C, data, {
    sport: c ? 40000 : 80, dport: c ? 80 : 40000,
    seq: ((c ? CISN + 1 : SISN + 1) + rel) >>> 0,
    ack: ((c ? SISN + 1 : CISN + 1) + ackRel) >>> 0, flags,
  }));
}
function handshake(t: Trace): void {
  t.add(tcpFrame(C, S, '', { sport: 40000, dport: 80, seq: CISN, flags: 'S' }));
  t.add(tcpFrame(S, C, '', { sport: 80, dport: 40000, seq: SISN, ack: CISN + 1, flags: 'SA' }));
  t.add(tcpFrame(C, S, '', { sport: 40000, dport: 80, seq: CISN + 1, ack: SISN + 1, flags: 'A' }));
}

test('handshake, data both ways, FIN close: bytes in order, state closed, counters', () => {
  const t = new Trace({ start: T0 });
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80 })
    .handshake()
    .send('client', 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n', { segments: [5, 7] })
    .send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', { segments: [10] })
    .close('fin');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
  assert.equal(h.text(1), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
  const [f] = h.flowEvents();
  assert.equal(f.state, 'closed');
  assert.equal(f.tcp_state, 'closed');
  assert.equal(f.src_ip, C); assert.equal(f.src_port, 40000); assert.equal(f.dest_port, 80);
  assert.equal(f.app, 'http');
  assert.equal(f.pkts_toserver + f.pkts_toclient, t.packets.length);
  assert.deepEqual(f.http, [{ method: 'GET', uri: '/', host: 'example.com', user_agent: null, status: 200 }]);
  assert.equal(h.engine.streams.retransmitted, 0);
  assert.equal(h.engine.streams.outOfOrder, 0);
});

test('retransmissions are delivered once', () => {
  const t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 0, 'hello ');
  seg(t, 'c', 0, 'hello ');          // exact retransmission
  seg(t, 'c', 6, 'world');
  seg(t, 'c', 6, 'world');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'hello world');
  assert.equal(h.engine.streams.retransmitted, 2);
});

test('out-of-order segments are reordered (the stored copy is delivered once the hole fills)', () => {
  const t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 10, 'KLMNOPQRST');
  seg(t, 'c', 5, 'FGHIJ');
  seg(t, 'c', 0, 'ABCDE');
  seg(t, 'c', 20, 'UVWXYZ');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  assert.equal(h.engine.streams.outOfOrder, 2);
  assert.equal(h.gaps.length, 0);
});

test('overlaps: first data wins (in-order overlap, out-of-order overlap, new in-order over stored)', () => {
  // 1) in order then an overlapping segment with different bytes: the old bytes stay
  let t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 0, 'AAAAAAAAAA');
  seg(t, 'c', 5, 'BBBBBBBBBB');      // bytes 5..9 overlap delivered data
  let h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'AAAAAAAAAABBBBB');
  assert.equal(h.engine.streams.overlaps, 1);

  // 2) two out-of-order segments overlapping each other, then the head
  t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 10, 'XXXXXXXXXX');     // 10..19 stored first
  seg(t, 'c', 5, 'YYYYYYYYYY');      // 5..14: only 5..9 is new
  seg(t, 'c', 0, 'ZZZZZ');
  h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'ZZZZZYYYYYXXXXXXXXXX');

  // 3) a long in-order segment over stored out-of-order bytes: the stored bytes (first) win
  t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 10, 'oooooooooo');     // 10..19 stored
  seg(t, 'c', 0, 'nnnnnnnnnnnnnnnnnnnnnnnnn'); // 0..24
  h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'nnnnnnnnnnoooooooooonnnnn');
});

test('depth bound: delivery stops at the limit, flow marked truncated, counter', () => {
  const t = new Trace({ start: T0 });
  const body = 'x'.repeat(3000);
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80 })
    .handshake().send('client', body).send('server', 'y'.repeat(50)).close('fin');
  const h = new Harness({ streamDepth: 1000 }).run(t.packets).finish();
  assert.equal(h.text(0).length, 1000);
  assert.equal(h.text(1).length, 50);
  assert.equal(h.engine.streams.depthReached, 1);
  const eve = h.flowEvents()[0];
  assert.equal(eve.truncated, true);
});

test('gap: the peer ACKs data we never saw -> gap event of the right size, later data delivered', () => {
  const t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 0, 'first-');
  // bytes 6..15 lost in the capture
  seg(t, 's', 0, '', 'A', 16);       // server acks through 16
  seg(t, 'c', 16, 'after');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'first-after');
  assert.deepEqual(h.gaps.map((g) => [g.dir, g.len]), [[0, 10]]);
  assert.equal(h.flowEvents()[0].gap, true);
});

test('gap on close: stored data after a hole is delivered after a gap when the flow ends', () => {
  const t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 0, 'head');
  seg(t, 'c', 10, 'tail');           // 4..9 never arrive, no ack covers them
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'headtail');
  assert.deepEqual(h.gaps.map((g) => [g.dir, g.len]), [[0, 6]]);
});

test('RST closes the flow', () => {
  const t = new Trace({ start: T0 });
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80 }).handshake().send('client', 'abc').close('rst', 'server');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.flowEvents()[0].state, 'closed');
});

test('sequence numbers wrap around 2^32', () => {
  const t = new Trace({ start: T0 });
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80, clientIsn: 0xfffffff0, serverIsn: 0xfffffffe })
    .handshake().send('client', 'abcdefghijklmnopqrstuvwxyz', { segments: [7, 7, 7] }).send('server', 'ok').close('fin');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'abcdefghijklmnopqrstuvwxyz');
  assert.equal(h.text(1), 'ok');
  assert.equal(h.gaps.length, 0);
});

test('midstream pickup: client-port heuristic sets direction; policy "ignore" counts without reassembly', () => {
  const t = new Trace({ start: T0 });
  // no handshake: the server speaks first in the capture
  seg(t, 's', 0, 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
  seg(t, 'c', 0, 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  let h = new Harness().run(t.packets).finish();
  let f = h.flowEvents()[0];
  assert.equal(f.src_ip, C); assert.equal(f.src_port, 40000);   // the higher port is the client
  assert.equal(f.midstream, true);
  assert.equal(f.pkts_toserver, 1); assert.equal(f.pkts_toclient, 1);
  assert.equal(h.text(0), 'GET /next HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(h.engine.streams.midstream, 1);

  h = new Harness({ midstream: 'ignore' }).run(t.packets).finish();
  f = h.flowEvents()[0];
  assert.equal(h.streams.size, 0);     // nothing reassembled
  assert.equal(f.pkts_toserver + f.pkts_toclient, 2);
  assert.equal(f.app, null);
  assert.equal((h.engine.stats().tcp as Record<string, number>).midstream_ignored, 1);
});

test('TCP port reuse: a new SYN on a closed connection starts a new flow', () => {
  const t = new Trace({ start: T0 });
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80 }).handshake().send('client', 'one').close('fin');
  new TcpSession(t, { client: C, server: S, cport: 40000, sport: 80, clientIsn: 77777, serverIsn: 88888 })
    .handshake().send('client', 'two').close('fin');
  const h = new Harness().run(t.packets).finish();
  const flows = h.flowEvents();
  assert.equal(flows.length, 2);
  assert.deepEqual(flows.map((f) => f.reason), ['tcp_reuse', 'shutdown']);
  assert.notEqual(flows[0].flow_id, flows[1].flow_id);
  const texts = [...h.streams.values()].map((s) => Buffer.from(s[0]).toString('latin1'));
  assert.deepEqual(texts, ['one', 'two']);
  assert.equal((h.engine.stats().tcp as Record<string, number>).reuse, 1);
});

test('an ACK more than MAX_ACK_GAP ahead is bogus: no gap, counted', () => {
  const t = new Trace({ start: T0 });
  handshake(t);
  seg(t, 'c', 0, 'abc');
  seg(t, 's', 0, '', 'A', 200 << 20);   // acks 200 MiB the client never sent
  seg(t, 'c', 3, 'def');
  const h = new Harness().run(t.packets).finish();
  assert.equal(h.text(0), 'abcdef');
  assert.equal(h.gaps.length, 0);
  assert.equal((h.engine.stats().tcp as Record<string, number>).ack_gap_ignored, 1);
});
