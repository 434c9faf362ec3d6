/**
 * Tunnels, NFLOG and 802.11 against tshark's INNERMOST layer: with DecodeContext.tunnels on (the
 * engine's view, `quell decode --tunnels`) quell's IP version, src/dst, protocol and TCP/UDP ports
 * are those of the last IP layer tshark lists (last occurrence of each field). The tshark oracle
 * (oracle.test.ts) checks the outermost layer with tunnels off. Asserted per capture: >= 99% of
 * packets agree and at least one packet went through a tunnel (or the link decoder) at all.
 * Packets whose innermost layer tshark reads as an ICMP error (a quoted IP header follows) are
 * not compared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_TS_SEC, D_TS_NSEC, D_LINK } from '../../src/io/batch';
import { PacketView } from '../../decoders/packet';
import { decodePacket, DecodeContext } from '../../decoders/decode';
import { EV } from '../../decoders/events';
import { packetJson } from '../../src/cli/commands/decode';
import { canonIp, TSHARK_OPTS } from './oracle';
import { SHARED_PCAPS } from '../helpers/paths';

/** Captures with tunnels (kind expected in quell's view) or a link type added with them. */
const CASES: [string, 'tunnel' | 'link'][] = [
  ['arkime/6-4-gre-ppp-udp-4-dns.pcap', 'tunnel'],          // IPv6 > IPv4 > GRE > PPP > IPv4
  ['arkime/ipv6-in-ipv4.pcap', 'tunnel'],
  ['arkime/tcpdump-geneve.pcap', 'tunnel'],
  ['tcpdump/geneve.pcap', 'tunnel'],
  ['ndpi/6in4tunnel.pcap', 'tunnel'],
  ['ndpi/gre.pcapng', 'tunnel'],
  ['ndpi/vxlan.pcap', 'tunnel'],
  ['suricata-verify/tests/vxlan-decoder-03/vxlan.pcap', 'tunnel'],
  ['suricata-verify/tests/bug-5633-gre-01/gre-udp.pcap', 'tunnel'],
  ['suricata-verify/tests/defrag/bug-6942-6887-defrag-eth-ip-gre-ppp-ip-udp-data/eth-ip-gre-ppp-max-ip-packet.pcap', 'tunnel'],
  ['zeek/nflog-http/nflog-http.pcap', 'link'],
  ['arkime/80211http.pcap', 'link'],
];
const MIN_AGREEMENT = 0.99;
const FIELDS = ['frame.protocols', 'ip.src', 'ip.dst', 'ip.proto', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'];

function last(s: string | undefined): string { if (!s) return ''; const i = s.lastIndexOf(','); return i < 0 ? s : s.slice(i + 1); }

async function ours(file: string): Promise<{ rows: Record<string, any>[]; tunnelled: number; linked: number }> {
  const v = new PacketView();
  const ctx = new DecodeContext(0, null);
  ctx.tunnels = true;
  const rows: Record<string, any>[] = [];
  let tunnelled = 0, linked = 0;
  const r = await openCapture(file);
  try {
    for (let guard = 0; guard < 10_000; guard++) {
      const b = await r.next(1024);
      if (b === null) break;
      for (let i = 0; i < b.count; i++) {
        const d = i * DESC_STRIDE;
        decodePacket(v, b.data, b.desc[d + D_OFF], b.desc[d + D_CAPLEN], b.desc[d + D_WIRELEN], b.desc[d + D_LINK],
          b.desc[d + D_TS_SEC], b.desc[d + D_TS_NSEC], ctx);
        if (v.tunnelDepth > 0) tunnelled++;
        if (!v.hasEvent(EV['link.unsupported']) && v.ipVer !== 0) linked++;
        rows.push(JSON.parse(packetJson(v, rows.length + 1, 'x', false)));
      }
      r.complete(b);
    }
  } finally { await r.close(); }
  return { rows, tunnelled, linked };
}

test('with tunnels on, quell decodes the innermost IP layer as tshark does', { timeout: 120_000 }, async (t) => {
  assert.equal(spawnSync('tshark', ['--version']).status, 0, 'tshark must be installed');
  for (const [rel, kind] of CASES) {
    const file = path.join(SHARED_PCAPS, rel);
    assert.ok(fs.existsSync(file), rel);
    const args = ['-n', '-r', file, ...TSHARK_OPTS, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const f of FIELDS) args.push('-e', f);
    const ts = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    const trows = ts.stdout.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
    const o = await ours(file);
    assert.equal(o.rows.length, trows.length, `${rel}: packet count`);
    let compared = 0, agree = 0;
    const bad: string[] = [];
    for (let i = 0; i < trows.length; i++) {
      const tr = trows[i], q = o.rows[i];
      const layers = tr[0].split(':');
      const li4 = layers.lastIndexOf('ip'), li6 = layers.lastIndexOf('ipv6');
      if (li4 < 0 && li6 < 0) continue;
      const inner = Math.max(li4, li6);
      // an ICMP error quotes an IP header: tshark's last IP layer is then the quoted one
      if (layers.slice(0, inner).some((l) => l === 'icmp' || l === 'icmpv6')) continue;
      if (layers.includes('_ws.malformed')) continue;
      compared++;
      const v6 = li6 > li4;
      const want = {
        v: v6 ? 6 : 4,
        src: canonIp(last(tr[v6 ? 4 : 1])), dst: canonIp(last(tr[v6 ? 5 : 2])),
        sport: layers[inner + 1] === 'tcp' ? last(tr[6]) : layers[inner + 1] === 'udp' ? last(tr[8]) : '',
        dport: layers[inner + 1] === 'tcp' ? last(tr[7]) : layers[inner + 1] === 'udp' ? last(tr[9]) : '',
      };
      const l4 = q.tcp ?? q.udp;
      const got = {
        v: q.ip?.v ?? 0, src: q.ip ? canonIp(q.ip.src) : '', dst: q.ip ? canonIp(q.ip.dst) : '',
        sport: want.sport === '' ? '' : String(l4?.sport ?? ''), dport: want.dport === '' ? '' : String(l4?.dport ?? ''),
      };
      if (JSON.stringify(got) === JSON.stringify(want)) agree++;
      else if (bad.length < 5) bad.push(`n=${i + 1} ours ${JSON.stringify(got)} tshark ${JSON.stringify(want)}`);
    }
    t.diagnostic(`${rel}: ${agree}/${compared} agree, ${o.tunnelled} packets decoded through a tunnel`);
    assert.ok(compared > 0, `${rel}: nothing compared`);
    assert.ok(agree / compared >= MIN_AGREEMENT, `${rel}: ${agree}/${compared}\n${bad.join('\n')}`);
    if (kind === 'tunnel') assert.ok(o.tunnelled > 0, `${rel}: no packet decoded through a tunnel`);
    else assert.ok(o.linked > 0, `${rel}: no packet decoded past the link layer`);
  }
});
