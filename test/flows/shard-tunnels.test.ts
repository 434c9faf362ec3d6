/**
 * `--workers N` must not change the output when one flow's packets differ in what the reader
 * thread's shard hash can see (src/engine/shard.ts):
 * - the same inner tuple carried by IP-in-IP tunnels with different outer address pairs, their
 *   packets interleaved (found on bench/out/big.pcap: its copies carry the same inner flows with
 *   rewritten outer addresses; --workers 2 split them differently from --workers 1);
 * - a tunnel whose outer packets are IP fragments (the inner flow is seen after reassembly), and one
 *   whose inner packets are (reassembled inside the tunnel: the outer header is then in another
 *   buffer than the inner datagram, PacketView.outerBuf);
 * - a plain TCP connection whose data segments are IP fragments (no ports in the fragments).
 * And what a tunnelled flow is: the inner tuple AND the outer address pair, so each tunnel's inner
 * connection is its own flow with its own HTTP transaction (flows.ts `lookup`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runQuell } from '../helpers/paths';
import { Trace, TcpSession, ethernet, ipv4, ipv4Fragments, ETHERTYPE_IPV4 } from '../../src/io/craft';

const START = Date.UTC(2025, 5, 1, 12, 0, 0) / 1000;
const IPPROTO_IPIP = 4;

/** Frames of one HTTP exchange (handshake, GET, 200, FIN) on a scratch trace. */
function httpSession(client: string, server: string, cport: number, uri: string, o: { mss?: number } = {}): Uint8Array[] {
  const t = new Trace({ start: START });
  new TcpSession(t, { client, server, cport, sport: 80, mss: o.mss })
    .handshake()
    .send('client', `GET ${uri} HTTP/1.1\r\nHost: inner.example\r\nUser-Agent: shard-test\r\n\r\n`)
    .send('server', `HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello`)
    .close('fin');
  return t.packets.map((p) => p.data);
}

/** Wrap an Ethernet frame's IPv4 packet in IP-in-IP between the outer pair (direction by the inner source). */
function tunnel(frame: Uint8Array, innerClient: string, outerA: string, outerB: string, id: number, fragSize = 0): Uint8Array[] {
  const inner = frame.subarray(14);
  const fromClient = inner.subarray(12, 16).join('.') === innerClient;
  const o = { src: fromClient ? outerA : outerB, dst: fromClient ? outerB : outerA, proto: IPPROTO_IPIP, id };
  const pkts = fragSize > 0 && inner.length > fragSize ? ipv4Fragments(inner, o, fragSize) : [ipv4(inner, o)];
  return pkts.map((p) => ethernet(ETHERTYPE_IPV4, p));
}

/** The plain frame's IPv4 packet cut into fragments when longer than fragSize. */
function fragmented(frame: Uint8Array, fragSize: number, id: number): Uint8Array[] {
  const ipPkt = frame.subarray(14), ihl = (ipPkt[0] & 15) * 4;
  if (ipPkt.length <= fragSize + ihl) return [frame];
  const src = ipPkt.subarray(12, 16).join('.'), dst = ipPkt.subarray(16, 20).join('.');
  return ipv4Fragments(ipPkt.subarray(ihl), { src, dst, proto: ipPkt[9], id }, fragSize).map((p) => ethernet(ETHERTYPE_IPV4, p));
}

function capture(): Uint8Array {
  const t = new Trace({ start: START, stepNs: 2_000_000 });
  const c = '10.0.0.1', s = '10.0.0.2';
  // the same inner connection (10.0.0.1:40000 -> 10.0.0.2:80) in three tunnels
  const t1 = httpSession(c, s, 40000, '/one').flatMap((f, i) => tunnel(f, c, '192.0.2.1', '192.0.2.2', 100 + i));
  const t2 = httpSession(c, s, 40000, '/two').flatMap((f, i) => tunnel(f, c, '198.51.100.7', '198.51.100.9', 200 + i));
  const t3 = httpSession(c, s, 40000, '/three').flatMap((f, i) => tunnel(f, c, '203.0.113.5', '203.0.113.6', 300 + i, 48));
  const t4 = httpSession(c, s, 40000, '/four').flatMap((f, i) => fragmented(f, 32, 500 + i))
    .map((f, i) => tunnel(f, c, '192.0.2.77', '192.0.2.78', 600 + i)[0]);
  // a plain connection whose data segments travel as IP fragments
  const plain = httpSession('172.16.0.1', '172.16.0.2', 5555, '/plain').flatMap((f, i) => fragmented(f, 32, 400 + i));
  // other hosts' connections, so that four workers all get packets
  const others = Array.from({ length: 12 }, (_, i) => httpSession(`192.168.${i}.10`, `192.168.${i}.20`, 41000 + i, `/o${i}`));
  const streams = [t1, t2, t3, t4, plain, ...others];
  for (let k = 0; streams.some((x) => k < x.length); k++) for (const x of streams) if (k < x.length) t.add(x[k]);
  return t.toPcap();
}

test('--workers 1 and 4 agree on tunnelled and fragmented flows; each tunnel keeps its own inner flow', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-shard-'));
  try {
    const cap = path.join(dir, 'tunnels.pcap');
    fs.writeFileSync(cap, capture());
    const out: Record<number, string> = {};
    for (const n of [1, 4]) {
      const r = runQuell(['flows', cap, '--workers', String(n), '--quiet']);
      assert.equal(r.status, 0, r.stderr);
      out[n] = r.stdout;
    }
    assert.equal(out[4], out[1]);
    const flows = out[1].trim().split('\n').map((l) => JSON.parse(l) as { src: string; sport: number; dst: string; dport: number; pkts_toserver: number; pkts_toclient: number; http: { uri: string; status: number }[] });
    const inner = flows.filter((f) => f.src === '10.0.0.1' && f.sport === 40000 && f.dst === '10.0.0.2' && f.dport === 80);
    assert.deepEqual(inner.map((f) => f.http.map((h) => `${h.uri} ${h.status}`).join()).sort(), ['/four 200', '/one 200', '/three 200', '/two 200']);
    // every packet of each exchange in its one flow: as many as the same exchange between plain hosts
    const whole = flows.find((f) => f.src === '192.168.0.10')!;
    assert.ok(whole.pkts_toserver + whole.pkts_toclient >= 9);
    for (const f of [...inner, ...flows.filter((x) => x.src === '172.16.0.1')]) {
      assert.equal(f.pkts_toserver + f.pkts_toclient, whole.pkts_toserver + whole.pkts_toclient, JSON.stringify(f));
    }
    const plain = flows.filter((f) => f.src === '172.16.0.1');
    assert.equal(plain.length, 1);
    assert.deepEqual(plain[0].http.map((h) => `${h.uri} ${h.status}`), ['/plain 200']);
    assert.equal(flows.length, 4 + 1 + 12);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
