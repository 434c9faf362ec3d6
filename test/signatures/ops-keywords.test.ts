/**
 * Operations keywords (signatures/keywords/ops.ts, issue 6): time.hour / time.weekday /
 * time.minute, scan.ports(window = W), synflood.pending(window = W).
 * - compile errors: code, span and help line;
 * - evaluation through the real `quell replay --rules --time-zone` on crafted captures with known
 *   timestamps (DST change in New York, a zone with a 30-minute offset, a weekday that differs from
 *   UTC's), and the replay default of UTC;
 * - WorkerOps (the runtime behind the keywords): time cached per second, distinct-port estimate
 *   accuracy and window expiry, one detector per call site, SYN-flood pending vs completions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assertOneError, DiagCase } from './diag-cases';
import { compileSource } from '../../signatures/compiler';
import { BY_SCAN_PORTS, BY_SYN_PENDING, BY_TIME_HOUR, BY_TIME_MINUTE, BY_TIME_WEEKDAY } from '../../signatures/keywords/ops';
import { createEngine } from '../../src/engine/pipeline';
import { Trace, tcpFrame, udpFrame } from '../../src/io/craft';
import { V_ACCEPT } from '../../src/io/batch';
import { WorkerOps } from '../../src/ops/runtime';
import { PacketView } from '../../decoders/packet';
import { batchOf } from '../engine/harness';
import { runQuell } from '../helpers/paths';

test('compile: valid uses produce one counter per call site with the keyword code', () => {
  const r = compileSource(`
rule a { condition: tcp.flags == 0x02 and scan.ports(window = 10s) > 50 }
rule b { condition: synflood.pending(window = 1s) > 100 }
rule c { condition: time.hour >= 8 and time.hour < 19 and time.weekday != 0 and time.minute < 30 }
rule d { condition: scan.ports(window = 500ms) > 3 and count(by = src, window = 1m) > 2 }
`, 't.rules');
  assert.ok(r.ruleset, JSON.stringify(r.diags.list));
  const rs = r.ruleset!;
  assert.deepEqual([...rs.counterBy], [BY_SCAN_PORTS, BY_SYN_PENDING, BY_TIME_HOUR, BY_TIME_HOUR, BY_TIME_WEEKDAY, BY_TIME_MINUTE, BY_SCAN_PORTS, 0]);
  assert.deepEqual([...rs.counterWindowMs], [10_000, 1000, 0, 0, 0, 0, 500, 60_000]);
});

test('compile: bad arguments are E017 with the span of the culprit and a help line', () => {
  const cases: DiagCase[] = [
    { src: 'scan.ports > 3', msg: /`scan\.ports` is a function: it needs a window/, span: 'scan.ports', help: /scan\.ports\(window = 10s\)/ },
    { src: 'scan.ports(window = 5) > 3', msg: /`window` takes a duration/, span: '5', help: /window = DURATION/ },
    { src: 'scan.ports(by = src, window = 10s) > 3', msg: /unknown argument `by`/, span: 'src', help: /only argument/ },
    { src: 'scan.ports(window = 1s, window = 2s) > 3', msg: /`window` given twice/, span: '2s', help: /only argument/ },
    { src: 'synflood.pending() > 3', msg: /needs `window = DURATION`/, span: 'synflood.pending()', help: /synflood\.pending\(window = 1s\) > 50/ },
    { src: 'synflood.pending(window = 2h) > 3', msg: /window must be between 1ms and 60m/, span: 'synflood.pending(window = 2h)', help: /window = 1s/ },
    { src: 'time.hour(1) == 3', msg: /`time\.hour` is a value, not a function/, span: 'time.hour(1)', help: /without parentheses/ },
    { src: 'scan.port(window = 1s) > 3', msg: /unknown function `scan\.port`/, span: 'scan.port', help: /did you mean `scan\.ports`/, code: 'E023' },
  ];
  assertOneError(cases, 'E017');
});

// ------------------------------------------------------------------ evaluation through quell replay
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-opskw-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

/** One SYN to port 22 per instant (ms since epoch), source port 50001 + index. */
function synsAt(instants: number[]): string {
  const t = new Trace({ start: instants[0] / 1000 });
  instants.forEach((ms, i) => {
    if (i > 0) t.advance((ms - instants[i - 1]) * 1e6);
    t.add(tcpFrame('192.0.2.10', '198.51.100.80', '', { sport: 50001 + i, dport: 22, seq: 1 + i, ack: 0, flags: 'S' }), 0);
  });
  const f = path.join(tmp, `syns-${instants[0]}-${instants.length}.pcap`);
  fs.writeFileSync(f, t.toPcap());
  return f;
}

/** Rules `h{H}m{M}w{W}` for each (hour, minute, weekday) triple: which one each packet matches. */
function clockRules(triples: [number, number, number][]): string {
  const f = path.join(tmp, `clock-${triples.map((t) => t.join('_')).join('-')}.rules`);
  fs.writeFileSync(f, triples.map(([h, m, w]) => `rule h${h}m${m}w${w} { condition: tcp.dport == 22 and time.hour == ${h} and time.minute == ${m} and time.weekday == ${w} }`).join('\n') + '\n');
  return f;
}

function alerts(pcap: string, rules: string, zoneArgs: string[]): string[] {
  const r = runQuell(['replay', pcap, '--eve', '-', '--quiet', '--workers', '1', '--rules', rules, ...zoneArgs]);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l))
    .filter((e) => e.event_type === 'alert').map((e) => `${e.src_port}:${e.alert.rule}`);
}

test('time.*: DST change in America/New_York (2024-03-10 07:00Z: 01:59 EST then 03:00 EDT, a Sunday)', () => {
  const pcap = synsAt([Date.UTC(2024, 2, 10, 6, 59, 30), Date.UTC(2024, 2, 10, 7, 0, 30)]);
  const rules = clockRules([[1, 59, 0], [3, 0, 0], [2, 0, 0], [2, 59, 0], [6, 59, 0], [7, 0, 0]]);
  assert.deepEqual(alerts(pcap, rules, ['--time-zone', 'America/New_York']), ['50001:h1m59w0', '50002:h3m0w0']);
  assert.deepEqual(alerts(pcap, rules, ['--time-zone', 'UTC']), ['50001:h6m59w0', '50002:h7m0w0']);
  assert.deepEqual(alerts(pcap, rules, []), ['50001:h6m59w0', '50002:h7m0w0'], 'replay default zone is UTC');
});

test('time.*: half-hour offset (Asia/Kolkata) and a weekday that differs from UTC (Asia/Tokyo, Pacific/Honolulu)', () => {
  // 2024-03-09 (Saturday) 23:30:10Z = Sunday 05:00 in Kolkata (+5:30), Sunday 08:30 in Tokyo (+9),
  // Saturday 13:30 in Honolulu (-10)
  const pcap = synsAt([Date.UTC(2024, 2, 9, 23, 30, 10)]);
  const rules = clockRules([[23, 30, 6], [5, 0, 0], [8, 30, 0], [13, 30, 6]]);
  assert.deepEqual(alerts(pcap, rules, ['--time-zone', 'UTC']), ['50001:h23m30w6']);
  assert.deepEqual(alerts(pcap, rules, ['--timezone', 'Asia/Kolkata']), ['50001:h5m0w0']);
  assert.deepEqual(alerts(pcap, rules, ['--time-zone', 'Asia/Tokyo']), ['50001:h8m30w0']);
  assert.deepEqual(alerts(pcap, rules, ['--time-zone', 'Pacific/Honolulu']), ['50001:h13m30w6']);
});

test('time.*: an unknown zone is a usage error (exit 2) naming the zone', () => {
  const pcap = synsAt([Date.UTC(2024, 0, 1)]);
  const r = runQuell(['replay', pcap, '--eve', '-', '--quiet', '--rules', clockRules([[0, 0, 1]]), '--time-zone', 'Mars/Olympus_Mons']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /Mars\/Olympus_Mons/);
});

// ------------------------------------------------------------------ WorkerOps behind the keywords
/** Decode frames through a real engine and call `fn` with each PacketView (valid during the call). */
function eachPacket(frames: { data: Uint8Array; tsSec: number; tsNsec: number }[], fn: (pkt: PacketView) => void): void {
  const engine = createEngine({ detect: (pkt: PacketView) => { fn(pkt); return V_ACCEPT; } });
  engine.processBatch(batchOf(frames));
}
const T0 = 1_709_251_200; // 2024-03-01T00:00:00Z, a multiple of 10 s
const at = (ms: number) => ({ tsSec: T0 + Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1_000_000 });

test('WorkerOps time: one formatToParts per distinct second, whatever the packet count', () => {
  const ops = new WorkerOps(null, { timeZone: 'Europe/Paris' });
  ops.setCounters([0]);
  const frames = Array.from({ length: 3000 }, (_, i) => ({ data: tcpFrame('192.0.2.1', '192.0.2.2', '', { sport: 1000, dport: 22, seq: i, flags: 'A' }), ...at(i) }));
  const hours: number[] = [];
  eachPacket(frames, (pkt) => { hours.push(ops.rate(0, BY_TIME_HOUR, 0, pkt, -1, WorkerOps.nowMs(pkt))); });
  assert.equal(hours.length, 3000);
  assert.ok(hours.every((h) => h === 1), 'midnight UTC is 01:00 in Paris (CET)');
  assert.equal(ops.time.computes, 3, '3000 packets over 3 seconds: 3 computations');
});

test('WorkerOps scan.ports: distinct ports estimated within 10%, repeats and other sources do not count, window expiry, one detector per call site', () => {
  const ops = new WorkerOps(null);
  ops.setCounters([10_000, 10_000]);
  const frames: { data: Uint8Array; tsSec: number; tsNsec: number }[] = [];
  // 300 distinct ports from the scanner, each sent twice; 500 SYNs from a busy client to port 443
  for (let i = 0; i < 300; i++) for (let k = 0; k < 2; k++) frames.push({ data: tcpFrame('203.0.113.66', '198.51.100.80', '', { sport: 61000, dport: 1 + i * 7, seq: i, flags: 'S' }), ...at(i * 10 + k) });
  for (let i = 0; i < 500; i++) frames.push({ data: tcpFrame('192.0.2.10', '198.51.100.80', '', { sport: 30000 + i, dport: 443, seq: i, flags: 'S' }), ...at(3000 + i) });
  // 25 s later (two windows on): the scanner starts over
  frames.push({ data: tcpFrame('203.0.113.66', '198.51.100.80', '', { sport: 61000, dport: 9999, seq: 1, flags: 'S' }), ...at(28_000) });
  const scanner: number[] = [], busy: number[] = [], other: number[] = [];
  eachPacket(frames, (pkt) => {
    const now = WorkerOps.nowMs(pkt);
    const v = ops.rate(0, BY_SCAN_PORTS, 10_000, pkt, -1, now);
    (pkt.dport === 443 ? busy : scanner).push(v);
    if (pkt.dport === 443) other.push(ops.rate(1, BY_SCAN_PORTS, 10_000, pkt, -1, now));
  });
  const peak = scanner[599];
  assert.ok(Math.abs(peak - 300) <= 30, `300 distinct ports estimated as ${peak.toFixed(1)}`);
  assert.ok(Math.abs(scanner[1] - scanner[0]) < 1e-9, 'a repeated port does not count');
  assert.ok(Math.max(...busy) < 1.5, `busy client: one distinct port (max ${Math.max(...busy)})`);
  assert.ok(scanner[600] < 1.5, `after two windows the scanner restarts at 1 (${scanner[600]})`);
  assert.ok(Math.max(...other) < 1.5, 'call site 1 saw only the busy client');
  assert.ok(Number.isNaN(ops.rate(0, BY_SCAN_PORTS, 10_000, icmpLike(), -1, 0)), 'no ports: undefined');
});

/** A PacketView of an ICMP packet (no ports). */
function icmpLike(): PacketView {
  let v: PacketView | null = null;
  const d = new Uint8Array([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 8, 0, 0xf7, 0xff, 0, 0, 0, 0]);
  const eth = new Uint8Array(14 + d.length); eth.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]); eth.set(d, 14);
  const engine = createEngine({ detect: (pkt: PacketView) => { v = pkt; return V_ACCEPT; } });
  engine.processBatch(batchOf([{ data: eth, tsSec: T0, tsNsec: 0 }]));
  assert.ok(v !== null);
  return v!;
}

test('WorkerOps synflood.pending: SYNs minus completed handshakes per destination, undefined off SYNs', () => {
  const ops = new WorkerOps(null);
  ops.setCounters([1000]);
  const vals: { flags: number; v: number }[] = [];
  const frames: { data: Uint8Array; tsSec: number; tsNsec: number }[] = [];
  // 200 SYNs from different sources, 150 of them complete (client ACK), then 10 more SYNs
  for (let i = 0; i < 200; i++) frames.push({ data: tcpFrame(`198.18.0.${1 + (i % 250)}`, '198.51.100.80', '', { sport: 2000 + i, dport: 80, seq: i, flags: 'S' }), ...at(i) });
  for (let i = 0; i < 150; i++) frames.push({ data: tcpFrame(`198.18.0.${1 + (i % 250)}`, '198.51.100.80', '', { sport: 2000 + i, dport: 80, seq: i + 1, ack: 7, flags: 'A' }), ...at(200 + i) });
  for (let i = 0; i < 10; i++) frames.push({ data: tcpFrame('198.18.1.1', '198.51.100.80', '', { sport: 5000 + i, dport: 80, seq: i, flags: 'S' }), ...at(400 + i) });
  frames.push({ data: udpFrame('198.18.1.1', '198.51.100.80', 'x', { sport: 5, dport: 53 }), ...at(420) });
  eachPacket(frames, (pkt) => { vals.push({ flags: pkt.tcpFlags, v: ops.rate(0, BY_SYN_PENDING, 1000, pkt, -1, WorkerOps.nowMs(pkt)) }); });
  assert.equal(vals[199].v, 200, '200 pending after 200 SYNs');
  assert.ok(vals.slice(200, 350).every((x) => Number.isNaN(x.v)), 'ACKs: undefined (they count as completions)');
  assert.equal(vals[359].v, 60, '210 SYNs - 150 completed = 60 pending');
  assert.ok(Number.isNaN(vals[360].v), 'UDP: undefined');
  assert.ok(Number.isNaN(ops.rate(0, BY_TIME_WEEKDAY + 100, 0, icmpLike(), -1, 0)), 'unknown code: undefined');
  assert.equal(ops.rate(0, BY_TIME_MINUTE, 0, icmpLike(), -1, Date.UTC(2024, 0, 1, 12, 34, 56)), 34);
});
