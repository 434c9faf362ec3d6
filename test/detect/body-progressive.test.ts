/**
 * Progressive body inspection (src/engine/detect.ts scanBody, decoders/app/http.ts
 * HTTP_*_BODY_DATA, docs/detection.md "Progressive body inspection"): an http.response_body /
 * http.request_body rule sees a long body while it arrives (each HTTP_BODY_INSPECT_STEP bytes,
 * scanning the new part behind BODY_INSPECT_OVERLAP old bytes), and once more when the flow ends
 * with the transaction still open (truncated capture); a rule fires once per transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, TcpSession } from '../../src/io/craft';
import { writeTrace, replayEve, alerts, Eve } from './helpers';
import { HTTP_BODY_INSPECT_STEP } from '../../decoders/app/http';

const T0 = 1_700_000_000;
const PAT = 'PROGRESSIVE-BODY-PATTERN';
const RULES = `rule res { meta: sid = 1 strings: $a = "${PAT}" in http.response_body condition: $a action: alert }
rule req { meta: sid = 2 strings: $a = "${PAT}" in http.request_body condition: $a action: alert }`;

/** `len` filler bytes with PAT at each of `at` */
function body(len: number, at: number[]): Buffer {
  const b = Buffer.alloc(len, 0x2e);
  for (const a of at) b.write(PAT, a, 'latin1');
  return b;
}
const GET = 'GET /f HTTP/1.1\r\nHost: h\r\n\r\n';
const head = (cl: number) => `HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\n`;
const byPort = (evs: Eve[], sid: number, port: number) =>
  alerts(evs, sid).filter((e) => e.src_port === port || e.dest_port === port);

/** Sends `b` from `side` in pieces of `piece` bytes (one send each: the receiver ACKs each). */
function sendPieces(s: TcpSession, side: 'client' | 'server', b: Buffer, piece: number, before?: (off: number) => void): void {
  for (let off = 0; off < b.length; off += piece) {
    if (before) before(off);
    s.send(side, b.subarray(off, Math.min(b.length, off + piece)));
  }
}

test('a response body pattern fires while the body arrives, before the response completes, once', async () => {
  assert.ok(HTTP_BODY_INSPECT_STEP <= 40000);
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.2', cport: 40001, sport: 80 });
  s.handshake().send('client', GET);
  // 96000 bytes in pieces of 8000; the pattern crosses the boundary of the 5th and 6th piece
  const b = body(96000, [39995]);
  s.send('server', head(b.length));
  let donePkt = 0, patPkt = 0;
  sendPieces(s, 'server', b, 8000, (off) => {
    if (off === 40000) patPkt = t.packets.length + 1;      // first packet carrying the pattern's end
    if (off + 8000 >= b.length) donePkt = t.packets.length + 1;
  });
  s.close();
  const a = byPort(await replayEve(writeTrace(t), RULES), 1, 40001);
  assert.equal(a.length, 1, 'fires once');
  assert.ok(a[0].pcap_cnt >= patPkt && a[0].pcap_cnt < donePkt, `alert at packet ${a[0].pcap_cnt}, pattern complete at ${patPkt}, response done at ${donePkt}`);
  assert.equal(a[0].direction, 'to_client');
});

test('a pattern across the end of one progressive inspection is found by the next (overlap window)', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.3', cport: 40002, sport: 80 });
  s.handshake().send('client', GET);
  // first delivery ends 8 bytes into the pattern (an inspection at HTTP_BODY_INSPECT_STEP + 2)
  const first = HTTP_BODY_INSPECT_STEP + 2;
  const b = body(200000, [first - 8]);
  s.send('server', head(b.length));
  s.send('server', b.subarray(0, first));
  s.send('server', b.subarray(first, first + 40000));
  const patPkt = t.packets.length;   // the ACK after the second piece
  // the capture stops here (no completion, no FIN): found before the flow end
  const a = byPort(await replayEve(writeTrace(t), RULES), 1, 40002);
  assert.equal(a.length, 1);
  assert.ok(a[0].pcap_cnt <= patPkt, `alert at packet ${a[0].pcap_cnt}, expected by ${patPkt}`);
});

test('truncated captures: a response or request still open at the end of input is inspected at flow end', async () => {
  const t = new Trace({ start: T0 });
  // (port, bytes captured, pattern offset): below one step (no progressive inspection), past one
  // step with the pattern after the inspected part, and at the very end of the captured bytes
  const cases: [number, number, number][] = [[40010, 20000, 19000], [40011, 50000, 49000], [40012, 70000, 70000 - PAT.length]];
  for (const [port, got, at] of cases) {
    const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.4', cport: port, sport: 80 });
    s.handshake().send('client', GET);
    const b = body(got, [at]);
    s.send('server', head(90000));
    sendPieces(s, 'server', b, 10000);
  }
  // a request body still arriving (Content-Length 90000, 60000 sent)
  const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.4', cport: 40013, sport: 80 });
  s.handshake().send('client', 'POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 90000\r\n\r\n');
  sendPieces(s, 'client', body(60000, [55000]), 10000);
  const evs = await replayEve(writeTrace(t), RULES);
  for (const [port] of cases) assert.equal(byPort(evs, 1, port).length, 1, `port ${port}`);
  const q = byPort(evs, 2, 40013);
  assert.equal(q.length, 1);
  assert.equal(q[0].direction, 'to_client', 'flow-end pass: direction as for responses (no packet)');
  assert.equal(alerts(evs).length, cases.length + 1, 'nothing else fires');
});

test('fires once per transaction: the pattern repeated in one body, and in the next transaction of the flow', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.5', cport: 40020, sport: 80 });
  s.handshake();
  for (let k = 0; k < 2; k++) {
    s.send('client', GET);
    const b = body(90000, [100, 40000, 85000]);
    s.send('server', head(b.length));
    sendPieces(s, 'server', b, 9000);
  }
  s.close();
  const a = byPort(await replayEve(writeTrace(t), RULES), 1, 40020);
  assert.deepEqual(a.map((e) => e.tx_id), [0, 1]);
});

test('no false match: the pattern in bytes after a complete body is not body', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.1.0.1', server: '10.1.0.6', cport: 40030, sport: 80 });
  s.handshake().send('client', GET);
  const b = body(30000, []);
  s.send('server', head(b.length));
  sendPieces(s, 'server', b, 10000);
  s.send('server', 'HTTP/1.1 200 OK\r\n' + PAT + '\r\n');   // not a body
  s.close();
  assert.equal(byPort(await replayEve(writeTrace(t), RULES), 1, 40030).length, 0);
});
