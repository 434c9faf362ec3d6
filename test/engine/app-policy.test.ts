/**
 * Engine policies around the app layer, through the real replay path (crafted captures, rules,
 * EVE): a UDP flow opened by a DNS response is reversed; a dropped flow is no longer parsed or
 * logged; HTTP inside a CONNECT tunnel is parsed by an inner parser (TLS inside stays opaque);
 * `--http-body-limit` raises the body bytes rules can see. The suricata-verify cases
 * (test/replay/sv-dns-reversed-udp-1, sv-dropped-flow-applayer-event-logged-http,
 * sv-http-connect-simple, sv-http-connect-fail) check the same on real captures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Trace, TcpSession, udpExchange } from '../../src/io/craft';
import { dnsMessage, dnsQuery } from '../../src/io/craft-dns';
import { runQuell } from '../helpers/paths';
import { writeTrace, replayEve, alerts, drops, compileOk, Eve, TMP } from '../detect/helpers';
import { runReplay } from '../../src/engine/replay';
import * as fs from 'fs';
import * as path from 'path';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0) / 1000;
const byType = (evs: Eve[], t: string) => evs.filter((e) => e.event_type === t);

/** Replay with rules (IDS, one worker): EVE events plus the engine counters. */
async function replayStats(pcap: string, rules: string): Promise<{ evs: Eve[]; stats: Eve }> {
  const lines: string[] = [];
  const res = await runReplay(pcap, {
    workers: 1, format: 'eve', engine: {}, write: (l) => { lines.push(...l); },
    detect: { ruleset: compileOk(rules), mode: 'ids' },
  });
  return { evs: lines.map((l) => JSON.parse(l)), stats: res.stats as Eve };
}

const DNS_RULES = `
rule ans_to_client { meta: sid = 1 scope: proto = dns dir = to_client strings: $a = "example.org" in dns.query condition: $a action: alert }
rule any_to_server { meta: sid = 2 scope: proto = dns dir = to_server strings: $a = "example.org" in dns.query condition: $a action: alert }
`;
const response = (id: number) => dnsMessage({ id, response: true, question: { name: 'www.example.org', type: 'A' },
  answers: [{ name: 'www.example.org', type: 'A', addr: '192.0.2.7' }] });

test('UDP: a flow whose first datagram is a DNS response is reversed (responder = server)', async () => {
  const t = new Trace({ start: T0 });
  udpExchange(t, { client: '10.1.0.5', server: '10.1.0.53', cport: 41805, sport: 53, messages: [
    { from: 'server', data: response(0x1111) },      // the query was missed
    { from: 'client', data: dnsQuery(0x2222, 'www.example.org') },
    { from: 'server', data: response(0x2222) },
  ] });
  const { evs, stats } = await replayStats(writeTrace(t, 'dnsrev'), DNS_RULES);
  const flows = byType(evs, 'flow');
  assert.equal(flows.length, 1);
  assert.equal(flows[0].src_ip, '10.1.0.5', 'the querier is the client');
  assert.equal(flows[0].dest_port, 53);
  assert.equal(flows[0].flow.pkts_toserver, 1);
  assert.equal(flows[0].flow.pkts_toclient, 2, 'the first (response) packet is counted to_client');
  assert.equal(alerts(evs, 1).length, 2, 'both responses are to_client');
  assert.equal(alerts(evs, 2).length, 1, 'only the query is to_server');
  const answers = byType(evs, 'dns').filter((e) => e.dns.type === 'answer');
  assert.equal(answers.length, 2);
  for (const a of answers) assert.equal(a.src_ip, '10.1.0.53');
  assert.equal(stats.flow.reversed, 1);
});

test('UDP: a flow opened by a query is not reversed, nor by a later response', async () => {
  const t = new Trace({ start: T0 });
  udpExchange(t, { client: '10.1.0.5', server: '10.1.0.53', cport: 41806, sport: 53, messages: [
    { from: 'client', data: dnsQuery(0x3333, 'www.example.org') },
    { from: 'server', data: response(0x3333) },
  ] });
  // a query sent from port 53 (to a high port) is still a query: its sender stays the client
  udpExchange(t, { client: '10.1.0.6', server: '10.1.0.54', cport: 53, sport: 5300, messages: [
    { from: 'client', data: dnsQuery(0x4444, 'www.example.org') },
  ] });
  const { evs, stats } = await replayStats(writeTrace(t, 'dnsfwd'), DNS_RULES);
  const flows = byType(evs, 'flow');
  assert.equal(flows.length, 2);
  assert.equal(flows.find((f) => f.src_ip === '10.1.0.5')?.dest_port, 53);
  assert.equal(flows.find((f) => f.src_ip === '10.1.0.6')?.src_port, 53, 'a query from port 53 keeps its sender as client');
  assert.equal(alerts(evs, 1).length, 1);
  assert.equal(alerts(evs, 2).length, 2);
  assert.equal(stats.flow.reversed, 0);
});

test('--simulate-ips: after a flow drop the flow is counted but no longer parsed, logged or inspected', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.2.0.1', server: '10.2.0.2', cport: 40100, sport: 80 });
  s.handshake();                                                                            // 1-3
  s.send('client', 'GET /first HTTP/1.1\r\nHost: a\r\n\r\n');                              // 4 (+5)
  s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');                      // 6 (+7)
  s.send('client', 'GET /evil HTTP/1.1\r\nHost: a\r\n\r\n');                                // 8 (+9)
  s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');                   // 10 (+11)
  s.send('client', 'GET /after HTTP/1.1\r\nHost: a\r\n\r\n');                               // 12 (+13)
  s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nworld');                   // 14 (+15)
  s.close();
  const f = writeTrace(t, 'dropflow');
  const rules = `
rule evil { meta: sid = 1 strings: $a = "/evil" in http.uri condition: $a action: drop flow; alert }
rule later { meta: sid = 2 strings: $a = "/after" in http.uri condition: $a action: alert }
rule body { meta: sid = 3 strings: $a = "world" condition: $a action: alert }`;
  const ids = await replayEve(f, rules);
  assert.equal(byType(ids, 'http').length, 3, 'IDS: nothing is dropped, all three transactions logged');
  assert.equal(alerts(ids, 2).length, 1);
  const ips = await replayEve(f, rules, { mode: 'simulate' });
  assert.equal(alerts(ips, 1).length, 1);
  assert.equal(alerts(ips, 1)[0].alert.action, 'blocked');
  assert.equal(alerts(ips, 2).length, 0, 'no detection on the dropped flow');
  assert.equal(alerts(ips, 3).length, 0, 'no payload detection on the dropped flow either');
  const http = byType(ips, 'http');
  assert.deepEqual(http.map((e) => e.http.url), ['/first'], 'only the transaction completed before the drop');
  const flow = byType(ips, 'flow')[0];
  assert.equal(flow.flow.pkts_toserver + flow.flow.pkts_toclient, t.packets.length, 'every packet still counted');
  assert.equal(flow.flow.pkts_toserver, byType(ids, 'flow')[0].flow.pkts_toserver);
  assert.equal(flow.flow.bytes_toclient, byType(ids, 'flow')[0].flow.bytes_toclient);
  const d = drops(ips);
  assert.equal(d.length, t.packets.length - 7, 'the deciding packet and every later one are drop events');
  assert.equal(d.filter((e) => e.drop.reason === 'flow drop').length, t.packets.length - 8);
});

function connectSession(inner: (s: TcpSession) => void, cport: number): Trace {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.3.0.1', server: '10.3.0.2', cport, sport: 3128 });
  s.handshake();
  s.send('client', 'CONNECT example.org:443 HTTP/1.1\r\nHost: example.org:443\r\n\r\n');
  s.send('server', 'HTTP/1.1 200 Connection established\r\n\r\n');
  inner(s);
  s.close();
  return t;
}
const TUNNEL_RULES = `
rule inner_uri { meta: sid = 1 strings: $a = "/secret" in http.uri condition: $a action: alert }
rule connect { meta: sid = 2 strings: $a = "CONNECT" in http.method condition: $a action: alert }`;

test('CONNECT tunnel carrying HTTP: the inner transactions are parsed, logged and inspected', async () => {
  const t = connectSession((s) => {
    // request split so that detection inside the tunnel needs more than one segment
    s.send('client', 'GET /secret HTTP/1.1\r\nHost: example.org\r\n\r\n', { segments: [2, 9] });
    s.send('server', 'HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!');
    s.send('client', 'GET /two HTTP/1.1\r\nHost: example.org\r\n\r\n');
    s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  }, 40200);
  const { evs, stats } = await replayStats(writeTrace(t, 'connect-http'), TUNNEL_RULES);
  const http = byType(evs, 'http');
  assert.deepEqual(http.map((e) => [e.http.http_method, e.http.url, e.http.status]),
    [['CONNECT', 'example.org:443', 200], ['GET', '/secret', 404], ['GET', '/two', 200]]);
  assert.deepEqual(http.map((e) => e.tx_id), [0, 1, 2]);
  assert.equal(alerts(evs, 1).length, 1, 'rule on the tunnelled request');
  assert.equal(alerts(evs, 2).length, 1);
  const st = stats.app_layer;
  assert.equal(st.flow.http_tunnel, 1);
  assert.equal(st.flow.http_in_tunnel, 1);
  assert.equal(st.tx.http, 3);
});

test('CONNECT tunnel carrying TLS stays opaque', async () => {
  const hello = Buffer.from('16030100a5010000a10303' + '11'.repeat(32) + '00' + '0004130113020100' + '0074' + '00'.repeat(0x74), 'hex');
  const t = connectSession((s) => {
    s.send('client', hello);
    s.send('server', Buffer.from('160303003a020000360303' + '22'.repeat(32) + '00130100000e002b0002030400330004001d0000', 'hex'));
    s.send('client', 'GET /secret HTTP/1.1\r\nHost: x\r\n\r\n'); // inside TLS this would be ciphertext: never parsed
  }, 40201);
  const { evs, stats } = await replayStats(writeTrace(t, 'connect-tls'), TUNNEL_RULES);
  assert.deepEqual(byType(evs, 'http').map((e) => e.http.http_method), ['CONNECT']);
  assert.equal(alerts(evs, 1).length, 0);
  const st = stats.app_layer;
  assert.equal(st.flow.http_tunnel, 1);
  assert.equal(st.flow.http_in_tunnel, 0);
});

test('--http-body-limit: body bytes past the default 100 KiB reach rules only when raised', () => {
  const body = Buffer.alloc(150_000, 0x61);
  Buffer.from('NEEDLE-9f3c').copy(body, 120_000);
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.4.0.1', server: '10.4.0.2', cport: 40300, sport: 80 });
  s.handshake();
  s.send('client', 'GET /big HTTP/1.1\r\nHost: a\r\n\r\n');
  s.send('server', Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body]));
  s.close();
  const f = writeTrace(t, 'bigbody');
  const rules = path.join(TMP, 'body.rules');
  fs.writeFileSync(rules, 'rule n { meta: sid = 1 strings: $a = "NEEDLE-9f3c" in http.response_body condition: $a action: alert }\n');
  const run = (extra: string[]) => runQuell(['replay', f, '--rules', rules, '--eve', '-', '--quiet', '--workers', '1', ...extra]);
  const count = (out: string) => out.split('\n').filter((l) => l.includes('"event_type":"alert"')).length;
  const def = run([]);
  assert.equal(def.status, 0, def.stderr);
  assert.equal(count(def.stdout), 0, 'default limit: the needle at 120,000 is not kept');
  const big = run(['--http-body-limit', '200000']);
  assert.equal(big.status, 0, big.stderr);
  assert.equal(count(big.stdout), 1);
  const small = run(['--http-body-limit', '1000']);
  assert.equal(count(small.stdout), 0);
  const bad = run(['--http-body-limit', '12kb']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--http-body-limit/);
});
