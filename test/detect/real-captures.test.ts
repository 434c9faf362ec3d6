/**
 * Detection on real captures: suricata-verify cases (their Suricata rules rewritten by hand in
 * Quell's language, alert counts from their test.yaml), and identical EVE output (alerts, drops,
 * per-rule hits) with --workers 1 and --workers 4 on an nDPI capture with HTTP and DNS.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { SHARED_PCAPS, runQuell } from '../helpers/paths';
import { TMP, Eve } from './helpers';

const SV = path.join(SHARED_PCAPS, 'suricata-verify', 'tests');

interface SvCase {
  dir: string;
  /** the Suricata rules (test.rules), for the record */
  suricata: string;
  rules: string;
  /** expected alert count per sid, from test.yaml */
  expect: Record<number, number>;
}

const CASES: SvCase[] = [
  {
    dir: 'bug-814',
    suricata: 'alert http any any -> any any (msg:"TEST"; content:"GET"; http_method; content:"/cgi-bin/cart32.exe"; http_raw_uri; sid:1; rev:1;)',
    rules: `rule sv_bug814 { meta: sid = 1 rev = 1 msg = "TEST" scope: proto = http
      strings: $m = "GET" in http.method  $u = "/cgi-bin/cart32.exe" in http.uri.raw
      condition: $m and $u action: alert }`,
    expect: { 1: 1 },
  },
  {
    dir: 'http-uri-spaces',
    suricata: 'alert http any any -> any any (msg:"uri with space and after"; flow:established,to_server; content:" afterspace"; http_uri; sid:1; rev:1;)',
    rules: `rule sv_uri_spaces { meta: sid = 1 rev = 1 msg = "uri with space and after" scope: proto = http dir = to_server
      strings: $a = " afterspace" in http.uri condition: flow.established and $a action: alert }`,
    expect: { 1: 1 },
  },
  {
    dir: 'detect-content-ends-with-negated-01',
    suricata: 'alert http $HOME_NET any -> any any (msg:"Test"; flow:established,to_server; http.method; content:"GET"; http.uri; content:".exe"; endswith; http.host; content:!".google.com"; endswith; sid:1;)',
    rules: `rule sv_endswith { meta: sid = 1 msg = "Test" scope: proto = http dir = to_server
      condition: flow.established and http.method contains "GET" and http.uri endswith ".exe" and not (http.host endswith ".google.com") action: alert }`,
    expect: { 1: 1 },
  },
  {
    dir: 'detect-content-ends-with-negated-02',
    suricata: '(same rule as -01; the host ends with .google.com)',
    rules: `rule sv_endswith { meta: sid = 1 msg = "Test" scope: proto = http dir = to_server
      condition: flow.established and http.method contains "GET" and http.uri endswith ".exe" and not (http.host endswith ".google.com") action: alert }`,
    expect: { 1: 0 },
  },
  {
    dir: 'detect-dotprefix-01',
    suricata: 'alert dns any any -> any any (dns.query; dotprefix; content:".windowsupdate.com"; sid:1;) / (dns.query; dotprefix; content:".com"; endswith; sid:2;)',
    // Suricata's dns.query is the request's name: dir = to_server
    rules: `rule sv_dot1 { meta: sid = 1 scope: proto = dns dir = to_server condition: dns.query startswith "windowsupdate.com" or dns.query contains ".windowsupdate.com" action: alert }
      rule sv_dot2 { meta: sid = 2 scope: proto = dns dir = to_server condition: dns.query endswith ".com" or dns.query == "com" action: alert }`,
    expect: { 1: 1, 2: 1 },
  },
  {
    dir: 'bug-6269-01',
    suricata: 'alert http any any -> any any (http.uri; content:"/test_lastline_blocking"; sid:1;)',
    rules: `rule sv_6269 { meta: sid = 1 strings: $a = "/test_lastline_blocking" in http.uri condition: $a action: alert }`,
    expect: { 1: 1 },
  },
  {
    dir: 'http-double-encoded-uri',
    suricata: 'alert http any any -> any any (msg:"SURICATA HTTP Request double encoded URI"; flow:established,to_server; app-layer-event:http.double_encoded_uri; flowint:http.anomaly.count,+,1; classtype:protocol-command-decode; sid:1; rev:1;)',
    rules: `rule sv_double_enc { meta: sid = 1 rev = 1 msg = "SURICATA HTTP Request double encoded URI" category = "protocol-command-decode"
      scope: proto = http dir = to_server condition: flow.established and event.http.uri_double_encoding action: alert }`,
    expect: { 1: 1 },
  },
  {
    dir: 'http-close-headers',
    suricata: 'alert http any any -> any any (msg: "\'ng1nx\' Server header found"; flow: established, from_server; content: "ng1nx"; nocase; http_header; classtype: attempted-admin; sid: 1; rev: 1; )',
    rules: `rule sv_close { meta: sid = 1 rev = 1 msg = "'ng1nx' Server header found" category = "attempted-admin" scope: proto = http dir = to_client
      strings: $a = "ng1nx" nocase in http.header["Server"] condition: flow.established and $a action: alert }`,
    expect: { 1: 1 },
  },
];

function pcapOf(dir: string): string {
  const d = path.join(SV, dir);
  const yaml = fs.readFileSync(path.join(d, 'test.yaml'), 'utf8');
  const m = /^pcap:\s*(\S+)/m.exec(yaml);
  if (m) return path.resolve(d, m[1]);
  const f = fs.readdirSync(d).find((x) => x.endsWith('.pcap') || x.endsWith('.pcapng'));
  assert.ok(f, `${dir}: no capture`);
  return path.join(d, f!);
}

function replay(pcap: string, rules: string, extra: string[] = []): Eve[] {
  const rf = path.join(TMP, `r-${Math.random().toString(36).slice(2)}.rules`);
  fs.writeFileSync(rf, rules);
  const r = runQuell(['replay', pcap, '--rules', rf, '--eve', '-', '--quiet', ...extra]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

for (const c of CASES) {
  test(`suricata-verify ${c.dir}: alert counts of test.yaml`, { skip: !fs.existsSync(path.join(SV, c.dir)) }, () => {
    // the expected counts are those of test.yaml's alert filters
    const yaml = fs.readFileSync(path.join(SV, c.dir, 'test.yaml'), 'utf8');
    const filters = yaml.split(/-\s+filter:/).slice(1);
    for (const [sid, n] of Object.entries(c.expect)) {
      const f = filters.find((b) => /event_type:\s*alert\b/.test(b) && new RegExp(`alert\\.signature_id:\\s*${sid}\\b`).test(b));
      assert.ok(f, `test.yaml has an alert filter for sid ${sid}`);
      assert.equal(Number(/count:\s*(\d+)/.exec(f!)![1]), n, `test.yaml expects ${n} alert(s) for sid ${sid}`);
    }
    const evs = replay(pcapOf(c.dir), c.rules, ['--workers', '1']);
    for (const [sid, n] of Object.entries(c.expect)) {
      const got = evs.filter((e) => e.event_type === 'alert' && e.alert.signature_id === Number(sid));
      assert.equal(got.length, n, `sid ${sid}: ${got.length} alerts, test.yaml expects ${n}`);
    }
  });
}

const MIX = `
rule get_req { meta: sid = 101 condition: http.method == "GET" action: alert }
rule com_q { meta: sid = 102 scope: dir = to_server condition: dns.query endswith ".com" action: alert }
rule ok200 { meta: sid = 103 strings: $a = "HTTP/1.1 200" condition: $a and flow.tag("ok") action: log }
rule after_ok { meta: sid = 104 scope: dir = to_server condition: flow.has("ok") and http.uri contains "/" action: alert }
rule ua_re { meta: sid = 105 strings: $r = /Mozilla\\/[45]\\.0/ in http.user_agent condition: $r action: alert }
rule per_flow { meta: sid = 106 condition: flow.to_server and count(by = flow, window = 10s) > 5 action: alert }
rule dropjpg { meta: sid = 107 strings: $a = ".jpg" in http.uri condition: $a action: drop flow }
`;

test('same EVE output (alerts, drops, rule hits) with --workers 1 and --workers 4', () => {
  const pcap = path.join(SHARED_PCAPS, 'ndpi', '1kxun.pcap');
  const w1 = replay(pcap, MIX, ['--workers', '1', '--simulate-ips']);
  const w4 = replay(pcap, MIX, ['--workers', '4', '--simulate-ips']);
  const count = (evs: Eve[], sid: number) => evs.filter((e) => e.event_type === 'alert' && e.alert.signature_id === sid).length;
  for (const sid of [101, 102, 103, 104, 105, 106, 107]) assert.ok(count(w1, sid) > 0, `sid ${sid} fires on this capture`);
  assert.ok(w1.some((e) => e.event_type === 'drop' && e.drop.reason === 'flow drop'));
  const strip = (evs: Eve[]) => evs.filter((e) => e.event_type !== 'stats').map((e) => JSON.stringify(e));
  assert.deepEqual(strip(w4), strip(w1));
  const rules = (evs: Eve[]) => evs.find((e) => e.event_type === 'stats')!.stats.rules;
  assert.deepEqual(rules(w4), rules(w1));
  assert.equal(rules(w1).find((r: { sid: number }) => r.sid === 101).hits, count(w1, 101));
});
