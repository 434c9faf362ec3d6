/**
 * The commands end to end (real CLI): `quell flows` and `quell replay --eve` give byte-identical
 * output with --workers 1 and --workers 4 on several captures, the EVE records carry Suricata's
 * field names, and usage errors exit 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SHARED_PCAPS, runQuell } from '../helpers/paths';

const CAPTURES = [
  'ndpi/1kxun.pcap',                       // many HTTP flows, long transfers
  'ndpi/instagram.pcap',
  'ndpi/dns_exfiltration.pcap',            // many DNS messages
  'ndpi/fuzz-2006-06-26-2594.pcap',        // malformed packets, fragments
  'arkime/dns-tcp.pcap',
  'pcapplusplus/tcp-reassembly/tcp-reassembly.pcap',
].map((p) => path.join(SHARED_PCAPS, p));

test('--workers 1 and --workers 4 give byte-identical flows and EVE output', { timeout: 300_000 }, () => {
  for (const cap of CAPTURES) {
    const f1 = runQuell(['flows', cap, '--workers', '1', '--quiet']);
    const f4 = runQuell(['flows', cap, '--workers', '4', '--quiet']);
    assert.equal(f1.status, 0, f1.stderr); assert.equal(f4.status, 0, f4.stderr);
    assert.ok(f1.stdout.length > 200, `${cap}: flows output too small`);
    assert.equal(f4.stdout, f1.stdout, `${cap}: flows differ`);
    const e1 = runQuell(['replay', cap, '--eve', '-', '--workers', '1', '--quiet']);
    const e4 = runQuell(['replay', cap, '--eve', '-', '--workers', '4', '--quiet']);
    assert.equal(e1.status, 0, e1.stderr); assert.equal(e4.status, 0, e4.stderr);
    assert.equal(e4.stdout, e1.stdout, `${cap}: EVE differs`);
  }
});

test('EVE records: Suricata field names for flow, http, dns, stats', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-eve-'));
  try {
    const out = path.join(dir, 'eve.json');
    const r = runQuell(['replay', path.join(SHARED_PCAPS, 'arkime', 'http-simple-get.pcap'), '--eve', out, '--workers', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /packets/);                       // summary on stderr
    const d = runQuell(['replay', path.join(SHARED_PCAPS, 'arkime', 'dns-udp.pcap'), '--eve', '-', '--workers', '1', '--quiet']);
    assert.equal(d.stderr, '');                              // --quiet: nothing for humans
    const recs = [...fs.readFileSync(out, 'utf8').trim().split('\n'), ...d.stdout.trim().split('\n')].map((l) => JSON.parse(l));
    const byType = (t: string) => recs.filter((x) => x.event_type === t);
    const ts = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+0000$/;
    const flow = byType('flow').find((x) => x.app_proto === 'http')!;
    assert.ok(flow, 'an http flow record');
    for (const k of ['timestamp', 'flow_id', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'proto', 'app_proto']) assert.ok(k in flow, k);
    assert.match(flow.timestamp, ts);
    assert.equal(flow.proto, 'TCP');
    assert.equal(flow.dest_port, 80);
    for (const k of ['pkts_toserver', 'pkts_toclient', 'bytes_toserver', 'bytes_toclient', 'start', 'end', 'age', 'state', 'reason']) assert.ok(k in flow.flow, `flow.${k}`);
    assert.equal(flow.flow.pkts_toserver + flow.flow.pkts_toclient, 16);
    const http = byType('http')[0];
    assert.equal(http.flow_id, flow.flow_id);
    assert.equal(http.http.http_method, 'GET');
    assert.equal(http.http.url, '/');
    assert.equal(http.http.status, 403);
    assert.equal(http.http.hostname, 'xxxxxxxxxxxxx.xxx.com');
    assert.equal(http.tx_id, 0);
    const dq = byType('dns').filter((x) => x.dns.type === 'query');
    const da = byType('dns').filter((x) => x.dns.type === 'answer');
    assert.ok(dq.length >= 2 && da.length >= 2);
    assert.equal(dq[0].dns.rrname, 'www.github.com');
    assert.equal(dq[0].dns.rrtype, 'A');
    assert.equal(da[0].dns.rcode, 'NOERROR');
    assert.equal(da[0].dns.version, 2);
    assert.ok(da[0].dns.answers.some((a: { rrtype: string; rdata: string }) => a.rrtype === 'A' && a.rdata === '192.30.252.128'));
    assert.deepEqual(da[0].dns.grouped.CNAME, ['github.com']);
    assert.equal(da[0].src_port, 53);                       // dns records: the message's sender
    const stats = byType('stats');
    assert.equal(stats.length, 2);
    assert.equal(stats[1].stats.decoder.pkts, 5);
    assert.ok(stats[1].stats.flow.created >= 3);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2, a missing file exits 1', () => {
  assert.equal(runQuell(['replay', 'x.pcap']).status, 2);                 // --eve missing
  assert.equal(runQuell(['flows']).status, 2);
  assert.equal(runQuell(['flows', 'x.pcap', '--workers', 'zero']).status, 2);
  assert.equal(runQuell(['flows', 'x.pcap', '--midstream', 'maybe']).status, 2);
  assert.equal(runQuell(['flows', '/nonexistent/x.pcap', '--workers', '1']).status, 1);
});
