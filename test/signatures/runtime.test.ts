/**
 * Matcher/evaluator on network fields through a FieldSource (what the engine implements):
 * scope, buffers, header lookups, sets (CIDR v4/v6, ports, domains, strings), decode events,
 * flow tags, rate counters, decisions and their precedence, private/global rules, includes,
 * bounded regex time, and the CLI (`check --json`, exit codes, `scan -s` identical to yara -s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import fc from 'fast-check';
import { compileSource, compileFiles } from '../../signatures/compiler';
import { Matcher, FieldSource, ByteSlice } from '../../signatures/runtime';
import { FIELD_ID, PAYLOAD_FIELD } from '../../signatures/keywords/registry';
import { EV } from '../../decoders/events';
import { Decision } from '../../signatures/bytecode';
import { serializeRuleset, deserializeRuleset } from '../../signatures/ruleset';
import { runQuell } from '../helpers/paths';
import { ruleArb, renderRule, dataArb } from './yara-gen';

interface Pkt {
  protos?: string[];
  nums?: Record<string, number>;
  bytes?: Record<string, string | Uint8Array>;
  headers?: Record<string, string>;
  events?: number[];
  tags?: Set<string>;
  payload?: string;
}
const PROTOS = ['ip', 'tcp', 'udp', 'icmp', 'http', 'dns'];

class TestFields implements FieldSource {
  counters = new Map<string, number[]>();
  now = 0;
  constructor(public p: Pkt) {}
  protoMask(): number { return (this.p.protos ?? []).reduce((m, x) => m | (1 << PROTOS.indexOf(x)), 0); }
  num(f: number): number {
    for (const [k, v] of Object.entries(this.p.nums ?? {})) if (FIELD_ID.get(k) === f) return v;
    return NaN;
  }
  bytes(f: number, key: string | null, out: ByteSlice): boolean {
    let v: string | Uint8Array | undefined;
    if (key !== null) v = Object.entries(this.p.headers ?? {}).find(([k]) => k.toLowerCase() === key)?.[1];
    else for (const [k, x] of Object.entries(this.p.bytes ?? {})) if (FIELD_ID.get(k) === f) v = x;
    if (v === undefined) return false;
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    out.buf = b; out.off = 0; out.len = b.length;
    return true;
  }
  event(id: number): boolean { return (this.p.events ?? []).includes(id); }
  flowHas(t: string): boolean { return this.p.tags?.has(t) ?? false; }
  flowTag(t: string): void { (this.p.tags ??= new Set()).add(t); }
  rate(counter: number, by: number, windowMs: number): number {
    const key = `${counter}/${by}`;
    const l = (this.counters.get(key) ?? []).filter((t) => t > this.now - windowMs);
    l.push(this.now);
    this.counters.set(key, l);
    return l.length;
  }
}

function ip4(s: string): Uint8Array { return Uint8Array.from(s.split('.').map(Number)); }

function run(m: Matcher, p: Pkt, f = new TestFields(p)): { names: string[]; decision: number; mark: number; deciding: string | null } {
  m.begin();
  if (p.payload !== undefined) { const b = Buffer.from(p.payload, 'latin1'); m.scanBuffer(PAYLOAD_FIELD, b, 0, b.length); }
  for (const [k, v] of Object.entries(p.bytes ?? {})) {
    const fid = FIELD_ID.get(k)!;
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    m.scanBuffer(fid, b, 0, b.length);
  }
  const r = m.evaluate(f);
  const names = Array.from(r.matchedRules.subarray(0, r.count)).map((i) => m.rs.rules[i].name);
  return { names, decision: r.decision, mark: r.mark, deciding: r.decidingRule >= 0 ? m.rs.rules[r.decidingRule].name : null };
}

const NET_RULES = `
const HOME = [10.0.0.0/8, 192.168.0.0/16, fd00::/8]
const WEB = [80, 8080..8090]
set bad_names = ["evil.example", "c2.test"]
rule uri_drop { meta: sid = 1 scope: proto = http dir = to_server dport = WEB
  strings: $a = "../" in http.uri
  condition: $a and http.method == "GET" action: drop flow; alert; mark 7 }
rule ua_alert { meta: sid = 2 scope: proto = http
  condition: http.user_agent istartswith "sqlmap" action: alert }
rule hdr { meta: sid = 3 scope: proto = http
  strings: $j = "\${jndi:" nocase in http.header["X-Api"]
  condition: $j action: reject; mark 9 }
rule home_src { scope: src = HOME condition: ip.ttl < 5 action: accept packet }
rule dns_set { scope: proto = dns condition: dns.query in bad_names action: drop packet }
rule dns_len { scope: proto = dns condition: dns.query.len > 20 and not (dns.query endswith ".local") action: log }
rule ev { condition: event.ipv4.bad_hlen action: drop packet }
rule tag_set { scope: proto = http condition: http.uri contains "/login" and flow.tag("login") }
rule tag_has { condition: flow.has("login") and http.status == 401 action: alert }
rule rate { scope: proto = dns condition: count(by = src, window = 10s) > 2 action: alert }
private rule helper { condition: tcp.dport == 22 }
rule uses_helper { condition: helper and tcp.flags & 2 == 2 action: alert }
rule header_missing { scope: proto = http condition: http.method == "POST" and not http.header["Referer"] defined action: log }
`;

test('network fields, sets, events, tags, counters, decisions and precedence', () => {
  const res = compileSource(NET_RULES, 'net.rules');
  assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => res.diags.format(d)).join('\n'));
  // the ruleset survives serialisation
  const rs = deserializeRuleset(serializeRuleset(res.ruleset!));
  const m = new Matcher(rs);
  const http = { protos: ['ip', 'tcp', 'http'], nums: { 'tcp.dport': 8081, 'flow.to_server': 1, 'ip.ttl': 64 } };
  let r = run(m, { ...http, bytes: { 'http.uri': '/a/../etc/passwd', 'http.method': 'GET', 'ip.src': ip4('1.2.3.4') } });
  assert.deepEqual(r.names, ['uri_drop']);
  assert.equal(r.decision, Decision.DROP); assert.equal(r.mark, 7);
  // wrong port: scope stops it
  r = run(m, { ...http, nums: { ...http.nums, 'tcp.dport': 443 }, bytes: { 'http.uri': '/../', 'http.method': 'GET' } });
  assert.deepEqual(r.names, []);
  // header string + precedence: drop (uri_drop) beats reject (hdr) beats alert (ua_alert)
  r = run(m, { ...http, bytes: { 'http.uri': '/../', 'http.method': 'GET', 'http.user_agent': 'SQLMap/1.0' }, headers: { 'x-api': 'a${JNDI:ldap://x}' } });
  assert.deepEqual(r.names, ['uri_drop', 'ua_alert', 'hdr']);
  assert.equal(r.decision, Decision.DROP); assert.equal(r.deciding, 'uri_drop'); assert.equal(r.mark, 7);
  r = run(m, { ...http, bytes: { 'http.uri': '/', 'http.method': 'GET', 'http.user_agent': 'sqlmap' }, headers: { 'X-Api': '${jndi:' } });
  assert.deepEqual(r.names, ['ua_alert', 'hdr']); assert.equal(r.decision, Decision.REJECT); assert.equal(r.mark, 9);
  // CIDR v4 and v6 scope
  r = run(m, { protos: ['ip'], nums: { 'ip.ttl': 3 }, bytes: { 'ip.src': ip4('192.168.4.5') } });
  assert.deepEqual(r.names, ['home_src']); assert.equal(r.decision, Decision.ACCEPT);
  r = run(m, { protos: ['ip'], nums: { 'ip.ttl': 3 }, bytes: { 'ip.src': Uint8Array.from([0xfd, 0, 1, ...new Array(13).fill(0)]) } });
  assert.deepEqual(r.names, ['home_src']);
  r = run(m, { protos: ['ip'], nums: { 'ip.ttl': 3 }, bytes: { 'ip.src': ip4('8.8.8.8') } });
  assert.deepEqual(r.names, []);
  // fd00::/8 boundaries: fdff:ffff:... is inside, fe00:: and fcff:... are outside
  r = run(m, { protos: ['ip'], nums: { 'ip.ttl': 3 }, bytes: { 'ip.src': Uint8Array.from([0xfd, 0xff, ...new Array(14).fill(0xff)]) } });
  assert.deepEqual(r.names, ['home_src']);
  for (const first of [0xfe, 0xfc]) {
    r = run(m, { protos: ['ip'], nums: { 'ip.ttl': 3 }, bytes: { 'ip.src': Uint8Array.from([first, ...new Array(15).fill(first === 0xfc ? 0xff : 0)]) } });
    assert.deepEqual(r.names, [], first.toString(16));
  }
  // a list of strings is an exact set (domains("file") sets also match subdomains: see the include test)
  for (const [q, hit] of [['c2.test', true], ['a.b.c2.test', false], ['C2.TEST', false], ['evil.example', true]] as const) {
    r = run(m, { protos: ['ip', 'udp', 'dns'], bytes: { 'dns.query': q } });
    assert.equal(r.names.includes('dns_set'), hit, q);
  }
  r = run(m, { protos: ['ip', 'udp', 'dns'], bytes: { 'dns.query': 'averyveryverylongname.example.org' } });
  assert.ok(r.names.includes('dns_len'));
  r = run(m, { protos: ['ip', 'udp', 'dns'], bytes: { 'dns.query': 'averyveryverylongname.local' } });
  assert.ok(!r.names.includes('dns_len'));
  // decode event
  r = run(m, { protos: ['ip'], events: [EV['ipv4.bad_hlen']] });
  assert.deepEqual(r.names, ['ev']);
  // flow tags: set by one packet, read by a later one
  const tags = new Set<string>();
  r = run(m, { ...http, tags, bytes: { 'http.uri': '/login', 'http.method': 'POST' }, headers: { Referer: 'x' } });
  assert.deepEqual(r.names, ['tag_set']);
  assert.ok(tags.has('login'));
  r = run(m, { ...http, tags, bytes: { 'http.status': '401' } });
  assert.ok(r.names.includes('tag_has'));
  // rate counter: third and later evaluations in the window
  const f = new TestFields({ protos: ['dns'] });
  const hits: boolean[] = [];
  for (let i = 0; i < 4; i++) { f.now = i * 1000; hits.push(run(m, f.p, f).names.includes('rate')); }
  assert.deepEqual(hits, [false, false, true, true]);
  // private helper gates another rule and is never reported
  r = run(m, { protos: ['tcp'], nums: { 'tcp.dport': 22, 'tcp.flags': 0x12 } });
  assert.deepEqual(r.names, ['uses_helper']);
  // missing header
  r = run(m, { ...http, bytes: { 'http.method': 'POST', 'http.uri': '/x' } });
  assert.ok(r.names.includes('header_missing'));
  r = run(m, { ...http, bytes: { 'http.method': 'POST', 'http.uri': '/x' }, headers: { referer: 'http://a' } });
  assert.ok(!r.names.includes('header_missing'));
});

test('definePass: a pass evaluates only its rules and reports what a full evaluation reports of them', () => {
  const res = compileSource(NET_RULES, 'net.rules');
  const rs = res.ruleset!;
  const m = new Matcher(rs);
  const names = rs.rules.map((r) => r.name);
  // the engine's packet pass: rules without http/dns fields, closed over references (helper)
  const packetRules = new Set(['home_src', 'ev', 'helper', 'uses_helper']);
  const sel = Uint8Array.from(names, (n) => (packetRules.has(n) ? 1 : 0));
  const pass = m.definePass(sel);
  const pkts: Pkt[] = [
    { protos: ['ip', 'tcp'], nums: { 'tcp.dport': 22, 'tcp.flags': 2, 'ip.ttl': 3 }, bytes: { 'ip.src': ip4('10.1.2.3') } },
    { protos: ['ip', 'tcp', 'http'], nums: { 'tcp.dport': 8081, 'flow.to_server': 1, 'ip.ttl': 64 }, bytes: { 'http.uri': '/a/../b', 'http.method': 'GET', 'ip.src': ip4('1.2.3.4') } },
    { protos: ['ip', 'udp', 'dns'], nums: { 'ip.ttl': 2 }, bytes: { 'dns.query': 'evil.example', 'ip.src': ip4('192.168.1.1') } },
    { protos: ['ip'], nums: { 'ip.ttl': 64 }, events: [EV['ipv4.bad_hlen']] },
  ];
  let sawPacketMatch = false;
  for (const p of pkts) {
    const full = run(m, p).names.filter((n) => packetRules.has(n));
    const before = m.stats.rulesEvaluated;
    m.begin();
    for (const [k, v] of Object.entries(p.bytes ?? {})) { const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v; m.scanBuffer(FIELD_ID.get(k)!, b, 0, b.length); }
    const r = m.evaluate(new TestFields(p), pass);
    const got = Array.from(r.matchedRules.subarray(0, r.count)).map((i) => names[i]);
    assert.deepEqual(got, full, JSON.stringify(p.nums));
    assert.ok(m.stats.rulesEvaluated - before <= packetRules.size, 'only the pass\'s rules ran');
    if (got.length) sawPacketMatch = true;
  }
  assert.ok(sawPacketMatch, 'some packet rule matched (the comparison is not vacuous)');
  assert.throws(() => m.definePass(new Uint8Array(1)), RangeError);
});

test('rules comparing a field to constants are indexed (hash lookup), not evaluated per packet', () => {
  let src = '';
  for (let i = 0; i < 3000; i++) src += `rule d${i} { scope: proto = dns condition: dns.query == "d${i}.example" or dns.query == "alt${i}.example" action: drop packet }\n`;
  src += 'rule other { condition: dns.query endswith ".test" }\n';
  const res = compileSource(src, 'ioc.rules');
  assert.equal(res.diags.errorCount, 0);
  assert.equal(res.ruleset!.lookups.length, 1);
  assert.equal(res.ruleset!.lookups[0].keys.length, 6001); // 6000 names + the ".test" suffix of `other`
  const m = new Matcher(res.ruleset!);
  const before = m.stats.rulesEvaluated;
  let r = run(m, { protos: ['dns'], bytes: { 'dns.query': 'alt1234.example' } });
  assert.deepEqual(r.names, ['d1234']);
  assert.equal(r.decision, Decision.DROP);
  assert.equal(m.stats.rulesEvaluated - before, 1, 'only the rule whose constant matched ran');
  r = run(m, { protos: ['dns'], bytes: { 'dns.query': 'x.test' } });
  assert.deepEqual(r.names, ['other']);
  r = run(m, { protos: ['tcp'], bytes: { 'dns.query': 'd5.example' } });
  assert.deepEqual(r.names, [], 'scope still applies to indexed rules');
});

test('dotprefix idiom (== name or endswith ".name") is indexed by label suffix', () => {
  let src = '';
  for (let i = 0; i < 2000; i++) src += `rule s${i} { condition: dns.query == "evil${i}.test" or dns.query endswith ".evil${i}.test" }\n`;
  const res = compileSource(src, 'sfx.rules');
  assert.equal(res.diags.errorCount, 0);
  assert.ok(res.ruleset!.rules.every((r) => r.lookupField >= 0));
  const m = new Matcher(res.ruleset!);
  const cases: [string, string[]][] = [['evil7.test', ['s7']], ['a.b.evil7.test', ['s7']], ['notevil7.test', []], ['evil7.test.org', []], ['x.evil1999.test', ['s1999']]];
  for (const [q, want] of cases) {
    const before = m.stats.rulesEvaluated;
    assert.deepEqual(run(m, { bytes: { 'dns.query': q } }).names, want, q);
    assert.equal(m.stats.rulesEvaluated - before, want.length, `${q}: only candidates run`);
  }
});

test('global rules gate the others', () => {
  const res = compileSource('global rule g { condition: filesize > 3 }\nrule a { strings: $a = "abc" condition: $a }\n', 'g.rules');
  const m = new Matcher(res.ruleset!);
  assert.deepEqual(run(m, { payload: 'abcd' }).names, ['g', 'a']);
  assert.deepEqual(run(m, { payload: 'abc' }).names, []);
});

test('a prefilter over its size limit is error E038 on the ruleset, not an internal error', () => {
  const src = Array.from({ length: 40 }, (_, i) => `rule r${i} { strings: $a = "needle-${i}-${'x'.repeat(i)}" condition: $a }`).join('\n');
  const ok = compileSource(src, 'big.rules');
  assert.equal(ok.diags.errorCount, 0);
  assert.ok(ok.ruleset !== null);
  const bad = compileSource(src, 'big.rules', { acMaxTableEntries: 200 });
  assert.equal(bad.ruleset, null);
  const e = bad.diags.list.filter((d) => d.code === 'E038');
  assert.equal(e.length, 1, bad.diags.list.map((d) => bad.diags.format(d)).join('\n'));
  assert.match(bad.diags.format(e[0]), /big\.rules.*payload.*40 strings/s);
});

test('warnings: weak atom, unbounded regex, buffer outside scope, duplicate sid, N of > set', () => {
  const src = `rule a { meta: sid = 5 scope: proto = dns strings: $x = "ab" in http.uri $y = /ab.*cd/ condition: 3 of them }
rule b { meta: sid = 5 condition: true }`;
  const res = compileSource(src, 'w.rules');
  assert.equal(res.diags.errorCount, 0);
  assert.deepEqual(res.diags.sorted().map((d) => d.code).sort(), ['W001', 'W001', 'W002', 'W003', 'W004', 'W005']);
});

test('includes: relative paths, cycles reported, sets loaded relative to the rule file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-inc-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'main.rules'), 'include "sub/a.rules"\nrule m { condition: a_rule }\n');
    fs.writeFileSync(path.join(dir, 'sub', 'a.rules'), 'set doms = domains("doms.txt")\nrule a_rule { condition: dns.query in doms }\n');
    fs.writeFileSync(path.join(dir, 'sub', 'doms.txt'), '# comment\nbad.example\n');
    let res = compileFiles([path.join(dir, 'main.rules')]);
    assert.equal(res.diags.errorCount, 0, res.diags.list.map((d) => d.message).join('\n'));
    assert.deepEqual(res.ruleset!.rules.map((r) => r.name), ['a_rule', 'm']);
    const m = new Matcher(res.ruleset!);
    for (const [q, hit] of [['bad.example', true], ['x.Bad.Example.', true], ['notbad.example', false], ['bad.example.org', false]] as const) {
      assert.equal(run(m, { bytes: { 'dns.query': q } }).names.includes('m'), hit, q);
    }
    fs.writeFileSync(path.join(dir, 'sub', 'a.rules'), 'include "../main.rules"\n');
    res = compileFiles([path.join(dir, 'main.rules')]);
    assert.ok(res.diags.list.some((d) => d.code === 'E011' && /main\.rules -> a\.rules -> main\.rules/.test(d.message)));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('regexes run in bounded time on hostile input', () => {
  const res = compileSource('rule r { strings: $a = /(a+)+b/ $b = /(a|aa)*c/ $c = /(a*)*$/ condition: any of them }', 'h.rules');
  assert.equal(res.diags.errorCount, 0);
  const m = new Matcher(res.ruleset!);
  const data = Buffer.alloc(64 * 1024, 'a');
  const t0 = Date.now();
  run(m, { payload: data.toString('latin1') });
  assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
});

test('CLI: check --json and exit codes; scan -s prints exactly what yara -s prints', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-cli-'));
  try {
    const bad = path.join(dir, 'bad.rules');
    fs.writeFileSync(bad, 'rule a { condition: $x }\n');
    let r = runQuell(['check', '--json', bad]);
    assert.equal(r.status, 1);
    const d = JSON.parse(r.stdout.trim().split('\n')[0]);
    assert.equal(d.code, 'E014'); assert.equal(d.line, 1); assert.equal(d.col, 21);
    r = runQuell(['check', path.join(__dirname, '../../../signatures/rules/examples.rules')]);
    assert.equal(r.status, 0, r.stderr);
    r = runQuell(['check']);
    assert.equal(r.status, 2);
    r = runQuell(['check', '--list-keywords']);
    assert.equal(r.status, 0); assert.match(r.stdout, /http\.uri\s+buffer/);
    // scan -s: generated rules and data, output identical to yara's
    const rules = fc.sample(ruleArb, { numRuns: 60, seed: 99 }).map((x, i) => renderRule(`s${i}`, x)).join('\n');
    const rp = path.join(dir, 'r.yar');
    fs.writeFileSync(rp, rules);
    const files = fc.sample(dataArb, { numRuns: 8, seed: 98 }).map((b, i) => { const p = path.join(dir, `d${i}`); fs.writeFileSync(p, b); return p; });
    const q = runQuell(['scan', '-s', rp, ...files]);
    assert.equal(q.status, 0, q.stderr);
    // yara takes one target per run: concatenate its outputs in the same file order
    let yout = '';
    for (const f of files) {
      const y = spawnSync('yara', ['-s', '-p', '1', rp, f], { encoding: 'utf8' });
      assert.equal(y.status, 0, y.stderr);
      yout += y.stdout;
    }
    assert.equal(q.stdout, yout);
    assert.ok(q.stdout.split('\n').length > 20);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
