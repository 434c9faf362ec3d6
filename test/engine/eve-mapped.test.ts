/**
 * IPv4-mapped IPv6 addresses in EVE and flows output: written ::ffff:a.b.c.d, as Suricata 9 writes
 * them with eve-log ipv6-compress (Rust Ipv6Addr Display: RFC 5952 with the mapped form dotted;
 * docs/eve.md), while ordinary
 * IPv6 addresses keep the RFC 5952 hex form. The capture is crafted here (temporary file): an
 * HTTP exchange over TCP and a DNS query/answer over UDP between ::ffff:10.0.0.1 and
 * ::ffff:10.0.0.2, plus one UDP datagram between ordinary IPv6 addresses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runQuell } from '../helpers/paths';

const CLI = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1]);
const SRV = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 2]);
const V6A = Buffer.from('20010db8000000000000000000000001', 'hex');
const V6B = Buffer.from('20010db8000000000000000000000002', 'hex');

function ip6(src: Buffer, dst: Buffer, nh: number, l4: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60; h.writeUInt16BE(l4.length, 4); h[6] = nh; h[7] = 64;
  src.copy(h, 8); dst.copy(h, 24);
  const eth = Buffer.alloc(14); eth.writeUInt16BE(0x86dd, 12); eth[0] = 2; eth[6] = 2; eth[11] = 1;
  return Buffer.concat([eth, h, l4]);
}
function tcp(sp: number, dp: number, seq: number, ack: number, flags: number, data = ''): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sp, 0); h.writeUInt16BE(dp, 2); h.writeUInt32BE(seq >>> 0, 4); h.writeUInt32BE(ack >>> 0, 8);
  h[12] = 5 << 4; h[13] = flags; h.writeUInt16BE(65535, 14);
  return Buffer.concat([h, Buffer.from(data, 'latin1')]);
}
function udp(sp: number, dp: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sp, 0); h.writeUInt16BE(dp, 2); h.writeUInt16BE(8 + data.length, 4);
  return Buffer.concat([h, data]);
}
function dns(resp: boolean): Buffer {
  const q = Buffer.concat([Buffer.from([7]), Buffer.from('example'), Buffer.from([3]), Buffer.from('com'), Buffer.from([0, 0, 1, 0, 1])]);
  const h = Buffer.from([0x12, 0x34, resp ? 0x81 : 0x01, resp ? 0x80 : 0x00, 0, 1, 0, resp ? 1 : 0, 0, 0, 0, 0]);
  const an = resp ? Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]) : Buffer.alloc(0);
  return Buffer.concat([h, q, an]);
}
function pcap(frames: Buffer[]): Buffer {
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0); g.writeUInt16LE(2, 4); g.writeUInt16LE(4, 6); g.writeUInt32LE(65535, 16); g.writeUInt32LE(1, 20);
  const out: Buffer[] = [g];
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(1700000000, 0); r.writeUInt32LE(i * 1000, 4); r.writeUInt32LE(f.length, 8); r.writeUInt32LE(f.length, 12);
    out.push(r, f);
  });
  return Buffer.concat(out);
}

const REQ = 'GET /mapped-test HTTP/1.1\r\nHost: example.com\r\n\r\n';
const RSP = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

test('EVE and flows write IPv4-mapped IPv6 addresses as ::ffff:a.b.c.d (Suricata), other IPv6 in RFC 5952 hex', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-mapped-'));
  try {
    const c = 1000, s = 5000;
    const frames = [
      ip6(CLI, SRV, 6, tcp(40000, 80, c, 0, 0x02)),
      ip6(SRV, CLI, 6, tcp(80, 40000, s, c + 1, 0x12)),
      ip6(CLI, SRV, 6, tcp(40000, 80, c + 1, s + 1, 0x10)),
      ip6(CLI, SRV, 6, tcp(40000, 80, c + 1, s + 1, 0x18, REQ)),
      ip6(SRV, CLI, 6, tcp(80, 40000, s + 1, c + 1 + REQ.length, 0x18, RSP)),
      ip6(CLI, SRV, 6, tcp(40000, 80, c + 1 + REQ.length, s + 1 + RSP.length, 0x11)),
      ip6(SRV, CLI, 6, tcp(80, 40000, s + 1 + RSP.length, c + 2 + REQ.length, 0x11)),
      ip6(CLI, SRV, 6, tcp(40000, 80, c + 2 + REQ.length, s + 2 + RSP.length, 0x10)),
      ip6(CLI, SRV, 17, udp(5555, 53, dns(false))),
      ip6(SRV, CLI, 17, udp(53, 5555, dns(true))),
      ip6(V6A, V6B, 17, udp(7000, 7001, Buffer.from('plain ipv6'))),
    ];
    const cap = path.join(dir, 'mapped.pcap');
    fs.writeFileSync(cap, pcap(frames));
    const rules = path.join(dir, 'r.rules');
    fs.writeFileSync(rules, 'rule mapped_uri {\n  meta: sid = 1 rev = 1 msg = "mapped"\n  strings: $a = "/mapped-test"\n  condition: $a\n  action: alert\n}\n');
    const r = runQuell(['replay', cap, '--eve', '-', '--rules', rules, '--quiet', '--workers', '1']);
    assert.equal(r.status, 0, r.stderr);
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const by = (t: string) => evs.filter((e) => e.event_type === t);
    const M1 = '::ffff:10.0.0.1', M2 = '::ffff:10.0.0.2';
    for (const t of ['alert', 'http', 'dns', 'flow']) {
      const es = by(t).filter((e) => e.proto !== 'UDP' || e.dest_port !== 7001);
      assert.ok(es.length >= 1, `${t} events present`);
      // a DNS answer is written from the server's side (src = the answering server), as Suricata does
      for (const e of es) {
        const want = t === 'dns' && e.src_port === 53 ? [M2, M1] : [M1, M2];
        assert.deepEqual([e.src_ip, e.dest_ip], want, `${t} ${JSON.stringify(e).slice(0, 200)}`);
      }
    }
    assert.equal(by('dns').length, 2, 'query and answer');
    const plain = by('flow').filter((e) => e.dest_port === 7001);
    assert.deepEqual(plain.map((e) => [e.src_ip, e.dest_ip]), [['2001:db8::1', '2001:db8::2']]);
    // no hex form of a mapped address anywhere in the output
    assert.ok(!r.stdout.includes('ffff:a00:'), 'hex mapped form absent');

    const f = runQuell(['flows', cap]);
    assert.equal(f.status, 0, f.stderr);
    const flows = f.stdout.trim().split('\n').map((l) => JSON.parse(l) as { src: string; dst: string; dport: number });
    assert.equal(flows.length, 3);
    for (const x of flows) assert.deepEqual([x.src, x.dst], x.dport === 7001 ? ['2001:db8::1', '2001:db8::2'] : [M1, M2]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
