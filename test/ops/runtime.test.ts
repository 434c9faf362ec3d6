import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createEngine } from '../../src/engine/pipeline';
import { tcpFrame } from '../../src/io/craft';
import { V_ACCEPT, V_DROP } from '../../src/io/batch';
import { batchOf } from '../engine/harness';
import { SetRegistry, NamedSet } from '../../src/ops/sets';
import { WorkerOps, OpsDispatcher } from '../../src/ops/runtime';
import { ActionRunner, ActionResult } from '../../src/ops/actions';
import { parsePrefix, parseIPv4 } from '../../src/ops/addr';
import { PacketView } from '../../decoders/packet';
import * as http from 'http';
import { AddressInfo } from 'net';

const T0 = 1_763_683_200;
function syn(src: string, dst: string, dport: number, i: number) {
  return { data: tcpFrame(src, dst, '', { sport: 40000 + (i % 20000), dport, seq: 1000 + i, flags: 'S' }), tsSec: T0 + Math.floor(i / 1000), tsNsec: (i % 1000) * 1_000_000 };
}

test('engine + WorkerOps: block set drops before signatures, allowlist wins over a rule drop, API add visible at once', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-rt-'));
  try {
    fs.writeFileSync(path.join(d, 'drop.txt'), '# list\n203.0.113.0/24\n');
    fs.writeFileSync(path.join(d, 'mgmt.txt'), '198.51.100.7\n');
    const reg = new SetRegistry();
    const drop = new NamedSet('drop', 'block', path.join(d, 'drop.txt'), {}, undefined, true, 1024);
    reg.add(drop);
    reg.add(new NamedSet('mgmt', 'allow', path.join(d, 'mgmt.txt'), {}, undefined, true, 1024));
    const ops = new WorkerOps(reg.snapshot(), { mode: 'src' });
    // a "rule" that drops everything to port 22 (stands in for the compiled rules' detect hook)
    let innerCalls = 0;
    const inner = (pkt: PacketView) => { innerCalls++; return pkt.dport === 22 ? V_DROP : V_ACCEPT; };
    const engine = createEngine({ detect: ops.wrap(inner) });
    const frames = [
      syn('203.0.113.9', '10.0.0.1', 80, 0),    // block list -> drop, rules not run
      syn('192.0.2.1', '10.0.0.1', 80, 1),      // nothing -> accept
      syn('192.0.2.1', '10.0.0.1', 22, 2),      // rule drop
      syn('198.51.100.7', '10.0.0.1', 22, 3),   // allowlisted: the rule's drop is overridden
    ];
    const b = batchOf(frames);
    engine.processBatch(b);
    assert.deepEqual([0, 1, 2, 3].map((i) => b.verdict[2 * i] & 0xff), [V_DROP, V_ACCEPT, V_DROP, V_ACCEPT]);
    assert.equal(innerCalls, 3, 'signatures never ran for the blocked source');
    assert.equal(ops.counters.allowOverrides, 1);
    // an API add (main thread, shared table) blocks the next packet of that source
    drop.addEntry(parsePrefix('192.0.2.50')!, T0 * 1000, 600_000);
    const b2 = batchOf([syn('192.0.2.50', '10.0.0.1', 443, 10), syn('192.0.2.51', '10.0.0.1', 443, 11)]);
    engine.processBatch(b2);
    assert.deepEqual([b2.verdict[0] & 0xff, b2.verdict[2] & 0xff], [V_DROP, V_ACCEPT]);
    // expiry on the packet clock: the same source 10 minutes later passes (new flow)
    const late = syn('192.0.2.50', '10.0.0.1', 443, 0);
    late.tsSec = T0 + 600; late.data = tcpFrame('192.0.2.50', '10.0.0.1', '', { sport: 55555, dport: 443, seq: 1, flags: 'S' });
    const b3 = batchOf([late]);
    engine.processBatch(b3);
    assert.equal(b3.verdict[0] & 0xff, V_ACCEPT);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('count(by = src) through WorkerOps.rate, local ban on block, dispatcher makes it shared and runs exec', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-rt-'));
  try {
    const reg = new SetRegistry();
    const bans = new NamedSet('bans', 'block', null, {}, undefined, true, 1024);
    reg.add(bans);
    const ops = new WorkerOps(reg.snapshot(), { mode: 'src' });
    ops.setCounters([10_000]);
    const alerts: Record<string, unknown>[] = [];
    // stand-in for a compiled rule: `tcp.flags == S and count(by = src, window = 10s) > 50` -> block src for 10m
    const inner = (pkt: PacketView, _slot: number, _dir: number, engine: { emit(e: Record<string, unknown>): void }) => {
      const now = WorkerOps.nowMs(pkt);
      if (pkt.tcpFlags === 2 && ops.rate(0, 0, 10_000, pkt, -1, now) > 50) {
        ops.ban('src', 600, pkt, now);
        const ev = { event_type: 'alert', tsNs: BigInt(now) * 1_000_000n, src_ip: '192.0.2.66', dest_ip: '10.0.0.1', alert: { rule: 'port_scan', sid: 9001 } };
        alerts.push(ev); engine.emit(ev as never);
        return V_DROP;
      }
      return V_ACCEPT;
    };
    const engine = createEngine({ detect: ops.wrap(inner as never) });
    // a SYN scan: 200 ports in 2 s from one source
    const frames = Array.from({ length: 200 }, (_, i) => ({ ...syn('192.0.2.66', '10.0.0.1', 1 + i, i * 10), tsSec: T0, tsNsec: i * 10_000_000 }));
    const b = batchOf(frames);
    engine.processBatch(b);
    const v = Array.from({ length: 200 }, (_, i) => b.verdict[2 * i] & 0xff);
    assert.equal(v.slice(0, 50).every((x) => x === V_ACCEPT), true, 'first 50 SYNs under the threshold');
    assert.equal(v[50], V_DROP, 'the 51st trips the rule');
    assert.equal(v.slice(51).every((x) => x === V_DROP), true, 'then the local ban drops the rest before signatures');
    assert.equal(alerts.length, 1, 'one alert: later packets are dropped by the ban, not the rule');
    assert.equal(ops.counters.localBlocked, 149);
    // main thread: the dispatcher turns the alert into a shared ban and an exec run
    const out = path.join(d, 'hook.out');
    const runner = new ActionRunner({ ratePerSec: 100, burst: 100 });
    const results: ActionResult[] = [];
    runner.onResult = (r) => results.push(r);
    const disp = new OpsDispatcher(reg, runner, { banSet: 'bans' });
    disp.setRules([{ name: 'port_scan', sid: 9001, actions: [{ verb: 'block', target: 'src', value: 600 }, { verb: 'exec', argv: ['/bin/sh', '-c', `cat > ${out}; echo "$QUELL_SRC_IP" >> ${out}`] }] }]);
    disp.onEvents(engine.drainEvents() as never);
    assert.equal(disp.counters.bans, 1);
    assert.ok(bans.timed.has4(parseIPv4('192.0.2.66'), T0 * 1000 + 1000));
    assert.equal(bans.timed.has4(parseIPv4('192.0.2.66'), T0 * 1000 + 600_000 + 1000), false, '10 minutes after the alert');
    await runner.idle();
    assert.equal(results[0]?.ok, true, results[0]?.detail);
    const text = fs.readFileSync(out, 'utf8');
    assert.match(text, /"port_scan"/);
    assert.match(text, /192\.0\.2\.66\n$/);
  } finally { fs.rmSync(d, { recursive: true, force: true }); }
});

test('WorkerOps.scanPorts and synPending over real decoded packets', () => {
  const ops = new WorkerOps(null);
  const engineSeen: number[] = [];
  const flood: number[] = [];
  const inner = (pkt: PacketView) => {
    const now = WorkerOps.nowMs(pkt);
    engineSeen.push(ops.scanPorts(10_000, pkt, now));
    const p = ops.synPending(10_000, pkt, now);
    if (!Number.isNaN(p)) flood.push(p);
    return V_ACCEPT;
  };
  const engine = createEngine({ detect: ops.wrap(inner) });
  // 300 SYNs to distinct ports from one scanner, then 50 SYNs to port 80 from a client
  const frames = Array.from({ length: 300 }, (_, i) => syn('192.0.2.66', '10.0.0.1', 1000 + i, i));
  for (let i = 0; i < 50; i++) frames.push(syn('192.0.2.70', '10.0.0.2', 80, 300 + i));
  engine.processBatch(batchOf(frames));
  const scanEst = engineSeen[299];
  assert.ok(scanEst > 270 && scanEst < 330, `300 distinct ports estimated ${scanEst}`);
  assert.ok(engineSeen[349] < 2, `one port repeatedly: ${engineSeen[349]}`);
  assert.equal(flood[299], 300, 'SYNs pending against 10.0.0.1');
  assert.equal(flood[349], 50);
});

test('one alert, both a webhook receiver (real HTTP on 127.0.0.1) and a script receive the event', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-rt-'));
  const bodies: any[] = [];
  const server = http.createServer((req, res) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { bodies.push(JSON.parse(b)); res.end('ok'); }); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const out = path.join(d, 'script.json');
    const reg = new SetRegistry();
    reg.add(new NamedSet('bans', 'block', null, {}, undefined, true, 16));
    const runner = new ActionRunner({ ratePerSec: 10, burst: 10 });
    const disp = new OpsDispatcher(reg, runner);
    disp.setRules([{ name: 'web_attack', sid: 7001, actions: [{ verb: 'alert' }, { verb: 'exec', argv: ['/bin/sh', '-c', `cat > ${out}`] }, { verb: 'webhook', url: `http://127.0.0.1:${port}/quell` }] }]);
    const ev = { event_type: 'alert', tsNs: BigInt(T0) * 1_000_000_000n, src_ip: '192.0.2.9', src_port: 5555, dest_ip: '10.0.0.1', dest_port: 80, proto: 6,
      alert: { rule: 'web_attack', sid: 7001, signature: 'web attack', action: 'alert' } };
    disp.onEvents([ev, { event_type: 'flow', tsNs: 1n }]);
    assert.equal(disp.counters.actionsSubmitted, 2);
    await runner.idle();
    assert.equal(runner.counters.succeeded, 2);
    assert.equal(bodies.length, 1);
    assert.equal(bodies[0].alert.sid, 7001); assert.equal(bodies[0].src_ip, '192.0.2.9');
    const fromScript = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.deepEqual(fromScript, bodies[0], 'the script and the webhook got the same event JSON');
  } finally { server.closeAllConnections(); await new Promise((r) => server.close(r)); fs.rmSync(d, { recursive: true, force: true }); }
});

test('dispatcher: a bare ban event (block rule without alert) becomes a shared ban; bad ones are counted', () => {
  const reg = new SetRegistry();
  const bans = new NamedSet('bans', 'block', null, {}, undefined, true, 16);
  reg.add(bans);
  const disp = new OpsDispatcher(reg, null);
  const t = BigInt(T0) * 1_000_000_000n;
  disp.onEvents([{ event_type: 'ban', tsNs: t, addr: '2001:db8::66', seconds: 30, rule: 'x' }, { event_type: 'ban', tsNs: t, addr: 'nope', seconds: 30 }]);
  assert.equal(disp.counters.bans, 1);
  assert.equal(disp.counters.banFailed, 1);
  const b = new Uint8Array(16); b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8; b[15] = 0x66;
  assert.equal(bans.timed.has6(b, 0, T0 * 1000 + 29_999), true);
  assert.equal(bans.timed.has6(b, 0, T0 * 1000 + 30_000), false);
});
