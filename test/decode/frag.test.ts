/**
 * IP fragment reassembly (decoders/frag.ts): in-order and out-of-order completion, the packet that
 * completes a datagram carries it (reassembled = true, buf = scratch), the overlap policy (exact
 * duplicates ignored, any other overlap discards the datagram, as Linux >= 4.19 and RFC 5722),
 * and every limit with its counter: memcap (datagrams, bytes), fragments per datagram, timeout,
 * too large, bad fragment length.
 *
 * Fragments are built here: an Ethernet + IPv4/IPv6 header with the fragment fields, carrying a
 * slice of a UDP datagram whose checksum is correct over the whole datagram.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PacketView, PROTO_UDP } from '../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../../decoders/decode';
import { EVENT_NAMES } from '../../decoders/events';
import { Reassembler, MAX_FRAG_DATAGRAMS, MAX_FRAG_BYTES, MAX_FRAGS_PER_DATAGRAM, FRAG_TIMEOUT_SEC } from '../../decoders/frag';
import { sum16, checksumOf, pseudo4, pseudo6 } from '../../decoders/checksum';

const SRC4 = [192, 0, 2, 1], DST4 = [192, 0, 2, 2];
const SRC6 = Buffer.from('20010db8000000000000000000000001', 'hex'), DST6 = Buffer.from('20010db8000000000000000000000002', 'hex');

/** A UDP datagram (header + payload) with a correct checksum for the given IP version. */
function udpDatagram(v6: boolean, payload: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + payload.length);
  u[0] = 0x30; u[1] = 0x39; u[2] = 0x00; u[3] = 0x35;          // 12345 -> 53
  u[4] = u.length >> 8; u[5] = u.length & 0xff;
  u.set(payload, 8);
  const ip = new Uint8Array(40);
  if (v6) { ip.set(SRC6, 8); ip.set(DST6, 24); } else { ip.set(SRC4, 12); ip.set(DST4, 16); }
  const ph = v6 ? pseudo6(ip, 8, 24, 17, u.length) : pseudo4(ip, 12, 16, 17, u.length);
  const c = checksumOf(ph + sum16(u, 0, u.length)) || 0xffff;
  u[6] = c >> 8; u[7] = c & 0xff;
  return u;
}

/** Ethernet + IPv4 fragment: `data` is the slice at byte offset `off` of the datagram. */
function frag4(id: number, off: number, mf: boolean, data: Uint8Array, proto = 17): Uint8Array {
  const p = new Uint8Array(14 + 20 + data.length);
  p[12] = 0x08; p[13] = 0x00;
  const h = p.subarray(14);
  h[0] = 0x45; const tl = 20 + data.length; h[2] = tl >> 8; h[3] = tl & 0xff;
  h[4] = id >> 8; h[5] = id & 0xff;
  const ff = (mf ? 0x2000 : 0) | (off >> 3); h[6] = ff >> 8; h[7] = ff & 0xff;
  h[8] = 64; h[9] = proto; h.set(SRC4, 12); h.set(DST4, 16);
  const c = checksumOf(sum16(h, 0, 20)); h[10] = c >> 8; h[11] = c & 0xff;
  h.set(data, 20);
  return p;
}

/** Ethernet + IPv6 + fragment header. */
function frag6(id: number, off: number, mf: boolean, data: Uint8Array): Uint8Array {
  const p = new Uint8Array(14 + 40 + 8 + data.length);
  p[12] = 0x86; p[13] = 0xdd;
  const h = p.subarray(14);
  h[0] = 0x60; const pl = 8 + data.length; h[4] = pl >> 8; h[5] = pl & 0xff; h[6] = 44; h[7] = 64;
  h.set(SRC6, 8); h.set(DST6, 24);
  h[40] = 17; const fo = off | (mf ? 1 : 0); h[42] = fo >> 8; h[43] = fo & 0xff;
  h[44] = (id >>> 24) & 0xff; h[45] = (id >> 16) & 0xff; h[46] = (id >> 8) & 0xff; h[47] = id & 0xff;
  h.set(data, 48);
  return p;
}

/** Cut a datagram into fragments of `size` bytes (a multiple of 8). */
function split(d: Uint8Array, size: number): { off: number; mf: boolean; data: Uint8Array }[] {
  const out = [];
  for (let o = 0; o < d.length; o += size) out.push({ off: o, mf: o + size < d.length, data: d.subarray(o, Math.min(d.length, o + size)) });
  return out;
}

function payload(n: number, seed = 1): Uint8Array { const p = new Uint8Array(n); for (let i = 0; i < n; i++) p[i] = (i * 7 + seed) & 0xff; return p; }

class Harness {
  readonly v = new PacketView();
  readonly r = new Reassembler();
  readonly ctx = new DecodeContext(CSUM_ALL, this.r);
  feed(pkt: Uint8Array, t = 1000): string[] {
    decodePacket(this.v, pkt, 0, pkt.length, pkt.length, 1, t, 0, this.ctx);
    return Array.from(this.v.events.subarray(0, this.v.eventCount), (e) => EVENT_NAMES[e]);
  }
}

test('IPv4: out-of-order fragments reassemble on the packet that completes the datagram', () => {
  const h = new Harness();
  const body = payload(3000);
  const d = udpDatagram(false, body);
  const fr = split(d, 1480);
  assert.equal(fr.length, 3);
  assert.deepEqual(h.feed(frag4(77, fr[2].off, fr[2].mf, fr[2].data)), ['ipv4.frag']);
  assert.equal(h.v.isFragment, true); assert.equal(h.v.l4Kind, 0); assert.equal(h.v.fragOff, 2960);
  assert.deepEqual(h.feed(frag4(77, fr[0].off, fr[0].mf, fr[0].data)), ['ipv4.frag']);
  assert.equal(h.v.ipMF, true);
  assert.equal(h.r.inProgress, 1);
  assert.deepEqual(h.feed(frag4(77, fr[1].off, fr[1].mf, fr[1].data)), ['ipv4.frag', 'ipv4.reassembled']);
  const v = h.v;
  assert.equal(v.reassembled, true); assert.equal(v.isFragment, false);
  assert.equal(v.buf, h.r.scratch); assert.equal(v.l3Off, 0);
  assert.equal(v.ipTotalLen, 20 + d.length); assert.equal(v.ipMF, false); assert.equal(v.fragOff, 0); assert.equal(v.ipId, 77);
  assert.equal(v.l4Kind, PROTO_UDP); assert.equal(v.sport, 12345); assert.equal(v.dport, 53); assert.equal(v.udpLen, d.length);
  assert.equal(v.payloadLen, 3000);
  assert.deepEqual(v.buf.subarray(v.payloadOff, v.payloadOff + v.payloadLen), body);   // checksum also verified: no event
  assert.equal(h.r.inProgress, 0); assert.equal(h.r.bytesHeld, 0);
  assert.equal(h.r.stats.reassembled, 1);
});

test('IPv6: fragments reassemble; the upper-layer protocol comes from the fragment header', () => {
  const h = new Harness();
  const body = payload(2000, 5);
  const d = udpDatagram(true, body);
  const fr = split(d, 1232);
  assert.deepEqual(h.feed(frag6(0xdeadbeef, fr[0].off, fr[0].mf, fr[0].data)), ['ipv6.frag']);
  assert.equal(h.v.ipProto, 17); assert.equal(h.v.ipId, 0xdeadbeef); assert.equal(h.v.isFragment, true);
  assert.deepEqual(h.feed(frag6(0xdeadbeef, fr[1].off, fr[1].mf, fr[1].data)), ['ipv6.frag', 'ipv6.reassembled']);
  assert.equal(h.v.reassembled, true); assert.equal(h.v.ipVer, 6); assert.equal(h.v.ipProto, 17);
  assert.equal(h.v.l4Kind, PROTO_UDP); assert.equal(h.v.payloadLen, 2000);
  assert.deepEqual(h.v.buf.subarray(h.v.payloadOff, h.v.payloadOff + 2000), body);
});

test('overlap policy: an exact duplicate is ignored, then the datagram still completes', () => {
  const h = new Harness();
  const fr = split(udpDatagram(false, payload(2000)), 1000);
  h.feed(frag4(5, fr[0].off, fr[0].mf, fr[0].data));
  assert.deepEqual(h.feed(frag4(5, fr[0].off, fr[0].mf, fr[0].data)), ['ipv4.frag', 'ipv4.frag_dup']);
  assert.deepEqual(h.feed(frag4(5, fr[1].off, fr[1].mf, fr[1].data)), ['ipv4.frag']);
  assert.deepEqual(h.feed(frag4(5, fr[2].off, fr[2].mf, fr[2].data)), ['ipv4.frag', 'ipv4.reassembled']);
  assert.equal(h.r.stats.dups, 1);
});

test('overlap policy: a partial overlap with different bytes discards the whole datagram (no first/last wins)', () => {
  for (const v6 of [false, true]) {
    const h = new Harness();
    const d = udpDatagram(v6, payload(2400));
    const mk = v6 ? frag6 : frag4;
    const pre = v6 ? 'ipv6' : 'ipv4';
    const fr = split(d, 1200);                                            // 0-1200, 1200-2400, 2400-2408
    h.feed(mk(9, fr[0].off, true, fr[0].data));
    // attacker: bytes 800..1600 with other content, overlapping the first fragment's tail
    const evil = payload(800, 99);
    assert.deepEqual(h.feed(mk(9, 800, true, evil)), [`${pre}.frag`, `${pre}.frag_overlap`]);
    assert.equal(h.r.inProgress, 0, 'datagram discarded');
    // the remaining genuine fragments start a new datagram that can never complete
    h.feed(mk(9, fr[1].off, true, fr[1].data));
    assert.deepEqual(h.feed(mk(9, fr[2].off, false, fr[2].data)), [`${pre}.frag`]);
    assert.equal(h.v.reassembled, false);
    assert.equal(h.r.stats.overlaps, 1); assert.equal(h.r.stats.reassembled, 0);
  }
});

test(`timeout: a datagram older than FRAG_TIMEOUT_SEC (${FRAG_TIMEOUT_SEC}s of packet time) is dropped and counted`, () => {
  const h = new Harness();
  const fr = split(udpDatagram(false, payload(1000)), 504);
  h.feed(frag4(1, fr[0].off, fr[0].mf, fr[0].data), 1000);
  assert.deepEqual(h.feed(frag4(1, fr[1].off, fr[1].mf, fr[1].data), 1000 + FRAG_TIMEOUT_SEC + 1), ['ipv4.frag', 'ipv4.frag_timeout']);
  assert.equal(h.v.reassembled, false);
  assert.equal(h.r.stats.timeouts, 1);
  // other datagrams are swept when any fragment arrives later
  h.feed(frag4(2, 0, true, payload(8)), 2000);
  h.feed(frag4(3, 0, true, payload(8)), 2000 + FRAG_TIMEOUT_SEC + 5);
  assert.equal(h.r.stats.timeouts, 3);       // id 1's second fragment (new datagram) and id 2 swept
  assert.equal(h.r.inProgress, 1);
  // within the timeout it completes
  const g = new Harness();
  g.feed(frag4(1, fr[0].off, fr[0].mf, fr[0].data), 1000);
  assert.ok(g.feed(frag4(1, fr[1].off, fr[1].mf, fr[1].data), 1000 + FRAG_TIMEOUT_SEC - 1).includes('ipv4.reassembled'));
});

test(`memcap: at most MAX_FRAG_DATAGRAMS (${MAX_FRAG_DATAGRAMS}) datagrams and MAX_FRAG_BYTES (${MAX_FRAG_BYTES}) bytes in progress`, () => {
  const h = new Harness();
  for (let id = 0; id < MAX_FRAG_DATAGRAMS; id++) assert.deepEqual(h.feed(frag4(id, 0, true, payload(8))), ['ipv4.frag']);
  assert.deepEqual(h.feed(frag4(MAX_FRAG_DATAGRAMS, 0, true, payload(8))), ['ipv4.frag', 'ipv4.frag_memcap']);
  assert.equal(h.r.inProgress, MAX_FRAG_DATAGRAMS); assert.equal(h.r.stats.memcap, 1);
  // an existing datagram can still grow
  assert.deepEqual(h.feed(frag4(3, 8, true, payload(8))), ['ipv4.frag']);

  const b = new Harness();
  const big = payload(8000);
  let hit = -1;
  for (let id = 0; id < 1000 && hit < 0; id++) if (b.feed(frag4(id, 0, true, big)).includes('ipv4.frag_memcap')) hit = id;
  assert.equal(hit, Math.floor(MAX_FRAG_BYTES / 8000));
  assert.ok(b.r.bytesHeld <= MAX_FRAG_BYTES);
});

test(`a datagram with more than MAX_FRAGS_PER_DATAGRAM (${MAX_FRAGS_PER_DATAGRAM}) fragments is dropped`, () => {
  const h = new Harness();
  for (let i = 0; i < MAX_FRAGS_PER_DATAGRAM; i++) assert.deepEqual(h.feed(frag4(42, i * 8, true, payload(8))), ['ipv4.frag']);
  assert.deepEqual(h.feed(frag4(42, MAX_FRAGS_PER_DATAGRAM * 8, true, payload(8))), ['ipv4.frag', 'ipv4.frag_too_many']);
  assert.equal(h.r.inProgress, 0); assert.equal(h.r.stats.tooMany, 1);
});

test('too large (> 65535 bytes) and bad fragment length are refused', () => {
  const h = new Harness();
  assert.deepEqual(h.feed(frag4(1, 65528, false, payload(16))), ['ipv4.frag', 'ipv4.frag_too_large']);
  assert.deepEqual(h.feed(frag4(2, 0, true, payload(13))), ['ipv4.frag', 'ipv4.frag_bad_len']);
  assert.deepEqual(h.feed(frag6(3, 0, true, payload(13))), ['ipv6.frag', 'ipv6.frag_bad_len']);
  assert.equal(h.r.inProgress, 0);
});

test('without a reassembler fragments are only marked', () => {
  const v = new PacketView();
  const fr = split(udpDatagram(false, payload(100)), 64);
  const p = frag4(1, fr[1].off, fr[1].mf, fr[1].data);
  decodePacket(v, p, 0, p.length, p.length, 1, 0, 0, new DecodeContext());
  assert.equal(v.isFragment, true); assert.equal(v.payloadLen, fr[1].data.length); assert.equal(v.payloadOff, 34);
});

test('property: any order of a datagram\'s fragments, with exact duplicates, reassembles the original bytes exactly when complete', async () => {
  const fc = (await import('fast-check')).default;
  fc.assert(fc.property(
    fc.boolean(), fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 64 }),
    fc.array(fc.nat(), { minLength: 70, maxLength: 70 }), fc.array(fc.nat(63), { maxLength: 5 }),
    (v6, size, chunk8, perm, dupIdx) => {
      const h = new Harness();
      const body = payload(size, size & 0xff);
      const d = udpDatagram(v6, body);
      const fr = split(d, chunk8 * 8);
      if (fr.length > MAX_FRAGS_PER_DATAGRAM) return;
      // shuffle by the random keys, then insert exact duplicates
      const order = fr.map((f, i) => ({ f, k: perm[i % perm.length] + i / 1000 })).sort((a, b) => a.k - b.k).map((x) => x.f);
      for (const i of dupIdx) if (i < order.length) order.splice(i + 1, 0, order[i]);
      if (fr.length === 1) order.push(order[0]);
      // model: a set of held offsets; an exact duplicate is ignored; the datagram completes when
      // every piece is held, and later pieces start a new datagram
      const held = new Set<number>();
      let done = 0;
      for (const f of order) {
        const ev = h.feed(v6 ? frag6(7, f.off, f.mf, f.data) : frag4(7, f.off, f.mf, f.data));
        if (fr.length === 1) continue;             // a single unfragmented piece is not a fragment
        let expect = false;
        if (!held.has(f.off)) { held.add(f.off); if (held.size === fr.length) { expect = true; held.clear(); } }
        assert.equal(h.v.reassembled, expect);
        if (h.v.reassembled) {
          done++;
          assert.ok(ev.includes(v6 ? 'ipv6.reassembled' : 'ipv4.reassembled'));
          assert.equal(h.v.l4Kind, PROTO_UDP);
          assert.deepEqual(h.v.buf.subarray(h.v.payloadOff, h.v.payloadOff + h.v.payloadLen), body);
          assert.ok(!ev.includes('udp.bad_checksum'));
        }
      }
      if (fr.length > 1) { assert.ok(done >= 1); assert.equal(h.r.stats.overlaps, 0); }
      assert.ok(h.r.bytesHeld <= MAX_FRAG_BYTES);
    }), { numRuns: Number(process.env.QUELL_FC_FRAG_RUNS ?? 2000) });
});
