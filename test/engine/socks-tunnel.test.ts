/**
 * HTTP tunnelled through SOCKS is parsed and inspected (decoders/app/socks.ts + the engine's tunnel
 * path): Arkime's socks-http-pass.pcap (three SOCKS5 connections with user/password; the first two
 * end after the handshake, the third carries a curl GET) and socks5-http-302.pcap. A rule on a
 * parsed HTTP header must alert in the tunnelled request (without the SOCKS parser the flow is
 * unclassified and no http buffer exists), and the tunnelled transactions are EVE http records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runQuell, SHARED_PCAPS } from '../helpers/paths';

const DIR = path.join(SHARED_PCAPS, 'arkime');

function eve(cap: string, rules: string): Record<string, any>[] {
  const r = runQuell(['replay', cap, '--eve', '-', '--rules', rules, '--quiet', '--workers', '1']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

test('SOCKS5 tunnels: inner HTTP reaches http rules and EVE http records; flows are app_proto socks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-socks-'));
  try {
    const rules = path.join(dir, 'r.rules');
    fs.writeFileSync(rules, 'rule socks_curl {\n  meta: sid = 1 rev = 1 msg = "curl in tunnelled HTTP"\n' +
      '  strings: $a = "curl/7.24.0" in http.header["User-Agent"]\n  condition: $a\n  action: alert\n}\n');
    const ev = eve(path.join(DIR, 'socks-http-pass.pcap'), rules);
    const of = (t: string) => ev.filter((e) => e.event_type === t);
    assert.deepEqual(of('flow').map((e) => e.app_proto), ['socks', 'socks', 'socks']);
    assert.deepEqual(of('alert').map((e) => [e.src_port, e.alert.signature_id, e.app_proto]), [[54072, 1, 'socks']]);
    assert.deepEqual(of('http').map((e) => [e.src_port, e.http.hostname, e.http.url, e.http.status]), [[54072, 'www.example.com', '/', 200]]);

    const ev2 = eve(path.join(DIR, 'socks5-http-302.pcap'), rules);
    const h2 = ev2.filter((e) => e.event_type === 'http');
    assert.deepEqual(h2.map((e) => [e.http.hostname, e.http.http_method, e.http.status]), [['www.google.com', 'GET', 302]]);
    assert.equal(ev2.filter((e) => e.event_type === 'alert').length, 0, 'a Firefox request: the curl rule stays silent');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
