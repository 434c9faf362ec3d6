/**
 * Packet crafting and the pcap writer, checked by tshark as the oracle:
 *  - a TCP session (VLAN-tagged IPv4, and IPv6) split at chosen sizes reassembles (tshark
 *    follow,tcp,raw) to exactly the bytes sent in each direction, with valid checksums and no
 *    TCP analysis complaints;
 *  - DNS records decode to the values given (A, AAAA, CNAME, MX, TXT), over UDP and TCP;
 *  - IPv4 fragments reassemble to the original datagram;
 *  - the writer's nanosecond and big-endian variants read back identically with our reader,
 *    tshark and (microsecond) pcap-parser; writeFromBatch copies a capture record for record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_UDP, TcpSession, Trace, concat, ethernet, inetChecksum, ip, ipv4Fragments,
  ipv6, ipv6ExtHeader, ipv6Fragments, nullLoopback, parseIPv6, sll, sll2, udp, udpExchange,
} from '../../src/io/craft';
import { LINKTYPE_IPV4, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW } from '../../src/io/linktypes';
import { dnsMessage, dnsQuery, tcpFramed } from '../../src/io/craft-dns';
import { PcapWriter } from '../../src/io/pcap-writer';
import { openCapture } from '../../src/io/capture';
import { readAll } from './helpers';
import { SHARED_PCAPS } from '../helpers/paths';

function tshark(file: string, args: string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

async function withTmp(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-io-craft-'));
  try {
    await fn(dir);   // also catches synchronous throws
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** tshark's raw follow output: hex lines, server->client lines indented by a tab. */
function followRaw(file: string, stream: number): { c2s: string; s2c: string } {
  const out = tshark(file, ['-q', '-z', `follow,tcp,raw,${stream}`]);
  let c2s = '', s2c = '';
  const body = out.split(/={10,}/)[1] ?? '';
  for (const line of body.split('\n')) {
    if (/^Follow|^Filter|^Node|^$/.test(line.trim())) continue;
    if (line.startsWith('\t')) s2c += line.trim(); else c2s += line.trim();
  }
  return { c2s, s2c };
}

test('TCP sessions (VLAN IPv4, IPv6) reassemble to the bytes sent, checksums valid', async () => {
  await withTmp((dir) => {
    const t = new Trace({ start: 1704164645, stepNs: 250_000 });
    const req = 'GET /crafted HTTP/1.1\r\nHost: craft.example.com\r\n\r\n';
    const body = 'x'.repeat(3000) + 'END';
    const resp = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    new TcpSession(t, { client: '192.0.2.1', server: '198.51.100.2', cport: 50000, sport: 80, eth: { vlans: [42] } })
      .handshake().send('client', req, { segments: [5, 7] }).send('server', resp, { segments: [100] }).close('fin');
    new TcpSession(t, { client: '2001:db8::1', server: '2001:db8::2', cport: 50001, sport: 8080, mss: 1000, clientIsn: 0xfffffff0 })
      .handshake().send('client', req).send('server', resp).close('rst', 'server');
    const file = path.join(dir, 's.pcap');
    fs.writeFileSync(file, t.toPcap());
    for (const stream of [0, 1]) {
      const { c2s, s2c } = followRaw(file, stream);
      assert.equal(Buffer.from(c2s, 'hex').toString('latin1'), req, `stream ${stream} client->server`);
      assert.equal(Buffer.from(s2c, 'hex').toString('latin1'), resp, `stream ${stream} server->client`);
    }
    const bad = tshark(file, ['-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-Y',
      'ip.checksum.status == 0 || tcp.checksum.status == 0 || tcp.analysis.retransmission || tcp.analysis.lost_segment || tcp.analysis.out_of_order || tcp.analysis.ack_lost_segment']);
    assert.equal(bad, '');
    const vlans = tshark(file, ['-T', 'fields', '-e', 'vlan.id', '-Y', 'vlan']).trim().split('\n');
    assert.ok(vlans.length >= 10 && vlans.every((v) => v === '42'));
    // Sequence numbers wrap past 2^32 correctly (client ISN 0xfffffff0).
    const seqs = tshark(file, ['-T', 'fields', '-e', 'tcp.seq_raw', '-Y', 'ipv6 && tcp.srcport == 50001']).trim().split('\n').map(Number);
    assert.ok(seqs.some((s) => s < 0x100) && seqs.includes(0xfffffff0));
  });
});

test('DNS messages decode to the records given (UDP and TCP)', async () => {
  await withTmp((dir) => {
    const t = new Trace({ start: 1704164645 });
    const answer = dnsMessage({ id: 7, response: true, question: { name: 'example.com', type: 'A' }, answers: [
      { name: 'example.com', type: 'CNAME', target: 'web.example.com' },
      { name: 'web.example.com', type: 'A', addr: '198.51.100.7' },
      { name: 'web.example.com', type: 'AAAA', addr: '2001:db8:0:1::7' },
      { name: 'example.com', type: 'MX', preference: 5, exchange: 'mx.example.com' },
      { name: 'example.com', type: 'TXT', texts: ['hello', 'world'] }] });
    udpExchange(t, { client: '192.0.2.1', server: '198.51.100.53', cport: 5555, sport: 53, messages: [
      { from: 'client', data: dnsQuery(7, 'example.com') }, { from: 'server', data: answer }] });
    new TcpSession(t, { client: '192.0.2.1', server: '198.51.100.53', cport: 5556, sport: 53 })
      .handshake().send('client', tcpFramed(dnsQuery(8, 'example.com', 'MX'))).send('server', tcpFramed(answer)).close();
    const file = path.join(dir, 'd.pcap');
    fs.writeFileSync(file, t.toPcap());
    const rows = tshark(file, ['-T', 'fields', '-E', 'aggregator=;', '-e', 'dns.id', '-e', 'dns.cname', '-e', 'dns.a', '-e', 'dns.aaaa', '-e', 'dns.mx.mail_exchange', '-e', 'dns.txt', '-Y', 'dns.flags.response == 1'])
      .trim().split('\n');
    assert.equal(rows.length, 2);
    for (const r of rows) assert.equal(r, '0x0007\tweb.example.com\t198.51.100.7\t2001:db8:0:1::7\tmx.example.com\thello;world');
  });
});

test('IPv4 fragments reassemble to the original datagram', async () => {
  await withTmp((dir) => {
    const payload = new Uint8Array(4000).map((_, i) => (i * 13) & 0xff);
    const dgram = udp('192.0.2.1', '198.51.100.2', payload, { sport: 1111, dport: 2222 });
    const frags = ipv4Fragments(dgram, { src: '192.0.2.1', dst: '198.51.100.2', proto: IPPROTO_UDP, id: 99 }, 1000);
    assert.equal(frags.length, 5);
    for (const f of frags) assert.equal(inetChecksum(f, 0, 20), 0, 'header checksum verifies to 0');
    const t = new Trace({ start: 1704164645 });
    for (const f of frags.reverse()) t.add(ethernet(ETHERTYPE_IPV4, f));   // out of order on purpose
    const file = path.join(dir, 'f.pcap');
    fs.writeFileSync(file, t.toPcap());
    const out = tshark(file, ['-o', 'ip.defragment:TRUE', '-T', 'fields', '-e', 'udp.length', '-e', 'udp.checksum.status', '-o', 'udp.check_checksum:TRUE', '-Y', 'udp']).trim();
    assert.equal(out, '4008\t1');
  });
});

test('addresses: IPv6 text forms', () => {
  assert.deepEqual([...parseIPv6('2001:db8::1')], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...parseIPv6('::')], new Array(16).fill(0));
  assert.deepEqual([...parseIPv6('fe80::')].slice(0, 2), [0xfe, 0x80]);
  assert.throws(() => parseIPv6('1:2:3'));
});

test('pcap writer: nanosecond and big-endian files read back identically (ours, tshark, pcap-parser)', async () => {
  await withTmp(async (dir) => {
    const src = path.join(SHARED_PCAPS, 'arkime', 'http-simple-get.pcap');
    const orig = await readAll(src);
    assert.ok(orig.packets.length > 10);
    // Copy record for record with writeFromBatch, in every variant.
    for (const v of [{ nanosecond: false, bigEndian: false }, { nanosecond: true, bigEndian: false }, { nanosecond: false, bigEndian: true }, { nanosecond: true, bigEndian: true }]) {
      const out = path.join(dir, `w-${v.nanosecond ? 'ns' : 'us'}-${v.bigEndian ? 'be' : 'le'}.pcap`);
      const w = PcapWriter.toFile(out, { ...v, snaplen: 65535 });
      const r = await openCapture(src, { chunkSize: 256 });
      for (let b = await r.next(3); b !== null; b = await r.next(3)) { for (let i = 0; i < b.count; i++) w.writeFromBatch(b, i); }
      await r.close();
      w.close();
      const back = await readAll(out);
      assert.equal(back.error, null);
      assert.equal(back.packets.length, orig.packets.length);
      back.packets.forEach((p, i) => {
        const o = orig.packets[i];
        assert.deepEqual([p.sec, p.nsec, p.caplen, p.wirelen, p.link], [o.sec, o.nsec, o.caplen, o.wirelen, o.link]);
        assert.ok(p.bytes.equals(o.bytes));
      });
      const ts = tshark(out, ['-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len']).trim().split('\n');
      assert.deepEqual(ts, orig.packets.map((p) => `${p.sec}.${String(p.nsec).padStart(9, '0')}\t${p.wirelen}`));
      if (!v.nanosecond) {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const pcapp = require('pcap-parser') as { parse(f: string): NodeJS.EventEmitter };
        const n = await new Promise<number>((resolve, reject) => {
          let k = 0;
          const p = pcapp.parse(out);
          p.on('packet', () => k++);
          p.on('error', reject);
          p.on('end', () => resolve(k));
        });
        assert.equal(n, orig.packets.length);
      }
    }
    // In-memory writer: deterministic bytes, snaplen truncation with the wire length kept.
    const a = new PcapWriter({ snaplen: 10 }); a.write(new Uint8Array(20).fill(7), 5, 1500);
    const b = new PcapWriter({ snaplen: 10 }); b.write(new Uint8Array(20).fill(7), 5, 1500);
    assert.deepEqual(Buffer.from(a.toBytes()), Buffer.from(b.toBytes()));
    const f = path.join(dir, 'snap.pcap');
    fs.writeFileSync(f, a.toBytes());
    const r = await readAll(f);
    assert.deepEqual([r.packets[0].caplen, r.packets[0].wirelen, r.packets[0].sec, r.packets[0].nsec], [10, 20, 5, 1000]);
  });
});

test('link layers (SLL, SLL2, null, loop, raw) and IPv6 extension headers / fragments decode in tshark', async () => {
  await withTmp((dir) => {
    const seg = udp('192.0.2.1', '198.51.100.2', new Uint8Array(10), { sport: 1000, dport: 2000 });
    const v4 = ip('192.0.2.1', '198.51.100.2', IPPROTO_UDP, seg);
    const cases: [number, Uint8Array][] = [
      [LINKTYPE_LINUX_SLL, sll(ETHERTYPE_IPV4, v4)],
      [LINKTYPE_LINUX_SLL2, sll2(ETHERTYPE_IPV4, v4)],
      [LINKTYPE_NULL, nullLoopback(v4)],
      [LINKTYPE_LOOP, nullLoopback(v4, { bigEndian: true })],
      [LINKTYPE_RAW, v4],
      [LINKTYPE_IPV4, v4],
    ];
    for (const [lt, frame] of cases) {
      const t = new Trace({ start: 1704164645 });
      t.add(frame);
      const f = path.join(dir, `l${lt}.pcap`);
      fs.writeFileSync(f, t.toPcap({ linktype: lt }));
      const out = tshark(f, ['-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.src', '-e', 'udp.dstport', '-e', 'udp.checksum.status']).trim();
      assert.equal(out, '192.0.2.1\t2000\t1', `link type ${lt}`);
    }
    // IPv6: destination-options header before UDP, and a fragmented UDP datagram.
    const src6 = '2001:db8::1', dst6 = '2001:db8::2';
    const u6 = udp(src6, dst6, new Uint8Array(3000).fill(0x61), { sport: 3000, dport: 4000 });
    const t = new Trace({ start: 1704164645 });
    const small = udp(src6, dst6, new Uint8Array(4), { sport: 3001, dport: 4001 });
    t.add(ethernet(ETHERTYPE_IPV6, ipv6(concat(ipv6ExtHeader(IPPROTO_UDP), small), { src: src6, dst: dst6, nextHeader: 60 })));
    for (const fr of ipv6Fragments(u6, { src: src6, dst: dst6, nextHeader: IPPROTO_UDP, id: 0x1234 }, 1400)) t.add(ethernet(ETHERTYPE_IPV6, fr));
    const f = path.join(dir, 'v6.pcap');
    fs.writeFileSync(f, t.toPcap());
    const rows = tshark(f, ['-o', 'ipv6.defragment:TRUE', '-o', 'udp.check_checksum:TRUE', '-T', 'fields', '-e', 'udp.dstport', '-e', 'udp.length', '-e', 'udp.checksum.status', '-Y', 'udp']).trim().split('\n');
    assert.deepEqual(rows, ['4001\t12\t1', '4000\t3008\t1']);
  });
});
