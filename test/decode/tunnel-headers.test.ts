/**
 * Crafted header variants for the tunnel and link decoders added with tunnels.test.ts (which checks
 * real captures against tshark): GRE flag combinations (checksum, key, sequence; PPTP
 * acknowledgement-only; routing and unknown versions refused), PPP protocol field compression,
 * VXLAN without its I flag, the nesting bound, NFLOG in both byte orders and without a payload
 * attribute, radiotap with an FCS, 802.11 non-data frames. Checksums are off (crafted headers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketView, PROTO_UDP } from '../../decoders/packet';
import { decodePacket, DecodeContext } from '../../decoders/decode';
import { EVENT_NAMES } from '../../decoders/events';
import { ipv4String } from '../../decoders/format';
import { MAX_TUNNEL_DEPTH, TUNNEL_GRE, TUNNEL_IPIP } from '../../decoders/tunnel';

const LINK_RAW = 101, LINK_NFLOG = 239, LINK_RADIOTAP = 127, LINK_ETHER = 1;

function ipv4(proto: number, src: number[], dst: number[], payload: number[]): number[] {
  const tl = 20 + payload.length;
  return [0x45, 0, tl >> 8, tl & 255, 0, 1, 0, 0, 64, proto, 0, 0, ...src, ...dst, ...payload];
}
const UDP = [0x30, 0x39, 0x00, 0x35, 0, 12, 0, 0, 1, 2, 3, 4];      // 12345 -> 53, 4 bytes of data
const INNER = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], UDP);

function dec(bytes: number[], link: number, tunnels = true): PacketView {
  const v = new PacketView();
  const ctx = new DecodeContext(0, null);
  ctx.tunnels = tunnels;
  const b = Uint8Array.from(bytes);
  decodePacket(v, b, 0, b.length, b.length, link, 0, 0, ctx);
  return v;
}
function events(v: PacketView): string[] { return Array.from(v.events.subarray(0, v.eventCount), (e) => EVENT_NAMES[e]); }
function src(v: PacketView): string { return ipv4String(v.buf, v.srcOff); }

test('GRE version 0 with checksum, key and sequence fields reaches the inner packet', () => {
  const gre = [0xb0, 0x00, 0x08, 0x00, 0xab, 0xcd, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7, ...INNER];
  const outer = ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], gre);
  let v = dec(outer, LINK_RAW);
  assert.deepEqual(events(v), ['tunnel.decoded']);
  assert.equal(v.tunnelKind, TUNNEL_GRE); assert.equal(v.tunnelDepth, 1); assert.equal(v.outerL3Off, 0);
  assert.equal(src(v), '10.0.0.1'); assert.equal(v.l4Kind, PROTO_UDP); assert.equal(v.sport, 12345); assert.equal(v.payloadLen, 4);
  v = dec(outer, LINK_RAW, false);
  assert.deepEqual(events(v), []);
  assert.equal(src(v), '192.0.2.1'); assert.equal(v.ipProto, 47); assert.equal(v.tunnelDepth, 0);
  assert.equal(v.payloadOff, 20 + 16); assert.equal(v.payloadLen, INNER.length);
});

test('PPTP enhanced GRE: PPP with and without address/control and a compressed protocol; ack-only carries nothing', () => {
  for (const ppp of [[0xff, 0x03, 0x00, 0x21], [0x00, 0x21], [0x21]]) {
    const body = [...ppp, ...INNER];
    const gre = [0x30, 0x81, 0x88, 0x0b, body.length >> 8, body.length & 255, 0, 9, 0, 0, 0, 5, 0, 0, 0, 4, ...body];
    const v = dec(ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], gre), LINK_RAW);
    assert.equal(src(v), '10.0.0.1', JSON.stringify(ppp)); assert.equal(v.sport, 12345);
  }
  const ack = [0x20, 0x81, 0x88, 0x0b, 0, 0, 0, 9, 0, 0, 0, 4];
  const v = dec(ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], ack), LINK_RAW);
  assert.equal(v.tunnelDepth, 0); assert.equal(v.payloadLen, 0); assert.equal(src(v), '192.0.2.1');
  const lcp = [0x30, 0x01, 0x88, 0x0b, 0, 6, 0, 9, 0, 0, 0, 1, 0xff, 0x03, 0xc0, 0x21, 1, 1];
  const w = dec(ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], lcp), LINK_RAW);
  assert.ok(events(w).includes('ppp.unsupported'));
});

test('GRE routing bit, unknown version and unknown protocol type stay payload; truncated headers', () => {
  for (const hdr of [[0x40, 0x00, 0x08, 0x00], [0x00, 0x02, 0x08, 0x00], [0x00, 0x00, 0x88, 0xbe]]) {
    const v = dec(ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], [...hdr, ...INNER]), LINK_RAW);
    assert.deepEqual(events(v), ['gre.unsupported'], String(hdr));
    assert.equal(v.tunnelDepth, 0); assert.equal(src(v), '192.0.2.1');
  }
  for (const hdr of [[0x20, 0x00], [0x20, 0x00, 0x08, 0x00, 0, 0]]) {      // < 4 bytes; key flag without the key
    const v = dec(ipv4(47, [192, 0, 2, 1], [192, 0, 2, 2], hdr), LINK_RAW);
    assert.deepEqual(events(v), ['gre.truncated'], String(hdr));
    assert.equal(v.tunnelDepth, 0);
  }
});

test('nesting is bounded by MAX_TUNNEL_DEPTH', () => {
  let p = INNER;
  for (let i = 0; i < MAX_TUNNEL_DEPTH + 1; i++) p = ipv4(4, [192, 0, 2, i], [192, 0, 2, 100 + i], p);
  const v = dec(p, LINK_RAW);
  assert.ok(events(v).includes('tunnel.too_deep'));
  assert.equal(v.tunnelDepth, MAX_TUNNEL_DEPTH); assert.equal(v.tunnelKind, TUNNEL_IPIP);
  assert.equal(v.ipProto, 4);                // the deepest decoded layer's payload is the last IP-in-IP
  assert.equal(v.payloadLen, INNER.length);
});

test('VXLAN needs its I flag; Ethernet inside', () => {
  const eth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, ...INNER];
  for (const flags of [0x08, 0x00]) {
    const vx = [flags, 0, 0, 0, 0, 0, 1, 0, ...eth];
    const udp = [0xc0, 0x00, 0x12, 0xb5, (8 + vx.length) >> 8, (8 + vx.length) & 255, 0, 0, ...vx];
    const v = dec(ipv4(17, [192, 0, 2, 1], [192, 0, 2, 2], udp), LINK_RAW);
    if (flags) { assert.equal(src(v), '10.0.0.1'); assert.equal(v.dport, 53); }
    else { assert.equal(src(v), '192.0.2.1'); assert.equal(v.dport, 4789); assert.equal(v.tunnelDepth, 0); }
  }
});

function tlv(le: boolean, type: number, value: number[]): number[] {
  const len = 4 + value.length;
  const h = le ? [len & 255, len >> 8, type & 255, type >> 8] : [len >> 8, len & 255, type >> 8, type & 255];
  const pad = (4 - (len & 3)) & 3;
  return [...h, ...value, ...new Array(pad).fill(0)];
}

test('NFLOG: payload TLV in either byte order, family from the header; no payload attribute', () => {
  for (const le of [true, false]) {
    const pkt = [2, 0, 0, 0, ...tlv(le, 1, [0x08, 0x00, 3, 0]), ...tlv(le, 10, [0x61, 0x62, 0x63]), ...tlv(le, 9, INNER)];
    const v = dec(pkt, LINK_NFLOG);
    assert.deepEqual(events(v), [], `le=${le}`);
    assert.equal(src(v), '10.0.0.1'); assert.equal(v.sport, 12345); assert.equal(v.payloadLen, 4);
  }
  const none = dec([2, 0, 0, 0, ...tlv(true, 1, [0x08, 0x00, 3, 0])], LINK_NFLOG);
  assert.deepEqual(events(none), ['nflog.no_payload']);
  assert.deepEqual(events(dec([2, 0], LINK_NFLOG)), ['nflog.truncated']);
});

test('radiotap with TSFT and an FCS flag, 802.11 QoS data frame; non-data frames', () => {
  const rt = [0, 0, 18, 0, 0x03, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0];   // TSFT + Flags(FCS)
  const wlanHdr = [0x88, 0x01, 0, 0, ...new Array(20).fill(0xaa), 0, 0];        // QoS data, To-DS
  const frame = [...rt, ...wlanHdr, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, ...INNER, 0xde, 0xad, 0xbe, 0xef];
  const v = dec(frame, LINK_RADIOTAP);
  assert.deepEqual(events(v), []);
  assert.equal(v.l3Off, 18 + 26 + 8); assert.equal(src(v), '10.0.0.1'); assert.equal(v.payloadLen, 4);
  const beacon = [...rt, 0x80, 0x00, ...new Array(30).fill(0)];
  assert.deepEqual(events(dec(beacon, LINK_RADIOTAP)), ['wlan.not_data']);
  const prot = [...rt, 0x08, 0x41, ...new Array(40).fill(0)];
  assert.deepEqual(events(dec(prot, LINK_RADIOTAP)), ['wlan.not_data']);
  assert.deepEqual(events(dec([0, 0, 40, 0, 0, 0, 0, 0], LINK_RADIOTAP)), ['radiotap.truncated']);
});

test('Geneve with options and an Ethernet payload over Ethernet', () => {
  const eth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, ...INNER];
  const gn = [0x01, 0, 0x65, 0x58, 0, 0, 10, 0, 1, 2, 3, 4, ...eth];        // one 4-byte option word
  const udp = [0xc0, 0x00, 0x17, 0xc1, (8 + gn.length) >> 8, (8 + gn.length) & 255, 0, 0, ...gn];
  const frame = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, ...ipv4(17, [192, 0, 2, 1], [192, 0, 2, 2], udp)];
  const v = dec(frame, LINK_ETHER);
  assert.deepEqual(events(v), ['tunnel.decoded']);
  assert.equal(src(v), '10.0.0.1'); assert.equal(v.dport, 53); assert.equal(v.outerL3Off, 14);
});
