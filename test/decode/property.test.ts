/**
 * Property test (fast-check): real packets from the shared captures, mutated (bit flips, byte
 * overwrites, truncations, insertions, deletions, wrong caplen/wirelen, another link type), never
 * make a decoder throw, and the PacketView invariants hold after each decode. >= 100,000 cases.
 * Reassembly and checksums are on, so mutated fragments exercise frag.ts too.
 * QUELL_FC_RUNS=N runs N cases instead (1,500,000 passed when written).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openCapture } from '../../src/io/capture';
import { DESC_STRIDE, D_OFF, D_CAPLEN, D_WIRELEN, D_LINK } from '../../src/io/batch';
import { PacketView } from '../../decoders/packet';
import { decodePacket, DecodeContext, CSUM_ALL } from '../../decoders/decode';
import { Reassembler } from '../../decoders/frag';
import { SUPPORTED_LINKTYPES } from '../../decoders/registry';
import { listCaptures } from './oracle';
import { checkInvariants } from './invariants';

const NUM_RUNS = Number(process.env.QUELL_FC_RUNS ?? 100_000);
const PER_FILE = 40;

interface Sample { bytes: Uint8Array; link: number; wirelen: number }

async function samples(): Promise<Sample[]> {
  // a spread of link types and protocols: every capture contributes its first PER_FILE packets
  const files = listCaptures().filter((f) => /(tcpdump|zeek|pcapplusplus|suricata-verify\/tests\/(ipv6|ipv4|decode|defrag|tcp|udp|icmp))/.test(f));
  const out: Sample[] = [];
  for (const f of files) {
    let r;
    try { r = await openCapture(f); } catch { continue; }
    try {
      const b = await r.next(PER_FILE).catch(() => null);
      if (b === null) continue;
      for (let i = 0; i < b.count; i++) {
        const d = i * DESC_STRIDE;
        const o = b.desc[d + D_OFF];
        out.push({ bytes: b.data.slice(o, o + b.desc[d + D_CAPLEN]), link: b.desc[d + D_LINK], wirelen: b.desc[d + D_WIRELEN] });
      }
    } finally { await r.close(); }
  }
  return out;
}

type Mut =
  | { k: 'flip'; pos: number; bit: number }
  | { k: 'set'; pos: number; val: number }
  | { k: 'trunc'; len: number }
  | { k: 'insert'; pos: number; data: Uint8Array }
  | { k: 'delete'; pos: number; n: number };

const mutArb: fc.Arbitrary<Mut> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), pos: fc.nat(1600), bit: fc.nat(7) }),
  fc.record({ k: fc.constant('set' as const), pos: fc.nat(120), val: fc.oneof(fc.constant(0), fc.constant(0xff), fc.nat(255)) }),
  fc.record({ k: fc.constant('trunc' as const), len: fc.nat(200) }),
  fc.record({ k: fc.constant('insert' as const), pos: fc.nat(120), data: fc.uint8Array({ minLength: 1, maxLength: 24 }) }),
  fc.record({ k: fc.constant('delete' as const), pos: fc.nat(120), n: fc.integer({ min: 1, max: 24 }) }),
);

function apply(src: Uint8Array, muts: Mut[]): Uint8Array {
  let b = src.slice();
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.k) {
      case 'flip': b[m.pos % b.length] ^= 1 << m.bit; break;
      case 'set': b[m.pos % b.length] = m.val; break;
      case 'trunc': b = b.subarray(0, Math.min(b.length, m.len)); break;
      case 'insert': { const p = m.pos % (b.length + 1); const n = new Uint8Array(b.length + m.data.length); n.set(b.subarray(0, p)); n.set(m.data, p); n.set(b.subarray(p), p + m.data.length); b = n; break; }
      case 'delete': { const p = m.pos % b.length; const k = Math.min(m.n, b.length - p); const n = new Uint8Array(b.length - k); n.set(b.subarray(0, p)); n.set(b.subarray(p + k), p); b = n; break; }
    }
  }
  return b;
}

test(`mutated real packets never throw and keep PacketView invariants (${NUM_RUNS} cases)`, { timeout: 600_000 }, async (t) => {
  const pool = await samples();
  assert.ok(pool.length > 2000, `sample pool too small: ${pool.length}`);
  const v = new PacketView();
  const ctx = new DecodeContext(CSUM_ALL, new Reassembler());
  let cases = 0, withIp = 0, withL4 = 0;
  const prop = fc.property(
    fc.nat(pool.length - 1),
    fc.array(mutArb, { minLength: 1, maxLength: 6 }),
    fc.oneof({ arbitrary: fc.constant(-1), weight: 8 }, { arbitrary: fc.constantFrom(...SUPPORTED_LINKTYPES), weight: 2 }, { arbitrary: fc.nat(400), weight: 1 }),
    fc.oneof({ arbitrary: fc.constant(-1), weight: 4 }, { arbitrary: fc.nat(70000), weight: 1 }),
    fc.nat(8),                     // padding before the packet in the buffer (offset != 0)
    (idx, muts, linkOverride, wireOverride, pad) => {
      const s = pool[idx];
      const pkt = apply(s.bytes, muts);
      const buf = new Uint8Array(pad + pkt.length + 8);     // trailing bytes that are NOT the packet's
      buf.fill(0xee);
      buf.set(pkt, pad);
      const link = linkOverride >= 0 ? linkOverride : s.link;
      const wirelen = wireOverride >= 0 ? wireOverride : s.wirelen;
      decodePacket(v, buf, pad, pkt.length, wirelen, link, 1_700_000_000 + (cases >> 4), 0, ctx);
      cases++;
      if (v.ipVer) withIp++;
      if (v.l4Kind) withL4++;
      const bad = checkInvariants(v, buf, pad, pkt.length);
      if (bad !== null) throw new Error(bad);
    },
  );
  const res = fc.check(prop, { numRuns: NUM_RUNS });
  if (res.failed) assert.fail(`counterexample ${fc.stringify(res.counterexample)}: ${res.errorInstance instanceof Error ? res.errorInstance.stack : String(res.errorInstance)}`);
  t.diagnostic(`pool ${pool.length} packets, cases ${cases}, decoded with IP ${withIp}, with L4 ${withL4}, fragments reassembled ${ctx.reasm!.stats.reassembled}`);
  assert.ok(cases >= NUM_RUNS);
  assert.ok(withL4 > NUM_RUNS / 10, 'mutations must leave many packets decodable to L4');
});
