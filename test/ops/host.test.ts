import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as http from 'http';
import * as net from 'net';
import { openReadOnly } from '../helpers/sqlite';
import { OpsMain, OpsWorker } from '../../src/ops/host';
import { ControlClient } from '../../src/control/client';
import { parseIPv4 } from '../../src/ops/addr';
import { GATE_BLOCK, GATE_NONE } from '../../src/ops/sets';

function get(port: number): Promise<string> {
  return new Promise((res, rej) => http.get({ host: '127.0.0.1', port, path: '/metrics' }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => res(b)); }).on('error', rej));
}
async function until(f: () => boolean, ms = 5000): Promise<boolean> { for (let t = 0; t < ms && !f(); t += 20) await new Promise((r) => setTimeout(r, 20)); return f(); }

test('OpsMain: sets + state + control + metrics + sqlite + EVE file/socket in one place; OpsWorker sees bans; SIGHUP path', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-host-'));
  const statePath = path.join(d, 'state', 'bans.json');
  fs.mkdirSync(path.dirname(statePath));
  // a ban from a previous run, still valid
  fs.writeFileSync(statePath, JSON.stringify({ version: 1, savedAt: Date.now(), tables: { bans: [['192.0.2.77', Date.now() + 3_600_000], ['192.0.2.78', Date.now() - 1]] } }));
  fs.writeFileSync(path.join(d, 'drop.txt'), '203.0.113.0/24\n');
  let ops: OpsMain | null = null;
  try {
    ops = await OpsMain.start({
      sets: [{ name: 'drop', role: 'block', file: path.join(d, 'drop.txt') }],
      stateFile: statePath, controlSocket: path.join(d, 'q.sock'), metricsPort: 0,
      sqliteFile: path.join(d, 'ev.db'), eveFile: path.join(d, 'eve.json'), eveSocket: path.join(d, 'eve.sock'),
    }, { stats: () => ({ runner: 'test' }) });
    const ow = new OpsWorker(ops.workerInit(0));
    const now = Date.now();
    assert.equal(ow.ops.gate.gate4(parseIPv4('192.0.2.77'), now), GATE_BLOCK, 'ban restored from the state file');
    assert.equal(ow.ops.gate.gate4(parseIPv4('192.0.2.78'), now), GATE_NONE, 'expired entry discarded at load');
    assert.equal(ow.ops.gate.gate4(parseIPv4('203.0.113.5'), now), GATE_BLOCK);

    const consumer = net.connect(path.join(d, 'eve.sock'));
    let sockText = '';
    consumer.on('data', (b) => (sockText += b));
    await until(() => ops!.eveSocket!.fanout.clientCount === 1);

    ops.setRules([{ name: 'scan', sid: 42, actions: [{ verb: 'block', target: 'src', value: 60 }] }]);
    const alert = { event_type: 'alert', tsNs: BigInt(now) * 1_000_000n, src_ip: '198.51.100.9', src_port: 1, dest_ip: '10.0.0.1', dest_port: 22, proto: 6, alert: { rule: 'scan', sid: 42, signature: 'scan', action: 'drop' } };
    ops.onEvents([alert, { event_type: 'flow', tsNs: BigInt(now) * 1_000_000n, flow_id: 1, src_ip: '198.51.100.9', dest_ip: '10.0.0.1', proto: 6, startUs: now * 1000, endUs: now * 1000 + 5 }]);
    assert.equal(ow.ops.gate.gate4(parseIPv4('198.51.100.9'), now + 1), GATE_BLOCK, 'block action -> shared ban seen by the worker');
    assert.equal(ow.ops.gate.gate4(parseIPv4('198.51.100.9'), now + 60_000), GATE_NONE, 'for exactly 60 s');
    ops.onWorkerStats(0, ow.stats());

    // API
    const api = new ControlClient({ socket: path.join(d, 'q.sock') });
    const st = (await api.stats()).body as any;
    assert.equal(st.runner, 'test');
    assert.equal(st.ops.dispatcher.bans, 1);
    assert.ok(((await api.entries('bans')).body as any).entries.some((e: any) => e.addr === '198.51.100.9'));
    // metrics
    const text = await get(ops.metricsServer!.port);
    assert.match(text, /^quell_alerts_total\{rule="42"\} 1$/m);
    assert.match(text, /^quell_set_blocked_total 3$/m);
    // EVE file + socket
    await ops.eve!.idle();
    const lines = fs.readFileSync(path.join(d, 'eve.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.event_type), ['alert', 'flow']);
    assert.ok(await until(() => sockText.split('\n').length === 3));
    // SQLite
    await ops.sqlite!.idle();
    const db = openReadOnly(path.join(d, 'ev.db'));
    assert.deepEqual(db.all('SELECT sid, src_ip FROM alerts'), [{ sid: 42, src_ip: '198.51.100.9' }]);
    assert.equal((db.get('SELECT count(*) n FROM flows') as { n: number }).n, 1);
    db.close();
    // SIGHUP: set file reload reaches workers through onSnapshot; EVE file reopened after rotation
    let posted = 0;
    ops.onSnapshot = (snap) => { posted++; ow.setSnapshot(snap); };
    fs.writeFileSync(path.join(d, 'drop.txt'), '203.0.114.0/24\n');
    fs.renameSync(path.join(d, 'eve.json'), path.join(d, 'eve.json.1'));
    const hup = await ops.onHup();
    assert.equal(hup.sets.find((s) => s.name === 'drop')!.ok, true);
    assert.equal(posted, 1);
    assert.equal(ow.ops.gate.gate4(parseIPv4('203.0.113.5'), now), GATE_NONE);
    assert.equal(ow.ops.gate.gate4(parseIPv4('203.0.114.5'), now), GATE_BLOCK);
    assert.equal(ow.ops.gate.gate4(parseIPv4('192.0.2.77'), now), GATE_BLOCK, 'dynamic entries survive a set reload');
    ops.onEvents([{ ...alert, src_ip: '198.51.100.10' }]);
    await ops.eve!.idle();
    assert.equal(fs.readFileSync(path.join(d, 'eve.json'), 'utf8').trim().split('\n').length, 1);
    consumer.destroy();
    ow.close();
    await ops.close();
    ops = null;
    const saved = JSON.parse(fs.readFileSync(statePath, 'utf8'));
    assert.deepEqual(saved.tables.bans.map((e: [string, number]) => e[0]).sort(), ['192.0.2.77', '198.51.100.10', '198.51.100.9']);
  } finally { if (ops) await ops.close(); fs.rmSync(d, { recursive: true, force: true }); }
});

test('OpsMain.onRunnerStats: the runner stats event (docs/inline.md shape) becomes Prometheus metrics', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'quell-host-'));
  const ops = await OpsMain.start({ controlSocket: null, metricsPort: 0 });
  try {
    const q = (n: number) => ({ queue: n, worker: n, packets: 1234, batches: 900, batch_hist: [800, 70, 20, 5, 3, 2, 0, 0],
      verdicts: { accept: 1200, drop: 20, repeat: 14, queue: 0, reject: 4 }, kernel: { queue_dropped: 3, user_dropped: 1 } });
    const eng = { decoder: { pkts: 1234, bytes: 99_000, event: { 'ipv4.bad_checksum': 5 } }, flow: { active: 40, memcap_flows: 65536 } };
    ops.onRunnerStats({ event_type: 'stats', inline: { queues: [q(0), q(1)], engine: [eng, eng] } });
    ops.onRunnerStats({ event_type: 'stats', inline: { queues: [q(0), q(1)], engine: [eng, eng] } }); // cumulative: set, not added
    const text = await get(ops.metricsServer!.port);
    assert.match(text, /^quell_packets_total 2468$/m);
    assert.match(text, /^quell_verdicts_total\{verdict="accept"\} 2400$/m);
    assert.match(text, /^quell_verdicts_total\{verdict="reject"\} 8$/m);
    assert.match(text, /^quell_queue_drops_total 8$/m);
    assert.match(text, /^quell_bytes_total 198000$/m);
    assert.match(text, /^quell_decode_events_total\{event="ipv4.bad_checksum"\} 10$/m);
    assert.match(text, /^quell_flows_active 80$/m);
    assert.match(text, /^quell_batch_size_bucket\{le="1"\} 1600$/m);
    assert.match(text, /^quell_batch_size_bucket\{le="3"\} 1740$/m);
    assert.match(text, /^quell_batch_size_bucket\{le="\+Inf"\} 1800$/m);
    assert.match(text, /^quell_batch_size_count 1800$/m);
  } finally { await ops.close(); fs.rmSync(d, { recursive: true, force: true }); }
});
