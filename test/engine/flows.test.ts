/**
 * Flow table: symmetric keys (IPv4, IPv6, VLAN), timeouts per class, memcap eviction (oldest
 * idle first, counted), flow_id stability, and the open-addressing table against a Map model
 * under random insert/remove sequences (fast-check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FlowTable, TC_TCP_NEW, TC_UDP_NEW, TC_TCP_EST, END_TIMEOUT, END_MEMCAP, END_SHUTDOWN, DEFAULT_TIMEOUTS,
} from '../../src/engine/flows';
import { Trace, udpFrame, tcpFrame } from '../../src/io/craft';
import { Harness } from './harness';

const NOV = new Uint16Array(4);

function buf4(a: number[], b: number[]): Uint8Array { return Uint8Array.from([...a, ...b]); }

test('symmetric key: both directions find the same slot, sides reported', () => {
  const ft = new FlowTable(16);
  const b = buf4([10, 0, 0, 1], [10, 0, 0, 2]);
  const s1 = ft.lookup(b, 0, 4, 4, 40000, 80, 6, NOV, 0, 1e6, TC_TCP_NEW);
  assert.equal(ft.lastCreated, true);
  const side1 = ft.lastSrcSide;
  const s2 = ft.lookup(b, 4, 0, 4, 80, 40000, 6, NOV, 0, 2e6, TC_TCP_NEW);
  assert.equal(ft.lastCreated, false);
  assert.equal(s1, s2);
  assert.equal(ft.lastSrcSide, side1 ^ 1);
  assert.equal(ft.active, 1);
  // a different protocol, port, or VLAN is a different flow
  ft.lookup(b, 0, 4, 4, 40000, 80, 17, NOV, 0, 1e6, TC_UDP_NEW);
  ft.lookup(b, 0, 4, 4, 40001, 80, 6, NOV, 0, 1e6, TC_TCP_NEW);
  ft.lookup(b, 0, 4, 4, 40000, 80, 6, Uint16Array.of(7, 0, 0, 0), 1, 1e6, TC_TCP_NEW);
  assert.equal(ft.active, 4);
  const sv = ft.lookup(b, 4, 0, 4, 80, 40000, 6, Uint16Array.of(7, 0, 0, 0), 1, 1e6, TC_TCP_NEW);
  assert.equal(ft.lastCreated, false);
  assert.deepEqual(ft.vlansOf(sv), [7]);
});

test('IPv6 addresses: symmetric and printed in RFC 5952 form', () => {
  const ft = new FlowTable(8);
  const a = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const b = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
  const buf = Uint8Array.from([...a, ...b]);
  const s = ft.lookup(buf, 0, 16, 16, 5000, 53, 17, NOV, 0, 1, TC_UDP_NEW);
  assert.equal(ft.lookup(buf, 16, 0, 16, 53, 5000, 17, NOV, 0, 2, TC_UDP_NEW), s);
  assert.deepEqual([ft.addrText(s, 0), ft.addrText(s, 1)].sort(), ['2001:db8::1', '2001:db8::2']);
});

test('timeouts: sweep ends idle flows per class; a late packet after the timeout starts a new flow', () => {
  const ft = new FlowTable(16, { ...DEFAULT_TIMEOUTS, udpNew: 30, tcpEstablished: 600 });
  const ended: [number, number][] = [];
  ft.onEnd = (s, r) => ended.push([s, r]);
  const b = buf4([10, 0, 0, 1], [10, 0, 0, 2]);
  const u = ft.lookup(b, 0, 4, 4, 1000, 53, 17, NOV, 0, 0, TC_UDP_NEW);
  const t = ft.lookup(b, 0, 4, 4, 1000, 80, 6, NOV, 0, 0, TC_TCP_NEW);
  ft.setClass(t, TC_TCP_EST);
  assert.equal(ft.sweep(29e6), 0);
  assert.equal(ft.sweep(31e6), 1);                 // udp ended, tcp established lives on
  assert.deepEqual(ended, [[u, END_TIMEOUT]]);
  // tcp flow: a packet 700 s later ends it (timeout) and creates a fresh flow with a new id
  const id1 = ft.flowId[t];
  const t2 = ft.lookup(b, 0, 4, 4, 1000, 80, 6, NOV, 0, 700e6, TC_TCP_NEW);
  assert.equal(ft.lastCreated, true);
  assert.notEqual(ft.flowId[t2], id1);
  assert.equal(ft.timeouts, 2);
  ft.flushAll();
  assert.equal(ended[ended.length - 1][1], END_SHUTDOWN);
  assert.equal(ft.active, 0);
});

test('memcap: the oldest idle flow is evicted and counted; the table never exceeds maxFlows', () => {
  const ft = new FlowTable(4);
  const reasons: number[] = [];
  const evicted: number[] = [];
  ft.onEnd = (s, r) => { reasons.push(r); evicted.push(ft.portOf(s, 0) === 53 ? ft.portOf(s, 1) : ft.portOf(s, 0)); };
  const b = buf4([10, 0, 0, 1], [10, 0, 0, 2]);
  for (let p = 1; p <= 4; p++) ft.lookup(b, 0, 4, 4, 1000 + p, 53, 17, NOV, 0, p, TC_UDP_NEW);
  // touch flow 1001 so 1002 becomes the oldest idle
  const s1 = ft.lookup(b, 0, 4, 4, 1001, 53, 17, NOV, 0, 10, TC_UDP_NEW);
  ft.touch(s1, 0, 60, 10);
  ft.lookup(b, 0, 4, 4, 2000, 53, 17, NOV, 0, 11, TC_UDP_NEW);
  assert.equal(ft.active, 4);
  assert.equal(ft.evictions, 1);
  assert.deepEqual(reasons, [END_MEMCAP]);
  assert.deepEqual(evicted, [1002]);
});

test('flow_id: same tuple and start time -> same id, whatever the lookup direction or table', () => {
  const b = buf4([192, 0, 2, 1], [192, 0, 2, 2]);
  const a = new FlowTable(8), c = new FlowTable(1024);
  c.lookup(b, 0, 4, 4, 7, 7, 17, NOV, 0, 5, TC_UDP_NEW); // occupy another slot first
  const sa = a.lookup(b, 0, 4, 4, 1234, 80, 6, NOV, 0, 1.7e15, TC_TCP_NEW);
  const sc = c.lookup(b, 4, 0, 4, 80, 1234, 6, NOV, 0, 1.7e15, TC_TCP_NEW);
  assert.equal(a.flowId[sa], c.flowId[sc]);
  assert.ok(Number.isSafeInteger(a.flowId[sa]) && a.flowId[sa] > 0);
});

test('open addressing with backward-shift deletion matches a Map model (property)', () => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 200 })), { maxLength: 400 }), (ops) => {
    const ft = new FlowTable(64);
    const model = new Map<number, number>(); // port -> slot
    const b = buf4([10, 0, 0, 1], [10, 0, 0, 2]);
    for (const [ins, port] of ops) {
      if (ins) {
        if (!model.has(port) && model.size >= 64) continue; // stay below the memcap: no eviction here
        const s = ft.lookup(b, 0, 4, 4, port, 9, 17, NOV, 0, 1, TC_UDP_NEW);
        if (model.has(port)) { if (model.get(port) !== s || ft.lastCreated) return false; }
        else { if (!ft.lastCreated) return false; model.set(port, s); }
      } else if (model.has(port)) {
        ft.end(model.get(port)!, END_SHUTDOWN);
        model.delete(port);
      }
    }
    for (const [port, s] of model) {
      if (ft.lookup(b, 4, 0, 4, 9, port, 17, NOV, 0, 1, TC_UDP_NEW) !== s || ft.lastCreated) return false;
    }
    return ft.active === model.size;
  }), { numRuns: 200 });
});

test('engine: UDP direction = first sender, VLAN-tagged flows kept apart, timeout events ordered', () => {
  const t = new Trace({ start: 1_700_000_000 });
  const C = '10.1.1.1', S = '10.1.1.2';
  t.add(udpFrame(C, S, 'q', { sport: 3333, dport: 9999 }));
  t.add(udpFrame(S, C, 'r', { sport: 9999, dport: 3333 }));
  t.add(udpFrame(C, S, 'q', { sport: 3333, dport: 9999 }, { eth: { vlans: [5] } }));
  t.add(tcpFrame(C, S, '', { sport: 40000, dport: 80, seq: 1, flags: 'S' }));
  const h = new Harness({ timeouts: { udpEstablished: 10, udpNew: 10, tcpNew: 10 } }).run(t.packets);
  // 100 s later: one packet of another flow ends all of the above through the sweep
  const t2 = new Trace({ start: 1_700_000_100 });
  t2.add(udpFrame('10.9.9.9', '10.9.9.8', 'x', { sport: 1, dport: 2 }));
  h.run(t2.packets);
  const ended = h.flowEvents();
  assert.equal(ended.length, 3);
  for (const f of ended) assert.equal(f.reason, 'timeout');
  const plain = ended.find((f) => f.vlan.length === 0 && f.proto === 17)!;
  assert.equal(plain.src_ip, C); assert.equal(plain.pkts_toserver, 1); assert.equal(plain.pkts_toclient, 1);
  assert.equal(plain.state, 'established');
  const tagged = ended.find((f) => f.vlan.length === 1)!;
  assert.deepEqual(tagged.vlan, [5]);
  assert.equal(tagged.state, 'new');
});
