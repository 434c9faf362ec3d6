/**
 * The flow-end detection pass (AppTap.flowEnd) runs whatever ends a flow: the end of input and a
 * timeout (sweep), and also a memcap eviction or a TCP port reuse during another packet. A
 * response body that never completes and stays below the progressive-inspection step is only
 * ever inspected in that pass, so an evicted flow used to escape its body rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, TcpSession, udpFrame } from '../../src/io/craft';
import { writeTrace, replayEve, alerts } from './helpers';

const RULES = `rule body_marker { meta: sid = 7
  strings: $m = "EVIL-MARKER" in http.response_body
  condition: $m }`;

/** An HTTP response announcing 100,000 body bytes that sends 400 (marker inside), then, 5 ms
 *  later, a UDP datagram of another flow. */
function capture(): Trace {
  const t = new Trace({ start: 1_700_000_000, stepNs: 1_000_000 });
  const body = 'x'.repeat(200) + 'EVIL-MARKER' + 'y'.repeat(189);
  new TcpSession(t, { client: '192.0.2.10', server: '198.51.100.80', cport: 40000, sport: 80 })
    .handshake()
    .send('client', 'GET /big HTTP/1.1\r\nHost: example.com\r\n\r\n')
    .send('server', `HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n${body}`);
  t.advance(5_000_000);
  t.add(udpFrame('192.0.2.11', '198.51.100.53', 'ping', { sport: 41000, dport: 9999 }));
  return t;
}

test('an unfinished response is inspected when its flow ends: at end of input, and when evicted by the memcap', async () => {
  const pcap = writeTrace(capture(), 'flow-end');
  // end of input (the sweep path)
  const atEnd = await replayEve(pcap, RULES);
  assert.equal(alerts(atEnd, 7).length, 1, 'end of input');
  // --max-flows 1: the UDP datagram evicts the HTTP flow during its own packet
  const evicted = await replayEve(pcap, RULES, { engine: { maxFlows: 1 } });
  const a = alerts(evicted, 7);
  assert.equal(a.length, 1, 'memcap eviction runs the flow-end pass');
  assert.equal(a[0].dest_port, 40000, 'the alert belongs to the evicted flow (server to client)');
  assert.equal(a[0].http?.url, '/big');
  const flows = evicted.filter((e) => e.event_type === 'flow');
  assert.equal(flows.length, 2);
});
