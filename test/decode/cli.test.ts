/**
 * `quell decode` output contract (docs/decode.md): key order and presence, ordinals, timestamp
 * precision (us for microsecond files, ns for nanosecond files), --stats (table on stderr, one
 * final {"stats":...} line on stdout whose totals match the packet lines), usage errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, SHARED_PCAPS, runQuell } from '../helpers/paths';

const SAMPLE = path.join(ROOT, 'pcaps', 'quell-sample.pcap');
const KEY_ORDER = ['n', 'ts', 'caplen', 'len', 'link', 'vlan', 'ip', 'tcp', 'udp', 'icmp', 'payload_len', 'events'];

test('every line follows the schema; --stats totals match the lines', () => {
  const r = runQuell(['decode', '--stats', SAMPLE]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  const stats = lines.pop().stats;
  assert.ok(lines.length > 10);
  let tcp = 0, udp = 0, v4 = 0, v6 = 0;
  lines.forEach((j, i) => {
    assert.equal(j.n, i + 1);
    const keys = Object.keys(j);
    assert.deepEqual(keys, KEY_ORDER.filter((k) => keys.includes(k)), `key order, packet ${j.n}`);
    assert.match(j.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(Array.isArray(j.events));
    if (j.ip) {
      assert.deepEqual(Object.keys(j.ip), ['v', 'src', 'dst', 'proto', 'ttl', 'id', 'mf', 'frag_off']);
      if (j.ip.v === 4) v4++; else v6++;
    }
    if (j.tcp) { tcp++; assert.match(j.tcp.flags, /^F?S?R?P?A?U?E?C?$/); assert.deepEqual(Object.keys(j.tcp), ['sport', 'dport', 'flags', 'seq', 'ack', 'win']); }
    if (j.udp) { udp++; assert.deepEqual(Object.keys(j.udp), ['sport', 'dport', 'len']); }
  });
  assert.equal(stats.packets, lines.length);
  assert.equal(stats.layers.tcp, tcp); assert.equal(stats.layers.udp, udp);
  assert.equal(stats.layers.ipv4, v4); assert.equal(stats.layers.ipv6, v6);
  assert.match(r.stderr, /packets\s+\d+/);
});

test('nanosecond captures print 9 fractional digits', () => {
  const r = runQuell(['decode', path.join(SHARED_PCAPS, 'zeek', 'vntag', 'vntag.pcap')]);
  assert.equal(r.status, 0);
  assert.equal(JSON.parse(r.stdout.split('\n')[0]).ts, '2012-07-18T10:20:13.729856830Z');
});

test('stdin works and usage errors exit 2', () => {
  const a = runQuell(['decode', SAMPLE]);
  const b = runQuell(['decode', '-'], { input: fs.readFileSync(SAMPLE) });
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout, a.stdout);
  assert.equal(runQuell(['decode']).status, 2);
  assert.equal(runQuell(['decode', '--bogus', SAMPLE]).status, 2);
  assert.equal(runQuell(['decode', '/nonexistent.pcap']).status, 1);
});
