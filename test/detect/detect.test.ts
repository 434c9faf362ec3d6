/**
 * Detection glue (src/engine/detect.ts) over crafted captures: which packet a rule fires on,
 * once per HTTP transaction, DNS, flow tags, count(), precedence, flow verdicts with
 * --simulate-ips, replace (rewritten bytes), decode events, inline verdict words, CLI errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { Trace, TcpSession, udpExchange, ethernet, ipv4Fragments, udp, ETHERTYPE_IPV4 } from '../../src/io/craft';
import { dnsMessage, dnsQuery } from '../../src/io/craft-dns';
import { writeTrace, replayEve, alerts, drops, compileOk, TMP, Eve } from './helpers';
import { batchOf } from '../engine/harness';
import { QuellEngine } from '../../src/engine/pipeline';
import { createDetector } from '../../src/engine/detect';
import { V_ACCEPT, V_DROP, V_REJECT, V_F_FLOW, V_F_PAYLOAD, V_KIND_MASK } from '../../src/io/batch';
import { runQuell } from '../helpers/paths';

const T0 = 1_700_000_000;

/** Client 10.0.0.1:40000 -> server 10.0.0.2:80 with two keep-alive transactions, then FIN. */
function twoTxSession(): { trace: Trace } {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 40000, sport: 80 });
  s.handshake();                                                                  // pkts 1-3
  s.send('client', 'GET /admin/a.php?id=1 HTTP/1.1\r\nHost: WWW.Example.com:8080\r\nUser-Agent: sqlmap/1.5\r\nX-Api-Key: k-123\r\n\r\n'); // 4 (+ack 5)
  s.send('server', 'HTTP/1.1 404 Not Found\r\nServer: nginx/1.2\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found'); // 6 (+7)
  s.send('client', 'GET /admin/b.php HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8\r\n\r\n'); // 8 (+9)
  s.send('server', 'HTTP/1.1 200 OK\r\nServer: nginx/1.2\r\nContent-Length: 2\r\n\r\nok'); // 10 (+11)
  s.close();
  return { trace: t };
}

const pktNo = (e: Eve, t: Trace) => {
  // alert timestamp -> packet index (1-based) in the crafted trace (1 ms steps)
  const us = Date.parse(e.timestamp.slice(0, 19) + 'Z') * 1000 + Number(e.timestamp.slice(20, 26));
  return t.packets.findIndex((p) => p.tsSec * 1e6 + Math.floor(p.tsNsec / 1000) === us) + 1;
};

test('HTTP request fields fire on the request-headers packet, once per transaction', async () => {
  const { trace } = twoTxSession();
  const f = writeTrace(trace, 'http2tx');
  const evs = await replayEve(f, `
rule uri_admin { meta: sid = 1 strings: $a = "/admin/" in http.uri condition: $a action: alert }
rule host_eq { meta: sid = 2 condition: http.host == "www.example.com" action: alert }
rule ua_sqlmap { meta: sid = 3 severity = "high" category = "web-attack" strings: $u = "sqlmap" nocase in http.user_agent condition: $u action: alert }
rule api_key { meta: sid = 4 condition: http.header["x-api-key"] startswith "k-" action: alert }
rule method_get { meta: sid = 5 condition: http.method == "GET" and flow.to_server action: alert }
`);
  const a1 = alerts(evs, 1);
  assert.equal(a1.length, 2, 'one alert per transaction');
  assert.deepEqual(a1.map((e) => pktNo(e, trace)), [4, 8]);
  assert.deepEqual(a1.map((e) => e.pcap_cnt), [4, 8], 'pcap_cnt = packet ordinal in the file');
  assert.deepEqual(a1.map((e) => e.tx_id), [0, 1]);
  assert.equal(a1[0].http.url, '/admin/a.php?id=1');
  assert.equal(a1[0].direction, 'to_server');
  assert.equal(a1[0].app_proto, 'http');
  assert.equal(a1[0].src_ip, '10.0.0.1');
  assert.equal(a1[0].dest_port, 80);
  assert.equal(a1[0].alert.action, 'allowed');
  assert.equal(a1[0].alert.gid, 1);
  // host is lower-cased, port stripped: both transactions
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, trace)), [4, 8]);
  const ua = alerts(evs, 3);
  assert.equal(ua.length, 1);
  assert.equal(ua[0].alert.severity, 1);
  assert.equal(ua[0].alert.category, 'web-attack');
  assert.deepEqual(alerts(evs, 4).map((e) => pktNo(e, trace)), [4]);
  // fires at request headers, not again at the response of the same transaction
  assert.deepEqual(alerts(evs, 5).map((e) => pktNo(e, trace)), [4, 8]);
  const st = evs.find((e) => e.event_type === 'stats');
  assert.equal(st, undefined, 'runReplay itself writes no stats line');
  const flows = evs.filter((e) => e.event_type === 'flow');
  assert.deepEqual(flows.map((e) => e.flow.alerted), [true], 'EVE flow.alerted');
  const quiet = await replayEve(f, 'rule quiet_rule { meta: sid = 99 strings: $a = "NOT THERE" condition: $a action: alert }');
  assert.deepEqual(quiet.filter((e) => e.event_type === 'flow').map((e) => e.flow.alerted), [false]);
});

test('HTTP response fields fire on the response-headers packet', async () => {
  const { trace } = twoTxSession();
  const f = writeTrace(trace, 'http2tx');
  const evs = await replayEve(f, `
rule nf { meta: sid = 10 condition: http.status == 404 action: alert }
rule srv { meta: sid = 11 scope: dir = to_client strings: $s = "nginx" in http.server condition: $s action: alert }
rule ct { meta: sid = 12 condition: http.content_type == "text/html" and http.uri contains "a.php" action: alert }
rule body { meta: sid = 13 strings: $b = "not found" in http.response_body condition: $b action: alert }
`);
  assert.deepEqual(alerts(evs, 10).map((e) => pktNo(e, trace)), [6]);
  assert.equal(alerts(evs, 10)[0].direction, 'to_client');
  assert.equal(alerts(evs, 10)[0].http.status, 404);
  assert.deepEqual(alerts(evs, 11).map((e) => pktNo(e, trace)), [6, 10]);
  assert.deepEqual(alerts(evs, 12).map((e) => pktNo(e, trace)), [6], 'request and response fields together');
  assert.deepEqual(alerts(evs, 13).map((e) => pktNo(e, trace)), [6]);
});

test('request split over segments: fields appear on the packet that completes the headers', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 40001, sport: 80 });
  s.handshake();
  s.send('client', 'GET /admin/x HTTP/1.1\r\nHost: a.example\r\n\r\n', { segments: [10, 10] }); // pkts 4,5,6 (+ack 7)
  s.close();
  const evs = await replayEve(writeTrace(t), `rule u { meta: sid = 1 strings: $a = "/admin/x" in http.uri condition: $a action: alert }
rule p { meta: sid = 2 strings: $a = "/admin/x" condition: $a action: alert }`);
  assert.deepEqual(alerts(evs, 1).map((e) => pktNo(e, t)), [6]);
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, t)), [], 'the payload of no single packet holds the string');
});

test('payload rules fire per packet; stream sees the bytes delivered by the packet', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 40002, sport: 9000 });
  s.handshake();
  s.send('client', 'hello MAGIC one');   // 4
  s.send('client', 'hello MAGIC two');   // 6
  s.close();
  const evs = await replayEve(writeTrace(t), `rule m { meta: sid = 1 strings: $a = "MAGIC" condition: $a action: alert }
rule st { meta: sid = 2 strings: $a = "MAGIC two" in stream condition: $a action: alert }`);
  assert.deepEqual(alerts(evs, 1).map((e) => pktNo(e, t)), [4, 6]);
  assert.equal(alerts(evs, 1)[0].app_proto, undefined);
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, t)), [6]);
});

test('http rules stay silent on non-HTTP flows (port 80 with other bytes, DNS, UDP)', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 40003, sport: 80 });
  s.handshake();
  s.send('client', 'XYZZY /admin/ HTTP/1.1 Host: www.example.com\r\n\r\n');
  s.close();
  udpExchange(t, { client: '10.0.0.1', server: '10.0.0.53', cport: 5555, sport: 53, messages: [{ from: 'client', data: dnsQuery(7, 'admin.example.com') }] });
  udpExchange(t, { client: '10.0.0.1', server: '10.0.0.9', cport: 5556, sport: 80, messages: [{ from: 'client', data: 'GET /admin/ HTTP/1.1\r\nHost: www.example.com\r\n\r\n' }] });
  const evs = await replayEve(writeTrace(t), `
rule u { meta: sid = 1 strings: $a = "/admin/" in http.uri condition: $a action: alert }
rule h { meta: sid = 2 condition: http.host == "www.example.com" action: alert }
rule sc { meta: sid = 3 scope: proto = http condition: true action: alert }
rule pl { meta: sid = 4 strings: $a = "/admin/" condition: $a action: alert }`);
  assert.equal(alerts(evs, 1).length, 0);
  assert.equal(alerts(evs, 2).length, 0);
  assert.equal(alerts(evs, 3).length, 0);
  assert.equal(alerts(evs, 4).length, 2, 'the payload rule sees both packets (control)');
});

test('DNS: dns.query and dns.answers on the packet carrying the message', async () => {
  const t = new Trace({ start: T0 });
  udpExchange(t, {
    client: '10.0.0.1', server: '10.0.0.53', cport: 5353 + 1, sport: 53, messages: [
      { from: 'client', data: dnsQuery(0x1234, 'Evil.Example.COM') },
      { from: 'server', data: dnsMessage({ id: 0x1234, response: true, question: { name: 'evil.example.com', type: 'A' }, answers: [{ name: 'evil.example.com', type: 'A', addr: '192.0.2.66' }] }) },
      { from: 'client', data: dnsQuery(0x1235, 'good.example.org') },
    ],
  });
  const evs = await replayEve(writeTrace(t), `
rule q { meta: sid = 1 scope: proto = dns dir = to_server condition: dns.query == "evil.example.com" action: alert }
rule qs { meta: sid = 2 strings: $a = "example" in dns.query condition: $a action: alert }
rule an { meta: sid = 3 strings: $a = "192.0.2.66" in dns.answers condition: $a action: alert }`);
  const q = alerts(evs, 1);
  assert.deepEqual(q.map((e) => pktNo(e, t)), [1]);
  assert.equal(q[0].app_proto, 'dns');
  assert.equal(q[0].dns.query[0].rrname, 'evil.example.com');
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, t)), [1, 2, 3], 'query and response, once per message');
  const an = alerts(evs, 3);
  assert.deepEqual(an.map((e) => pktNo(e, t)), [2]);
  assert.equal(an[0].dns.answer.answers[0].rdata, '192.0.2.66');
});

test('flow tags: set by one rule, read by a later packet of the same flow only', async () => {
  const { trace } = twoTxSession();
  const t2 = new TcpSession(trace, { client: '10.0.0.7', server: '10.0.0.2', cport: 40100, sport: 80 });
  t2.handshake();
  t2.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const evs = await replayEve(writeTrace(trace), `
private rule mark_sqlmap { strings: $u = "sqlmap" in http.user_agent condition: $u and flow.tag("sqlmap") }
rule seen { meta: sid = 1 scope: proto = http condition: mark_sqlmap or true action: log }
rule resp_after { meta: sid = 2 scope: dir = to_client strings: $h = "HTTP/1.1 200" condition: $h and flow.has("sqlmap") action: alert }`);
  // flow 1: tagged at pkt 4; its 200 response is pkt 10. flow 2 never tagged.
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, trace)), [10]);
});

test('count(by = src, window) thresholds', async () => {
  const t = new Trace({ start: T0 });
  for (let i = 0; i < 6; i++) {
    const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 41000 + i, sport: 22 });
    s.segment('client', 'S');
  }
  const s = new TcpSession(t, { client: '10.0.0.3', server: '10.0.0.2', cport: 42000, sport: 22 });
  s.segment('client', 'S');
  const evs = await replayEve(writeTrace(t), `rule syns { meta: sid = 1 condition: tcp.flags == 2 and count(by = src, window = 60s) > 3 action: alert }`);
  assert.deepEqual(alerts(evs, 1).map((e) => pktNo(e, t)), [4, 5, 6]);
});

const PRECEDENCE = `
rule a_alert { meta: sid = 1 strings: $a = "EVIL" condition: $a action: alert }
rule a_accept { meta: sid = 2 strings: $a = "EVIL" condition: $a action: accept; alert }
rule a_reject { meta: sid = 3 strings: $a = "EVIL" condition: $a action: reject }
rule a_drop { meta: sid = 4 strings: $a = "EVIL" condition: $a action: drop flow }
`;

function evilSession(): Trace {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 43000, sport: 80 });
  s.handshake();                               // 1-3
  s.send('client', 'EVIL payload');            // 4 (+ ack 5)
  s.send('client', 'more data');               // 6 (+ ack 7)
  s.close();                                   // 8-10
  return t;
}

test('precedence drop > reject > accept > alert; verdict on the deciding rule', async () => {
  const t = evilSession();
  const f = writeTrace(t);
  const ids = await replayEve(f, PRECEDENCE);
  assert.equal(alerts(ids).length, 4);
  for (const e of alerts(ids)) assert.equal(e.alert.action, 'allowed', 'IDS mode: nothing blocked');
  assert.deepEqual(alerts(ids).filter((e) => e.verdict).map((e) => [e.alert.signature_id, e.verdict.action]), [[4, 'drop']]);
  assert.equal(drops(ids).length, 0);
  // without the drop rule, reject decides; without reject, accept
  const noDrop = PRECEDENCE.split('\n').filter((l) => !l.includes('a_drop')).join('\n');
  const r2 = await replayEve(f, noDrop);
  assert.deepEqual(alerts(r2).filter((e) => e.verdict).map((e) => [e.alert.signature_id, e.verdict.action]), [[3, 'reject']]);
  const r3 = await replayEve(f, noDrop.split('\n').filter((l) => !l.includes('a_reject')).join('\n'));
  assert.deepEqual(alerts(r3).filter((e) => e.verdict).map((e) => [e.alert.signature_id, e.verdict.action]), [[2, 'accept']]);
});

test('--simulate-ips: drop flow drops the deciding packet and every later packet of the flow', async () => {
  const t = evilSession();
  const f = writeTrace(t);
  const ips = await replayEve(f, PRECEDENCE, { mode: 'simulate' });
  const al = alerts(ips);
  assert.deepEqual(al.map((e) => pktNo(e, t)), [4, 4, 4, 4], 'later packets are not inspected');
  const bySid = new Map(al.map((e) => [e.alert.signature_id, e.alert.action]));
  assert.equal(bySid.get(4), 'blocked');
  assert.equal(bySid.get(3), 'blocked');
  assert.equal(bySid.get(1), 'allowed');
  const d = drops(ips);
  assert.deepEqual(d.map((e) => pktNo(e, t)), [4, 5, 6, 7, 8, 9, 10]);
  assert.equal(d[0].drop.reason, 'rules');
  assert.ok(d.slice(1).every((e) => e.drop.reason === 'flow drop'));
  assert.equal(d[0].drop.psh, true);
  assert.equal(d[0].drop.ttl, 64);
  assert.equal(typeof d[0].drop.tcpseq, 'number');
  // IDS mode: the later packets still inspected (a rule on "more data" fires)
  const ids = await replayEve(f, PRECEDENCE + 'rule more { meta: sid = 9 strings: $m = "more data" condition: $m action: alert }');
  assert.equal(alerts(ids, 9).length, 1);
  const ips2 = await replayEve(f, PRECEDENCE + 'rule more { meta: sid = 9 strings: $m = "more data" condition: $m action: alert }', { mode: 'simulate' });
  assert.equal(alerts(ips2, 9).length, 0);
});

test('inline verdict words (ips mode): drop flow, sticky, reject, accept flow, mark, replace bytes', () => {
  const t = new Trace({ start: T0 });
  const a = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 44000, sport: 80 });
  a.handshake(); a.send('client', 'DROPME'); a.send('client', 'later');         // 1-3, 4-5, 6-7
  const b = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 44001, sport: 80 });
  b.handshake(); b.send('client', 'REJECTME', { ack: false });                   // 8-10, 11
  const c = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 44002, sport: 80 });
  c.handshake(); c.send('client', 'TRUSTED', { ack: false });                    // 12-14, 15
  const d = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 44003, sport: 80 });
  d.handshake(); d.send('client', 'user=admin&password=hunter2 ok', { ack: false }); // 16-18, 19
  const rs = compileOk(`
rule d { meta: sid = 1 strings: $a = "DROPME" condition: $a action: drop flow }
rule r { meta: sid = 2 strings: $a = "REJECTME" condition: $a action: reject }
rule ok { meta: sid = 3 strings: $a = "TRUSTED" condition: $a action: accept flow; mark 7 }
rule rw { meta: sid = 4 strings: $p = "hunter2" condition: $p action: replace $p with "XXXXXXX"; alert }`);
  const det = createDetector(rs, { mode: 'ips' });
  const e = new QuellEngine({ detect: det, ruleset: rs });
  const batch = batchOf(t.packets);
  e.processBatch(batch);
  const v = (i: number) => batch.verdict[2 * (i - 1)];
  const mark = (i: number) => batch.verdict[2 * (i - 1) + 1];
  assert.equal(v(3), V_ACCEPT);
  assert.equal(v(4), V_DROP | V_F_FLOW);
  assert.equal(v(5) & V_KIND_MASK, V_DROP, 'the rest of the flow is dropped (sticky)');
  assert.equal(v(6) & V_KIND_MASK, V_DROP);
  assert.equal(v(11), V_REJECT);
  assert.equal(v(15), V_ACCEPT | V_F_FLOW);
  assert.equal(mark(15), 7);
  assert.equal(v(19), V_ACCEPT | V_F_PAYLOAD);
  // the bytes in the batch buffer were rewritten in place
  let off = 0;
  for (let i = 0; i < 18; i++) off += t.packets[i].data.length;
  const pkt = Buffer.from(batch.data.subarray(off, off + t.packets[18].data.length)).toString('latin1');
  assert.ok(pkt.includes('password=XXXXXXX ok'), pkt);
  assert.ok(!pkt.includes('hunter2'));
  const ev = e.drainEvents().filter((x) => x.event_type === 'alert');
  assert.deepEqual(ev.map((x) => (x.alert as { signature_id: number }).signature_id), [1, 2, 4]);
  const st = e.stats().detect as Record<string, unknown>;
  assert.deepEqual(st.rule_hits, { d: 1, r: 1, ok: 1, rw: 1 });
});

test('decode-event rules', async () => {
  const t = new Trace({ start: T0 });
  const payload = udp('10.0.0.1', '10.0.0.2', new Uint8Array(64).fill(0x41), { sport: 1000, dport: 2000 });
  for (const fr of ipv4Fragments(payload, { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, id: 77 }, 32)) t.add(ethernet(ETHERTYPE_IPV4, fr));
  const evs = await replayEve(writeTrace(t), `rule frag { meta: sid = 1 condition: event.ipv4.frag action: alert }
rule re { meta: sid = 2 condition: event.ipv4.reassembled and udp.dport == 2000 action: alert }`);
  assert.equal(alerts(evs, 1).length, 3, 'every fragment');
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, t)), [3]);
});

test('quell replay --rules: errors -> diagnostics, exit 1, nothing replayed; stats carry per-rule hits', () => {
  const { trace } = twoTxSession();
  const f = writeTrace(trace);
  const bad = path.join(TMP, 'bad.rules');
  fs.writeFileSync(bad, 'rule x { strings: $a = "x" in http.urii condition: $a }\n');
  const out = path.join(TMP, 'bad.json');
  const r = runQuell(['replay', f, '--rules', bad, '--eve', out, '--workers', '1']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /error\[E0\d\d\]/);
  assert.match(r.stderr, /bad\.rules:1:/);
  assert.equal(fs.existsSync(out), false, 'nothing written');
  const good = path.join(TMP, 'good.rules');
  fs.writeFileSync(good, 'rule uri_admin { meta: sid = 7 rev = 2 msg = "admin" strings: $a = "/admin/" in http.uri condition: $a action: alert }\nrule never { meta: sid = 8 strings: $a = "NOPE" condition: $a }\n');
  const r2 = runQuell(['replay', f, '--rules', good, '--eve', '-', '--workers', '1', '--quiet']);
  assert.equal(r2.status, 0, r2.stderr);
  const evs = r2.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const al = alerts(evs, 7);
  assert.equal(al.length, 2);
  assert.equal(al[0].alert.rev, 2);
  assert.equal(al[0].alert.signature, 'admin');
  const st = evs.find((e) => e.event_type === 'stats');
  assert.deepEqual(st.stats.rules, [{ sid: 7, name: 'uri_admin', hits: 2 }, { sid: 8, name: 'never', hits: 0 }]);
  assert.equal(st.stats.detect.alerts, 2);
  const r3 = runQuell(['replay', f, '--simulate-ips', '--eve', '-']);
  assert.equal(r3.status, 2, 'usage: --simulate-ips without --rules');
});

test('app-layer event rules: the transaction\'s own events, in its HTTP pass', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 45000, sport: 80 });
  s.handshake();
  s.send('client', 'GET /a HTTP/1.1\r\nUser-Agent: x\r\n\r\n');                        // 4: no Host
  s.send('client', 'GET /b HTTP/1.1\r\nHost: h\r\n\r\n');                               // 6
  s.send('client', 'POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'); // 8
  s.close();
  const evs = await replayEve(writeTrace(t), `
rule nohost { meta: sid = 1 condition: event.http.host_missing action: alert }
rule smuggle { meta: sid = 2 condition: event.http.te_and_cl and http.method == "POST" action: alert }`);
  assert.deepEqual(alerts(evs, 1).map((e) => pktNo(e, t)), [4]);
  assert.equal(alerts(evs, 1)[0].http.url, '/a');
  assert.deepEqual(alerts(evs, 2).map((e) => pktNo(e, t)), [8]);
});

test('engine.setRuleset swaps the rules between batches (same detector)', () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 46000, sport: 80 });
  s.handshake(); s.send('client', 'ALPHA BETA', { ack: false });      // 1-3, 4
  s.send('client', 'ALPHA BETA', { ack: false });                     // 5
  const A = compileOk('rule a { meta: sid = 1 strings: $a = "ALPHA" condition: $a action: drop }');
  const B = compileOk('rule b { meta: sid = 2 strings: $a = "BETA" condition: $a action: alert }\nrule c { meta: sid = 3 condition: tcp.dport == 80 and flow.to_server action: log }');
  const det = createDetector(A, { mode: 'ips' });
  const e = new QuellEngine({ detect: det, ruleset: A });
  const b1 = batchOf(t.packets.slice(0, 4));
  e.processBatch(b1);
  assert.equal(b1.verdict[2 * 3], V_DROP);
  e.setRuleset(B);
  const b2 = batchOf(t.packets.slice(4, 5), 5);
  e.processBatch(b2);
  assert.equal(b2.verdict[0], V_ACCEPT);
  const sids = e.drainEvents().filter((x) => x.event_type === 'alert').map((x) => (x.alert as { signature_id: number }).signature_id);
  assert.deepEqual(sids, [1, 2, 3]);
  assert.deepEqual((e.stats().detect as { rule_hits: unknown }).rule_hits, { b: 1, c: 1 });
});

test('out-of-order segments: one packet releases two pipelined requests, both inspected on it', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 47000, sport: 80 });
  s.handshake();                                                     // 1-3
  const r1 = 'GET /first HTTP/1.1\r\nHost: h\r\n\r\n', r2 = 'GET /second HTTP/1.1\r\nHost: h\r\n\r\n';
  const base = s.nextSeq('client');
  s.segment('client', 'PA', r2, { seq: base + r1.length });          // 4: stored out of order
  s.segment('client', 'PA', r1, { seq: base });                      // 5: delivers r1, then the stored r2
  s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'); // 6
  s.close();
  const evs = await replayEve(writeTrace(t), `rule u { meta: sid = 1 condition: http.uri startswith "/" and flow.to_server action: alert }
rule st { meta: sid = 2 condition: http.status == 200 action: alert }`);
  const a = alerts(evs, 1);
  assert.deepEqual(a.map((e) => [pktNo(e, t), e.http.url]), [[5, '/first'], [5, '/second']]);
  assert.deepEqual(alerts(evs, 2).map((e) => [pktNo(e, t), e.tx_id]), [[6, 0], [6, 1]]);
});

test('block src for T (simulate-ips): later packets of that source are dropped as banned, others not', async () => {
  const t = new Trace({ start: T0 });
  const a = new TcpSession(t, { client: '10.0.0.66', server: '10.0.0.2', cport: 48000, sport: 80 });
  a.handshake(); a.send('client', 'ATTACK now', { ack: false });                // 1-3, 4
  const b = new TcpSession(t, { client: '10.0.0.66', server: '10.0.0.2', cport: 48001, sport: 80 });
  b.handshake();                                                                // 5-7: 5 and 7 from the banned source
  const c = new TcpSession(t, { client: '10.0.0.77', server: '10.0.0.2', cport: 48002, sport: 80 });
  c.handshake();                                                                // 8-10
  const rules = 'rule atk { meta: sid = 1 strings: $a = "ATTACK" condition: $a action: block src for 1m; alert }\nrule syn { meta: sid = 2 condition: tcp.flags == 2 action: log }';
  const sim = await replayEve(writeTrace(t), rules, { mode: 'simulate' });
  assert.deepEqual(alerts(sim, 1).map((e) => pktNo(e, t)), [4]);
  assert.deepEqual(drops(sim).map((e) => [pktNo(e, t), e.drop.reason]), [[5, 'ban'], [7, 'ban']]);
  assert.deepEqual(alerts(sim, 2).map((e) => pktNo(e, t)), [1, 8], 'the banned SYN is not inspected');
  const ids = await replayEve(writeTrace(t), rules);
  assert.equal(drops(ids).length, 0);
  assert.deepEqual(alerts(ids, 2).map((e) => pktNo(e, t)), [1, 5, 8]);
});

test('a drop decided on reassembled data (http.uri) takes the TCP flow; a payload drop only the packet', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 49000, sport: 80 });
  s.handshake();                                                                     // 1-3
  const req = 'GET /app-layer-drop HTTP/1.1\r\nHost: h\r\n\r\n';
  const base = s.nextSeq('client');
  s.segment('client', 'PA', req);                                                    // 4: decided here
  s.segment('client', 'PA', req, { seq: base });                                     // 5: the retransmission
  const u = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 49001, sport: 9000 });
  u.handshake();                                                                     // 6-8
  const b2 = u.nextSeq('client');
  u.segment('client', 'PA', 'PAYLOAD-DROP');                                         // 9
  u.segment('client', 'PA', 'PAYLOAD-DROP', { seq: b2 });                           // 10: retransmission, payload inspected again
  u.segment('client', 'PA', 'fine');                                                 // 11
  const rules = `rule h { meta: sid = 1 condition: http.uri contains "/app-layer-drop" action: drop }
rule p { meta: sid = 2 strings: $a = "PAYLOAD-DROP" condition: $a action: drop }`;
  const rs = compileOk(rules);
  const e = new QuellEngine({ detect: createDetector(rs, { mode: 'ips' }), ruleset: rs });
  const batch = batchOf(t.packets);
  e.processBatch(batch);
  const v = (i: number) => batch.verdict[2 * (i - 1)];
  assert.equal(v(4), V_DROP | V_F_FLOW);
  assert.equal(v(5) & V_KIND_MASK, V_DROP, 'the retransmission of the dropped request is dropped too');
  assert.equal(v(9), V_DROP);
  assert.equal(v(10), V_DROP, 'payload rules see the retransmitted payload again');
  assert.equal(v(11), V_ACCEPT, 'a payload drop does not take the flow');
  const sim = await replayEve(writeTrace(t), rules, { mode: 'simulate' });
  assert.deepEqual(drops(sim).map((x) => [pktNo(x, t), x.drop.reason]), [[4, 'rules'], [5, 'flow drop'], [9, 'rules'], [10, 'rules']]);
});

test('count() in an HTTP rule counts each transaction once, whatever its progress points', async () => {
  const t = new Trace({ start: T0 });
  const s = new TcpSession(t, { client: '10.0.0.1', server: '10.0.0.2', cport: 50000, sport: 80 });
  s.handshake();
  for (let i = 1; i <= 5; i++) {
    s.send('client', `GET /n${i} HTTP/1.1\r\nHost: h\r\n\r\n`);
    s.send('server', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n', { ack: false });
    s.send('server', 'abc');                                         // response body in its own packet
  }
  s.close();
  const evs = await replayEve(writeTrace(t), 'rule many { meta: sid = 1 condition: http.method == "GET" and count(by = flow, window = 60s) > 2 action: alert }');
  assert.deepEqual(alerts(evs, 1).map((e) => e.http.url), ['/n3', '/n4', '/n5']);
});
