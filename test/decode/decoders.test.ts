/**
 * Unit tests per decoder, gopacket style: the packet bytes are in the test, with the line tshark
 * 4.0 prints for them (`tshark -n -r`; tshark shows relative sequence numbers). The bytes were made
 * with correct checksums unless the name says otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketView, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6, MAX_VLAN } from '../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../../decoders/decode';
import { EV, EVENT_NAMES } from '../../decoders/events';
import { ipv4String, ipv6String } from '../../decoders/format';
import { MAX_IPV6_EXTHDRS } from '../../decoders/ipv6';

const P = {
  // tshark: 10.0.0.1 → 10.0.0.2     TCP 82 1234 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=100 TSecr=0 WS=128
  qinq_tcp_syn: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 88 a8 00 64
    81 00 00 c8 08 00 45 00 00 3c 12 34 40 00 40 06
    14 86 0a 00 00 01 0a 00 00 02 04 d2 00 50 00 00
    00 01 00 00 00 00 a0 02 fa f0 33 86 00 00 02 04
    05 b4 04 02 08 0a 00 00 00 64 00 00 00 00 01 03
    03 07` },
  // tshark: 10.0.0.1 → 10.0.0.2     DNS 63 Standard query 0x1234 A a
  sll_udp: { link: 113, hex: `
    00 00 00 01 00 06 00 11 22 33 44 55 00 00 08 00
    45 00 00 2f 12 34 40 00 40 11 14 88 0a 00 00 01
    0a 00 00 02 c3 50 00 35 00 1b 11 9a 12 34 01 00
    00 01 00 00 00 00 00 00 01 61 00 00 01 00 01` },
  // tshark: 2001:db8::1 → 2001:db8::2  ICMPv6 72 Echo (ping) request id=0x0001, seq=1, hop limit=64
  sll2_icmpv6: { link: 276, hex: `
    86 dd 00 00 00 00 00 02 00 01 00 06 00 11 22 33
    44 55 00 00 60 00 00 00 00 0c 3a 40 20 01 0d b8
    00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8
    00 00 00 00 00 00 00 00 00 00 00 02 80 00 5f 7b
    00 01 00 01 61 62 63 64` },
  // tshark: 10.0.0.1 → 10.0.0.2     ICMP 36 Echo (ping) request  id=0x0001, seq=1/256, ttl=128
  null_le_icmp: { link: 0, hex: `
    02 00 00 00 45 00 00 20 12 34 40 00 80 01 d4 a6
    0a 00 00 01 0a 00 00 02 08 00 19 2d 00 01 00 01
    70 69 6e 67` },
  // tshark: 2001:db8::1 → 2001:db8::2  MDNS 57 Unknown operation (13) 0x6865[Malformed Packet]
  loop_be_ipv6_udp: { link: 108, hex: `
    00 00 00 18 60 00 00 00 00 0d 11 ff 20 01 0d b8
    00 00 00 00 00 00 00 00 00 00 00 01 20 01 0d b8
    00 00 00 00 00 00 00 00 00 00 00 02 14 e9 14 e9
    00 0d 36 bb 68 65 6c 6c 6f` },
  // tshark: 2001:db8::1 → 2001:db8::2  MDNS 53 Unknown operation (13) 0x6865[Malformed Packet]
  raw101_ipv6_udp: { link: 101, hex: `
    60 00 00 00 00 0d 11 40 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 02 14 e9 14 e9 00 0d 36 bb
    68 65 6c 6c 6f` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 29 1 → 2 Len=1
  raw228_ipv4_badck: { link: 228, hex: `
    45 00 00 1d 12 34 40 00 40 11 15 9b 0a 00 00 01
    0a 00 00 02 00 01 00 02 00 09 73 d6 78` },
  // tshark: 2001:db8::1 → 2001:db8::2  TCP 114 443 → 40000 [SYN, ACK] Seq=0 Ack=1 Win=1000 Len=0
  ipv6_ext_tcp: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 86 dd 60 00
    00 00 00 3c 00 40 20 01 0d b8 00 00 00 00 00 00
    00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00
    00 00 00 00 00 02 2b 00 01 04 00 00 00 00 2c 02
    00 00 00 00 00 00 20 01 0d b8 00 00 00 00 00 00
    00 00 00 00 00 01 06 00 00 00 00 00 00 07 01 bb
    9c 40 00 00 00 64 00 00 00 c8 50 12 03 e8 b1 4e
    00 00` },
  // tshark: 2001:db8::1 → 2001:db8::2  IPv6 126 IPv6 no next header
  ipv6_too_many_ext: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 86 dd 60 00
    00 00 00 48 3c 40 20 01 0d b8 00 00 00 00 00 00
    00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00
    00 00 00 00 00 02 3c 00 01 04 00 00 00 00 3c 00
    01 04 00 00 00 00 3c 00 01 04 00 00 00 00 3c 00
    01 04 00 00 00 00 3c 00 01 04 00 00 00 00 3c 00
    01 04 00 00 00 00 3c 00 01 04 00 00 00 00 3c 00
    01 04 00 00 00 00 3b 00 01 04 00 00 00 00` },
  // tshark: 10.0.0.1 → 10.0.0.2     TCP 70 80 → 1234 [ACK] Seq=1 Ack=1 Win=100 Len=4 SLE=995 SRE=1995 [TCP segment of a reassembled PDU]
  tcp_sack_badck: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 38 12 34 40 00 40 06 14 8a 0a 00 00 01 0a 00
    00 02 00 50 04 d2 00 00 00 05 00 00 00 06 80 10
    00 64 7a aa 00 00 01 01 05 0a 00 00 03 e8 00 00
    07 d0 64 61 74 61` },
  // tshark: 10.0.0.1 → 10.0.0.2     TCP 62 80 → 1234 [PSH, ACK] Seq=1 Ack=1 Win=100 Len=0
  tcp_opt_bad: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 30 12 34 40 00 40 06 14 92 0a 00 00 01 0a 00
    00 02 00 50 04 d2 00 00 00 05 00 00 00 06 70 18
    00 64 6f 2e 00 00 02 03 05 00 00 00 00 00` },
  // tshark: 10.0.0.1 → 10.0.0.2     TCP 54 80 → 1234 [PSH, ACK] Seq=1 Ack=1 Win=100, bogus TCP header length (12, must be at least 20)
  tcp_bad_offset: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 28 12 34 40 00 40 06 14 9a 0a 00 00 01 0a 00
    00 02 00 50 04 d2 00 00 00 05 00 00 00 06 30 18
    00 64 b6 39 00 00` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 45 1000 → 2000 [BAD UDP LENGTH 200 > IP PAYLOAD LENGTH] Len=192
  udp_bad_len: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 1f 12 34 40 00 40 11 14 98 0a 00 00 01 0a 00
    00 02 03 e8 07 d0 00 c8 1a fe 61 62 63` },
  // tshark: 2001:db8::1 → 2001:db8::2  UDP 51 1000 → 2000 Len=3 [ILLEGAL CHECKSUM (0)]
  udp6_zero_ck: { link: 229, hex: `
    60 00 00 00 00 0b 11 40 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 02 03 e8 07 d0 00 0b 00 00
    61 62 63` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 46 1 → 2 Len=0
  ipv4_opt_bad: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 46 00
    00 20 12 34 40 00 40 11 cf 95 0a 00 00 01 0a 00
    00 02 44 01 00 00 00 01 00 02 00 08 eb d8` },
  // tshark: 66:77:88:99:aa:bb → 00:11:22:33:44:55 IPv4 42 Bogus IP header length (16, must be at least 20)
  ipv4_bad_hlen: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 44 00
    00 1c 12 34 40 00 40 11 14 9b 0a 00 00 01 0a 00
    00 02 00 01 00 02 00 08 eb d8` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 46 1 → 2 Len=4
  ipv4_trunc_pkt: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 64 12 34 40 00 40 11 14 53 0a 00 00 01 0a 00
    00 02 00 01 00 02 00 0c 27 0a 61 62 63 64` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 62 1 → 2 Len=0
  vlan_too_many: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 81 00 00 01
    81 00 00 02 81 00 00 03 81 00 00 04 81 00 00 05
    08 00 45 00 00 1c 12 34 40 00 40 11 14 9b 0a 00
    00 01 0a 00 00 02 00 01 00 02 00 08 eb d8` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 60 7 → 9 Len=0
  ether_padding: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 08 00 45 00
    00 1c 12 34 40 00 40 11 14 9b 0a 00 00 01 0a 00
    00 02 00 07 00 09 00 08 eb cb 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00` },
  // tshark: 10.0.0.1 → 10.0.0.2     UDP 32 1 → 2 Len=0
  ppp_unsupported: { link: 9, hex: `
    ff 03 00 21 45 00 00 1c 12 34 40 00 40 11 14 9b
    0a 00 00 01 0a 00 00 02 00 01 00 02 00 08 eb d8` },
  // tshark: 10.0.0.1 → 10.0.0.2     DNS 50 [Malformed Packet]
  pppoe_pfc: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 88 64 11 00
    00 01 00 1e 21 45 00 00 1d 12 34 40 00 40 11 14
    9a 0a 00 00 01 0a 00 00 02 03 e8 00 35 00 09 76
    bc 71` },
  // tshark: 2001:db8::1 → 2001:db8::2  MDNS 75 Unknown operation (13) 0x6865[Malformed Packet]
  pppoe_ipv6: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 88 64 11 00
    00 01 00 37 00 57 60 00 00 00 00 0d 11 40 20 01
    0d b8 00 00 00 00 00 00 00 00 00 00 00 01 20 01
    0d b8 00 00 00 00 00 00 00 00 00 00 00 02 14 e9
    14 e9 00 0d 36 bb 68 65 6c 6c 6f` },
  // tshark: 10.0.0.1 → 10.0.0.2     DNS 51 [Malformed Packet]
  mpls_two_labels: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 88 47 00 01
    00 40 00 00 21 ff 45 00 00 1d 12 34 40 00 40 11
    14 9a 0a 00 00 01 0a 00 00 02 03 e8 00 35 00 09
    76 bc 71` },
  // tshark: 10.0.0.1 → 10.0.0.2     DNS 51 [Malformed Packet]
  llc_snap_ipv4: { link: 1, hex: `
    00 11 22 33 44 55 66 77 88 99 aa bb 00 25 aa aa
    03 00 00 00 08 00 45 00 00 1d 12 34 40 00 40 11
    14 9a 0a 00 00 01 0a 00 00 02 03 e8 00 35 00 09
    76 bc 71` },
  // tshark: 88:99:aa:bb:cc:dd → 01:80:c2:00:00:00 STP 52 Conf. Root = 0/0/00:00:00:00:00:00  Cost = 0  Port = 0x0000
  llc_stp: { link: 1, hex: `
    01 80 c2 00 00 00 88 99 aa bb cc dd 00 26 42 42
    03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00` },
  // tshark: 2001:db8::1 → 2001:db8::2  IPv6 48 IPv6 destination options[Malformed Packet]
  ipv6_exthdr_trunc: { link: 229, hex: `
    60 00 00 00 00 08 3c 40 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 01 20 01 0d b8 00 00 00 00
    00 00 00 00 00 00 00 02 06 04 01 02 00 00 00 00` },
  // tshark: 10.0.0.1 → 10.0.0.2     TCP 60 22 → 2222 [FIN, ACK] Seq=1 Ack=1 Win=512 Len=0
  ipip_outer_only: { link: 101, hex: `
    45 00 00 3c 12 34 40 00 40 04 a4 86 c0 00 02 01
    c0 00 02 02 45 00 00 28 12 34 40 00 40 06 14 9a
    0a 00 00 01 0a 00 00 02 00 16 08 ae 00 00 00 09
    00 00 00 0a 50 11 02 00 90 fa 00 00` },
  // tshark: 52.114.124.106 → 192.168.1.46 TCP 68 443 → 52566 [ACK] Seq=1 Ack=1 Win=1026 Len=0   (first packet of suricata-verify/tests/decode-etag-01/input.pcap)
  etag_ipv4_tcp: { link: 1, hex: `
    00 50 56 ad bc 90 00 81 c4 93 2c 78 89 3f 10 00
    00 d3 00 00 08 00 45 00 00 28 61 cb 40 00 71 06
    35 52 34 72 7c 6a c0 a8 01 2e 01 bb cd 56 c0 f7
    e9 ed 2b 08 ed 53 50 10 04 02 a6 cc 00 00 00 00
    00 00 00 00` },
  // tshark: 1.1.1.1 → 1.1.2.1 IPv4 128 Unknown (253)   (first packet of zeek/vntag/vntag.pcap)
  vntag_vlan_ipv4: { link: 1, hex: `
    00 00 01 02 00 01 00 00 01 01 00 01 89 26 00 00
    00 00 81 00 00 0b 08 00 45 00 00 64 ac b8 00 00
    ff fd 08 e1 01 01 01 01 01 01 02 01 1b 79 4b 17
    5f ac 06 ab a6 58 41 25 5f 34 e2 8c ae 99 cd 04
    bf 24 d9 48 80 1f 4e f8 12 dc 0b 6d 45 32 74 39
    06 19 cc 75 bf 7a 7b 5f 95 de a5 a3 eb dc 42 df
    57 cd 94 a3 01 fe 79 83 bf cb d3 06 ed d9 88 b6
    f6 9b 20 62 63 fa 16 39 48 01 1d 6a a5 f1 b8 7d` },
} as const;

function bytes(hex: string): Uint8Array { return Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex')); }

/** Decode a packet placed at offset 3 of a larger buffer (decoders must honour off/caplen). */
function dec(name: keyof typeof P, opts: { caplen?: number; wirelen?: number; checksums?: number; tunnels?: boolean } = {}): PacketView {
  const b = bytes(P[name].hex);
  const buf = new Uint8Array(b.length + 10).fill(0xee);
  buf.set(b, 3);
  const v = new PacketView();
  const ctx = new DecodeContext(opts.checksums ?? CSUM_ALL, null);
  if (opts.tunnels !== undefined) ctx.tunnels = opts.tunnels;
  decodePacket(v, buf, 3, opts.caplen ?? b.length, opts.wirelen ?? b.length, P[name].link, 1_700_000_000, 0, ctx);
  return v;
}
function events(v: PacketView): string[] { return Array.from(v.events.subarray(0, v.eventCount), (e) => EVENT_NAMES[e]); }
function src(v: PacketView): string { return v.ipVer === 4 ? ipv4String(v.buf, v.srcOff) : ipv6String(v.buf, v.srcOff); }
function dst(v: PacketView): string { return v.ipVer === 4 ? ipv4String(v.buf, v.dstOff) : ipv6String(v.buf, v.dstOff); }

test('ethernet + 802.1ad + 802.1Q + IPv4 + TCP SYN with options', () => {
  const v = dec('qinq_tcp_syn');
  assert.deepEqual(events(v), []);
  assert.equal(v.l2Kind, 1);
  assert.deepEqual(Array.from(v.vlan.subarray(0, v.vlanCount)), [100, 200]);
  assert.equal(v.etherType, 0x0800);
  assert.equal(v.ipVer, 4); assert.equal(src(v), '10.0.0.1'); assert.equal(dst(v), '10.0.0.2');
  assert.equal(v.ttl, 64); assert.equal(v.ipId, 0x1234); assert.equal(v.ipDF, true); assert.equal(v.ipMF, false);
  assert.equal(v.src4, 0x0a000001);
  assert.equal(v.l4Kind, PROTO_TCP); assert.equal(v.hasTcp, true);
  assert.equal(v.sport, 1234); assert.equal(v.dport, 80); assert.equal(v.tcpFlags, 0x02);
  assert.equal(v.seq, 1); assert.equal(v.win, 64240); assert.equal(v.tcpHdrLen, 40);
  assert.equal(v.optMss, 1460); assert.equal(v.optSackPerm, true); assert.equal(v.optTsVal, 100); assert.equal(v.optTsEcr, 0);
  assert.equal(v.optWscale, 7);
  assert.equal(v.payloadLen, 0); assert.equal(v.payloadOff, 3 + 22 + 20 + 40);
});

test('Linux cooked v1 + IPv4 + UDP (DNS)', () => {
  const v = dec('sll_udp');
  assert.deepEqual(events(v), []);
  assert.equal(v.l2Kind, 2); assert.equal(v.l4Kind, PROTO_UDP);
  assert.equal(v.sport, 50000); assert.equal(v.dport, 53); assert.equal(v.udpLen, 27); assert.equal(v.payloadLen, 19);
});

test('Linux cooked v2 + IPv6 + ICMPv6 echo request', () => {
  const v = dec('sll2_icmpv6');
  assert.deepEqual(events(v), []);
  assert.equal(v.l2Kind, 3); assert.equal(v.ipVer, 6);
  assert.equal(src(v), '2001:db8::1'); assert.equal(dst(v), '2001:db8::2');
  assert.equal(v.ttl, 64); assert.equal(v.ipProto, 58); assert.equal(v.l4Kind, PROTO_ICMPV6);
  assert.equal(v.icmpType, 128); assert.equal(v.icmpCode, 0); assert.equal(v.payloadLen, 4);
});

test('BSD null (little-endian AF_INET) + ICMP; OpenBSD loop (big-endian AF_INET6 24); raw 101 IPv6', () => {
  let v = dec('null_le_icmp');
  assert.deepEqual(events(v), []);
  assert.equal(v.l2Kind, 4); assert.equal(v.ipVer, 4); assert.equal(v.ttl, 128);
  assert.equal(v.l4Kind, PROTO_ICMP); assert.equal(v.icmpType, 8); assert.equal(v.payloadLen, 4);
  v = dec('loop_be_ipv6_udp');
  assert.deepEqual(events(v), []);
  assert.equal(v.ipVer, 6); assert.equal(v.ttl, 255); assert.equal(v.sport, 5353); assert.equal(v.payloadLen, 5);
  v = dec('raw101_ipv6_udp');
  assert.equal(v.l2Kind, 5); assert.equal(v.ipVer, 6); assert.equal(v.l4Kind, PROTO_UDP); assert.deepEqual(events(v), []);
});

test('raw IPv4 (228) with a bad header checksum: event, decode continues; --no-checksums: no event', () => {
  let v = dec('raw228_ipv4_badck');
  assert.deepEqual(events(v), ['ipv4.bad_checksum']);
  assert.equal(v.l4Kind, PROTO_UDP); assert.equal(v.payloadLen, 1);
  v = dec('raw228_ipv4_badck', { checksums: 0 });
  assert.deepEqual(events(v), []);
});

test('IPv6 hop-by-hop + routing + atomic fragment + TCP: protocol after the extension headers', () => {
  const v = dec('ipv6_ext_tcp');
  assert.deepEqual(events(v), []);
  assert.equal(v.ipProto, 6); assert.equal(v.ipHdrLen, 40 + 8 + 24 + 8);
  assert.equal(v.isFragment, false); assert.equal(v.ipId, 7);
  assert.equal(v.sport, 443); assert.equal(v.tcpFlags, 0x12); assert.equal(v.ack, 200);
});

test(`IPv6 with 9 destination options headers: walk bounded by MAX_IPV6_EXTHDRS (${MAX_IPV6_EXTHDRS})`, () => {
  const v = dec('ipv6_too_many_ext');
  assert.deepEqual(events(v), ['ipv6.exthdr_too_many']);
  assert.equal(v.ipHdrLen, 40 + 8 * MAX_IPV6_EXTHDRS); assert.equal(v.ipProto, 60); assert.equal(v.l4Kind, 0);
  assert.equal(v.payloadOff + v.payloadLen, 3 + 14 + 40 + 72);
});

test('TCP SACK blocks and a bad checksum', () => {
  const v = dec('tcp_sack_badck');
  assert.deepEqual(events(v), ['tcp.bad_checksum']);
  assert.equal(v.sackCount, 1); assert.equal(v.sack[0], 1000); assert.equal(v.sack[1], 2000);
  assert.equal(v.payloadLen, 4);
  assert.deepEqual(events(dec('tcp_sack_badck', { checksums: 0 })), []);
});

test('TCP malformed option (MSS with length 3) and bad data offset (3)', () => {
  let v = dec('tcp_opt_bad');
  assert.deepEqual(events(v), ['tcp.opt_bad']);
  assert.equal(v.optMss, -1); assert.equal(v.tcpHdrLen, 28);
  v = dec('tcp_bad_offset');
  assert.deepEqual(events(v), ['tcp.bad_offset']);
  assert.equal(v.l4Kind, PROTO_TCP); assert.equal(v.tcpHdrLen, 0); assert.equal(v.hasTcp, false);
  assert.equal(v.sport, 80); assert.equal(v.payloadLen, 0);
});

test('UDP length beyond the IP payload; IPv6 UDP with a zero checksum', () => {
  let v = dec('udp_bad_len');
  assert.deepEqual(events(v), ['udp.bad_len']);
  assert.equal(v.udpLen, 200); assert.equal(v.payloadLen, 3);
  v = dec('udp6_zero_ck');
  assert.deepEqual(events(v), ['udp.bad_checksum']);
});

test('IPv4 malformed option, IHL 4, total length beyond the frame, snapped packet', () => {
  let v = dec('ipv4_opt_bad');
  assert.deepEqual(events(v), ['ipv4.opt_bad']);
  assert.equal(v.ipHdrLen, 24); assert.equal(v.l4Kind, PROTO_UDP);
  v = dec('ipv4_bad_hlen');
  assert.deepEqual(events(v), ['ipv4.bad_hlen']); assert.equal(v.ipVer, 0);
  v = dec('ipv4_trunc_pkt');
  assert.ok(events(v).includes('ipv4.trunc_pkt'));
  // a packet cut by the capture's snaplen (caplen 70 of 82): no ipv4.trunc_pkt and no checksum
  // claims, only the TCP header that is cut is reported ([|tcp] in tcpdump)
  v = dec('qinq_tcp_syn', { caplen: 70, wirelen: 82 });
  assert.deepEqual(events(v), ['tcp.truncated']);
  assert.equal(v.sport, 1234); assert.equal(v.tcpHdrLen, 0); assert.ok(v.payloadOff + v.payloadLen <= 3 + 70);
  // the same with the whole TCP header but a cut payload: nothing to report
  v = dec('tcp_sack_badck', { caplen: 68, wirelen: 70 });
  assert.deepEqual(events(v), []);
  assert.equal(v.payloadLen, 2);
});

test(`VLAN stack deeper than MAX_VLAN (${MAX_VLAN}) is vlan.too_many; Ethernet padding is ignored`, () => {
  let v = dec('vlan_too_many');
  assert.deepEqual(events(v), ['vlan.too_many']);
  assert.equal(v.vlanCount, MAX_VLAN); assert.deepEqual(Array.from(v.vlan), [1, 2, 3, 4]); assert.equal(v.ipVer, 0);
  v = dec('ether_padding');
  assert.deepEqual(events(v), []);
  assert.equal(v.payloadLen, 0); assert.equal(v.ipTotalLen, 28); assert.equal(v.sport, 7);
});

test('unsupported link type (PPP, 9) is link.unsupported, never a crash; empty packets are truncations', () => {
  const v = dec('ppp_unsupported');
  assert.deepEqual(events(v), ['link.unsupported']);
  const w = new PacketView();
  const ctx = new DecodeContext();
  for (const [link, ev] of [[1, 'ether.truncated'], [113, 'sll.truncated'], [276, 'sll2.truncated'], [0, 'null.truncated'], [101, 'link.truncated'], [228, 'ipv4.truncated'], [229, 'ipv6.truncated'], [99999, 'link.unsupported']] as const) {
    decodePacket(w, new Uint8Array(0), 0, 0, 0, link, 0, 0, ctx);
    assert.deepEqual(events(w), [ev], `link ${link}`);
  }
  assert.ok(EV['link.unsupported'] > 0);
});

test('PPPoE session (compressed and full PPP protocol field), MPLS label stack, LLC/SNAP', () => {
  let v = dec('pppoe_pfc');
  assert.deepEqual(events(v), []);
  assert.equal(v.ipVer, 4); assert.equal(v.dport, 53); assert.equal(v.payloadLen, 1);
  v = dec('pppoe_ipv6');
  assert.deepEqual(events(v), []);
  assert.equal(v.ipVer, 6); assert.equal(v.sport, 5353);
  v = dec('mpls_two_labels');
  assert.deepEqual(events(v), []);
  assert.equal(v.ipVer, 4); assert.equal(v.l3Off, 3 + 14 + 8); assert.equal(v.l4Kind, PROTO_UDP);
  v = dec('llc_snap_ipv4');
  assert.deepEqual(events(v), []);
  assert.equal(v.etherType, 0x0800); assert.equal(v.l3Off, 3 + 14 + 8); assert.equal(v.sport, 1000);
  v = dec('llc_stp');
  assert.deepEqual(events(v), ['ether.llc']);
  assert.equal(v.ipVer, 0); assert.equal(v.payloadLen, 38);
});

test('IPv6 extension header longer than the packet; IP-in-IP: outer layer only with tunnels off, inner packet with tunnels on', () => {
  let v = dec('ipv6_exthdr_trunc');
  assert.deepEqual(events(v), ['ipv6.exthdr_truncated']);
  assert.equal(v.ipProto, 60); assert.equal(v.l4Kind, 0); assert.equal(v.payloadLen, 8);
  v = dec('ipip_outer_only', { tunnels: false });
  assert.deepEqual(events(v), ['ip.tunnel']);
  assert.equal(src(v), '192.0.2.1'); assert.equal(v.ipProto, 4); assert.equal(v.l4Kind, 0);
  assert.equal(v.payloadOff, 3 + 20); assert.equal(v.payloadLen, 40);
  assert.equal(v.tunnelDepth, 0); assert.equal(v.outerL3Off, -1);
  v = dec('ipip_outer_only');      // default: tunnels on (the engine's view)
  assert.deepEqual(events(v), ['tunnel.decoded']);
  assert.equal(v.tunnelDepth, 1); assert.equal(v.tunnelKind, 1); assert.equal(v.outerL3Off, 3);
  assert.equal(src(v), '10.0.0.1'); assert.equal(dst(v), '10.0.0.2'); assert.equal(v.l3Off, 3 + 20);
  assert.equal(v.l4Kind, PROTO_TCP); assert.equal(v.sport, 22); assert.equal(v.dport, 2222); assert.equal(v.tcpFlags, 0x11);
  assert.equal(v.payloadOff, 3 + 40 + 20); assert.equal(v.payloadLen, 0);
});

test('802.1BR E-Tag and Cisco VN-Tag are skipped to the encapsulated ethertype', () => {
  let v = dec('etag_ipv4_tcp');
  assert.equal(v.etherType, 0x0800); assert.equal(v.l3Off, 3 + 14 + 8); assert.equal(v.l4Kind, PROTO_TCP);
  assert.equal(src(v), '52.114.124.106'); assert.equal(v.sport, 443);
  v = dec('vntag_vlan_ipv4');
  assert.deepEqual(Array.from(v.vlan.subarray(0, v.vlanCount)), [11]);
  assert.equal(v.ipVer, 4); assert.equal(v.l3Off, 3 + 14 + 6 + 4);
});
